// Exact resume: training interrupted at any batch and continued by BackupAndRestore in fresh objects
// ends with weights and optimizer slots identical, byte for byte, to a run that was never interrupted.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "cairn/cairn.h"
#include "cairn/checkpoint_manager.h"
#include "io/fault_injection_env.h"
#include "io/test_util.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

// Throws after `batches` training batches, like a crash in the middle of fit.
class InterruptAfter : public Callback {
 public:
  explicit InterruptAfter(int64_t batches) : remaining_(batches) {}
  void on_train_batch_end(int64_t, const Logs&) override {
    if (--remaining_ == 0) throw Interrupted();
  }

 private:
  int64_t remaining_;
};

struct Workload {
  std::function<std::shared_ptr<Model>()> make;
  Tensor x, y;
  int64_t batch_size;
  int epochs;
};

std::vector<Tensor> state_of(const Model& model) {
  std::vector<Tensor> out;
  for (const auto& w : model.weights()) out.push_back(w->value());
  for (const auto& s : model.optimizer().slots()) out.push_back(s.slot->value());
  out.push_back(model.optimizer().iterations()->value());
  return out;
}

// Every test runs with synchronous and with asynchronous backups (GetParam()).
class ResumeTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');
    dir_ = fs::temp_directory_path() / ("cairn_resume_" + std::to_string(::getpid()) + "_" + name);
    fs::remove_all(dir_);
  }
  BackupAndRestoreOptions backup_options(std::variant<std::string, int64_t> save_freq = std::string("epoch")) const {
    BackupAndRestoreOptions options{.save_freq = std::move(save_freq)};
    options.options.enable_async = GetParam();
    return options;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Trains straight through, then again interrupted after `cut` batches and resumed in new objects.
  void expect_exact_resume(const Workload& w, int64_t cut, std::variant<std::string, int64_t> save_freq) {
    const FitOptions fit{.batch_size = w.batch_size, .epochs = w.epochs, .verbose = 0, .seed = 11};

    clear_session();
    set_random_seed(1);
    auto reference = w.make();
    reference->fit(w.x, w.y, fit);

    clear_session();
    set_random_seed(1);
    auto first = w.make();
    auto backup = std::make_shared<BackupAndRestore>(dir_.string(), backup_options(save_freq));
    FitOptions interrupted = fit;
    interrupted.callbacks = {backup, std::make_shared<InterruptAfter>(cut)};
    EXPECT_THROW(first->fit(w.x, w.y, interrupted), Interrupted);
    // The interrupted "process" ends, and with its backup callback goes its lock on the directory.
    interrupted.callbacks.clear();
    backup.reset();

    // A new "process": different global seed, new model, new optimizer, new callbacks.
    clear_session();
    set_random_seed(1);
    auto second = w.make();
    auto restore = std::make_shared<BackupAndRestore>(dir_.string(), backup_options(save_freq));
    FitOptions resumed = fit;
    resumed.seed = 999;  // the restored data order must win over a new seed
    resumed.callbacks = {restore};
    second->fit(w.x, w.y, resumed);
    EXPECT_TRUE(restore->restored_from().has_value());

    auto a = state_of(*reference), b = state_of(*second);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(equal_bytes(a[i], b[i])) << "tensor " << i << " differs after cut " << cut;
    EXPECT_FALSE(fs::exists(dir_) && !fs::is_empty(dir_)) << "the backup is removed after training ends well";
  }

  fs::path dir_;
};

Workload mlp_with_dropout() {
  LabeledData d = make_moons(90, 0.2, 3);
  return {[] {
            auto m = std::make_shared<Sequential>(
                std::vector<LayerPtr>{std::make_shared<Dense>(16, DenseOptions{.activation = "relu"}), std::make_shared<Dropout>(0.3),
                                      std::make_shared<Dense>(2)},
                Shape{2});
            m->compile({.optimizer = "adam", .loss = std::make_shared<SparseCategoricalCrossentropy>(true), .metrics = {"accuracy"}});
            return m;
          },
          d.x, d.y, 16, 3};
}

TEST_P(ResumeTest, MlpWithDropoutAndShufflingEveryCutInTheMiddleOfAnEpoch) {
  // 90 samples in batches of 16: 6 batches per epoch, 18 in all.
  for (int64_t cut : {2, 4, 7, 11, 17}) expect_exact_resume(mlp_with_dropout(), cut, int64_t{1});
}

TEST_P(ResumeTest, BackupsEveryFewBatchesRepeatTheLostOnesExactly) {
  for (int64_t cut : {5, 8, 13}) expect_exact_resume(mlp_with_dropout(), cut, int64_t{3});
}

