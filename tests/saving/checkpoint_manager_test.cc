// CheckpointManager: TensorFlow's numbering and bookkeeping, max_to_keep / keep_checkpoint_every_n_hours /
// checkpoint_interval, keeping the best checkpoints across restarts, falling back past damaged
// checkpoints, and saves that fail or crash at every file operation.
#include "cairn/checkpoint_manager.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <memory>

#include "cairn/tensor_bundle.h"
#include "io/fault_injection_env.h"
#include "io/test_util.h"

namespace cairn {
namespace {

using testing::NoSyncEnv;
using testing::TempDir;

// The objects a checkpoint holds, with values that identify a "version" of the training state.
struct State {
  explicit State(Env& env = Env::Default())
      : weights(std::make_shared<Variable>("w", Tensor({2, 3}), true)),
        step(std::make_shared<Variable>("step", Tensor::scalar(0, DType::Int64), false)),
        checkpoint({{"w", weights}, {"step", step}}, env) {}

  void set_version(int version) {
    for (int i = 0; i < 6; ++i)
      weights->mutable_value().data<float>()[i] = static_cast<float>(version * 10 + i);
    step->mutable_value().data<int64_t>()[0] = version;
  }
  // The version the values are, or -1 when they are not a consistent version.
  int version() const {
    int v = static_cast<int>(step->value().item());
    for (int i = 0; i < 6; ++i)
      if (weights->value().data<float>()[i] != static_cast<float>(v * 10 + i)) return -1;
    return v;
  }
  int64_t save_counter() const { return static_cast<int64_t>(checkpoint.save_counter()->value().item()); }

