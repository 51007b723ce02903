// Ways to hand a fuzz input to parsers that read files: a read-only Env over files held in memory, and
// a real temporary file for the parsers that take only a path.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/env.h"
#include "cairn/error.h"
#include "io/memory_file.h"

namespace cairn::fuzz {

// Files in memory; every operation that would change them throws IOError, as a read-only disk would.
class MemoryEnv : public Env {
 public:
  void add_file(const std::string& path, std::string_view bytes) { files_[path] = std::string(bytes); }

  std::unique_ptr<WritableFile> new_writable_file(const std::string& path) override { refuse(path); }
  std::unique_ptr<RandomAccessFile> new_random_access_file(const std::string& path) override {
    return std::make_unique<MemoryFile>(find(path), path);
  }
  uint64_t file_size(const std::string& path) override { return find(path).size(); }
  bool file_exists(const std::string& path) override { return files_.contains(path); }
  bool is_directory(const std::string& path) override {
    auto next = files_.upper_bound(path + "/");
    return next != files_.end() && next->first.starts_with(path + "/");
  }
  void rename_file(const std::string& from, const std::string& to) override { refuse(to); }
  void remove_file(const std::string& path) override { refuse(path); }
  std::vector<std::string> list_dir(const std::string& dir) override {
    std::vector<std::string> names;
    const std::string prefix = dir + "/";
    for (const auto& [path, bytes] : files_) {
      if (!path.starts_with(prefix)) continue;
      std::string name = path.substr(prefix.size(), path.find('/', prefix.size()) - prefix.size());
      if (names.empty() || names.back() != name) names.push_back(name);
    }
    return names;
  }
  void create_dirs(const std::string& dir) override { refuse(dir); }
  void sync_dir(const std::string& dir) override { refuse(dir); }

 private:
  const std::string& find(const std::string& path) const {
    auto it = files_.find(path);
    if (it == files_.end()) throw IOError(path + ": no such file in the fuzzer's MemoryEnv");
    return it->second;
  }
  [[noreturn]] static void refuse(const std::string& path) {
    throw IOError(path + ": the fuzzer's MemoryEnv is read-only");
  }

  std::map<std::string, std::string> files_;
};

// The input written to this process's temporary file for `suffix` (its name ends in suffix), whose path
// is returned. The file is rewritten for every input; the process's files are removed when it exits.
inline std::string write_input_file(const uint8_t* data, size_t size, const std::string& suffix) {
  struct RemovedAtExit {
    std::set<std::string> paths;
    ~RemovedAtExit() {
      for (const std::string& path : paths) std::remove(path.c_str());
    }
  };
  static RemovedAtExit files;
  // In memory when the system has a tmpfs at /dev/shm: on a disk the file is most of the time an input
  // takes (40 times slower than the parsing).
  static const std::filesystem::path dir =
      std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
  const std::string path = (dir / ("cairn_fuzz_" + std::to_string(::getpid()) + suffix)).string();
  files.paths.insert(path);
  std::FILE* out = std::fopen(path.c_str(), "wb");
  if (out == nullptr || std::fwrite(data, 1, size, out) != size || std::fclose(out) != 0) {
    std::perror(path.c_str());
    std::abort();  // the harness itself cannot run: no input is to blame, so stop loudly
  }
  return path;
}

// The bytes as text, for parsers that take a string.
inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace cairn::fuzz
