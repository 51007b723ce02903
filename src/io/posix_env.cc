// The POSIX Env, and the Env helpers that work on any Env.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <random>

#include "cairn/env.h"
#include "cairn/error.h"

namespace cairn {
namespace {

[[noreturn]] void throw_errno(const std::string& what, const std::string& path, int error) {
  throw IOError(what + " " + path + ": " + std::strerror(error));
}

class PosixWritableFile : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ < 0) return;
    try {
      write_buffer();
    } catch (const IOError&) {  // a destructor cannot report; callers that care call close()
    }
    ::close(fd_);
  }

  void append(std::string_view data) override {
    check_open();
    if (buffer_.size() + data.size() <= kBufferSize) {
      buffer_.append(data);
      return;
    }
    write_buffer();
    if (data.size() >= kBufferSize) {
      write_all(data);
    } else {
      buffer_.assign(data);
    }
  }

  void flush() override {
    check_open();
    write_buffer();
  }

  void sync() override {
    check_open();
    write_buffer();
    if (::fsync(fd_) != 0) throw_errno("cannot fsync", path_, errno);
  }

  void close() override {
    if (fd_ < 0) return;
    int fd = fd_;
    try {
      write_buffer();
    } catch (...) {
      fd_ = -1;
      ::close(fd);
      throw;
    }
    fd_ = -1;
    if (::close(fd) != 0) throw_errno("cannot close", path_, errno);
  }

  const std::string& path() const override { return path_; }

 private:
  // Small appends (one per tensor, one per index block) are gathered to keep system calls few.
  static constexpr size_t kBufferSize = 1 << 16;

  void check_open() const {
    if (fd_ < 0) throw IOError("write to closed file " + path_);
  }

  void write_buffer() {
    if (buffer_.empty()) return;
    std::string pending;
    pending.swap(buffer_);
    write_all(pending);
  }

  // Large appends (whole tensors) go to the kernel in pieces of at most kMaxWrite bytes: on this
  // project's ext4 VMs, 32 MB writes filled the page cache 2-4x slower than 128 KB ones (512 MB: 0.43-0.6 s
  // against 0.14 s, with 1 MB writes as slow as 32 MB), which made a 512 MB save 1.5x slower.
  static constexpr size_t kMaxWrite = 128 << 10;

  void write_all(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), std::min(data.size(), kMaxWrite));
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno("cannot write", path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
      written_ += static_cast<uint64_t>(n);
    }
    start_writeback();
  }

  // Starts the disk writing what is already in the page cache while the file is still being written
  // (RocksDB's bytes_per_sync), so that sync() then waits for the tail only, not for the whole file.
  // Only a hint to the kernel: a write error still surfaces at fsync.
  static constexpr uint64_t kWritebackEvery = 8 << 20;

  void start_writeback() {
#ifdef __linux__
    if (written_ - writeback_from_ < kWritebackEvery) return;
    ::sync_file_range(fd_, static_cast<off_t>(writeback_from_), static_cast<off_t>(written_ - writeback_from_),
                      SYNC_FILE_RANGE_WRITE);
    writeback_from_ = written_;
#endif
  }

  std::string path_;
  int fd_;
  std::string buffer_;
  uint64_t written_ = 0;         // bytes handed to the kernel
  uint64_t writeback_from_ = 0;  // where the next start_writeback's range begins
};

class PosixRandomAccessFile : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd, uint64_t size) : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  size_t read(uint64_t offset, size_t n, char* dst) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t got = ::pread(fd_, dst + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0) {
        if (errno == EINTR) continue;
        throw_errno("cannot read", path_, errno);
      }
      if (got == 0) break;
      done += static_cast<size_t>(got);
    }
    return done;
  }

  uint64_t size() const override { return size_; }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
  uint64_t size_;
};

class PosixFileLock : public FileLock {
 public:
  PosixFileLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixFileLock() override { unlock(); }
  void unlock() override {
    if (fd_ < 0) return;
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
    fd_ = -1;
  }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
};

