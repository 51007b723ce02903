// Export a trained model for inference, then load it in a few lines without the code that built it,
// as TensorFlow's SavedModel does.
//
//   build/examples/export_and_serve [export-dir]
#include <cstdio>

#include "cairn/cairn.h"

using namespace cairn;

namespace {
// The training side: any code, any program.
void train_and_export(const std::string& dir) {
  set_random_seed(1);
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(10, DenseOptions{.activation = "relu"}),
                            std::make_shared<Dense>(10, DenseOptions{.activation = "relu"}),
                            std::make_shared<Dense>(3, DenseOptions{.activation = "softmax"})},
      Shape{4});
  model->compile({.optimizer = std::make_shared<Adam>(0.01), .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  TrainTestData iris = load_iris_tutorial();
  model->fit(iris.train.x, iris.train.y, {.batch_size = 16, .epochs = 60, .verbose = 0});
  std::printf("trained: test accuracy %.3f\n", model->evaluate(iris.test.x, iris.test.y).at("accuracy"));
  std::printf("exported to %s\n", export_model(*model, dir).c_str());
}
}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "exports/iris";
  train_and_export(dir);

  // The serving side: three lines.
  std::shared_ptr<Model> model = load_exported_model(dir);
  Tensor samples = Tensor::from_values({3, 4}, {5.1, 3.3, 1.7, 0.5, 5.9, 3.0, 4.2, 1.5, 6.9, 3.1, 5.4, 2.1});
  Tensor probabilities = model->predict(samples);

  const char* species[] = {"Setosa", "Versicolor", "Virginica"};
  Tensor predicted = ops::argmax(probabilities);
  for (int64_t i = 0; i < 3; ++i) {
    const int64_t c = predicted.data<int64_t>()[i];
    std::printf("sample %ld: %s (%.1f%%)\n", static_cast<long>(i), species[c], 100 * probabilities.get({i, c}));
  }
  return 0;
}
