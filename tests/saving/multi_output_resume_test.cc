// Exact resume for what real models fit: two inputs and two outputs (per-output losses, loss weights and
// metrics, AUC among them), sample_weight, class_weight and validation every other epoch. Interrupted
// mid-epoch and continued by BackupAndRestore in new objects, the run ends with the same weights,
// optimizer slots and logged metrics, byte for byte, as a run never interrupted.
#include <gtest/gtest.h>

#include <filesystem>

#include "cairn/cairn.h"
#include "io/test_util.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

class InterruptAfter : public Callback {
 public:
  explicit InterruptAfter(int64_t batches) : remaining_(batches) {}
  void on_train_batch_end(int64_t, const Logs&) override {
    if (--remaining_ == 0) throw Interrupted();
  }

 private:
  int64_t remaining_;
};

struct TrainingRun {
  std::function<std::shared_ptr<Model>()> make;
  Arrays x, y;
  FitOptions fit;
};

std::vector<Tensor> state_of(const Model& model) {
  std::vector<Tensor> out;
  for (const auto& w : model.weights()) out.push_back(w->value());
  for (const auto& s : model.optimizer().slots()) out.push_back(s.slot->value());
  out.push_back(model.optimizer().iterations()->value());
  return out;
}

class MultiOutputResume : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cairn_multi_output_resume_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Trains straight through, then interrupted after `cut` batches (backups every batch) and resumed.
  void expect_exact_resume(const TrainingRun& run, int64_t cut) {
    clear_session();
    set_random_seed(1);
    auto reference = run.make();
    const History straight = reference->fit(run.x, run.y, run.fit);

    clear_session();
    set_random_seed(1);
    auto first = run.make();
    FitOptions interrupted = run.fit;
    auto backup = std::make_shared<BackupAndRestore>(dir_.string(), BackupAndRestoreOptions{.save_freq = int64_t{1}});
    interrupted.callbacks = {backup, std::make_shared<InterruptAfter>(cut)};
    EXPECT_THROW(first->fit(run.x, run.y, interrupted), Interrupted);
    interrupted.callbacks.clear();
    backup.reset();

    clear_session();
    set_random_seed(1);
    auto second = run.make();
    FitOptions resumed = run.fit;
    resumed.seed = 999;  // the restored data order wins
    resumed.callbacks = {std::make_shared<BackupAndRestore>(dir_.string(), BackupAndRestoreOptions{.save_freq = int64_t{1}})};
    const History continued = second->fit(run.x, run.y, resumed);

    auto a = state_of(*reference), b = state_of(*second);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(equal_bytes(a[i], b[i])) << "tensor " << i << " differs after cut " << cut;
    // The epochs the resumed run finished (the interrupted one among them) logged what the straight run
    // logged: every metric's state of the interrupted epoch came back with the backup.
    ASSERT_FALSE(continued.epoch.empty());
    const size_t first_epoch = static_cast<size_t>(continued.epoch.front());
    for (const auto& [key, values] : straight.history) {
      // Validation logs only every validation_freq-th epoch, perhaps none of the resumed run's.
      const bool validation = key.rfind("val_", 0) == 0;
      ASSERT_TRUE(validation || continued.history.count(key)) << key;
      if (!continued.history.count(key)) continue;
      const std::vector<double>& got = continued.history.at(key);
      const size_t skipped = validation ? 0 : first_epoch;
      if (skipped) {
        ASSERT_EQ(got.size() + skipped, values.size()) << key;
        for (size_t i = 0; i < got.size(); ++i)
          EXPECT_EQ(got[i], values[i + skipped]) << key << " of epoch " << i + skipped << " after cut " << cut;
      } else {
        ASSERT_LE(got.size(), values.size()) << key;
        for (size_t i = 1; i <= got.size(); ++i)
          EXPECT_EQ(got[got.size() - i], values[values.size() - i]) << key << " after cut " << cut;
      }
    }
  }

  fs::path dir_;
};

struct TwoByTwoData {
  Tensor a, b, flag, kind, weight;
};

TwoByTwoData two_by_two_data() {
  const int64_t n = 45;
  Generator g(12);
  TwoByTwoData d{Tensor({n, 3}), Tensor({n, 2}), Tensor({n, 1}), Tensor({n}, DType::Int64), Tensor({n})};
  for (float& v : d.a.span<float>()) v = g.uniform();
  for (float& v : d.b.span<float>()) v = g.uniform();
  for (int64_t i = 0; i < n; ++i) {
    d.flag.data<float>()[i] = d.a.data<float>()[3 * i] + d.b.data<float>()[2 * i] > 1.0f ? 1.0f : 0.0f;
    d.kind.data<int64_t>()[i] = static_cast<int64_t>(g.uniform_int(3));
    d.weight.data<float>()[i] = 0.5f + static_cast<float>(g.uniform_int(4)) * 0.25f;
  }
  return d;
}

