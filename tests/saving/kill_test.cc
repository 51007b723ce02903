// Kill test: a training process killed with SIGKILL at random moments always leaves a restorable
// backup, and the run that finally completes ends with weights identical to an uninterrupted run.
// CAIRN_KILL_ROUNDS sets the number of kills (20 by default; scripts/kill_test runs 1000).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cairn/checkpoint.h"
#include "cairn/random.h"
#include "cairn/tensor_bundle.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

// How a worker run went: whether it completed, and the lines it printed (see kill_worker.cc), the
// last of which tells where a kill landed.
struct WorkerRun {
  bool completed = false;
  std::vector<std::string> lines;
  // From the "train_end" line to the worker's exit: deleting the backups and writing the final weights.
  std::chrono::microseconds after_train_end{0};
  bool saw(const std::string& line) const { return std::find(lines.begin(), lines.end(), line) != lines.end(); }
  bool killed_while_removing() const { return !completed && !lines.empty() && lines.back().starts_with("remove "); }
};

// Where a kill is aimed: `delay` after the worker starts, or `delay` after it reports that training
// ended (then the kill lands while BackupAndRestore deletes the backups, or just after).
enum class Aim { kFromStart, kFromTrainEnd };

// Runs the worker, with SIGKILL `delay` after the moment `aim` names unless it ends first (never when
// delay is nullopt).
WorkerRun run_worker(const std::string& worker, const std::string& backup_dir, const std::string& out, bool async,
                     std::optional<std::chrono::microseconds> delay, Aim aim = Aim::kFromStart) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    execl(worker.c_str(), worker.c_str(), backup_dir.c_str(), out.c_str(), async ? "async" : nullptr, nullptr);
    _exit(127);
  }
  ::close(pipe_fds[1]);
  FILE* output = ::fdopen(pipe_fds[0], "r");
  WorkerRun run;
  std::optional<std::chrono::steady_clock::time_point> train_end;
  auto read_line = [&] {
    char buffer[4096];
    if (!std::fgets(buffer, sizeof buffer, output)) return false;
    std::string line = buffer;
    if (line.ends_with('\n')) line.pop_back();
    if (line == "train_end") train_end = std::chrono::steady_clock::now();
    run.lines.push_back(line);
    return true;
  };
  if (delay) {
    if (aim == Aim::kFromTrainEnd)
      while (read_line() && run.lines.back() != "train_end") {
      }
    std::this_thread::sleep_for(*delay);
    kill(pid, SIGKILL);
  }
  while (read_line()) {
  }
  std::fclose(output);
  if (train_end)
    run.after_train_end =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - *train_end);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) ADD_FAILURE() << "worker failed with exit code " << WEXITSTATUS(status);
  run.completed = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return run;
}

// With and without asynchronous backups (GetParam()).
class KillTest : public ::testing::TestWithParam<bool> {};

