// A program that uses an installed cairn the way a user's project would: it trains a small classifier on
// the two-moons data, saves a checkpoint and a whole .keras model, loads both into new models and checks
// that their predictions equal the trained model's. Exits 0 only when they do.
#include <cstdio>
#include <filesystem>
#include <string>

#include "cairn/cairn.h"

using namespace cairn;

namespace {

std::shared_ptr<Sequential> create_model() {
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(16, DenseOptions{.activation = "relu"}),
                            std::make_shared<Dense>(2, DenseOptions{.activation = "softmax"})},
      Shape{2});
  model->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  return model;
}

bool same_values(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return false;
  for (size_t i = 0; i < a.span<float>().size(); ++i) {
    if (a.span<float>()[i] != b.span<float>()[i]) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "consumer_run";
  std::filesystem::remove_all(dir);
  set_random_seed(0);
  LabeledData moons = make_moons(200, 0.1, 0);

  auto model = create_model();
  model->fit(moons.x, moons.y, {.epochs = 5, .verbose = 0});
  model->save_weights(dir + "/ckpt");
  save_model(*model, dir + "/model.keras");
  const Tensor expected = model->predict(moons.x);

  auto restored = create_model();
  restored->load_weights(dir + "/ckpt");
  std::shared_ptr<Model> loaded = load_model(dir + "/model.keras");
  const bool ok = same_values(restored->predict(moons.x), expected) && same_values(loaded->predict(moons.x), expected);
  std::printf("%s: checkpoint and .keras model predict as the trained model\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