// The pid a lock holder wrote into its lock file, for the message of a refused lock.
std::string recorded_holder(int fd) {
  char text[32];
  ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  std::string pid(text, static_cast<size_t>(std::max<ssize_t>(n, 0)));
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  bool digits = !pid.empty() && std::all_of(pid.begin(), pid.end(), [](char c) { return c >= '0' && c <= '9'; });
  return digits ? "process " + pid : "another process (its pid is not recorded yet)";
}

class PosixEnv : public Env {
 public:
  std::unique_ptr<WritableFile> new_writable_file(const std::string& path) override {
    int fd;
    do {
      fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) throw_errno("cannot create", path, errno);
    return std::make_unique<PosixWritableFile>(path, fd);
  }

  std::unique_ptr<RandomAccessFile> new_random_access_file(const std::string& path) override {
    int fd;
    do {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) throw_errno("cannot open", path, errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int error = errno;
      ::close(fd);
      throw_errno("cannot stat", path, error);
    }
    if (S_ISDIR(st.st_mode)) {
      ::close(fd);
      throw_errno("cannot open", path, EISDIR);
    }
    return std::make_unique<PosixRandomAccessFile>(path, fd, static_cast<uint64_t>(st.st_size));
  }

  uint64_t file_size(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) throw_errno("cannot stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  bool file_exists(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
  }

  void rename_file(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) throw_errno("cannot rename " + from + " to", to, errno);
  }

  void remove_file(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) throw_errno("cannot remove", path, errno);
  }

  std::vector<std::string> list_dir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) throw_errno("cannot list directory", dir, errno);
    std::vector<std::string> names;
    errno = 0;
    while (dirent* entry = ::readdir(d)) {
      std::string_view name = entry->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
      errno = 0;
    }
    int error = errno;
    ::closedir(d);
    if (error != 0) throw_errno("cannot list directory", dir, error);
    return names;
  }

  void create_dirs(const std::string& dir) override {
    if (dir.empty()) return;
    // Create each prefix ending before a '/', then the whole path.
    for (size_t pos = dir.find('/', 1);; pos = dir.find('/', pos + 1)) {
      std::string part = dir.substr(0, pos);
      if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("cannot create directory", part, errno);
      if (pos == std::string::npos) break;
    }
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) throw_errno("cannot create directory", dir, errno);
    if (!S_ISDIR(st.st_mode)) throw_errno("cannot create directory", dir, ENOTDIR);
  }

  void sync_dir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw_errno("cannot open directory", dir, errno);
    if (::fsync(fd) != 0) {
      int error = errno;
      ::close(fd);
      throw_errno("cannot fsync directory", dir, error);
    }
    ::close(fd);
  }
};

}  // namespace

Env& Env::Default() {
  static PosixEnv env;
  return env;
}

namespace {
class PosixMemoryRegion : public ReadOnlyMemoryRegion {
 public:
  PosixMemoryRegion(const uint8_t* data, uint64_t size) : data_(data), size_(size) {}
  ~PosixMemoryRegion() override {
    if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
  }
  const uint8_t* data() const override { return data_; }
  uint64_t size() const override { return size_; }

 private:
  const uint8_t* data_;
  uint64_t size_;
};
}  // namespace

