// Helpers shared by the tests of the modules that write files through an Env.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

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
class NoSyncEnv : public EnvWrapper {
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

  NoSyncEnv() : EnvWrapper(Env::Default()) {}
  std::unique_ptr<WritableFile> new_writable_file(const std::string& path) override {
    return std::make_unique<File>(target().new_writable_file(path));
  }
  void sync_dir(const std::string& dir) override {}
};

}  // namespace cairn::testing
