// MultiWorkerMirroredStrategy: N processes train as one does, within the summation order of floats.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "cairn/cairn.h"
#include "cairn/distributed.h"
#include "expect_error.h"
#include "mpi_environment.h"

namespace cairn {
namespace {

// A classifier on make_moons whose weights depend on every sample of every batch.
std::shared_ptr<Sequential> moons_model(uint64_t seed, const std::string& optimizer, double dropout = 0.0) {
  set_random_seed(seed);
  std::vector<LayerPtr> layers{make_dense(16, {.activation = "relu"})};
  if (dropout > 0) layers.push_back(make_dropout(dropout));
  layers.push_back(make_dense(2, {.activation = "softmax"}));
  auto model = std::make_shared<Sequential>(layers, Shape{2});
  model->compile({.optimizer = optimizer, .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  return model;
}

double max_weight_difference(const Model& a, const Model& b) {
  double worst = 0;
  const auto wa = a.weights(), wb = b.weights();
  EXPECT_EQ(wa.size(), wb.size());
  for (size_t i = 0; i < wa.size() && i < wb.size(); ++i) {
    auto va = wa[i]->value().span<float>(), vb = wb[i]->value().span<float>();
    for (size_t j = 0; j < va.size(); ++j) worst = std::max(worst, std::fabs(static_cast<double>(va[j]) - vb[j]));
  }
  return worst;
}

struct TrainingRun {
  std::shared_ptr<Sequential> model;
  History history;
};

// 20 steps of `batch` samples (the last batch of each epoch short when samples do not divide).
TrainingRun train(const LabeledData& data, const std::string& optimizer, int64_t batch, int epochs,
          std::shared_ptr<ReplicaContext> replicas, int64_t bucket_bytes = 25 << 20) {
  TrainingRun run;
  run.model = moons_model(7, optimizer);
  run.history = run.model->fit(data.x, data.y, {.batch_size = batch, .epochs = epochs, .verbose = 0, .seed = 11,
                                                .replica_context = std::move(replicas)});
  return run;
}

TEST(MirroredStrategy, ReplicasTrainAsOneProcessWithTheGlobalBatch) {
  MultiWorkerMirroredStrategy strategy;
  const LabeledData data = make_moons(640, 0.1, 3);  // 20 batches of 32: one epoch of 20 steps
  for (const std::string optimizer : {"sgd", "adam"}) {
    TrainingRun alone = train(data, optimizer, 32, 1, nullptr);
    TrainingRun replicated = train(data, optimizer, 32, 1, strategy.replica_context());
    EXPECT_LT(max_weight_difference(*alone.model, *replicated.model), 1e-5) << optimizer;
    // The loss and accuracy shown are those of all replicas' samples.
    for (const std::string name : {"loss", "accuracy"})
      EXPECT_NEAR(alone.history.history[name].back(), replicated.history.history[name].back(), 1e-6)
          << optimizer << " " << name;
    EXPECT_EQ(replicated.model->optimizer().iterations()->value().item(), 20);
  }
}

TEST(MirroredStrategy, ShortLastBatchesAndEmptyPartsAreWeightedBySamples) {
  MultiWorkerMirroredStrategy strategy;
  // 98 samples in batches of 32: the last batch of each epoch has 2 samples, so with 4 replicas two of
  // them have none. 5 epochs of 4 steps.
  const LabeledData data = make_moons(98, 0.1, 4);
  TrainingRun alone = train(data, "adam", 32, 5, nullptr);
  TrainingRun replicated = train(data, "adam", 32, 5, strategy.replica_context());
  EXPECT_LT(max_weight_difference(*alone.model, *replicated.model), 1e-5);
  EXPECT_NEAR(alone.history.history["loss"].back(), replicated.history.history["loss"].back(), 1e-6);
}

TEST(MirroredStrategy, SmallBucketsReduceTheSameGradients) {
  // 40-byte buckets split every kernel across buckets and put several biases in one.
  MultiWorkerMirroredStrategy strategy({.bucket_bytes = 40});
  const LabeledData data = make_moons(640, 0.1, 3);
  TrainingRun alone = train(data, "sgd", 32, 1, nullptr);
  TrainingRun replicated = train(data, "sgd", 32, 1, strategy.replica_context());
  EXPECT_LT(max_weight_difference(*alone.model, *replicated.model), 1e-5);
}

// A weight that the loss does not reach: its gradient is undefined.
class UnusedWeight : public Layer {
 public:
  UnusedWeight() : Layer("UnusedWeight", "unused_weight") {}
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }

 protected:
  void build_impl(const Shape&) override { add_weight("unused", {3}, zeros()); }
  Tensor call(const Tensor& x, bool) override { return x; }
};

TEST(MirroredStrategy, AWeightWithoutGradientAndAReplicaWithoutSamples) {
  // Every replica reduces a place for every weight, so that a replica without samples in a step (97
  // samples in batches of 32: the last batch of 1 leaves every replica but one empty) and the others,
  // which have no gradient for the unused weight, reduce the same buckets; the weight stays without a
  // gradient, as in one process.
  MultiWorkerMirroredStrategy strategy;
  const LabeledData data = make_moons(97, 0.1, 5);
  auto make = [] {
    set_random_seed(7);
    auto model = std::make_shared<Sequential>(
        std::vector<LayerPtr>{std::make_shared<UnusedWeight>(), make_dense(8, {.activation = "relu"}),
                              make_dense(2, {.activation = "softmax"})},
        Shape{2});
    model->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
    return model;
  };
  auto alone = make(), replicated = make();
  const History a = alone->fit(data.x, data.y, {.batch_size = 32, .epochs = 3, .verbose = 0, .seed = 2});
  const History r = replicated->fit(data.x, data.y, {.batch_size = 32, .epochs = 3, .verbose = 0, .seed = 2,
                                                     .replica_context = strategy.replica_context()});
  EXPECT_LT(max_weight_difference(*alone, *replicated), 1e-5);
  EXPECT_NEAR(a.history.at("loss").back(), r.history.at("loss").back(), 1e-6);
  EXPECT_EQ(replicated->optimizer().iterations()->value().item(), 12);
}

// The metric sums of a step (a Mean's total is the loss times the samples) reach every replica as
// the double sum of all replicas', as one process would add them; as floats they kept ~7 digits.
TEST(MirroredStrategy, MetricSumsAreReducedInDouble) {
  MultiWorkerMirroredStrategy strategy;
  auto context = strategy.replica_context();
  const int replicas = strategy.num_replicas_in_sync();
  auto sums_of = [](int replica) {
    return std::vector<double>{0.6931471805599453 * 32 + replica / 3.0, 1e6 / 7.0 + replica, 3.0 + replica};
  };
  std::vector<double> expected(3, 0.0);
  for (int r = 0; r < replicas; ++r)
    for (size_t i = 0; i < expected.size(); ++i) expected[i] += sums_of(r)[i];
  auto weight = std::make_shared<Variable>("w", Tensor::zeros({2}, DType::Float32));
  std::vector<Tensor> gradients{Tensor::zeros({2}, DType::Float32)};
  std::vector<double> sums = sums_of(strategy.replica_id());
  context->all_reduce_gradients(gradients, {weight}, 8, sums);
  for (size_t i = 0; i < sums.size(); ++i)
    EXPECT_NEAR(sums[i], expected[i], 1e-13 * std::fabs(expected[i])) << i;
}

TEST(MirroredStrategy, ReplicasStartFromTheFirstReplicasWeights) {
  MultiWorkerMirroredStrategy strategy;
  const LabeledData data = make_moons(64, 0.1, 3);
  auto model = moons_model(100 + strategy.replica_id(), "sgd");  // different weights on every process
  auto reference = moons_model(100, "sgd");                       // process 0's
  model->fit(data.x, data.y, {.batch_size = 64, .verbose = 0, .seed = 1, .replica_context = strategy.replica_context()});
  reference->fit(data.x, data.y, {.batch_size = 64, .verbose = 0, .seed = 1});
  EXPECT_LT(max_weight_difference(*model, *reference), 1e-5);
}

TEST(MirroredStrategy, GlobalBatchNotDivisibleByTheReplicasIsAnErrorAtStart) {
  MultiWorkerMirroredStrategy strategy;
  if (strategy.num_replicas_in_sync() == 1) GTEST_SKIP() << "every batch divides among one replica";
  const LabeledData data = make_moons(64, 0.1, 3);
  auto model = moons_model(7, "sgd");
  const std::vector<float> before(model->weights()[0]->value().span<float>().begin(),
                                  model->weights()[0]->value().span<float>().end());
  const int64_t batch = 8 * strategy.num_replicas_in_sync() + 1;
  testing::expect_error_mentioning<InvalidArgument>(
      [&] { model->fit(data.x, data.y, {.batch_size = batch, .verbose = 0, .replica_context = strategy.replica_context()}); },
      {"batch_size " + std::to_string(batch), std::to_string(strategy.num_replicas_in_sync()) + " replicas"});
  EXPECT_EQ(model->optimizer().iterations()->value().item(), 0);
  const auto after = model->weights()[0]->value().span<float>();
  EXPECT_TRUE(std::equal(before.begin(), before.end(), after.begin(), after.end()));
}

TEST(MirroredStrategy, OnlyTheFirstReplicaShowsProgress) {
  MultiWorkerMirroredStrategy strategy;
  const LabeledData data = make_moons(64, 0.1, 3);
  auto model = moons_model(7, "sgd");
  std::ostringstream out;
  model->fit(data.x, data.y, {.batch_size = 16, .verbose = 2, .output = &out, .replica_context = strategy.replica_context()});
  if (strategy.is_chief()) {
    EXPECT_NE(out.str().find("loss"), std::string::npos) << out.str();
  } else {
    EXPECT_EQ(out.str(), "");
  }
}

TEST(MirroredStrategy, DropoutStreamsDependOnTheReplica) {
  MultiWorkerMirroredStrategy strategy;
  Communicator& world = strategy.communicator();
  auto model = moons_model(7, "sgd", 0.5);
  const GeneratorState layer_stream = model->layers()[1]->generator().state();
  strategy.distribute(*model);
  const GeneratorState mine = model->layers()[1]->generator().state();
  if (strategy.is_chief()) {
    EXPECT_EQ(mine, layer_stream);  // one replica trains as without the strategy
  } else {
    EXPECT_EQ(mine.seed, Generator(layer_stream.seed).fork(strategy.replica_id()).state().seed);
  }
  // Every replica's seed differs from every other's.
  std::vector<std::string> seeds = world.gather(std::to_string(mine.seed));
  std::sort(seeds.begin(), seeds.end());
  EXPECT_EQ(std::unique(seeds.begin(), seeds.end()), seeds.end());
}

}  // namespace
}  // namespace cairn