std::shared_ptr<Model> two_by_two_model() {
  SymbolicTensor a = Input({3}, "a"), b = Input({2}, "b");
  SymbolicTensor h = (*std::make_shared<Concatenate>())({a, b});
  h = (*std::make_shared<Dense>(12, DenseOptions{.activation = "relu", .name = "hidden"}))(h);
  h = (*std::make_shared<Dropout>(0.25))(h);
  SymbolicTensor flag = (*std::make_shared<Dense>(1, DenseOptions{.activation = "sigmoid", .name = "flag"}))(h);
  SymbolicTensor kind = (*std::make_shared<Dense>(3, DenseOptions{.name = "kind"}))(h);
  auto model = std::make_shared<Functional>(std::vector<SymbolicTensor>{a, b}, std::vector<SymbolicTensor>{flag, kind});
  model->compile({.optimizer = "adam",
                  .output_losses = {{"flag", "binary_crossentropy"}, {"kind", std::make_shared<SparseCategoricalCrossentropy>(true)}},
                  .loss_weights = {{"flag", 0.5}, {"kind", 2.0}},
                  .output_metrics = {{"flag", {"accuracy", std::make_shared<AUC>(50, "ROC", "auc50"), std::make_shared<Precision>()}},
                                     {"kind", {"accuracy", std::make_shared<TopKCategoricalAccuracy>(2, true, "top2")}}}});
  return model;
}

TEST_F(MultiOutputResume, TwoInputsTwoOutputsWithSampleWeightsAndAuc) {
  const TwoByTwoData d = two_by_two_data();
  // 36 training samples (the last 9 validate) in batches of 8: 5 batches per epoch, 15 in all.
  const TrainingRun run{two_by_two_model, Arrays{{"a", d.a}, {"b", d.b}}, Arrays{d.flag, d.kind},
                {.batch_size = 8, .epochs = 3, .verbose = 0, .validation_split = 0.2, .sample_weight = d.weight,
                 .validation_freq = 2, .validation_batch_size = 5, .seed = 11}};
  for (int64_t cut : {3, 7, 12}) expect_exact_resume(run, cut);
}

TEST_F(MultiOutputResume, ClassWeightsAndStatefulMetrics) {
  const TwoByTwoData d = two_by_two_data();
  auto make = [] {
    auto m = std::make_shared<Sequential>(
        std::vector<LayerPtr>{std::make_shared<Dense>(10, DenseOptions{.activation = "relu"}), std::make_shared<Dropout>(0.2),
                              std::make_shared<Dense>(3, DenseOptions{.activation = "softmax"})},
        Shape{3});
    m->compile({.optimizer = "adam", .loss = "categorical_crossentropy",
                .metrics = {"accuracy", std::make_shared<MeanIoU>(3, std::nullopt, false, false),
                            std::make_shared<F1Score>("macro")}});
    return m;
  };
  Tensor one_hot({45, 3});
  for (int64_t i = 0; i < 45; ++i) one_hot.data<float>()[3 * i + d.kind.data<int64_t>()[i]] = 1.0f;
  // One-hot labels: class_weight takes each sample's argmax.
  const TrainingRun run{make, Arrays{d.a}, Arrays{one_hot},
                {.batch_size = 8, .epochs = 2, .verbose = 0, .class_weight = {{0, 0.5}, {2, 3.0}}, .seed = 5}};
  for (int64_t cut : {4, 9}) expect_exact_resume(run, cut);
}

// Sequence labelling with padding: the output's mask weighs the loss and the metrics (weighted_metrics
// too), BatchNormalization's moments are those of the unmasked steps, and validation runs after listed epochs.
TEST_F(MultiOutputResume, MaskedSequenceLabellingWithWeightedMetrics) {
  const int64_t n = 30, steps = 6;
  Generator g(21);
  Tensor tokens({n, steps}, DType::Int64), tags({n, steps}, DType::Int64), weight({n});
  for (int64_t i = 0; i < n; ++i) {
    const int64_t length = 1 + static_cast<int64_t>(g.uniform_int(steps));
    for (int64_t t = 0; t < steps; ++t) {
      tokens.data<int64_t>()[i * steps + t] = t < length ? 1 + static_cast<int64_t>(g.uniform_int(9)) : 0;
      tags.data<int64_t>()[i * steps + t] = static_cast<int64_t>(g.uniform_int(3));
    }
    weight.data<float>()[i] = 0.5f + static_cast<float>(g.uniform_int(3)) * 0.5f;
  }
  auto make = [] {
    auto m = std::make_shared<Sequential>(
        std::vector<LayerPtr>{make_embedding(10, 4, {.mask_zero = true}), make_batch_normalization(),
                              make_lstm(6, {.dropout = 0.1, .return_sequences = true}),
                              make_time_distributed(make_dense(3, {.activation = "softmax"}))},
        Shape{steps});
    m->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"},
                .weighted_metrics = {"accuracy", std::make_shared<TopKCategoricalAccuracy>(2, true, "top2")}});
    return m;
  };
  // 24 training samples (6 validate) in batches of 5: 5 batches per epoch, 15 in all.
  const TrainingRun run{make, Arrays{tokens}, Arrays{tags},
                        {.batch_size = 5, .epochs = 3, .verbose = 0, .validation_split = 0.2, .sample_weight = weight,
                         .validation_freq = {1, 3}, .seed = 13}};
  for (int64_t cut : {2, 8, 13}) expect_exact_resume(run, cut);
}

}  // namespace
}  // namespace cairn
