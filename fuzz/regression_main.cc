// fuzz_regressions DIR: runs every file of DIR/<target>/ through the fuzz target of that name, in the
// normal build (no libFuzzer), so that every crash the fuzzers once found stays fixed. Fails naming the
// file when a target lets anything other than a cairn::Error escape, and for a directory that names no
// target.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

#include "fuzz_target.h"

namespace cairn::fuzz {

std::map<std::string, TargetFunction>& registered_targets() {
  static std::map<std::string, TargetFunction> targets;
  return targets;
}

bool register_target(const char* name, TargetFunction function) {
  registered_targets()[name] = function;
  return true;
}

}  // namespace cairn::fuzz

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_regressions DIR  (runs DIR/<target>/* through each fuzz target)\n";
    return 2;
  }
  int files_run = 0;
  std::vector<fs::path> target_dirs;
  for (const fs::directory_entry& entry : fs::directory_iterator(argv[1]))
    if (entry.is_directory()) target_dirs.push_back(entry.path());
  std::sort(target_dirs.begin(), target_dirs.end());
  for (const fs::path& dir : target_dirs) {
    auto target = cairn::fuzz::registered_targets().find(dir.filename().string());
    if (target == cairn::fuzz::registered_targets().end()) {
      std::cerr << dir << ": no fuzz target of that name\n";
      return 1;
    }
    std::vector<fs::path> files;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir))
      if (entry.is_regular_file()) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      std::cout << target->first << ": " << file.string() << std::endl;  // names the culprit if it crashes
      std::ifstream in(file, std::ios::binary);
      const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      try {
        target->second(bytes.data(), bytes.size());
      } catch (const std::exception& error) {
        std::cerr << file.string() << ": escaped the " << target->first << " target: " << error.what() << "\n";
        return 1;
      }
      ++files_run;
    }
  }
  std::cout << files_run << " reproducers passed\n";
  return 0;
}
