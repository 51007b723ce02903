// Runs the built `cairn` binary (CAIRN_CLI) for the tools tests, and the text helpers they share.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "temp_dir.h"

namespace cairn::testing {

// `word` as one argument for /bin/sh, whatever characters it holds.
inline std::string shell_quote(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The whole file, or "" when it cannot be read.
inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> result;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) result.push_back(line);
  return result;
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct CliResult {
  int status = -1;  // the exit status, or -1 when the process did not exit normally
  std::string out, err;
};

// Runs `cairn ARGS...` and captures its exit status, stdout and stderr (which goes through
// `stderr_path`, so that reading one stream cannot block on the other). A nonzero memory_limit_mb caps
// the process's address space, so that a runaway allocation fails at once instead of swapping.
inline CliResult run_cli(const std::vector<std::string>& args, const std::string& stderr_path,
                         size_t memory_limit_mb = 0) {
  std::string command = memory_limit_mb ? "ulimit -v " + std::to_string(memory_limit_mb << 10) + "; " : "";
  command += shell_quote(CAIRN_CLI);
  for (const std::string& arg : args) command.append(" ").append(shell_quote(arg));
  command += " 2>" + shell_quote(stderr_path);
  CliResult run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) run.out.append(buffer, n);
  const int status = pclose(pipe);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.err = read_text(stderr_path);
  return run;
}

// A test that runs `cairn` on files in its own temporary directory.
class CliFixture : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return dir_ / name; }
  CliResult cairn(const std::vector<std::string>& args, size_t memory_limit_mb = 0) const {
    return run_cli(args, path("stderr.txt"), memory_limit_mb);
  }

  TempDir dir_;
};

}  // namespace cairn::testing
