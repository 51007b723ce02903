#include "fault_injection_env.h"

#include <algorithm>
#include <cstring>

#include "cairn/error.h"

namespace cairn {

struct FaultInjectionEnv::FileState {
  uint64_t size = 0;         // bytes appended so far
  uint64_t synced_size = 0;  // bytes that survive a crash
  WritableFile* open = nullptr;  // the base file while it is open, so that a crash can close it
  bool crashed = false;
};

// A directory change that a crash undoes unless every directory in `dirs` was synced after it.
struct FaultInjectionEnv::PendingChange {
  FileOp op;  // Create, Rename or Remove
  std::string path;  // the created, removed or renamed-to path
  std::string from;  // for Rename
  std::optional<std::string> previous;  // durable content of the file the change destroyed at `path`
  std::shared_ptr<FileState> previous_state;
  std::vector<std::string> dirs;
};

namespace {

std::string directory_of(const std::string& path) {
  std::string dir = parent_dir(path);
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

const char* op_name(FileOp op) {
  switch (op) {
    case FileOp::Create: return "create";
    case FileOp::Append: return "write";
    case FileOp::Sync: return "fsync";
    case FileOp::Close: return "close";
    case FileOp::Rename: return "rename";
    case FileOp::Remove: return "remove";
    case FileOp::SyncDir: return "fsync directory";
    case FileOp::CreateDirs: return "create directory";
  }
  return "?";
}

[[noreturn]] void throw_injected(FileOp op, const std::string& path, int error) {
  throw IOError(std::string("cannot ") + op_name(op) + " " + path + ": " + std::strerror(error) + " (injected)");
}

}  // namespace

class FaultWritableFile : public WritableFile {
 public:
  FaultWritableFile(FaultInjectionEnv& env, std::unique_ptr<WritableFile> base,
                    std::shared_ptr<FaultInjectionEnv::FileState> state)
      : env_(env), base_(std::move(base)), state_(std::move(state)) {}

  ~FaultWritableFile() override {
    std::lock_guard lock(env_.mutex_);
    if (state_->open == base_.get()) state_->open = nullptr;
  }

  void append(std::string_view data) override {
    std::lock_guard lock(env_.mutex_);
    check_alive();
    if (auto error = env_.next_fault(FileOp::Append, path())) {
      std::string_view written = data.substr(0, data.size() / 2);
      base_->append(written);
      state_->size += written.size();
      throw_injected(FileOp::Append, path(), *error);
    }
    base_->append(data);
    state_->size += data.size();
  }

  // Not an operation that FileOp counts: it makes nothing durable.
  void flush() override {
    std::lock_guard lock(env_.mutex_);
    check_alive();
    base_->flush();
  }

  void sync() override {
    std::lock_guard lock(env_.mutex_);
    check_alive();
    env_.next_fault(FileOp::Sync, path());
    base_->sync();
    state_->synced_size = state_->size;
  }

  void close() override {
    std::lock_guard lock(env_.mutex_);
    if (state_->crashed || state_->open != base_.get()) return;
    state_->open = nullptr;
    env_.next_fault(FileOp::Close, path());
    base_->close();
  }

  const std::string& path() const override { return base_->path(); }

 private:
  void check_alive() const {
    if (state_->crashed) throw IOError("cannot write " + path() + ": the simulated crash closed it");
    if (state_->open != base_.get()) throw IOError("write to closed file " + path());
  }

