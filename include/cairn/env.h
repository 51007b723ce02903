// Env: the one seam through which cairn touches the file system (in the style of LevelDB's Env).
//
// Every file operation of checkpoints goes through an Env so that tests can substitute one that fails
// on purpose or forgets unsynced data, and prove that a failed or interrupted save never damages an
// existing checkpoint. Env::Default() is the POSIX implementation. Every failure throws IOError whose
// message names the path and the operating system's reason (strerror).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

// A file opened for writing from its beginning. Data reaches the disk only after sync(); close()
// without sync() gives no durability guarantee. Destroying an open file closes it, ignoring errors.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual void append(std::string_view data) = 0;
  // Hands the data appended so far to the operating system, so that other processes can read it; it is
  // not durable until sync(). The default syncs, which does that too.
  virtual void flush() { sync(); }
  virtual void sync() = 0;   // flush and fsync the file's data
  virtual void close() = 0;  // flush and close; further calls other than close() are errors
  virtual const std::string& path() const = 0;
};

// A file opened for positioned reads.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset into dst and returns how many were read: fewer than n only when the
  // file ends first.
  virtual size_t read(uint64_t offset, size_t n, char* dst) const = 0;
  virtual uint64_t size() const = 0;
  virtual const std::string& path() const = 0;
};

// A read-only view of a whole file's bytes (TensorFlow's ReadOnlyMemoryRegion), valid while it lives.
class ReadOnlyMemoryRegion {
 public:
  virtual ~ReadOnlyMemoryRegion() = default;
  virtual const uint8_t* data() const = 0;  // nullptr for an empty file
  virtual uint64_t size() const = 0;
};

// What a path names, as lstat(2) (or stat(2), following symlinks) reports it.
struct FileStatus {
  enum class Type { kMissing, kRegular, kDirectory, kSymlink, kOther };  // kOther: a FIFO, socket or device
  Type type = Type::kMissing;
  uint64_t device = 0;  // device and inode identify the file, whatever path reaches it
  uint64_t inode = 0;
};

// An exclusive advisory lock on a file, held until unlock() or destruction (LevelDB's FileLock).
class FileLock {
 public:
  virtual ~FileLock() = default;
  virtual void unlock() = 0;  // a second call does nothing
  virtual const std::string& path() const = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX environment.
  static Env& Default();

  // Creates the file, or truncates it when it exists.
  virtual std::unique_ptr<WritableFile> new_writable_file(const std::string& path) = 0;
  virtual std::unique_ptr<RandomAccessFile> new_random_access_file(const std::string& path) = 0;
  // The bytes of a regular file, mapped read-only (mmap(2)): IOError naming the path when it cannot be
  // opened, is not a regular file or cannot be mapped. The file must not shrink while the region lives.
  // The default asks the operating system, which is right for every Env over the real file system.
  virtual std::unique_ptr<ReadOnlyMemoryRegion> map_file(const std::string& path);
  // The whole content of a file.
  virtual std::string read_file(const std::string& path);
  virtual uint64_t file_size(const std::string& path) = 0;
  virtual bool file_exists(const std::string& path) = 0;
  // Whether path is an existing directory. The default asks the operating system, which is right for
  // every Env over the real file system.
  virtual bool is_directory(const std::string& path);
  // Atomically replaces `to` (if any) with `from`. Durable only after sync_dir of the directories.
  virtual void rename_file(const std::string& from, const std::string& to) = 0;
  virtual void remove_file(const std::string& path) = 0;  // throws IOError when it does not exist
  // Removes an empty directory (rmdir(2)); IOError when it is missing or not empty. The default asks the
  // operating system, which is right for every Env over the real file system.
  virtual void remove_dir(const std::string& dir);
  // Names of the entries of a directory, without "." and "..", in no particular order.
  virtual std::vector<std::string> list_dir(const std::string& dir) = 0;
  // Creates dir and its missing parents; an existing directory is fine.
  virtual void create_dirs(const std::string& dir) = 0;
  // fsync of a directory: makes the creations, renames and removals of its entries durable.
  virtual void sync_dir(const std::string& dir) = 0;
  // What is at path: the symlink itself, unless follow_symlinks. kMissing when nothing is; IOError for
  // other failures (a loop of symlinks, a denied search permission). The default asks the operating
  // system, which is right for every Env over the real file system.
  virtual FileStatus file_status(const std::string& path, bool follow_symlinks);
  // Takes an exclusive lock (flock(2)) on path, created when missing, and writes this process's pid
  // into it. IOError naming path and the holder's pid when it is held, by another process or by
  // another lock_file of this process (a lock belongs to one open of the file). Only lock_file callers
  // respect the lock. Its holder may remove the file while holding it: lock_file never takes a lock on
  // a file that is no longer at path. The default asks the operating system, which is right for every
  // Env over the real file system.
  virtual std::unique_ptr<FileLock> lock_file(const std::string& path);
};

