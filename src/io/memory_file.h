// A read-only file over bytes held in memory, for code that reads through RandomAccessFile: the tests'
// and fuzzers' inputs that never touch a disk.
#pragma once

#include <string>

#include "cairn/env.h"

namespace cairn {

class MemoryFile : public RandomAccessFile {
 public:
  MemoryFile(std::string bytes, std::string path) : bytes_(std::move(bytes)), path_(std::move(path)) {}
  size_t read(uint64_t offset, size_t n, char* dst) const override {
    if (offset >= bytes_.size()) return 0;
    return bytes_.copy(dst, n, offset);
  }
  uint64_t size() const override { return bytes_.size(); }
  const std::string& path() const override { return path_; }

 private:
  std::string bytes_, path_;
};

}  // namespace cairn
