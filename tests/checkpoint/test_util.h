// Helpers shared by the checkpoint tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/env.h"
#include "cairn/error.h"
#include "temp_dir.h"

namespace cairn::testing {

inline void write_bytes(const std::string& path, std::string_view bytes) {
  auto file = Env::Default().new_writable_file(path);
  file->append(bytes);
  file->close();
}

inline std::string read_bytes(const std::string& path) { return Env::Default().read_file(path); }

// The POSIX Env without fsync, for tests that run hundreds of saves under a FaultInjectionEnv (which
// models durability itself): real fsyncs would make them take as long as the disk pleases.
class NoSyncEnv : public Env {
 public:
  class File : public WritableFile {
   public:
    explicit File(std::unique_ptr<WritableFile> base) : base_(std::move(base)) {}
    void append(std::string_view data) override { base_->append(data); }
    void sync() override {}
    void close() override { base_->close(); }
    const std::string& path() const override { return base_->path(); }

   private:
    std::unique_ptr<WritableFile> base_;
  };

  std::unique_ptr<WritableFile> new_writable_file(const std::string& path) override {
    return std::make_unique<File>(base_.new_writable_file(path));
  }
  std::unique_ptr<RandomAccessFile> new_random_access_file(const std::string& path) override {
    return base_.new_random_access_file(path);
  }
  uint64_t file_size(const std::string& path) override { return base_.file_size(path); }
  bool file_exists(const std::string& path) override { return base_.file_exists(path); }
  void rename_file(const std::string& from, const std::string& to) override { base_.rename_file(from, to); }
  void remove_file(const std::string& path) override { base_.remove_file(path); }
  std::vector<std::string> list_dir(const std::string& dir) override { return base_.list_dir(dir); }
  void create_dirs(const std::string& dir) override { base_.create_dirs(dir); }
  void sync_dir(const std::string& dir) override {}

 private:
  Env& base_ = Env::Default();
};

}  // namespace cairn::testing