TEST_P(ResumeTest, EpochBackupsResumeAtTheNextEpoch) {
  for (int64_t cut : {7, 14}) expect_exact_resume(mlp_with_dropout(), cut, std::string("epoch"));
}

TEST_P(ResumeTest, Cnn) {
  Generator g(5);
  Tensor x({24, 8, 8, 1});
  for (float& v : x.span<float>()) v = g.uniform();
  Tensor y({24}, DType::Int64);
  for (int64_t& v : y.span<int64_t>()) v = static_cast<int64_t>(g.uniform_int(3));
  Workload w{[] {
               auto m = std::make_shared<Sequential>(
                   std::vector<LayerPtr>{
                       std::make_shared<Conv2D>(4, std::array<int, 2>{3, 3}, Conv2DOptions{.padding = "same", .activation = "relu"}),
                       std::make_shared<MaxPooling2D>(), std::make_shared<Flatten>(), std::make_shared<Dropout>(0.2),
                       std::make_shared<Dense>(3)},
                   Shape{8, 8, 1});
               m->compile({.optimizer = "adam", .loss = std::make_shared<SparseCategoricalCrossentropy>(true)});
               return m;
             },
             x, y, 8, 2};
  expect_exact_resume(w, 4, int64_t{1});
}

TEST_P(ResumeTest, Lstm) {
  Generator g(6);
  Tensor x({20, 7}, DType::Int64);
  for (int64_t& v : x.span<int64_t>()) v = static_cast<int64_t>(g.uniform_int(30));
  Tensor y({20, 1});
  for (float& v : y.span<float>()) v = static_cast<float>(g.uniform_int(2));
  Workload w{[] {
               auto m = std::make_shared<Sequential>(
                   std::vector<LayerPtr>{std::make_shared<Embedding>(30, 4), std::make_shared<LSTM>(5), std::make_shared<Dense>(1)},
                   Shape{7});
               m->compile({.optimizer = "adam", .loss = std::make_shared<BinaryCrossentropy>(true)});
               return m;
             },
             x, y, 6, 2};
  expect_exact_resume(w, 5, int64_t{1});
}

TEST_P(ResumeTest, EarlyStoppingStateSurvivesARestart) {
  Workload w = mlp_with_dropout();
  auto early = [] { return std::make_shared<EarlyStopping>(EarlyStoppingOptions{.monitor = "loss", .min_delta = 0.05, .patience = 1}); };
  clear_session();
  set_random_seed(1);
  auto reference = w.make();
  auto ref_early = early();
  History h = reference->fit(w.x, w.y, {.batch_size = 16, .epochs = 10, .verbose = 0, .callbacks = {ref_early}, .seed = 2});

  clear_session();
  set_random_seed(1);
  auto first = w.make();
  FitOptions interrupted{.batch_size = 16, .epochs = 10, .verbose = 0, .seed = 2};
  interrupted.callbacks = {early(), std::make_shared<BackupAndRestore>(dir_.string(), backup_options()), std::make_shared<InterruptAfter>(7)};
  EXPECT_THROW(first->fit(w.x, w.y, interrupted), Interrupted);
  interrupted.callbacks.clear();  // the interrupted "process" ends and unlocks the backup directory

  clear_session();
  set_random_seed(1);
  auto second = w.make();
  auto resumed_early = early();
  FitOptions resumed{.batch_size = 16, .epochs = 10, .verbose = 0, .seed = 2};
  resumed.callbacks = {resumed_early, std::make_shared<BackupAndRestore>(dir_.string(), backup_options())};
  second->fit(w.x, w.y, resumed);
  EXPECT_EQ(resumed_early->stopped_epoch(), ref_early->stopped_epoch());
  EXPECT_GT(ref_early->stopped_epoch(), 0);
  EXPECT_TRUE(equal_bytes(reference->weights()[0]->value(), second->weights()[0]->value()));
}