  VariablePtr weights;
  VariablePtr step;
  Checkpoint checkpoint;
};

// The version stored in the checkpoint at prefix (restored into fresh objects).
int version_in(const std::string& prefix) {
  State fresh;
  fresh.checkpoint.restore(prefix);
  return fresh.version();
}

// The files of a checkpoint directory, without the lock file of the manager that writes there.
std::vector<std::string> listing(const std::string& dir) {
  auto names = Env::Default().list_dir(dir);
  std::erase(names, kDirectoryLockFileName);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> files_of(const TempDir& dir, std::initializer_list<int> numbers,
                                  std::vector<std::string> others = {"checkpoint"}) {
  for (int n : numbers) {
    others.push_back("ckpt-" + std::to_string(n) + ".data-00000-of-00001");
    others.push_back("ckpt-" + std::to_string(n) + ".index");
  }
  std::sort(others.begin(), others.end());
  return others;
}

// A clock the test moves by hand.
struct FakeClock {
  double now = 100000.0;
  std::function<double()> fn() {
    return [this] { return now; };
  }
};

CheckpointManagerOptions options_with(FakeClock& clock, std::optional<int> max_to_keep = 5) {
  CheckpointManagerOptions options;
  options.max_to_keep = max_to_keep;
  options.clock = clock.fn();
  return options;
}

// Saves versions 1..count through a manager of its own, the clock moved by `seconds_apart` before each
// save; the objects and the manager are gone when it returns, as after a restart.
void save_versions(const TempDir& dir, FakeClock& clock, int count, double seconds_apart) {
  State state;
  CheckpointManager manager(state.checkpoint, dir.path(), options_with(clock));
  for (int v = 1; v <= count; ++v) {
    state.set_version(v);
    clock.now += seconds_apart;
    manager.save();
  }
}

void flip_byte(const std::string& path, size_t offset) {
  std::string bytes = testing::read_bytes(path);
  ASSERT_LT(offset, bytes.size());
  bytes[offset] = static_cast<char>(bytes[offset] ^ 0x40);
  testing::write_bytes(path, bytes);
}

TEST(CheckpointManager, SavesNumberedCheckpointsAndRecordsThemAsTensorFlowDoes) {
  TempDir dir;
  FakeClock clock;
  State state;
  CheckpointManager manager(state.checkpoint, dir.path(), options_with(clock, 3));
  EXPECT_EQ(manager.latest_checkpoint(), std::nullopt);
  state.set_version(1);
  clock.now = 100000.5;
  EXPECT_EQ(manager.save(), dir / "ckpt-1");
  state.set_version(2);
  clock.now = 100001.25;
  EXPECT_EQ(manager.save(), dir / "ckpt-2");
  EXPECT_EQ(state.save_counter(), 2);
  EXPECT_EQ(manager.latest_checkpoint(), dir / "ckpt-2");
  EXPECT_EQ(manager.checkpoints(), (std::vector<std::string>{dir / "ckpt-1", dir / "ckpt-2"}));
  EXPECT_EQ(testing::read_bytes(dir / "checkpoint"),
            "model_checkpoint_path: \"ckpt-2\"\n"
            "all_model_checkpoint_paths: \"ckpt-1\"\n"
            "all_model_checkpoint_paths: \"ckpt-2\"\n"
            "all_model_checkpoint_timestamps: 100000.5\n"
            "all_model_checkpoint_timestamps: 100001.25\n"
            "last_preserved_timestamp: 99999.0\n");
  EXPECT_EQ(latest_checkpoint(dir.path()), dir / "ckpt-2");
  EXPECT_EQ(version_in(dir / "ckpt-1"), 1);
  EXPECT_EQ(version_in(dir / "ckpt-2"), 2);
  EXPECT_EQ(listing(dir.path()), files_of(dir, {1, 2}));  // no temporary files, no checkpoint_best
}

TEST(CheckpointManager, RejectsBadOptions) {
  TempDir dir;
  State state;
  auto make = [&](auto change) {
    CheckpointManagerOptions options;
    change(options);
    CheckpointManager manager(state.checkpoint, dir.path(), options);
  };
  EXPECT_THROW(make([](auto& o) { o.max_to_keep = 0; }), InvalidArgument);
  EXPECT_THROW(make([](auto& o) { o.checkpoint_interval = 5; }), InvalidArgument);  // no step counter
  EXPECT_THROW(make([](auto& o) { o.monitor_mode = "auto"; }), InvalidArgument);
  EXPECT_THROW(make([](auto& o) { o.keep_best = -1; }), InvalidArgument);
  EXPECT_THROW(make([](auto& o) { o.checkpoint_name = "a/b"; }), InvalidArgument);
  EXPECT_NO_THROW(make([](auto& o) { o.max_to_keep = std::nullopt; }));
}

TEST(CheckpointManager, MaxToKeepDeletesTheOldest) {
  TempDir dir;
  FakeClock clock;
  State state;
  CheckpointManager manager(state.checkpoint, dir.path(), options_with(clock, 2));
  for (int v = 1; v <= 4; ++v) {
    state.set_version(v);
    clock.now += 1;
    manager.save();
  }
  EXPECT_EQ(listing(dir.path()), files_of(dir, {3, 4}));
  EXPECT_EQ(manager.checkpoints(), (std::vector<std::string>{dir / "ckpt-3", dir / "ckpt-4"}));
  CheckpointState recorded = *read_checkpoint_state(Env::Default(), dir.path());
  EXPECT_EQ(recorded.all_model_checkpoint_paths, manager.checkpoints());
  EXPECT_EQ(version_in(dir / "ckpt-3"), 3);
  EXPECT_EQ(version_in(dir / "ckpt-4"), 4);
}

TEST(CheckpointManager, UnlimitedMaxToKeepKeepsAll) {
  TempDir dir;
  FakeClock clock;
  State state;
  CheckpointManager manager(state.checkpoint, dir.path(), options_with(clock, std::nullopt));
  for (int v = 1; v <= 7; ++v) manager.save();
  EXPECT_EQ(listing(dir.path()), files_of(dir, {1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(manager.checkpoints().size(), 7u);
}

TEST(CheckpointManager, KeepCheckpointEveryNHoursKeepsOnePerPeriod) {
  TempDir dir;
  FakeClock clock;  // the manager starts at 100000 (last preserved: 99999)
  CheckpointManagerOptions options = options_with(clock, 1);
  options.keep_checkpoint_every_n_hours = 1.0;
  {
    State state;
    CheckpointManager manager(state.checkpoint, dir.path(), options);
    for (double t : {103600.0, 103700.0, 103800.0, 107300.0, 107400.0}) {
      clock.now = t;
      manager.save();
    }
    // ckpt-1 is an hour after the start, ckpt-4 an hour after ckpt-1; ckpt-2 and ckpt-3 are not.
    EXPECT_EQ(listing(dir.path()), files_of(dir, {1, 4, 5}));
    EXPECT_EQ(manager.checkpoints(), std::vector<std::string>{dir / "ckpt-5"});
    CheckpointState recorded = *read_checkpoint_state(Env::Default(), dir.path());
    EXPECT_EQ(recorded.last_preserved_timestamp, 107300.0);
    EXPECT_EQ(recorded.all_model_checkpoint_paths, std::vector<std::string>{dir / "ckpt-5"});
  }
  // The first manager ends here, like the process that wrote the directory, and releases its lock.

  // A new manager manages only ckpt-5; the preserved ones are never deleted.
  State again;
  CheckpointManager restarted(again.checkpoint, dir.path(), options);
  EXPECT_EQ(restarted.checkpoints(), std::vector<std::string>{dir / "ckpt-5"});
  clock.now = 107500.0;
  EXPECT_EQ(restarted.save(), dir / "ckpt-6");
  EXPECT_EQ(listing(dir.path()), files_of(dir, {1, 4, 6}));
}

TEST(CheckpointManager, CheckpointIntervalSkipsUntilTheStepCounterAdvancedEnough) {
  TempDir dir;
  FakeClock clock;
  State state;
  CheckpointManagerOptions options = options_with(clock);
  options.step_counter = state.step;
  options.checkpoint_interval = 10;
  {
    CheckpointManager manager(state.checkpoint, dir.path(), options);
    state.set_version(0);
    EXPECT_EQ(manager.save(), dir / "ckpt-1");
    state.set_version(5);
    EXPECT_EQ(manager.save(), std::nullopt);
    EXPECT_EQ(state.save_counter(), 1);  // a skipped save counts nothing
    state.set_version(10);
    EXPECT_EQ(manager.save(), dir / "ckpt-2");
    EXPECT_EQ(manager.save(std::nullopt, /*check_interval=*/false), std::nullopt);  // the same step
    state.set_version(12);
    EXPECT_EQ(manager.save(std::nullopt, /*check_interval=*/false), dir / "ckpt-3");
    EXPECT_EQ(manager.save(), std::nullopt);
    EXPECT_EQ(listing(dir.path()), files_of(dir, {1, 2, 3}));
  }
  // The first manager ends here, like the process that wrote the directory, and releases its lock.

  // After a restore the interval counts from the restored step.
  State again;
  options.step_counter = again.step;
  CheckpointManager restarted(again.checkpoint, dir.path(), options);
  EXPECT_EQ(restarted.restore_or_initialize(), dir / "ckpt-3");
  again.set_version(21);
  EXPECT_EQ(restarted.save(), std::nullopt);
  again.set_version(22);
  EXPECT_EQ(restarted.save(), dir / "ckpt-4");
}

TEST(CheckpointManager, NumberingContinuesAfterARestart) {
  TempDir dir;
  FakeClock clock;
  save_versions(dir, clock, 3, 1);
  {
    // Without restoring: the save counter is 0, yet ckpt-1 must not be overwritten.
    State fresh;
    CheckpointManager manager(fresh.checkpoint, dir.path(), options_with(clock));
    EXPECT_EQ(manager.latest_checkpoint(), dir / "ckpt-3");
    EXPECT_EQ(manager.checkpoints(),
              (std::vector<std::string>{dir / "ckpt-1", dir / "ckpt-2", dir / "ckpt-3"}));
    fresh.set_version(4);
    clock.now += 1;
    EXPECT_EQ(manager.save(), dir / "ckpt-4");
    EXPECT_EQ(fresh.save_counter(), 4);
    EXPECT_EQ(version_in(dir / "ckpt-1"), 1);
    EXPECT_EQ(version_in(dir / "ckpt-4"), 4);
  }
  // The first manager ends here, like the process that wrote the directory, and releases its lock.

  // Restoring brings the save counter back, as in TensorFlow.
  State restored;
  CheckpointManager again(restored.checkpoint, dir.path(), options_with(clock));
  EXPECT_EQ(again.restore_or_initialize(), dir / "ckpt-4");
  EXPECT_EQ(restored.version(), 4);
  EXPECT_EQ(restored.save_counter(), 4);
  clock.now += 1;
  EXPECT_EQ(again.save(), dir / "ckpt-5");

  // An explicit number is used as given; saving a tracked number again moves it to the end.
  clock.now += 1;
  EXPECT_EQ(again.save(100), dir / "ckpt-100");
  clock.now += 1;
  EXPECT_EQ(again.save(2), dir / "ckpt-2");
  EXPECT_EQ(again.checkpoints(), (std::vector<std::string>{dir / "ckpt-3", dir / "ckpt-4", dir / "ckpt-5",
                                                           dir / "ckpt-100", dir / "ckpt-2"}));
  EXPECT_FALSE(bundle_exists(Env::Default(), dir / "ckpt-1"));  // the sixth pushed it out of max_to_keep
  clock.now += 1;
  EXPECT_EQ(again.save(), dir / "ckpt-101");  // past every number in use
}

TEST(CheckpointManager, KeepBestKeepsTheBestByMetricAcrossRestarts) {
  TempDir dir;
  FakeClock clock;
  CheckpointManagerOptions options = options_with(clock, 2);
  options.keep_best = 2;  // monitor_mode "min"
  {
    State state;
    CheckpointManager manager(state.checkpoint, dir.path(), options);
    const double metrics[] = {0.5, 0.3, 0.9, 0.8, 0.7, 0.2};
    for (int v = 1; v <= 6; ++v) {
      state.set_version(v);
      clock.now += 1;
      manager.save(std::nullopt, true, metrics[v - 1]);
    }
    // The two newest (5, 6) and the two best (6: 0.2, 2: 0.3); 1 went when 6 displaced it.
    EXPECT_EQ(listing(dir.path()), files_of(dir, {2, 5, 6}, {"checkpoint", "checkpoint_best"}));
    auto best = manager.best_checkpoints();
    ASSERT_EQ(best.size(), 2u);
    EXPECT_EQ(best[0].path, dir / "ckpt-6");
    EXPECT_EQ(best[0].metric, 0.2);
    EXPECT_EQ(best[1].path, dir / "ckpt-2");
    EXPECT_EQ(best[1].metric, 0.3);
    EXPECT_EQ(best[1].timestamp, 100002.0);
    EXPECT_EQ(manager.checkpoints(), (std::vector<std::string>{dir / "ckpt-5", dir / "ckpt-6"}));
  }
  // The TensorFlow state file knows nothing of the best ones.
  EXPECT_EQ(read_checkpoint_state(Env::Default(), dir.path())->all_model_checkpoint_paths,
            (std::vector<std::string>{dir / "ckpt-5", dir / "ckpt-6"}));

  State state;
  auto manager = std::make_unique<CheckpointManager>(state.checkpoint, dir.path(), options);
  auto best = manager->best_checkpoints();
  ASSERT_EQ(best.size(), 2u);
  EXPECT_EQ(best[0].path, dir / "ckpt-6");
  EXPECT_EQ(best[1].path, dir / "ckpt-2");
  EXPECT_EQ(best[1].metric, 0.3);
  for (int v = 7; v <= 9; ++v) {  // without metrics: the best stay
    clock.now += 1;
    manager->save();
  }
  EXPECT_EQ(listing(dir.path()), files_of(dir, {2, 6, 8, 9}, {"checkpoint", "checkpoint_best"}));
  EXPECT_EQ(version_in(dir / "ckpt-2"), 2);
  clock.now += 1;
  manager->save(std::nullopt, true, 0.9);  // not better than 0.3: nothing changes among the best
  clock.now += 1;
  manager->save(std::nullopt, true, 0.25);  // displaces ckpt-2, which goes
  EXPECT_EQ(listing(dir.path()), files_of(dir, {6, 10, 11}, {"checkpoint", "checkpoint_best"}));
  best = manager->best_checkpoints();
  ASSERT_EQ(best.size(), 2u);
  EXPECT_EQ(best[0].path, dir / "ckpt-6");
  EXPECT_EQ(best[1].path, dir / "ckpt-11");
  manager.reset();  // a writer at a time

  // Ranking under the other mode would be meaningless: refused, naming the file.
  CheckpointManagerOptions flipped = options;
  flipped.monitor_mode = "max";
  try {
    CheckpointManager wrong(state.checkpoint, dir.path(), flipped);
    FAIL() << "accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find(dir / "checkpoint_best"), std::string::npos) << e.what();
  }
}

TEST(CheckpointManager, KeepBestInMaxModeKeepsTheHighestAndTheEarlierOfEquals) {
  TempDir dir;
  FakeClock clock;
  CheckpointManagerOptions options = options_with(clock, 1);
  options.keep_best = 1;
  options.monitor_mode = "max";
  State state;
  CheckpointManager manager(state.checkpoint, dir.path(), options);
  for (double metric : {0.6, 0.9, 0.9, 0.1}) {
    clock.now += 1;
    manager.save(std::nullopt, true, metric);
  }
  EXPECT_EQ(listing(dir.path()), files_of(dir, {2, 4}, {"checkpoint", "checkpoint_best"}));
  ASSERT_EQ(manager.best_checkpoints().size(), 1u);
  EXPECT_EQ(manager.best_checkpoints()[0].path, dir / "ckpt-2");
}

TEST(CheckpointManager, RestoreFallsBackPastADamagedCheckpointAndSaysSo) {
  TempDir dir;
  FakeClock clock;
  save_versions(dir, clock, 3, 1);
  flip_byte(dir / "ckpt-3.data-00000-of-00001", 0);  // inside the first tensor

  State state;
  state.set_version(7);
  CheckpointManager manager(state.checkpoint, dir.path(), options_with(clock));
  ::testing::internal::CaptureStderr();
  std::optional<std::string> restored = manager.restore_or_initialize();
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(restored, dir / "ckpt-2");
  EXPECT_EQ(state.version(), 2);
  EXPECT_EQ(state.save_counter(), 2);
  EXPECT_NE(log.find("WARNING"), std::string::npos) << log;
  EXPECT_NE(log.find("checkpoint " + dir / "ckpt-3" + " is damaged"), std::string::npos) << log;
  EXPECT_NE(log.find(dir / "ckpt-3.data-00000-of-00001"), std::string::npos)
      << log;  // the error names the file

  // The next save does not overwrite the damaged checkpoint (it stays for inspection).
  clock.now += 1;
  EXPECT_EQ(manager.save(), dir / "ckpt-4");
  EXPECT_EQ(version_in(dir / "ckpt-4"), 2);

  // Without a manager, the same.
  State other;
  remove_bundle(Env::Default(), dir / "ckpt-4");
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(restore_latest_checkpoint(other.checkpoint, dir.path()), dir / "ckpt-2");
  log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find(dir / "ckpt-3"), std::string::npos) << log;
  EXPECT_EQ(other.version(), 2);
}

TEST(CheckpointManager, RestoreFallsBackPastADamagedIndexAndThroughUntrackedCheckpoints) {
  TempDir dir;
  FakeClock clock;
  {
    State state;
    CheckpointManager manager(state.checkpoint, dir.path(), options_with(clock, 1));
    state.set_version(1);
    state.checkpoint.write(dir / "ckpt-1");  // on disk but recorded nowhere
    state.set_version(2);
    EXPECT_EQ(manager.save(), dir / "ckpt-2");
  }
  std::string index = testing::read_bytes(dir / "ckpt-2.index");
  testing::write_bytes(dir / "ckpt-2.index", index.substr(0, index.size() / 2));  // truncated
  State state;
  CheckpointManager manager(state.checkpoint, dir.path(), options_with(clock, 1));
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(manager.restore_latest(), dir / "ckpt-1");
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find(dir / "ckpt-2"), std::string::npos) << log;
  EXPECT_EQ(state.version(), 1);
}

TEST(CheckpointManager, RestoreThrowsWhenEveryCheckpointIsDamagedAndChangesNothing) {
  TempDir dir;
  FakeClock clock;
  save_versions(dir, clock, 2, 0);
  flip_byte(dir / "ckpt-1.data-00000-of-00001", 3);
  flip_byte(dir / "ckpt-2.data-00000-of-00001", 5);
  State state;
  state.set_version(9);
  bool initialized = false;
  CheckpointManagerOptions options = options_with(clock);
  options.init_fn = [&] { initialized = true; };
  CheckpointManager manager(state.checkpoint, dir.path(), options);
  ::testing::internal::CaptureStderr();
  try {
    manager.restore_or_initialize();
    ADD_FAILURE() << "restored";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(dir / "ckpt-1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(dir / "ckpt-2"), std::string::npos) << e.what();
  }
  ::testing::internal::GetCapturedStderr();
  EXPECT_FALSE(initialized);
  EXPECT_EQ(state.version(), 9);
  EXPECT_EQ(state.save_counter(), 0);
}

TEST(CheckpointManager, RestoreOrInitializeWithoutCheckpointsCallsInitFn) {
  TempDir dir;
  State state;
  int initialized = 0;
  CheckpointManagerOptions options;
  options.init_fn = [&] { ++initialized; };
  CheckpointManager manager(state.checkpoint, dir / "not_yet", options);
  EXPECT_EQ(manager.restore_or_initialize(), std::nullopt);
  EXPECT_EQ(initialized, 1);
  EXPECT_EQ(restore_latest_checkpoint(state.checkpoint, dir.path()), std::nullopt);
}

TEST(CheckpointManager, ACheckpointThatDoesNotFitIsAnErrorNotAFallback) {
  TempDir dir;
  State state;
  CheckpointManager(state.checkpoint, dir.path()).save();
  auto other_shape = std::make_shared<Variable>("w", Tensor({3, 2}), true);
  auto step = std::make_shared<Variable>("step", Tensor::scalar(0, DType::Int64), false);
  Checkpoint mismatched({{"w", other_shape}, {"step", step}});
  CheckpointManager manager(mismatched, dir.path());
  EXPECT_THROW(manager.restore_or_initialize(), ShapeError);
}

TEST(CheckpointManager, ADamagedStateFileIsReportedAndTheNewestFileTaken) {
  TempDir dir;
  FakeClock clock;
  save_versions(dir, clock, 3, 0);
  testing::write_bytes(dir / "checkpoint", "model_checkpoint_path: \"ckpt-3");
  EXPECT_THROW(latest_checkpoint(dir.path()), FormatError);
  State state;
  ::testing::internal::CaptureStderr();
  CheckpointManager manager(state.checkpoint, dir.path(), options_with(clock, 1));
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find(dir / "checkpoint"), std::string::npos) << log;
  EXPECT_EQ(manager.latest_checkpoint(), dir / "ckpt-3");
  EXPECT_TRUE(manager.checkpoints().empty());
  EXPECT_EQ(manager.restore_latest(), dir / "ckpt-3");
  EXPECT_EQ(state.version(), 3);
  EXPECT_EQ(manager.save(), dir / "ckpt-4");
  EXPECT_EQ(manager.save(), dir / "ckpt-5");
  // Only what this manager saved is subject to max_to_keep.
  EXPECT_EQ(listing(dir.path()), files_of(dir, {1, 2, 3, 5}));
  EXPECT_EQ(latest_checkpoint(dir.path()), dir / "ckpt-5");
}

TEST(CheckpointManager, TheNextSaveRemovesWhatACrashedSaveLeft) {
  TempDir dir;
  State state;
  CheckpointManager manager(state.checkpoint, dir.path());
  manager.save();
  state.checkpoint.write(dir / "ckpt-2");  // complete but unrecorded: kept
  for (const char* leftover :
       {"ckpt-7.index.tempstate123", "ckpt-7.data-00000-of-00001.tempstate9", "ckpt-8.data-00000-of-00001",
        "checkpoint.tempstate55", "checkpoint_best.tempstate1"})
    testing::write_bytes(dir / leftover, "partial");
  for (const char* foreign : {"other-1.data-00000-of-00001", "ckpt-x.data-00000-of-00001", "notes.txt"})
    testing::write_bytes(dir / foreign, "not ours");
  EXPECT_EQ(manager.save(), dir / "ckpt-3");
  EXPECT_EQ(listing(dir.path()), files_of(dir, {1, 2, 3},
                                          {"checkpoint", "ckpt-x.data-00000-of-00001", "notes.txt",
                                           "other-1.data-00000-of-00001"}));
}

// Every state a deletion cut short can leave (in the order of older versions too, which removed data
// before the index): an index without data, data without an index, a state file naming a half-deleted
// checkpoint. Restoring takes the newest complete checkpoint, latest_checkpoint names it, and the next
// save removes the remains.
TEST(CheckpointManager, HalfDeletedCheckpointsAreSkippedAndCleanedUp) {
  TempDir dir;
  FakeClock clock;
  save_versions(dir, clock, 4, 1);  // ckpt-1 .. ckpt-4, all recorded
  Env& env = Env::Default();
  env.remove_file(bundle_data_path(dir / "ckpt-4"));   // the newest, named by the state file: index only
  env.remove_file(bundle_index_path(dir / "ckpt-3"));  // data only
  env.remove_file(bundle_data_path(dir / "ckpt-1"));   // index only
  EXPECT_EQ(latest_checkpoint(dir.path()), dir / "ckpt-2");

  State state;
  CheckpointManager manager(state.checkpoint, dir.path(), options_with(clock));
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(manager.restore_latest(), dir / "ckpt-2");
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(state.version(), 2);
  EXPECT_NE(log.find(dir / "ckpt-4"), std::string::npos) << log;
  EXPECT_EQ(log.find("damaged"), std::string::npos) << "a half-deleted checkpoint is not a damaged one: " << log;

  clock.now += 1;
  EXPECT_EQ(manager.save(), dir / "ckpt-5");
  EXPECT_EQ(listing(dir.path()), files_of(dir, {2, 5}));
}

// When nothing but remains of deletions is left, there is nothing to restore: a fresh start, not an
// error that would block every later run.
TEST(CheckpointManager, OnlyRemainsOfDeletionsMeanNoCheckpoint) {
  TempDir dir;
  FakeClock clock;
  save_versions(dir, clock, 2, 1);
  for (const char* name : {"ckpt-1", "ckpt-2"}) Env::Default().remove_file(bundle_data_path(dir / name));
  EXPECT_EQ(latest_checkpoint(dir.path()), std::nullopt);
  State state;
  EXPECT_EQ(restore_latest_checkpoint(state.checkpoint, dir.path()), std::nullopt);
  CheckpointManager manager(state.checkpoint, dir.path(), options_with(clock));
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(manager.restore_latest(), std::nullopt);
  ::testing::internal::GetCapturedStderr();
}

TEST(CheckpointManager, DeleteAllRemovesItsFilesAndTheLockAndLeavesOthers) {
  TempDir dir;
  FakeClock clock;
  CheckpointManagerOptions options = options_with(clock, 2);
  options.keep_best = 1;
  State state;
  CheckpointManager manager(state.checkpoint, dir.path(), options);
  for (int v = 1; v <= 3; ++v) {
    clock.now += 1;
    manager.save(std::nullopt, true, 1.0 / v);
  }
  testing::write_bytes(dir / "ckpt-9.data-00000-of-00001", "data without an index");
  testing::write_bytes(dir / "notes.txt", "not ours");
  manager.delete_all();
  EXPECT_EQ(Env::Default().list_dir(dir.path()), std::vector<std::string>{"notes.txt"});
  EXPECT_THROW(manager.save(), InvalidArgument);
  CheckpointManager next(state.checkpoint, dir.path(), options);  // the lock was released
  EXPECT_EQ(next.latest_checkpoint(), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// The directory lock: one writer at a time.

TEST(CheckpointManagerLock, ASecondManagerOfTheDirectoryIsRefusedNamingItAndTheHolder) {
  TempDir dir;
  State state;
  auto first = std::make_unique<CheckpointManager>(state.checkpoint, dir.path());
  first->save();
  // flock locks belong to an open file description: a second manager in this very process conflicts too.
  State other;
  try {
    CheckpointManager second(other.checkpoint, dir.path());
    FAIL() << "two writers of one directory";
  } catch (const IOError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(dir.path()), std::string::npos) << message;
    EXPECT_NE(message.find("process " + std::to_string(::getpid())), std::string::npos) << message;
  }
  EXPECT_EQ(listing(dir.path()), files_of(dir, {1})) << "the refused manager touched nothing";
  // Readers take no lock.
  EXPECT_EQ(latest_checkpoint(dir.path()), dir / "ckpt-1");
  EXPECT_EQ(restore_latest_checkpoint(other.checkpoint, dir.path()), dir / "ckpt-1");

  first.reset();
  CheckpointManager second(other.checkpoint, dir.path());
  EXPECT_EQ(second.save(), dir / "ckpt-2");
}

TEST(CheckpointManagerLock, TheLockFileHoldsTheWritersPid) {
  TempDir dir;
  State state;
  CheckpointManager manager(state.checkpoint, dir.path());
  EXPECT_EQ(testing::read_bytes(dir / kDirectoryLockFileName), std::to_string(::getpid()) + "\n");
}

// ---------------------------------------------------------------------------------------------
// Fault injection: a save that fails, or a crash, at any file operation.

constexpr int kFaultMaxToKeep = 2;

NoSyncEnv no_sync_env;

// dir holds ckpt-1 (version 1) and ckpt-2 (version 2, the best) under a manager with max_to_keep 2 and
// keep_best 1; the next save (version 3) writes the checkpoint and both bookkeeping files and deletes
// ckpt-1.
void prepare(const TempDir& dir, FakeClock& clock) {
  State state(no_sync_env);
  CheckpointManagerOptions options = options_with(clock, kFaultMaxToKeep);
  options.keep_best = 1;
  CheckpointManager manager(state.checkpoint, dir.path(), options);
  for (int v = 1; v <= 2; ++v) {
    state.set_version(v);
    clock.now += 1;
    manager.save(std::nullopt, true, 1.0 / v);
  }
}

// Saves version 3 (metric 0.1, a new best) through env; returns whether the save succeeded.
bool faulty_save(FaultInjectionEnv& env, const TempDir& dir, FakeClock& clock, int64_t* counter_after) {
  State state(env);
  state.checkpoint.save_counter()->mutable_value().data<int64_t>()[0] = 2;
  state.set_version(3);
  CheckpointManagerOptions options = options_with(clock, kFaultMaxToKeep);
  options.keep_best = 1;
  CheckpointManager manager(state.checkpoint, dir.path(), options);
  clock.now += 1;
  bool saved = true;
  ::testing::internal::CaptureStderr();
  try {
    EXPECT_EQ(manager.save(std::nullopt, true, 0.1), dir / "ckpt-3");
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find("(injected)"), std::string::npos) << e.what();
    saved = false;
  }
  ::testing::internal::GetCapturedStderr();
  *counter_after = state.save_counter();
  return saved;
}

// Whatever happened, the directory names a checkpoint that restores to what it should hold, and a
// new manager can restore and save.
void expect_consistent(const TempDir& dir, FakeClock& clock, bool expect_new, const std::string& context) {
  SCOPED_TRACE(context);
  std::optional<std::string> latest = latest_checkpoint(dir.path());  // parses the state file
  ASSERT_TRUE(latest.has_value());
  ASSERT_TRUE(*latest == dir / "ckpt-2" || *latest == dir / "ckpt-3") << *latest;
  if (expect_new) {
    EXPECT_EQ(*latest, dir / "ckpt-3");
  }
  EXPECT_EQ(version_in(*latest), *latest == dir / "ckpt-3" ? 3 : 2);
  if (*latest == dir / "ckpt-2") {
    EXPECT_EQ(version_in(dir / "ckpt-1"), 1);  // nothing is deleted before the new one is recorded
  }

  State state(no_sync_env);
  CheckpointManagerOptions options = options_with(clock, kFaultMaxToKeep);
  options.keep_best = 1;
  CheckpointManager manager(state.checkpoint, dir.path(), options);
  EXPECT_EQ(manager.restore_or_initialize(), latest);
  EXPECT_EQ(state.version(), version_in(*latest));
  state.set_version(4);
  clock.now += 1;
  std::optional<std::string> saved = manager.save();
  ASSERT_TRUE(saved.has_value());
  EXPECT_EQ(version_in(*saved), 4);
  EXPECT_EQ(latest_checkpoint(dir.path()), saved);
  for (const std::string& name : listing(dir.path()))
    EXPECT_EQ(name.find("tempstate"), std::string::npos) << name << " left behind";
  // The best checkpoint is whichever of ckpt-2 / ckpt-3 was recorded as best; it survived.
  ASSERT_EQ(manager.best_checkpoints().size(), 1u);
  EXPECT_EQ(version_in(manager.best_checkpoints()[0].path),
            manager.best_checkpoints()[0].path == dir / "ckpt-3" ? 3 : 2);
}

int operations_of_a_save() {
  TempDir dir;
  FakeClock clock;
  prepare(dir, clock);
  FaultInjectionEnv env(no_sync_env);
  int64_t counter;
  EXPECT_TRUE(faulty_save(env, dir, clock, &counter));
  EXPECT_EQ(listing(dir.path()), files_of(dir, {2, 3}, {"checkpoint", "checkpoint_best"}));
  return env.operation_count();
}

TEST(CheckpointManagerFaults, AFailureAtAnyOperationLeavesALoadableLatestCheckpoint) {
  const int operations = operations_of_a_save();
  ASSERT_GT(operations, 15);
  int saves_that_threw = 0, saves_that_returned = 0;
  for (int n = 1; n <= operations; ++n) {
    TempDir dir;
    FakeClock clock;
    prepare(dir, clock);
    FaultInjectionEnv env(no_sync_env);
    env.fail_nth(n);
    int64_t counter;
    bool saved = faulty_save(env, dir, clock, &counter);
    ASSERT_TRUE(env.fault_fired()) << n;
    // A save that throws changed nothing the caller can see; one that returned recorded ckpt-3.
    if (!saved) {
      EXPECT_EQ(counter, 2) << "operation " << n;
    }
    (saved ? saves_that_returned : saves_that_threw)++;
    expect_consistent(dir, clock, saved, "failure at operation " + std::to_string(n));
  }
  // Failures before the state file names ckpt-3 throw; later ones (deleting ckpt-1) are only reported.
  EXPECT_GT(saves_that_threw, 5);
  EXPECT_GT(saves_that_returned, 3);
}

TEST(CheckpointManagerFaults, ACrashAtAnyOperationLeavesALoadableLatestCheckpoint) {
  const int operations = operations_of_a_save();
  int crashes_before = 0, crashes_after = 0;  // the state file names ckpt-2 / ckpt-3 after the crash
  for (int n = 1; n <= operations + 1; ++n) {
    TempDir dir;
    FakeClock clock;
    prepare(dir, clock);
    FaultInjectionEnv env(no_sync_env);
    if (n <= operations) env.fail_nth(n);  // the save stops at operation n, then the power goes
    int64_t counter;
    bool saved = faulty_save(env, dir, clock, &counter);
    env.drop_unsynced_data();
    std::optional<std::string> latest = latest_checkpoint(dir.path());
    (latest == dir / "ckpt-3" ? crashes_after : crashes_before)++;
    // A save that returned must survive the crash.
    expect_consistent(dir, clock, saved, "crash at operation " + std::to_string(n));
  }
  EXPECT_GT(crashes_before, 5);
  EXPECT_GT(crashes_after, 3);
}

}  // namespace
}  // namespace cairn