TEST_P(KillTest, RandomSigkillsNeverLoseTheRunAndResumeIsExact) {
  const bool async = GetParam();
  const fs::path root =
      fs::temp_directory_path() / ("cairn_kill_" + std::to_string(getpid()) + (async ? "_async" : "_sync"));
  fs::remove_all(root);
  fs::create_directories(root);
  const std::string reference = (root / "reference").string(), resumed = (root / "resumed").string();
  // A copy of the worker, so that a rebuild of the tree during a long run cannot swap it mid-test.
  const std::string worker = (root / "kill_worker").string();
  fs::copy_file(CAIRN_KILL_WORKER, worker);

  // The reference run also measures how long the end of training takes (deleting the backups, writing
  // the final weights): the span in which the aimed kills land.
  const auto start = std::chrono::steady_clock::now();
  const WorkerRun reference_run = run_worker(worker, (root / "reference_backup").string(), reference, async, std::nullopt);
  ASSERT_TRUE(reference_run.completed);
  const auto full_run = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  const std::chrono::microseconds train_end_span = reference_run.after_train_end;

  auto expect_same_weights = [&] {
    BundleReader a(Env::Default(), reference), b(Env::Default(), resumed);
    ASSERT_EQ(a.keys(), b.keys());
    for (const auto& key : a.keys()) {
      if (key != "_CHECKPOINTABLE_OBJECT_GRAPH") {
        EXPECT_TRUE(equal_bytes(a.read(key), b.read(key))) << key;
      }
    }
  };

  const char* env = std::getenv("CAIRN_KILL_ROUNDS");
  const int kills = env ? std::atoi(env) : 20;
  Generator random(static_cast<uint64_t>(getpid()));
  int restorable = 0, trainings = 0, kills_while_removing = 0, kills_in_train_end = 0;
  for (int kill = 0; kill < kills; ++kill) {
    // Every sixteenth kill is aimed at the end of training, where BackupAndRestore deletes the backups
    // (such a run trains to the end first, so they are few; within the first half of the span that the
    // reference run measured, so that the run rarely ends first); the others come after a small random part
    // of a full run, so that kills spread over whole trainings (and often land in the
    // CheckpointManager's deletion of the oldest backup).
    // An aimed kill that comes too late (the run ended first: a loaded machine stretches the span
    // unevenly) is aimed again with half the delay, so that one aimed kill lands however busy the machine.
    const bool aimed = kill % 16 == 15;
    auto delay = std::chrono::microseconds(static_cast<int64_t>(
        random.uniform() * (aimed ? 0.5 * static_cast<double>(train_end_span.count()) : 0.15 * full_run.count())));
    WorkerRun run = run_worker(worker, (root / "backup").string(), resumed, async, delay,
                               aimed ? Aim::kFromTrainEnd : Aim::kFromStart);
    for (int retry = 0; aimed && run.completed && retry < 6; ++retry) {
      expect_same_weights();
      ++trainings;
      fs::remove_all(root / "backup");
      remove_bundle(Env::Default(), resumed);
      delay /= 2;
      run = run_worker(worker, (root / "backup").string(), resumed, async, delay, Aim::kFromTrainEnd);
    }
    if (run.completed) {
      // This training finished before the kill: check it, then start a new one.
      expect_same_weights();
      ++trainings;
      fs::remove_all(root / "backup");
      remove_bundle(Env::Default(), resumed);
      continue;
    }
    if (run.killed_while_removing()) ++kills_while_removing;
    if (run.saw("train_end")) ++kills_in_train_end;
    // Whatever the moment of the kill, the latest backup (if one was made yet) reads back whole (the
    // next run's restore, which must succeed, is checked by that run's exit status).
    if (auto latest = latest_checkpoint((root / "backup").string())) {
      ++restorable;
      BundleReader reader(Env::Default(), *latest);
      for (const auto& key : reader.keys())
        EXPECT_NO_THROW(key == "_CHECKPOINTABLE_OBJECT_GRAPH" ? (void)reader.read_string(key) : (void)reader.read(key));
    }
  }
  EXPECT_GT(restorable, kills / 4) << "kills should mostly come after the first backup";
  if (kills >= 16) {
    EXPECT_GT(kills_in_train_end, 0) << "aimed kills should land while the backups are deleted";
  }
  ASSERT_TRUE(run_worker(worker, (root / "backup").string(), resumed, async, std::nullopt).completed);
  expect_same_weights();
  RecordProperty("trainings_completed_between_kills", trainings);
  RecordProperty("kills_while_removing_files", kills_while_removing);
  RecordProperty("kills_in_train_end", kills_in_train_end);
  std::printf("%d kills: %d while removing a file, %d after training ended; %d trainings completed\n", kills,
              kills_while_removing, kills_in_train_end, trainings);
  fs::remove_all(root);
}

INSTANTIATE_TEST_SUITE_P(Backups, KillTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "Async" : "Sync"; });

}  // namespace
}  // namespace cairn