TEST_P(ResumeTest, DamagedNewestBackupFallsBackToThePreviousOneLoudly) {
  Workload w = mlp_with_dropout();
  clear_session();
  set_random_seed(1);
  auto reference = w.make();
  reference->fit(w.x, w.y, {.batch_size = 16, .epochs = 3, .verbose = 0, .seed = 11});

  clear_session();
  set_random_seed(1);
  auto first = w.make();
  FitOptions interrupted{.batch_size = 16, .epochs = 3, .verbose = 0, .seed = 11};
  interrupted.callbacks = {std::make_shared<BackupAndRestore>(dir_.string(), backup_options(int64_t{1})),
                           std::make_shared<InterruptAfter>(9)};
  EXPECT_THROW(first->fit(w.x, w.y, interrupted), Interrupted);
  interrupted.callbacks.clear();  // the interrupted "process" ends and unlocks the backup directory
  // Damage the newest backup's data.
  auto latest = latest_checkpoint(dir_.string());
  ASSERT_TRUE(latest);
  {
    const std::string data = *latest + ".data-00000-of-00001";
    std::fstream f(data, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(3);
    f.put('\x7f');
  }
  clear_session();
  set_random_seed(1);
  auto second = w.make();
  auto restore = std::make_shared<BackupAndRestore>(dir_.string(), backup_options(int64_t{1}));
  FitOptions resumed{.batch_size = 16, .epochs = 3, .verbose = 0, .seed = 11};
  resumed.callbacks = {restore};
  ::testing::internal::CaptureStderr();
  second->fit(w.x, w.y, resumed);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find(*latest), std::string::npos) << err;
  ASSERT_TRUE(restore->restored_from());
  EXPECT_NE(*restore->restored_from(), *latest);
  EXPECT_TRUE(equal_bytes(reference->weights()[0]->value(), second->weights()[0]->value()));
}

// A kill while on_train_end deletes the backups, after any number of its file removals: the fault stops
// the deletion there as a SIGKILL would (and with the crash, what was not yet synced is lost as well).
// The next run must restore the newest backup left, or start over when none is left, and end with the
// weights of an uninterrupted run; it must never find backups it cannot restore.
TEST_P(ResumeTest, AKillWhileTheBackupsAreDeletedNeverBlocksTheNextRun) {
  // on_train_end waits for the last backup, then deletes as without async; here the fault, armed when
  // training ends, would count the removals of that backup's own max_to_keep deletion, in flight or not.
  if (GetParam()) GTEST_SKIP() << "the same deletion as with synchronous backups (KillTest/Async aims at it)";
  Workload w = mlp_with_dropout();
  const FitOptions fit{.batch_size = 16, .epochs = 3, .verbose = 0, .seed = 11};
  clear_session();
  set_random_seed(1);
  auto reference = w.make();
  reference->fit(w.x, w.y, fit);

  testing::NoSyncEnv no_sync;
  int interrupted_deletions = 0;
  for (bool crash : {false, true}) {
    for (int removals = 0;; ++removals) {
      fs::remove_all(dir_);
      clear_session();
      set_random_seed(1);
      auto first = w.make();
      FaultInjectionEnv env(no_sync);
      auto stop_deleting = std::make_shared<LambdaCallback>();  // runs before BackupAndRestore's on_train_end
      stop_deleting->on_train_end_fn = [&](const Logs&) { env.fail_nth(removals + 1, FileOp::Remove); };
      FitOptions killed = fit;
      killed.callbacks = {stop_deleting, std::make_shared<BackupAndRestore>(
                                             dir_.string(), backup_options(int64_t{1}), env)};
      try {
        first->fit(w.x, w.y, killed);
      } catch (const IOError&) {
      }
      killed.callbacks.clear();  // the "process" ends
      if (!env.fault_fired()) break;  // the deletion had fewer removals: every cut was tried
      ++interrupted_deletions;
      if (crash) env.drop_unsynced_data();

      const std::string cut = (crash ? "crash" : "kill") + std::string(" after ") + std::to_string(removals) + " removals";
      clear_session();
      set_random_seed(1);
      auto second = w.make();
      auto restore = std::make_shared<BackupAndRestore>(dir_.string(), backup_options(int64_t{1}));
      FitOptions resumed = fit;
      resumed.callbacks = {restore};
      ASSERT_NO_THROW(second->fit(w.x, w.y, resumed)) << cut;
      if (restore->restored_from()) {
        EXPECT_EQ(*restore->restored_from(), dir_ / "backup-18") << cut << ": the newest backup is the last one deleted";
      }
      auto a = state_of(*reference), b = state_of(*second);
      ASSERT_EQ(a.size(), b.size());
      for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(equal_bytes(a[i], b[i])) << "tensor " << i << ", " << cut;
      EXPECT_TRUE(fs::is_empty(dir_)) << cut;
    }
  }
  EXPECT_GE(interrupted_deletions, 2 * 5) << "the state file and two backups of two files each";
}

INSTANTIATE_TEST_SUITE_P(Backups, ResumeTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "Async" : "Sync"; });

}  // namespace
}  // namespace cairn
