// Asynchronous checkpoints (CheckpointOptions::enable_async): the same files as a synchronous save, of
// the values at the moment of the call; a failure of the background write at any file operation
// (EIO, ENOSPC) is thrown by the next call, leaves the previous checkpoint the latest and the training
// state as it was; a crash at any moment leaves a loadable latest checkpoint; ModelCheckpoint and
// BackupAndRestore with options.enable_async.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "cairn/cairn.h"
#include "cairn/checkpoint_manager.h"
#include "cairn/tensor_bundle.h"
#include "io/fault_injection_env.h"
#include "io/test_util.h"

namespace cairn {
namespace {

using testing::NoSyncEnv;
using testing::TempDir;

constexpr CheckpointOptions kAsync{.enable_async = true};

// The objects a checkpoint holds; their values identify a "version" of the training state.
struct State {
  explicit State(Env& env = Env::Default())
      : weights(std::make_shared<Variable>("w", Tensor({64, 33}), true)),
        step(std::make_shared<Variable>("step", Tensor::scalar(0, DType::Int64), false)),
        checkpoint({{"w", weights}, {"step", step}}, env) {}

  void set_version(int version) {
    auto w = weights->mutable_value().span<float>();
    for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(version * 10000 + static_cast<int>(i));
    step->mutable_value().data<int64_t>()[0] = version;
  }
  // The version the values are, or -1 when they are not a consistent version.
  int version() const {
    const int v = static_cast<int>(step->value().item());
    auto w = weights->value().span<float>();
    for (size_t i = 0; i < w.size(); ++i)
      if (w[i] != static_cast<float>(v * 10000 + static_cast<int>(i))) return -1;
    return v;
  }
  int64_t save_counter() const { return static_cast<int64_t>(checkpoint.save_counter()->value().item()); }