// An Env that forwards every call to another one (LevelDB's EnvWrapper): derive from it and override
// only the operations to change, as tests do to fail, count or skip some of them. read_file is left to
// Env's, which opens the file through new_random_access_file, so that an override of that sees it too.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env& target) : target_(target) {}
  Env& target() const { return target_; }

  std::unique_ptr<WritableFile> new_writable_file(const std::string& path) override {
    return target_.new_writable_file(path);
  }
  std::unique_ptr<RandomAccessFile> new_random_access_file(const std::string& path) override {
    return target_.new_random_access_file(path);
  }
  std::unique_ptr<ReadOnlyMemoryRegion> map_file(const std::string& path) override { return target_.map_file(path); }
  uint64_t file_size(const std::string& path) override { return target_.file_size(path); }
  bool file_exists(const std::string& path) override { return target_.file_exists(path); }
  bool is_directory(const std::string& path) override { return target_.is_directory(path); }
  void rename_file(const std::string& from, const std::string& to) override { target_.rename_file(from, to); }
  void remove_file(const std::string& path) override { target_.remove_file(path); }
  void remove_dir(const std::string& dir) override { target_.remove_dir(dir); }
  std::vector<std::string> list_dir(const std::string& dir) override { return target_.list_dir(dir); }
  void create_dirs(const std::string& dir) override { target_.create_dirs(dir); }
  void sync_dir(const std::string& dir) override { target_.sync_dir(dir); }
  FileStatus file_status(const std::string& path, bool follow_symlinks) override {
    return target_.file_status(path, follow_symlinks);
  }
  std::unique_ptr<FileLock> lock_file(const std::string& path) override { return target_.lock_file(path); }

 private:
  Env& target_;
};

// The lock a writer of a directory holds while it uses it (dir/.cairn.lock, see Env::lock_file).
// IOError naming dir and the pid of the writer that holds it.
std::unique_ptr<FileLock> lock_directory(Env& env, const std::string& dir);
// The lock file's name in a locked directory.
inline constexpr const char* kDirectoryLockFileName = ".cairn.lock";

// Removes dir with everything in it, through env (symlinks are removed, not followed), then syncs its
// parent directory. Nothing happens when dir does not exist.
void remove_tree(Env& env, const std::string& dir);

// dir/name, purely lexical (Python's os.path.join): name itself when it is absolute or dir is empty,
// and no doubled '/' when dir ends with one.
std::string join_path(const std::string& dir, const std::string& name);

// The directory part of a path ("." when there is none), as sync_dir expects it.
std::string parent_dir(const std::string& path);

// A fresh name in path's directory for a temporary file that will be renamed to path:
// path + ".tempstate" + a random number (TensorFlow's convention for checkpoint files).
std::string temporary_path_for(const std::string& path);

// Replaces the file at path with bytes so that after a crash it holds either the old content or the
// new one, never a mix: writes a temporary file in the same directory, fsyncs it, renames it over
// path and fsyncs the directory. On failure the temporary file is removed and path is unchanged.
void write_file_atomically(Env& env, const std::string& path, std::string_view bytes);
// The same, with the content streamed by `write` (no copy of a large file in memory).
void write_file_atomically(Env& env, const std::string& path, const std::function<void(WritableFile&)>& write);

}  // namespace cairn
