// DistributedBackupAndRestore: a data-parallel fit interrupted and started again ends as the
// uninterrupted one, bit for bit, with the same logged metrics.
#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <optional>

#include "cairn/cairn.h"
#include "cairn/distributed.h"
#include "mpi_environment.h"

namespace cairn {
namespace {

// Stops fit with an exception after `batches` batches, as a kill would (no on_train_end).
class Interrupt : public Callback {
 public:
  explicit Interrupt(int64_t batches) : left_(batches) {}
  void on_train_batch_end(int64_t, const Logs&) override {
    if (--left_ == 0) throw IOError("interrupted");
  }

 private:
  int64_t left_;
};

std::shared_ptr<Sequential> model_with_seed(uint64_t seed, double dropout, const MultiWorkerMirroredStrategy& strategy) {
  set_random_seed(seed);
  std::vector<LayerPtr> layers{make_dense(16, {.activation = "relu"})};
  if (dropout > 0) layers.push_back(make_dropout(dropout));
  layers.push_back(make_dense(2, {.activation = "softmax"}));
  auto model = std::make_shared<Sequential>(layers, Shape{2});
  model->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  strategy.distribute(*model);
  return model;
}

std::vector<std::vector<float>> weights_of(const Model& model) {
  std::vector<std::vector<float>> out;
  for (const auto& w : model.weights()) out.emplace_back(w->value().span<float>().begin(), w->value().span<float>().end());
  return out;
}

// With Dropout, every process continues its own stream: the backups hold them all.
void expect_interrupted_fit_continues_exactly(double dropout) {
  MultiWorkerMirroredStrategy strategy;
  testing::SharedTempDir dir(strategy.communicator());
  const LabeledData data = make_moons(200, 0.1, 3);  // 13 batches of 16 per epoch, the last of 8
  auto fit = [&](Model& model, const std::string& backups, std::vector<CallbackPtr> more) {
    auto backup = std::make_shared<DistributedBackupAndRestore>(backups, BackupAndRestoreOptions{.save_freq = int64_t{4}});
    more.insert(more.begin(), backup);
    History history = model.fit(data.x, data.y, {.batch_size = 16, .epochs = 3, .verbose = 0, .callbacks = more,
                                                 .seed = 5, .replica_context = strategy.replica_context()});
    return std::make_pair(history, backup->restored_from());
  };

  auto whole = model_with_seed(7, dropout, strategy);
  const auto [whole_history, none] = fit(*whole, dir / "whole", {});
  EXPECT_FALSE(none);

  auto first = model_with_seed(7, dropout, strategy);
  EXPECT_THROW(fit(*first, dir / "interrupted", {std::make_shared<Interrupt>(19)}), IOError);  // epoch 1, step 6
  auto second = model_with_seed(99, dropout, strategy);  // other weights: the backup replaces them
  const auto [history, restored] = fit(*second, dir / "interrupted", {});
  ASSERT_TRUE(restored);
  EXPECT_EQ(*restored, dir / "interrupted/backup-4");  // after batch 16, the last backup before the interruption

  EXPECT_EQ(weights_of(*second), weights_of(*whole));
  // The epochs the second run trained (1 and 2) logged what the uninterrupted run logged.
  for (const std::string name : {"loss", "accuracy"}) {
    ASSERT_EQ(history.history.at(name).size(), 2u);
    for (size_t e = 0; e < 2; ++e)
      EXPECT_NEAR(history.history.at(name)[e], whole_history.history.at(name)[e + 1], 1e-12) << name << " " << e;
  }
  // fit's end removed the backups.
  strategy.communicator().barrier();
  for (const auto& entry : std::filesystem::directory_iterator(dir / "interrupted"))
    ADD_FAILURE() << "left behind: " << entry.path();
}

TEST(DistributedBackupAndRestore, AnInterruptedFitContinuesExactly) { expect_interrupted_fit_continues_exactly(0.0); }

TEST(DistributedBackupAndRestore, WithDropoutEveryProcessContinuesItsOwnStream) {
  expect_interrupted_fit_continues_exactly(0.3);
}

// A backup of a model with one Dropout holds one stream per process; a model with two cannot continue
// from it: the load names the shapes and leaves the model and the backup as they were.
TEST(DistributedBackupAndRestore, StreamsOfAnotherLayerCountAreAFormatError) {
  MultiWorkerMirroredStrategy strategy;
  testing::SharedTempDir dir(strategy.communicator());
  const LabeledData data = make_moons(64, 0.1, 3);
  auto fit = [&](Model& model, std::vector<CallbackPtr> more) {
    auto backup = std::make_shared<DistributedBackupAndRestore>(dir / "backups", BackupAndRestoreOptions{.save_freq = int64_t{2}});
    more.insert(more.begin(), backup);
    model.fit(data.x, data.y, {.batch_size = 16, .epochs = 2, .verbose = 0, .callbacks = more, .seed = 5,
                               .replica_context = strategy.replica_context()});
    return backup;
  };
  auto one_dropout = model_with_seed(7, 0.3, strategy);
  EXPECT_THROW(fit(*one_dropout, {std::make_shared<Interrupt>(3)}), IOError);

  set_random_seed(11);
  auto two_dropouts = std::make_shared<Sequential>(
      std::vector<LayerPtr>{make_dense(16, {.activation = "relu"}), make_dropout(0.3), make_dropout(0.2),
                            make_dense(2, {.activation = "softmax"})},
      Shape{2});
  two_dropouts->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
  strategy.distribute(*two_dropouts);
  const auto before = weights_of(*two_dropouts);
  try {
    fit(*two_dropouts, {});
    ADD_FAILURE() << "no FormatError";
  } catch (const FormatError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("replica_random_streams"), std::string::npos) << message;
    EXPECT_NE(message.find("backups/backup-1"), std::string::npos) << message;
    const std::string saved = "(" + std::to_string(strategy.communicator().size()) + ", 1, 3)";
    const std::string needed = "(" + std::to_string(strategy.communicator().size()) + ", 2, 3)";
    EXPECT_NE(message.find(saved), std::string::npos) << message;
    EXPECT_NE(message.find(needed), std::string::npos) << message;
  }
  EXPECT_EQ(weights_of(*two_dropouts), before);
  strategy.communicator().barrier();
  EXPECT_TRUE(std::filesystem::exists(dir / "backups/backup-1.index"));
}

// Notes a ModelCheckpoint's best value when the first epoch of a fit begins (after the restore).
class BestAtStart : public Callback {
 public:
  explicit BestAtStart(std::shared_ptr<ModelCheckpoint> checkpoint) : checkpoint_(std::move(checkpoint)) {}
  void on_epoch_begin(int, const Logs&) override {
    if (!best_) best_ = checkpoint_->best();
  }
  std::optional<double> best_;