  FaultInjectionEnv& env_;
  std::unique_ptr<WritableFile> base_;
  std::shared_ptr<FaultInjectionEnv::FileState> state_;
};

FaultInjectionEnv::FaultInjectionEnv(Env& base) : EnvWrapper(base) {}
FaultInjectionEnv::~FaultInjectionEnv() = default;

void FaultInjectionEnv::fail_nth(int n, std::optional<FileOp> op, int error, bool short_write) {
  if (n < 1) throw InvalidArgument("fail_nth: n must be at least 1, got " + std::to_string(n));
  std::lock_guard lock(mutex_);
  fault_countdown_ = n;
  fault_op_ = op;
  fault_error_ = error;
  fault_short_write_ = short_write;
  fault_fired_ = false;
}

void FaultInjectionEnv::clear_fault() {
  std::lock_guard lock(mutex_);
  fault_countdown_ = 0;
}

bool FaultInjectionEnv::fault_fired() const {
  std::lock_guard lock(mutex_);
  return fault_fired_;
}

int FaultInjectionEnv::operation_count() const {
  std::lock_guard lock(mutex_);
  return operation_count_;
}

std::optional<int> FaultInjectionEnv::next_fault(FileOp op, const std::string& path) {
  ++operation_count_;
  if (fault_countdown_ == 0 || (fault_op_ && *fault_op_ != op)) return std::nullopt;
  if (--fault_countdown_ > 0) return std::nullopt;
  fault_fired_ = true;
  if (op == FileOp::Append && fault_short_write_) return fault_error_;
  throw_injected(op, path, fault_error_);
}

std::optional<std::string> FaultInjectionEnv::durable_content(const std::string& path) {
  if (!target().file_exists(path)) return std::nullopt;
  std::string content = target().read_file(path);
  auto it = files_.find(path);
  if (it != files_.end() && content.size() > it->second->synced_size) content.resize(it->second->synced_size);
  return content;
}

void FaultInjectionEnv::restore(const std::string& path, const std::string& content) {
  auto file = target().new_writable_file(path);
  file->append(content);
  file->sync();
  file->close();
}

std::unique_ptr<WritableFile> FaultInjectionEnv::new_writable_file(const std::string& path) {
  std::lock_guard lock(mutex_);
  next_fault(FileOp::Create, path);
  PendingChange change{FileOp::Create, path, "", durable_content(path), nullptr, {directory_of(path)}};
  auto base = target().new_writable_file(path);
  auto state = std::make_shared<FileState>();
  state->open = base.get();
  if (auto it = files_.find(path); it != files_.end()) change.previous_state = it->second;
  files_[path] = state;
  pending_.push_back(std::move(change));
  return std::make_unique<FaultWritableFile>(*this, std::move(base), std::move(state));
}

void FaultInjectionEnv::rename_file(const std::string& from, const std::string& to) {
  std::lock_guard lock(mutex_);
  next_fault(FileOp::Rename, to);
  PendingChange change{FileOp::Rename, to, from, durable_content(to), nullptr, {directory_of(to)}};
  if (directory_of(from) != directory_of(to)) change.dirs.push_back(directory_of(from));
  target().rename_file(from, to);
  if (auto it = files_.find(to); it != files_.end()) {
    change.previous_state = it->second;
    files_.erase(it);
  }
  if (auto it = files_.find(from); it != files_.end()) {
    files_[to] = it->second;
    files_.erase(from);
  }
  pending_.push_back(std::move(change));
}

void FaultInjectionEnv::remove_file(const std::string& path) {
  std::lock_guard lock(mutex_);
  next_fault(FileOp::Remove, path);
  PendingChange change{FileOp::Remove, path, "", durable_content(path), nullptr, {directory_of(path)}};
  target().remove_file(path);
  if (auto it = files_.find(path); it != files_.end()) {
    change.previous_state = it->second;
    files_.erase(it);
  }
  pending_.push_back(std::move(change));
}

void FaultInjectionEnv::remove_dir(const std::string& dir) {
  std::lock_guard lock(mutex_);
  next_fault(FileOp::Remove, dir);
  target().remove_dir(dir);
}

void FaultInjectionEnv::create_dirs(const std::string& dir) {
  std::lock_guard lock(mutex_);
  next_fault(FileOp::CreateDirs, dir);
  target().create_dirs(dir);
}

void FaultInjectionEnv::sync_dir(const std::string& dir) {
  std::lock_guard lock(mutex_);
  next_fault(FileOp::SyncDir, dir);
  target().sync_dir(dir);
  std::string synced = dir;
  while (synced.size() > 1 && synced.back() == '/') synced.pop_back();
  for (auto& change : pending_) std::erase(change.dirs, synced);
  std::erase_if(pending_, [](const PendingChange& change) { return change.dirs.empty(); });
}

void FaultInjectionEnv::drop_unsynced_data() {
  std::lock_guard lock(mutex_);
  for (auto& [path, state] : files_) {
    if (state->open != nullptr) {
      try {
        state->open->close();
      } catch (const IOError&) {  // the crash happens anyway
      }
      state->open = nullptr;
    }
    state->crashed = true;
  }
  // Open files that were already renamed away or removed still need closing.
  for (auto& change : pending_) {
    if (change.previous_state && change.previous_state->open != nullptr) {
      try {
        change.previous_state->open->close();
      } catch (const IOError&) {
      }
      change.previous_state->open = nullptr;
      change.previous_state->crashed = true;
    }
  }
  for (auto& [path, state] : files_) {
    if (target().file_exists(path) && target().file_size(path) > state->synced_size) {
      std::string content = target().read_file(path);
      content.resize(state->synced_size);
      restore(path, content);
    }
  }
  for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
    switch (it->op) {
      case FileOp::Create:
        if (target().file_exists(it->path)) target().remove_file(it->path);
        break;
      case FileOp::Rename:
        target().rename_file(it->path, it->from);
        break;
      default:  // Remove: the previous content is restored below
        break;
    }
    if (it->previous) restore(it->path, *it->previous);
  }
  pending_.clear();
  files_.clear();
}

}  // namespace cairn
