#include "cairn/env.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <functional>

#include "io/fault_injection_env.h"
#include "io/test_util.h"

namespace cairn {
namespace {

using testing::TempDir;

std::vector<std::string> sorted_listing(Env& env, const std::string& dir) {
  auto names = env.list_dir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

void write_file(Env& env, const std::string& path, std::string_view bytes, bool sync) {
  auto file = env.new_writable_file(path);
  file->append(bytes);
  if (sync) file->sync();
  file->close();
}

TEST(PosixEnv, WritesReadsAndListsFiles) {
  TempDir dir;
  Env& env = Env::Default();
  std::string big(200000, 'x');  // larger than the write buffer
  for (size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>(i);
  auto file = env.new_writable_file(dir / "a");
  file->append("head");
  file->append(big);
  file->append("tail");
  file->sync();
  file->close();
  EXPECT_EQ(env.read_file(dir / "a"), "head" + big + "tail");
  EXPECT_EQ(env.file_size(dir / "a"), big.size() + 8);
  EXPECT_TRUE(env.file_exists(dir / "a"));
  EXPECT_FALSE(env.file_exists(dir / "b"));

  auto reader = env.new_random_access_file(dir / "a");
  EXPECT_EQ(reader->size(), big.size() + 8);
  char buf[8];
  ASSERT_EQ(reader->read(reader->size() - 6, 8, buf), 6u);  // short read at the end
  EXPECT_EQ(std::string(buf, 6), big.substr(big.size() - 2) + "tail");

  env.create_dirs(dir / "x/y/z");
  env.create_dirs(dir / "x/y");  // existing: fine
  write_file(env, dir / "x/y/z/f", "1", false);
  env.rename_file(dir / "x/y/z/f", dir / "x/g");
  env.sync_dir(dir / "x");
  EXPECT_EQ(sorted_listing(env, dir / "x"), (std::vector<std::string>{"g", "y"}));
  env.remove_file(dir / "x/g");
  EXPECT_EQ(sorted_listing(env, dir / "x"), (std::vector<std::string>{"y"}));
}

TEST(PosixEnv, RenameReplacesTheTarget) {
  TempDir dir;
  Env& env = Env::Default();
  write_file(env, dir / "old", "old content", true);
  write_file(env, dir / "new", "new", true);
  env.rename_file(dir / "new", dir / "old");
  EXPECT_EQ(env.read_file(dir / "old"), "new");
  EXPECT_FALSE(env.file_exists(dir / "new"));
}

TEST(PosixEnv, FailuresNameThePathAndTheReason) {
  TempDir dir;
  Env& env = Env::Default();
  auto expect_io_error = [](auto&& fn, const std::string& path) {
    try {
      fn();
      FAIL() << "no error for " << path;
    } catch (const IOError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("No such file or directory"), std::string::npos) << e.what();
    }
  };
  std::string missing = dir / "missing";
  expect_io_error([&] { env.read_file(missing); }, missing);
  expect_io_error([&] { env.file_size(missing); }, missing);
  expect_io_error([&] { env.remove_file(missing); }, missing);
  expect_io_error([&] { env.rename_file(missing, dir / "other"); }, missing);
  expect_io_error([&] { env.list_dir(missing); }, missing);
  expect_io_error([&] { env.new_writable_file(dir / "no/such/dir/file"); }, dir / "no/such/dir/file");
  write_file(env, dir / "plain", "x", false);
  EXPECT_THROW(env.create_dirs(dir / "plain"), IOError);
}

TEST(WriteFileAtomically, ReplacesContentAndLeavesNoTemporaryFile) {
  TempDir dir;
  Env& env = Env::Default();
  write_file_atomically(env, dir / "state", "first");
  write_file_atomically(env, dir / "state", "second version");
  EXPECT_EQ(env.read_file(dir / "state"), "second version");
  EXPECT_EQ(sorted_listing(env, dir.path()), (std::vector<std::string>{"state"}));
}

TEST(WriteFileAtomically, AnyFailureOrCrashKeepsTheOldContent) {
  TempDir dir;
  FaultInjectionEnv counting(Env::Default());
  write_file_atomically(counting, dir / "state", "old");
  int before = counting.operation_count();
  write_file_atomically(counting, dir / "state", "new");
  int operations = counting.operation_count() - before;
  ASSERT_GE(operations, 6);  // create, append, sync, close, rename, sync_dir

  for (int n = 1; n <= operations; ++n) {
    FaultInjectionEnv env(Env::Default());
    write_file_atomically(env, dir / "state", "old");
    env.fail_nth(n);
    EXPECT_THROW(write_file_atomically(env, dir / "state", "new"), IOError) << "fault at operation " << n;
    EXPECT_TRUE(env.fault_fired());
    std::string after_failure = env.read_file(dir / "state");
    // Only a failing directory sync comes after the rename; then the new content is in place.
    EXPECT_EQ(after_failure, n == operations ? "new" : "old") << "fault at operation " << n;
    EXPECT_EQ(sorted_listing(env, dir.path()), (std::vector<std::string>{"state"})) << "fault at operation " << n;
    env.drop_unsynced_data();
    EXPECT_EQ(env.read_file(dir / "state"), "old") << "fault at operation " << n;
  }
}

TEST(FaultInjectionEnv, CrashDropsUnsyncedDataAndUndoesUnsyncedDirectoryChanges) {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  write_file(env, dir / "never_synced", "lost", false);
  auto partly = env.new_writable_file(dir / "partly_synced");
  partly->append("kept");
  partly->sync();
  env.sync_dir(dir.path());
  partly->append(" and lost");
  partly->close();
  write_file(env, dir / "durable", "durable", true);
  env.sync_dir(dir.path());
  write_file(env, dir / "renamed", "renamed", true);
  env.rename_file(dir / "renamed", dir / "durable");  // replaces "durable", but the directory is not synced
  EXPECT_EQ(env.read_file(dir / "durable"), "renamed");

  env.drop_unsynced_data();
  // Its creation was made durable by the sync_dir below it, its content never was.
  EXPECT_EQ(env.read_file(dir / "never_synced"), "");
  EXPECT_EQ(env.read_file(dir / "partly_synced"), "kept");
  EXPECT_EQ(env.read_file(dir / "durable"), "durable");
  EXPECT_FALSE(env.file_exists(dir / "renamed"));  // its creation was never made durable either

  write_file(env, dir / "created_after_last_sync_dir", "data", true);
  env.drop_unsynced_data();
  EXPECT_FALSE(env.file_exists(dir / "created_after_last_sync_dir"));
}

TEST(FaultInjectionEnv, CrashUndoesUnsyncedRemovalAndKeepsSyncedRename) {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  write_file(env, dir / "a", "content of a", true);
  write_file(env, dir / "b", "content of b", true);
  env.sync_dir(dir.path());
  env.rename_file(dir / "b", dir / "c");
  env.sync_dir(dir.path());
  env.remove_file(dir / "a");

  env.drop_unsynced_data();
  EXPECT_EQ(env.read_file(dir / "a"), "content of a");
  EXPECT_EQ(env.read_file(dir / "c"), "content of b");
  EXPECT_FALSE(env.file_exists(dir / "b"));
}

TEST(FaultInjectionEnv, CrashClosesOpenFiles) {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  auto file = env.new_writable_file(dir / "open");
  file->append("synced");
  file->sync();
  env.sync_dir(dir.path());
  file->append(" unsynced");
  env.drop_unsynced_data();
  EXPECT_THROW(file->append("more"), IOError);
  file.reset();
  EXPECT_EQ(env.read_file(dir / "open"), "synced");
}

TEST(FaultInjectionEnv, FailsTheNthOperationOfAKind) {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  env.fail_nth(2, FileOp::Sync, ENOSPC);
  auto file = env.new_writable_file(dir / "f");
  file->append("abc");
  file->sync();  // first sync passes
  EXPECT_FALSE(env.fault_fired());
  try {
    file->sync();
    FAIL() << "second sync did not fail";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find(dir / "f"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No space left on device"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(env.fault_fired());
  file->sync();  // the fault fires once
  file->close();
  EXPECT_EQ(env.operation_count(), 6);  // create, append, 3 syncs, close
}

TEST(FaultInjectionEnv, ShortWriteKeepsHalfTheData) {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  env.fail_nth(1, FileOp::Append, ENOSPC, /*short_write=*/true);
  auto file = env.new_writable_file(dir / "f");
  EXPECT_THROW(file->append("12345678"), IOError);
  file->close();
  EXPECT_EQ(env.read_file(dir / "f"), "1234");
}

// ---------------------------------------------------------------------------------------------
// File locks: one holder at a time, whoever asks.

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const IOError& e) {
    return e.what();
  }
  return "";
}

TEST(PosixEnv, ALockFileHasOneHolderEvenWithinAProcess) {
  TempDir dir;
  Env& env = Env::Default();
  auto lock = env.lock_file(dir / "LOCK");
  EXPECT_EQ(lock->path(), dir / "LOCK");
  EXPECT_EQ(env.read_file(dir / "LOCK"), std::to_string(::getpid()) + "\n");
  // flock locks belong to an open file description: a second open by this process conflicts.
  const std::string refused = error_of([&] { env.lock_file(dir / "LOCK"); });
  EXPECT_NE(refused.find(dir / "LOCK"), std::string::npos) << refused;
  EXPECT_NE(refused.find("process " + std::to_string(::getpid())), std::string::npos) << refused;
  lock->unlock();
  lock->unlock();  // a second unlock does nothing
  EXPECT_NO_THROW(env.lock_file(dir / "LOCK"));
}

TEST(PosixEnv, ALockIsHeldUntilItsHolderProcessEnds) {
  TempDir dir;
  int ready[2], release[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(release), 0);
  const pid_t child = fork();
  if (child == 0) {
    ::close(release[1]);  // so that the parent's close is the end of the pipe
    auto lock = Env::Default().lock_file(dir / "LOCK");
    char byte = 'x';
    if (::write(ready[1], &byte, 1) != 1) _exit(1);
    if (::read(release[0], &byte, 1) < 0) _exit(1);  // until the parent closes the pipe
    _exit(0);  // the lock dies with the process, unlocked by nobody
  }
  char byte;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  const std::string refused = error_of([&] { Env::Default().lock_file(dir / "LOCK"); });
  EXPECT_NE(refused.find("process " + std::to_string(child)), std::string::npos) << refused;
  ::close(release[1]);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_NO_THROW(Env::Default().lock_file(dir / "LOCK"));
  for (int fd : {ready[0], ready[1], release[0]}) ::close(fd);
}

// The holder may remove the lock file (when it is done with the directory); a later locker then locks
// a new file, never the removed one that the old holder still has locked.
TEST(PosixEnv, ALockFileRemovedByItsHolderIsLockedAnew) {
  TempDir dir;
  Env& env = Env::Default();
  auto old_lock = env.lock_file(dir / "LOCK");
  env.remove_file(dir / "LOCK");
  auto new_lock = env.lock_file(dir / "LOCK");
  EXPECT_TRUE(env.file_exists(dir / "LOCK"));
  EXPECT_THROW(env.lock_file(dir / "LOCK"), IOError) << "the new file is the one locked";
}

TEST(PosixEnv, LockDirectoryNamesTheDirectoryAndTheHolder) {
  TempDir dir;
  auto lock = lock_directory(Env::Default(), dir.path());
  EXPECT_EQ(lock->path(), dir / kDirectoryLockFileName);
  const std::string refused = error_of([&] { lock_directory(Env::Default(), dir.path()); });
  EXPECT_NE(refused.find("cannot take " + dir.path() + " for writing"), std::string::npos) << refused;
  EXPECT_NE(refused.find("process " + std::to_string(::getpid())), std::string::npos) << refused;
}

TEST(FaultInjectionEnv, LocksAreTheBaseEnvs) {
  TempDir dir;
  FaultInjectionEnv env(Env::Default());
  auto lock = env.lock_file(dir / "LOCK");
  EXPECT_THROW(Env::Default().lock_file(dir / "LOCK"), IOError);
  lock.reset();
  EXPECT_NO_THROW(Env::Default().lock_file(dir / "LOCK"));
}

TEST(PosixEnv, MapsAFileReadOnly) {
  TempDir dir;
  testing::write_bytes(dir / "bytes", std::string("\x00\x01safetensors", 13));
  testing::write_bytes(dir / "empty", "");
  std::unique_ptr<ReadOnlyMemoryRegion> region = Env::Default().map_file(dir / "bytes");
  ASSERT_EQ(region->size(), 13u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(region->data()), 13), std::string("\x00\x01safetensors", 13));
  EXPECT_EQ(Env::Default().map_file(dir / "empty")->size(), 0u);
  for (const std::string& bad : {dir.path(), dir / "missing"}) {
    try {
      Env::Default().map_file(bad);
      FAIL() << "no error for " << bad;
    } catch (const IOError& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

TEST(RemoveTree, RemovesFilesAndNestedDirectoriesThroughTheEnv) {
  TempDir dir;
  Env& posix = Env::Default();
  posix.create_dirs(dir / "run/backup/sub");
  testing::write_bytes(dir / "run/backup/a", "a");
  testing::write_bytes(dir / "run/backup/sub/b", "b");
  testing::write_bytes(dir / "run/keep", "k");
  FaultInjectionEnv env(posix);
  remove_tree(env, dir / "run/backup");
  EXPECT_EQ(posix.list_dir(dir / "run"), std::vector<std::string>{"keep"});
  EXPECT_EQ(env.operation_count(), 2 + 2 + 1);  // two files, two directories, the parent's sync
  remove_tree(env, dir / "run/backup");  // gone already: nothing to do
  EXPECT_EQ(env.operation_count(), 5);
}

TEST(RemoveTree, AFailedRemovalIsAnIOErrorNamingThePath) {
  TempDir dir;
  Env::Default().create_dirs(dir / "backup");
  testing::write_bytes(dir / "backup/a", "a");
  FaultInjectionEnv env(Env::Default());
  env.fail_nth(2, FileOp::Remove);  // the directory, after its file
  try {
    remove_tree(env, dir / "backup");
    FAIL() << "no error";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find(dir / "backup"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cairn