  VariablePtr weights;
  VariablePtr step;
  Checkpoint checkpoint;
};

int version_in(const std::string& prefix) {
  State fresh;
  fresh.checkpoint.restore(prefix);
  return fresh.version();
}

std::string bytes_of(const std::string& path) { return testing::read_bytes(path); }

TEST(AsyncCheckpoint, WritesTheSameBytesAsASynchronousSaveOfTheValuesAtTheCall) {
  TempDir dir;
  State state;
  state.set_version(1);
  state.checkpoint.write(dir / "sync");
  state.checkpoint.write(dir / "async", kAsync);
  // Training goes on at once: the checkpoint holds the values of the moment of the call.
  state.set_version(2);
  state.checkpoint.sync();
  EXPECT_EQ(bytes_of(dir / "sync.index"), bytes_of(dir / "async.index"));
  EXPECT_EQ(bytes_of(dir / "sync.data-00000-of-00001"), bytes_of(dir / "async.data-00000-of-00001"));
  EXPECT_EQ(version_in(dir / "async"), 1);
}

TEST(AsyncCheckpoint, SaveNumbersAndRecordsAsTheSynchronousOne) {
  TempDir dir;
  State state;
  for (int v = 1; v <= 3; ++v) {
    state.set_version(v);
    EXPECT_EQ(state.checkpoint.save(dir / "ckpt", kAsync), dir / "ckpt-" + std::to_string(v));
  }
  state.checkpoint.sync();
  EXPECT_EQ(latest_checkpoint(dir.path()), dir / "ckpt-3");
  for (int v = 1; v <= 3; ++v) EXPECT_EQ(version_in(dir / "ckpt-" + std::to_string(v)), v);
}

TEST(AsyncCheckpoint, StagingBuffersAreReusedWhileTheShapesStay) {
  TempDir dir;
  State state;
  state.set_version(0);
  state.checkpoint.write(dir / "a", kAsync);
  state.checkpoint.sync();
  // The second save must not see the first one's staged values, whatever buffers it reuses.
  state.set_version(7);
  state.checkpoint.write(dir / "b", kAsync);
  state.set_version(8);
  state.checkpoint.write(dir / "c", kAsync);
  state.checkpoint.sync();
  EXPECT_EQ(version_in(dir / "a"), 0);
  EXPECT_EQ(version_in(dir / "b"), 7);
  EXPECT_EQ(version_in(dir / "c"), 8);
}

TEST(AsyncCheckpoint, ReservedStagingBuffersHoldTheValuesOfTheSaveNotOfTheReserve) {
  TempDir dir;
  State state;
  state.set_version(1);
  state.checkpoint.reserve_async_staging();
  state.set_version(2);  // training goes on while the buffers are allocated
  state.checkpoint.write(dir / "a", kAsync);
  state.set_version(3);
  state.checkpoint.sync();
  EXPECT_EQ(version_in(dir / "a"), 2);
  EXPECT_EQ(bytes_of(dir / "a.data-00000-of-00001"), [&] {
    State same;
    same.set_version(2);
    same.checkpoint.write(dir / "sync");
    return bytes_of(dir / "sync.data-00000-of-00001");
  }());
}

NoSyncEnv no_sync_env;

// Saves versions 1 and 2 (synchronously) into dir with a manager keeping 2.
void prepare(const TempDir& dir) {
  State state(no_sync_env);
  CheckpointManager manager(state.checkpoint, dir.path(), {.max_to_keep = 2});
  for (int v = 1; v <= 2; ++v) {
    state.set_version(v);
    manager.save();
  }
}

struct FaultySave {
  bool returned = false;  // save() returned (it should, whatever happens in the background)
  bool threw = false;     // the next call threw the background failure
  int64_t counter_after = 0;
  int version_after = 0;  // of the training state after the failure was reported
  std::optional<std::string> latest_after;
};

// Saves version 3 asynchronously through env, changes the training state at once (training goes on),
// then waits (sync) and collects what happened.
FaultySave faulty_async_save(FaultInjectionEnv& env, const TempDir& dir) {
  FaultySave out;
  State state(env);
  state.checkpoint.save_counter()->mutable_value().data<int64_t>()[0] = 2;
  CheckpointManager manager(state.checkpoint, dir.path(), {.max_to_keep = 2});
  state.set_version(3);
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(manager.save(std::nullopt, true, std::nullopt, kAsync), dir / "ckpt-3");
  out.returned = true;
  state.set_version(4);  // the next training steps
  try {
    manager.sync();
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find("(injected)"), std::string::npos) << e.what();
    out.threw = true;
  }
  ::testing::internal::GetCapturedStderr();
  out.counter_after = state.save_counter();
  out.version_after = state.version();
  out.latest_after = manager.latest_checkpoint();
  return out;
}

int operations_of_an_async_save() {
  TempDir dir;
  prepare(dir);
  FaultInjectionEnv env(no_sync_env);
  FaultySave save = faulty_async_save(env, dir);
  EXPECT_FALSE(save.threw);
  EXPECT_EQ(save.latest_after, dir / "ckpt-3");
  return env.operation_count();
}

TEST(AsyncCheckpointFaults, AFailureAtAnyOperationOfTheBackgroundWriteIsThrownByTheNextCall) {
  const int operations = operations_of_an_async_save();
  ASSERT_GT(operations, 10);
  int threw = 0, threw_but_named_on_disk = 0;
  for (int error : {EIO, ENOSPC}) {
    for (int n = 1; n <= operations; ++n) {
      const std::string context = std::string(error == EIO ? "EIO" : "ENOSPC") + " at operation " + std::to_string(n);
      SCOPED_TRACE(context);
      TempDir dir;
      prepare(dir);
      FaultInjectionEnv env(no_sync_env);
      env.fail_nth(n, std::nullopt, error, /*short_write=*/error == ENOSPC);
      FaultySave save = faulty_async_save(env, dir);
      ASSERT_TRUE(env.fault_fired());
      EXPECT_TRUE(save.returned);
      EXPECT_EQ(save.version_after, 4) << "the training state is untouched by the failure";
      std::optional<std::string> latest = latest_checkpoint(dir.path());
      ASSERT_TRUE(latest.has_value());
      if (save.threw) {
        ++threw;
        // Reported: the previous checkpoint stays the latest, the save counter is as before the save.
        // (Only a failure of the fsync of the directory after the state file was renamed leaves ckpt-3
        // named on disk, whole, as a synchronous save does.)
        EXPECT_EQ(save.counter_after, 2);
        EXPECT_EQ(save.latest_after, dir / "ckpt-2");
        if (*latest == dir / "ckpt-3") ++threw_but_named_on_disk;
        EXPECT_EQ(version_in(*latest), *latest == dir / "ckpt-3" ? 3 : 2);
        EXPECT_EQ(version_in(dir / "ckpt-2"), 2);
      } else {
        // Failures after the state file names ckpt-3 (deleting ckpt-1) are only warnings.
        EXPECT_EQ(*latest, dir / "ckpt-3");
        EXPECT_EQ(version_in(*latest), 3);
      }
      // A new save through a fresh manager works and becomes the latest.
      State next(no_sync_env);
      CheckpointManager manager(next.checkpoint, dir.path(), {.max_to_keep = 2});
      EXPECT_EQ(manager.restore_latest(), latest);
      next.set_version(5);
      std::optional<std::string> saved = manager.save(std::nullopt, true, std::nullopt, kAsync);
      manager.sync();
      EXPECT_EQ(latest_checkpoint(dir.path()), saved);
      EXPECT_EQ(version_in(*saved), 5);
    }
  }
  EXPECT_GT(threw, 10);
  EXPECT_LE(threw_but_named_on_disk, 2) << "one operation, for each of the two errors";
}

TEST(AsyncCheckpointFaults, ACrashAtAnyOperationLeavesThePreviousOrTheNewCheckpointWhole) {
  const int operations = operations_of_an_async_save();
  int before = 0, after = 0;
  for (int n = 1; n <= operations + 1; ++n) {
    SCOPED_TRACE("crash at operation " + std::to_string(n));
    TempDir dir;
    prepare(dir);
    FaultInjectionEnv env(no_sync_env);
    if (n <= operations) env.fail_nth(n);  // the background write stops at operation n, then the power goes
    faulty_async_save(env, dir);
    env.drop_unsynced_data();
    std::optional<std::string> latest = latest_checkpoint(dir.path());
    ASSERT_TRUE(latest == dir / "ckpt-2" || latest == dir / "ckpt-3");
    EXPECT_EQ(version_in(*latest), *latest == dir / "ckpt-3" ? 3 : 2);
    (*latest == dir / "ckpt-3" ? after : before)++;
  }
  EXPECT_GT(before, 3);
  EXPECT_GT(after, 0);
}

TEST(AsyncCheckpointFaults, TheNextSaveThrowsTheFailureAndChangesNothing) {
  TempDir dir;
  FaultInjectionEnv env(no_sync_env);
  State state(env);
  state.set_version(1);
  state.checkpoint.save(dir / "ckpt");
  env.fail_nth(1, FileOp::Append, ENOSPC, true);
  state.set_version(2);
  state.checkpoint.save(dir / "ckpt", kAsync);
  state.set_version(3);
  EXPECT_THROW(state.checkpoint.save(dir / "ckpt", kAsync), IOError);
  EXPECT_EQ(state.save_counter(), 1);
  EXPECT_EQ(state.version(), 3);
  EXPECT_EQ(latest_checkpoint(dir.path()), dir / "ckpt-1");
  EXPECT_EQ(state.checkpoint.save(dir / "ckpt", kAsync), dir / "ckpt-2");  // the error was reported once
  state.checkpoint.sync();
  EXPECT_EQ(version_in(dir / "ckpt-2"), 3);
}

TEST(AsyncCheckpointFaults, AFailureNobodyWaitedForIsPrintedWhenTheCheckpointGoes) {
  TempDir dir;
  FaultInjectionEnv env(no_sync_env);
  ::testing::internal::CaptureStderr();
  {
    State state(env);
    env.fail_nth(1, FileOp::Sync, EIO);
    state.checkpoint.write(dir / "lost", kAsync);
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("(injected)"), std::string::npos) << err;
  EXPECT_FALSE(bundle_exists(Env::Default(), dir / "lost"));
}

// The model and data of the callbacks' tests.
struct Training {
  Training() {
    clear_session();
    set_random_seed(0);
    data = make_moons(64, 0.2, 1);
    model = std::make_shared<Sequential>(
        std::vector<LayerPtr>{make_dense(8, {.activation = "relu"}), make_dense(2)}, Shape{2});
    model->compile({.optimizer = "adam", .loss = std::make_shared<SparseCategoricalCrossentropy>(true)});
  }
  void fit(std::vector<CallbackPtr> callbacks, int epochs = 3) {
    model->fit(data.x, data.y, {.batch_size = 16, .epochs = epochs, .verbose = 0, .callbacks = std::move(callbacks), .seed = 4});
  }
  LabeledData data;
  std::shared_ptr<Sequential> model;
};

TEST(AsyncCheckpoint, AReserveBeforeTheOptimizerHasSlotsStillSavesThemAll) {
  // Adam's slots appear at its first step: a reserve made before covers only the model's weights.
  TempDir dir;
  Training t;
  Checkpoint checkpoint({{"model", t.model}, {"optimizer", t.model->optimizer_ptr()}});
  const size_t keys_before = checkpoint.values().size();
  checkpoint.reserve_async_staging();
  t.fit({}, 1);
  ASSERT_GT(checkpoint.values().size(), keys_before);
  checkpoint.write(dir / "async", kAsync);
  checkpoint.sync();
  checkpoint.write(dir / "sync");
  for (const char* suffix : {".index", ".data-00000-of-00001"})
    EXPECT_EQ(bytes_of(dir / "async" + suffix), bytes_of(dir / "sync" + suffix)) << suffix;
}

TEST(AsyncModelCheckpoint, WritesWhatASynchronousOneWrites) {
  TempDir dir;
  for (bool async : {false, true}) {
    Training t;
    ModelCheckpointOptions options{.save_weights_only = true, .save_freq = int64_t{2}};
    options.options.enable_async = async;
    const std::string name = async ? "async" : "sync";
    t.fit({std::make_shared<ModelCheckpoint>(dir / name + "/cp-{epoch:02d}-{batch:02d}.ckpt", options)});
  }
  // 4 batches per epoch, a save every 2: epochs 1-3, batches 2 and 4.
  for (int epoch = 1; epoch <= 3; ++epoch)
    for (int batch : {2, 4}) {
      char name[32];
      std::snprintf(name, sizeof name, "/cp-%02d-%02d.ckpt", epoch, batch);
      for (const char* suffix : {".index", ".data-00000-of-00001"})
        EXPECT_EQ(bytes_of(dir / "sync" + name + suffix), bytes_of(dir / "async" + name + suffix)) << name << suffix;
    }
  EXPECT_EQ(latest_checkpoint(dir / "async"), dir / "async/cp-03-04.ckpt");
  Training fresh;
  fresh.model->load_weights(dir / "async/cp-03-04.ckpt");
}

TEST(AsyncModelCheckpoint, OnlyForTensorFlowCheckpoints) {
  ModelCheckpointOptions options{.save_weights_only = true};
  options.options.enable_async = true;
  EXPECT_THROW(ModelCheckpoint("w.h5", options), InvalidArgument);
  options.save_weights_only = false;
  EXPECT_THROW(ModelCheckpoint("m.keras", options), InvalidArgument);
}

TEST(AsyncModelCheckpoint, AFailedLastSaveFailsTheEndOfTraining) {
  TempDir dir;
  Training t;
  // A path whose directory cannot be created: the background write fails.
  testing::write_bytes(dir / "file", "x");
  ModelCheckpointOptions options{.save_weights_only = true};
  options.options.enable_async = true;
  EXPECT_THROW(t.fit({std::make_shared<ModelCheckpoint>(dir / "file/cp.ckpt", options)}, 1), IOError);
}

TEST(AsyncBackupAndRestore, AFailedBackupIsThrownByTheNextOneAndTheBackupBeforeStaysLatest) {
  // The backups' file operations all happen in the background, one save after the other, so the nth
  // operation is the same in every run: a synchronous run counts those of the first two backups.
  struct Run {
    int operations_before_third_backup = 0;
    std::vector<Tensor> weights_after_fourth_batch;  // before its backup
    std::vector<Tensor> weights_at_the_end;          // of fit, or where it threw
  };
  auto weights_of = [](const Sequential& model) {
    std::vector<Tensor> out;
    for (const auto& w : model.weights()) out.push_back(w->value().clone());
    return out;
  };
  auto train = [&](const std::string& dir, bool async, std::optional<int> fail_at) {
    Training t;
    FaultInjectionEnv env(no_sync_env);
    if (fail_at) env.fail_nth(*fail_at, std::nullopt, ENOSPC, true);
    Run run;
    int batches = 0;
    auto count = std::make_shared<LambdaCallback>();  // runs before BackupAndRestore
    count->on_batch_end_fn = [&](int64_t, const Logs&) {
      if (++batches == 3) run.operations_before_third_backup = env.operation_count();
      if (batches == 4) run.weights_after_fourth_batch = weights_of(*t.model);
    };
    BackupAndRestoreOptions options{.save_freq = int64_t{1}, .delete_checkpoint = false};
    options.options.enable_async = async;
    auto backup = std::make_shared<BackupAndRestore>(dir, options, env);
    if (fail_at) {
      EXPECT_THROW(t.fit({count, backup}), IOError);
      EXPECT_TRUE(env.fault_fired());
    } else {
      t.fit({count, backup});
    }
    run.weights_at_the_end = weights_of(*t.model);
    return run;
  };
  TempDir sync_dir, async_dir;
  const Run sync = train(sync_dir.path(), false, std::nullopt);
  ASSERT_GT(sync.operations_before_third_backup, 4);
  const Run failed = train(async_dir.path(), true, sync.operations_before_third_backup + 3);
  // Backups of batches 1 and 2 were written; the one of batch 3 failed and was reported at batch 4.
  EXPECT_EQ(latest_checkpoint(async_dir.path()), async_dir / "backup-2");
  // The training state is what the four batches made of it, as without checkpoints: the failure
  // changed nothing in it.
  ASSERT_EQ(failed.weights_at_the_end.size(), sync.weights_after_fourth_batch.size());
  for (size_t i = 0; i < failed.weights_at_the_end.size(); ++i) {
    const Tensor& got = failed.weights_at_the_end[i];
    const Tensor& want = sync.weights_after_fourth_batch[i];
    ASSERT_EQ(got.nbytes(), want.nbytes());
    EXPECT_EQ(std::memcmp(got.raw_data(), want.raw_data(), got.nbytes()), 0) << "weight " << i;
  }
  // And backup-2 resumes: a new fit restores it and trains to the end like the uninterrupted run.
  Training resumed;
  BackupAndRestoreOptions options{.save_freq = int64_t{1}, .delete_checkpoint = false};
  options.options.enable_async = true;
  FaultInjectionEnv env(no_sync_env);
  int resumed_batches = 0;
  auto count = std::make_shared<LambdaCallback>();
  count->on_batch_end_fn = [&](int64_t, const Logs&) { ++resumed_batches; };
  resumed.fit({std::make_shared<BackupAndRestore>(async_dir.path(), options, env), count});
  EXPECT_EQ(resumed_batches, 3 * 4 - 2) << "it trains from after batch 2";
  const std::vector<Tensor> end = weights_of(*resumed.model);
  for (size_t i = 0; i < end.size(); ++i)
    EXPECT_EQ(std::memcmp(end[i].raw_data(), sync.weights_at_the_end[i].raw_data(), end[i].nbytes()), 0)
        << "weight " << i;
}

}  // namespace
}  // namespace cairn
