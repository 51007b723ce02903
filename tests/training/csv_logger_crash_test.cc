// CSVLogger rewrites its file through its Env at the start of training and after every epoch. A crash
// at any of those writes must leave the file as an earlier write left it, or no file when none was
// there before: never a torn row, never a lost file.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "cairn/callbacks.h"
#include "cairn/data.h"
#include "cairn/error.h"
#include "cairn/layers/dense.h"
#include "cairn/model.h"
#include "io/fault_injection_env.h"
#include "io/test_util.h"

namespace cairn {
namespace {

using testing::NoSyncEnv;
using testing::read_bytes;
using testing::TempDir;
using testing::write_bytes;

constexpr int kEpochs = 3;

// Three epochs of a small model with a CSVLogger writing to path through env.
void train_with_logger(Env& env, const std::string& path, bool append) {
  clear_session();
  set_random_seed(0);
  const LabeledData data = make_moons(16, 0.1, 3);
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{std::make_shared<Dense>(2)}, Shape{2});
  model->compile({.optimizer = "sgd", .loss = std::make_shared<SparseCategoricalCrossentropy>(true)});
  model->fit(data.x, data.y,
             {.batch_size = 16, .epochs = kEpochs, .verbose = 0,
              .callbacks = {std::make_shared<CSVLogger>(path, ',', append, &env)}});
}

// The contents a crash may leave: `before`, then `before` plus each whole row of the finished file.
std::vector<std::string> line_prefixes(const std::string& before, const std::string& finished) {
  std::vector<std::string> prefixes{before};
  for (size_t end = finished.find('\n', before.size()); end != std::string::npos; end = finished.find('\n', end + 1))
    prefixes.push_back(finished.substr(0, end + 1));
  return prefixes;
}

// Fails each write operation of a whole run in turn, crashes there, and checks what is on disk.
// `previous` is the file's content before the run (nullopt: no file).
void crash_at_every_write(bool append, const std::optional<std::string>& previous) {
  TempDir reference_dir;
  const std::string reference = reference_dir / "log.csv";
  if (previous) write_bytes(reference, *previous);
  NoSyncEnv no_sync;
  FaultInjectionEnv counting(no_sync);
  train_with_logger(counting, reference, append);
  const int operations = counting.operation_count();
  const std::string finished = read_bytes(reference);
  // One row per epoch, after a header or, when appending, after the previous rows.
  ASSERT_EQ(std::count(finished.begin(), finished.end(), '\n'),
            kEpochs + (append && previous ? std::count(previous->begin(), previous->end(), '\n') : 1));
  const std::vector<std::string> allowed = line_prefixes(append && previous ? *previous : "", finished);
  ASSERT_GT(operations, 2 * (kEpochs + 1));  // several operations per atomic write

  for (int n = 1; n <= operations; ++n) {
    SCOPED_TRACE("crash at operation " + std::to_string(n) + " of " + std::to_string(operations));
    TempDir dir;
    const std::string path = dir / "log.csv";
    if (previous) write_bytes(path, *previous);
    FaultInjectionEnv env(no_sync);
    env.fail_nth(n, std::nullopt, EIO, /*short_write=*/true);
    EXPECT_THROW(train_with_logger(env, path, append), IOError);
    ASSERT_TRUE(env.fault_fired());
    env.drop_unsynced_data();

    const std::vector<std::string> names = Env::Default().list_dir(dir.path());
    if (!Env::Default().file_exists(path)) {
      EXPECT_FALSE(previous) << "the previous file was lost";
      EXPECT_TRUE(names.empty()) << names.front();
      continue;
    }
    EXPECT_EQ(names, std::vector<std::string>{"log.csv"}) << "a temporary file was left";
    const std::string content = read_bytes(path);
    const bool whole = std::find(allowed.begin(), allowed.end(), content) != allowed.end() ||
                       (previous && content == *previous);
    EXPECT_TRUE(whole) << "torn file:\n" << content;
  }
}

TEST(CSVLoggerCrash, ANewLogIsMissingOrWholeAfterACrashAtAnyWrite) { crash_at_every_write(false, std::nullopt); }

TEST(CSVLoggerCrash, AnAppendedLogKeepsItsEarlierRowsAfterACrashAtAnyWrite) {
  crash_at_every_write(true, std::string("epoch,loss\n0,0.5\n1,0.25\n"));
}

TEST(CSVLoggerCrash, AReplacedLogIsTheOldOneOrANewOneAfterACrashAtAnyWrite) {
  crash_at_every_write(false, std::string("epoch,loss\n0,0.5\n"));
}

}  // namespace
}  // namespace cairn
