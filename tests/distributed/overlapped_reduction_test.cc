// Gradient buckets reduced while the backward pass runs: the same weights to the bit as reduced after it,
// whatever order the gradients come in.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "cairn/cairn.h"
#include "cairn/distributed.h"
#include "expect_error.h"
#include "mpi_environment.h"

namespace cairn {
namespace {

std::shared_ptr<Sequential> three_layer_model() {
  set_random_seed(21);
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{make_dense(16, {.activation = "relu"}), make_dense(8, {.activation = "tanh"}),
                            make_dense(2, {.activation = "softmax"})},
      Shape{2});
  model->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  return model;
}

std::vector<std::vector<float>> weights_of(const Model& model) {
  std::vector<std::vector<float>> out;
  for (const auto& w : model.weights()) out.push_back(w->value().to_vector<float>());
  return out;
}

double max_difference(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t j = 0; j < a[i].size(); ++j) worst = std::max(worst, std::fabs(static_cast<double>(a[i][j]) - b[i][j]));
  return worst;
}

struct Trained {
  std::vector<std::vector<float>> weights;
  double loss;
};

// 98 samples in batches of 32, 3 epochs: short last batches of 2, so that with 4 processes two have no
// samples in those steps and start every bucket only at the end of the step.
Trained train(std::shared_ptr<ReplicaContext> replicas) {
  const LabeledData data = make_moons(98, 0.1, 8);
  auto model = three_layer_model();
  const History history = model->fit(
      data.x, data.y, {.batch_size = 32, .epochs = 3, .verbose = 0, .seed = 5, .replica_context = std::move(replicas)});
  return {weights_of(*model), history.history.at("loss").back()};
}

TEST(OverlappedReduction, SameWeightsToTheBitAsReducingAfterTheBackwardPass) {
  const Trained alone = train(nullptr);
  // 40 bytes: 10 floats a bucket, so that buckets hold parts of kernels and several biases, and most
  // start while the backward pass still runs; 25 MB: one bucket.
  for (int64_t bucket_bytes : {int64_t{40}, int64_t{25} << 20}) {
    MultiWorkerMirroredStrategy during({.bucket_bytes = bucket_bytes, .reduce_during_backward = true});
    MultiWorkerMirroredStrategy after({.bucket_bytes = bucket_bytes, .reduce_during_backward = false});
    const Trained overlapped = train(during.replica_context());
    const Trained sequential = train(after.replica_context());
    EXPECT_EQ(overlapped.weights, sequential.weights) << bucket_bytes;
    EXPECT_EQ(overlapped.loss, sequential.loss) << bucket_bytes;
    EXPECT_LT(max_difference(overlapped.weights, alone.weights), 1e-5) << bucket_bytes;
    EXPECT_NEAR(overlapped.loss, alone.loss, 1e-6) << bucket_bytes;
  }
}

// Three variables, replica r having r + 1 samples and gradient (r + 1) * (v + 1) for variable v: the
// reduced gradient is sum_r (r + 1)^2 (v + 1) / sum_r (r + 1), however the gradients are handed over.
TEST(OverlappedReduction, GradientsHandedOverInAnyOrderReduceAsAllAtOnce) {
  MultiWorkerMirroredStrategy strategy({.bucket_bytes = 12});  // 3 floats a bucket
  const int replicas = strategy.num_replicas_in_sync(), r = strategy.replica_id();
  std::vector<VariablePtr> variables;
  std::vector<Tensor> local;
  for (int v = 0; v < 3; ++v) {
    const char* names[] = {"a", "b", "c"};
    variables.push_back(std::make_shared<Variable>(names[v], Tensor::zeros({v + 2}, DType::Float32)));
    Tensor g({v + 2}, DType::Float32);
    std::fill(g.span<float>().begin(), g.span<float>().end(), static_cast<float>((r + 1) * (v + 1)));
    local.push_back(g);
  }
  double squares = 0, samples = 0;
  for (int k = 1; k <= replicas; ++k) squares += k * k, samples += k;

  std::vector<Tensor> all_at_once = local;
  strategy.replica_context()->all_reduce_gradients(all_at_once, variables, r + 1);
  auto reduction = strategy.replica_context()->begin_gradient_reduction(variables, r + 1);
  reduction->gradient_final(0, local[0]);  // the last bucket first, then the first
  reduction->gradient_final(2, local[2]);
  std::vector<Tensor> handed_over{Tensor(), local[1], Tensor()};  // finish reads only the one not handed over
  std::vector<double> sums{static_cast<double>(r)};
  reduction->finish(handed_over, sums);
  for (int v = 0; v < 3; ++v) {
    EXPECT_EQ(handed_over[v].to_vector<float>(), all_at_once[v].to_vector<float>()) << v;
    for (float value : handed_over[v].span<float>())
      EXPECT_NEAR(value, squares * (v + 1) / samples, 1e-5) << v;
  }
  EXPECT_EQ(sums[0], replicas * (replicas - 1) / 2.0);
}

TEST(OverlappedReduction, ASecondFinalGradientAndAWrongShapeAreErrors) {
  MultiWorkerMirroredStrategy strategy({.bucket_bytes = 12});  // the bias alone in the first bucket
  if (strategy.num_replicas_in_sync() == 1) GTEST_SKIP() << "one replica reduces nothing";
  auto kernel = std::make_shared<Variable>("kernel", Tensor::zeros({2, 3}, DType::Float32));
  auto bias = std::make_shared<Variable>("bias", Tensor::zeros({3}, DType::Float32));
  {
    auto reduction = strategy.replica_context()->begin_gradient_reduction({kernel, bias}, 4);
    reduction->gradient_final(1, Tensor::zeros({3}, DType::Float32));
    testing::expect_error_mentioning<InvalidArgument>(
        [&] { reduction->gradient_final(1, Tensor::zeros({3}, DType::Float32)); }, {"second", "'bias'"});
    testing::expect_error_mentioning<ShapeError>(
        [&] { reduction->gradient_final(0, Tensor::zeros({3, 2}, DType::Float32)); }, {"(3, 2)", "'kernel'", "(2, 3)"});
    // Ended without finish (as by an exception in a step): the bias's bucket, started on every
    // process, is waited for.
  }
  // One at a time: the next begins once the previous has ended.
  std::vector<Tensor> gradients{Tensor::ones({2, 3}, DType::Float32), Tensor::ones({3}, DType::Float32)};
  strategy.replica_context()->all_reduce_gradients(gradients, {kernel, bias}, 4);
  EXPECT_EQ(gradients[1].to_vector<float>(), (std::vector<float>{1, 1, 1}));
  auto first = strategy.replica_context()->begin_gradient_reduction({kernel, bias}, 4);
  testing::expect_error_mentioning<InvalidArgument>(
      [&] { strategy.replica_context()->begin_gradient_reduction({kernel, bias}, 4); }, {"previous one"});
}

}  // namespace
}  // namespace cairn