std::unique_ptr<ReadOnlyMemoryRegion> Env::map_file(const std::string& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw_errno("cannot open", path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    throw_errno("cannot stat", path, error);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw IOError("cannot read " + path + ": not a regular file");
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  const uint8_t* data = nullptr;
  if (size > 0) {
    void* address = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (address == MAP_FAILED) {
      const int error = errno;
      ::close(fd);
      throw_errno("cannot map", path, error);
    }
    data = static_cast<const uint8_t*>(address);
  }
  ::close(fd);  // the mapping keeps the file
  return std::make_unique<PosixMemoryRegion>(data, size);
}

bool Env::is_directory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void Env::remove_dir(const std::string& dir) {
  if (::rmdir(dir.c_str()) != 0) throw_errno("cannot remove directory", dir, errno);
}

namespace {
void remove_directory_and_content(Env& env, const std::string& dir) {
  for (const std::string& name : env.list_dir(dir)) {
    const std::string path = join_path(dir, name);
    if (env.file_status(path, /*follow_symlinks=*/false).type == FileStatus::Type::kDirectory)
      remove_directory_and_content(env, path);
    else
      env.remove_file(path);
  }
  env.remove_dir(dir);
}
}  // namespace

void remove_tree(Env& env, const std::string& dir) {
  if (env.file_status(dir, /*follow_symlinks=*/false).type != FileStatus::Type::kDirectory) return;
  remove_directory_and_content(env, dir);
  env.sync_dir(parent_dir(dir));
}

FileStatus Env::file_status(const std::string& path, bool follow_symlinks) {
  struct stat st;
  if ((follow_symlinks ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st)) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return {};
    throw_errno("cannot stat", path, errno);
  }
  FileStatus status{FileStatus::Type::kOther, static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
  if (S_ISREG(st.st_mode)) status.type = FileStatus::Type::kRegular;
  if (S_ISDIR(st.st_mode)) status.type = FileStatus::Type::kDirectory;
  if (S_ISLNK(st.st_mode)) status.type = FileStatus::Type::kSymlink;
  return status;
}

std::unique_ptr<FileLock> Env::lock_file(const std::string& path) {
  while (true) {
    int fd;
    do {
      fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) throw_errno("cannot open the lock file", path, errno);
    int result;
    do {
      result = ::flock(fd, LOCK_EX | LOCK_NB);
    } while (result != 0 && errno == EINTR);
    if (result != 0) {
      int error = errno;
      std::string holder = error == EWOULDBLOCK ? recorded_holder(fd) : std::string();
      ::close(fd);
      if (error == EWOULDBLOCK) throw IOError(path + " is locked by " + holder + ", which writes there");
      throw_errno("cannot lock", path, error);
    }
    // The previous holder may have removed the file between our open and our lock: then the lock is
    // on a file nobody else will ever open, and the lock to take is on the file now at path.
    struct stat locked, current;
    if (::fstat(fd, &locked) != 0 || ::stat(path.c_str(), &current) != 0 || locked.st_dev != current.st_dev ||
        locked.st_ino != current.st_ino) {
      ::close(fd);
      continue;
    }
    auto lock = std::make_unique<PosixFileLock>(path, fd);
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
      throw_errno("cannot write the pid into the lock file", path, errno);
    return lock;
  }
}

std::unique_ptr<FileLock> lock_directory(Env& env, const std::string& dir) {
  const std::string path = join_path(dir.empty() ? std::string(".") : dir, kDirectoryLockFileName);
  try {
    return env.lock_file(path);
  } catch (const IOError& e) {
    throw IOError("cannot take " + dir + " for writing: " + e.what());
  }
}

std::string Env::read_file(const std::string& path) {
  auto file = new_random_access_file(path);
  std::string bytes(file->size(), '\0');
  bytes.resize(file->read(0, bytes.size(), bytes.data()));
  return bytes;
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty() || name.starts_with('/')) return name;
  return dir.ends_with('/') ? dir + name : dir + "/" + name;
}

std::string parent_dir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string temporary_path_for(const std::string& path) {
  static std::mutex mutex;
  static std::mt19937_64 generator{std::random_device{}()};
  std::lock_guard lock(mutex);
  return path + ".tempstate" + std::to_string(generator());
}

void write_file_atomically(Env& env, const std::string& path, std::string_view bytes) {
  write_file_atomically(env, path, [bytes](WritableFile& file) { file.append(bytes); });
}

void write_file_atomically(Env& env, const std::string& path, const std::function<void(WritableFile&)>& write) {
  std::string temporary = temporary_path_for(path);
  try {
    auto file = env.new_writable_file(temporary);
    write(*file);
    file->sync();
    file->close();
    env.rename_file(temporary, path);
  } catch (...) {
    try {
      if (env.file_exists(temporary)) env.remove_file(temporary);
    } catch (const Error&) {  // the original failure is the one worth reporting
    }
    throw;
  }
  env.sync_dir(parent_dir(path));
}

}  // namespace cairn