 private:
  std::shared_ptr<ModelCheckpoint> checkpoint_;
};

// A save_best_only ModelCheckpoint given to every process (only process 0 writing) is in the backups:
// resumed in epoch 1, it remembers epoch 0's loss as the best. Given to process 0 alone, it is not, and
// that process says so.
TEST(DistributedBackupAndRestore, AModelCheckpointOnEveryProcessKeepsItsBestValue) {
  MultiWorkerMirroredStrategy strategy;
  testing::SharedTempDir dir(strategy.communicator());
  const LabeledData data = make_moons(200, 0.1, 3);  // 13 batches of 16 per epoch
  auto fit = [&](const std::string& name, bool on_every_process, std::vector<CallbackPtr> more) {
    auto model = model_with_seed(7, 0.0, strategy);
    const ModelCheckpointOptions options{
        .monitor = "loss", .save_best_only = true, .save_weights_only = true, .writes_files = strategy.is_chief()};
    auto checkpoint = std::make_shared<ModelCheckpoint>(dir / (name + "-cp"), options);
    auto probe = std::make_shared<BestAtStart>(checkpoint);
    const BackupAndRestoreOptions every_4{.save_freq = int64_t{4}};
    more.insert(more.begin(), std::make_shared<DistributedBackupAndRestore>(dir / name, every_4));
    if (on_every_process || strategy.is_chief()) more.push_back(checkpoint);
    more.push_back(probe);
    History history = model->fit(data.x, data.y, {.batch_size = 16, .epochs = 2, .verbose = 0, .callbacks = more,
                                                  .seed = 5, .replica_context = strategy.replica_context()});
    return std::make_pair(history, probe->best_);
  };
  const auto [whole, whole_start] = fit("whole", true, {});
  EXPECT_EQ(whole_start, std::numeric_limits<double>::infinity());
  for (bool on_every_process : {true, false}) {
    const std::string name = on_every_process ? "every" : "chief";
    EXPECT_THROW(fit(name, on_every_process, {std::make_shared<Interrupt>(19)}), IOError);  // epoch 1, step 6
    ::testing::internal::CaptureStderr();
    const auto [resumed, probed] = fit(name, on_every_process, {});
    const std::string warnings = ::testing::internal::GetCapturedStderr();
    const double best_at_start = probed.value_or(-1.0);  // no ASSERT: the other processes would wait
    const bool warned =
        warnings.find("callback 'model_checkpoint' of process 0 is not on every process") != std::string::npos;
    if (on_every_process || strategy.num_replicas_in_sync() == 1) {
      EXPECT_EQ(best_at_start, whole.history.at("loss")[0]) << name;  // epoch 0's, restored
      EXPECT_FALSE(warned) << warnings;
    } else {
      if (strategy.is_chief()) {
        EXPECT_EQ(best_at_start, std::numeric_limits<double>::infinity());
      }
      EXPECT_EQ(warned, strategy.is_chief()) << warnings;
    }
    EXPECT_NEAR(resumed.history.at("loss").back(), whole.history.at("loss").back(), 1e-12) << name;
  }
}

}  // namespace
}  // namespace cairn
