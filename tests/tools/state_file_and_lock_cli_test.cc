// The `checkpoint` state file as every command reads it (one parser, the library's, with its limits),
// and the lock that keeps two `cairn train` processes out of one run directory.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "cairn/checkpoint.h"
#include "cairn/env.h"
#include "cairn/error.h"
#include "cairn/variable.h"
#include "tools/cli_runner.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing::CliResult;
using testing::contains;
using testing::read_text;

class StateFileCli : public testing::CliFixture {
 protected:
  // run/ckpt-1 and the state file that names it, as Checkpoint::save writes them.
  void SetUp() override {
    auto w = std::make_shared<Variable>("w", Tensor({2, 2}), true);
    Checkpoint checkpoint({{"w", w}});
    checkpoint.save(path("run/ckpt"));
  }
  void write_state(const std::string& text) const { std::ofstream(path("run/checkpoint"), std::ios::binary) << text; }
  // The commands that take a checkpoint directory.
  std::vector<std::vector<std::string>> commands() const {
    return {{"inspect", path("run")}, {"verify", path("run")}, {"convert", path("run"), path("out.safetensors")}};
  }
};

TEST_F(StateFileCli, EveryCommandRefusesWhatTheLibraryRefuses) {
  ASSERT_EQ(cairn({"inspect", path("run")}).status, 0) << "the intact state file reads";
  const std::string valid = "model_checkpoint_path: \"ckpt-1\"\n";
  // Cut short mid-line (after a complete first line, which a line-by-line reader took), or holding an
  // unterminated string or an unknown field.
  for (const std::string& text :
       {valid + "all_model_checkpoint_paths: \"ckp", valid + "all_model_checkpoint_pa", valid + "all_model_checkpoint_paths: \"ckpt-1\"\nlast_preserved_timestamp: 1.5e",
        std::string("model_checkpoint_path: \"ckpt-1"), valid + "model_checkpoint_dir: \"x\"\n"}) {
    write_state(text);
    EXPECT_THROW(read_checkpoint_state(Env::Default(), path("run")), FormatError) << text;
    for (const auto& command : commands()) {
      const CliResult run = cairn(command);
      EXPECT_NE(run.status, 0) << command[0] << " accepted:\n" << text;
      EXPECT_TRUE(contains(run.err, path("run/checkpoint"))) << run.err;
      EXPECT_FALSE(fs::exists(path("out.safetensors")));
    }
  }
}

TEST_F(StateFileCli, AHugeStateFileIsRefusedUnreadNamingIt) {
  fs::resize_file(path("run/checkpoint"), 200 << 20);  // sparse: nothing to write, 200 MB to read
  for (const auto& command : commands()) {
    const auto start = std::chrono::steady_clock::now();
    const CliResult run = cairn(command);
    EXPECT_NE(run.status, 0);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    EXPECT_TRUE(contains(run.err, path("run/checkpoint") + " is 209715200 bytes")) << run.err;
    EXPECT_LT(run.err.size(), 1000u) << run.err.substr(0, 1000);
  }
}

TEST_F(StateFileCli, ALongValueIsQuotedShortly) {
  const std::string long_path(1 << 20, 'p');
  for (const std::string& text :
       {"model_checkpoint_path: \"" + long_path + "\"\n", "model_checkpoint_path: " + long_path + "\n",
        long_path + ": \"ckpt-1\"\n"}) {
    write_state(text);
    for (const auto& command : commands()) {
      const CliResult run = cairn(command);
      EXPECT_NE(run.status, 0);
      EXPECT_TRUE(contains(run.err, path("run/checkpoint"))) << run.err.substr(0, 1000);
      EXPECT_LT(run.err.size(), 1000u) << run.err.substr(0, 1000);
    }
  }
}

class TrainLockCli : public testing::CliFixture {
 protected:
  std::vector<std::string> train(std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = {"train", "--model", "moons_mlp", "--data", "moons", "--epochs", "100000",
                                     "--checkpoint-dir", path("run"), "--verbose", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
};

TEST_F(TrainLockCli, ASecondTrainOnARunningRunIsRefusedNamingTheDirectoryAndTheHolder) {
  // The first run trains "forever" in a process of its own.
  std::vector<std::string> args = train();
  std::vector<char*> argv{const_cast<char*>(CAIRN_CLI)};
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t first = fork();
  if (first == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, STDOUT_FILENO);
    execv(CAIRN_CLI, argv.data());
    _exit(127);
  }
  const std::string holder = std::to_string(first);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (read_text(path("run/.cairn.lock")) != holder + "\n" && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(read_text(path("run/.cairn.lock")), holder + "\n") << "the first run should hold the lock";

  const CliResult second = cairn(train());
  EXPECT_NE(second.status, 0);
  EXPECT_TRUE(contains(second.err, path("run"))) << second.err;
  EXPECT_TRUE(contains(second.err, "process " + holder)) << second.err;
  EXPECT_FALSE(contains(second.out, "resuming")) << second.out;

  kill(first, SIGKILL);
  int status = 0;
  waitpid(first, &status, 0);
  // A killed holder leaves its lock file, not its lock: the next run resumes (and stops, as asked).
  const CliResult after = cairn(train({"--stop-after-batches", "1"}));
  EXPECT_EQ(after.status, 75) << after.err;
}

}  // namespace
}  // namespace cairn
