// Damaged and hostile files through the CLI, as a careless user or an attacker would hand them over.
//
// Valid files of every kind cairn reads are made first (a trained run, its conversions to safetensors,
// .npz, .npy, .h5 and .keras, an event log); then each is damaged in the ways that reach different parts
// of a parser (truncations, flipped bytes, length fields set to 2^64-1, a zeroed header) and handed to
// the commands that read it. Every run must end by itself within the time limit, without a signal,
// under 1 GB of resident memory, and either succeed or fail with a short message that names the file.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cairn/npy.h"
#include "cairn/summary.h"
#include "cairn/tensor.h"
#include "cli_runner.h"

extern char** environ;

namespace cairn::testing {
namespace {

constexpr long kMaxResidentKb = 1024 * 1024;
constexpr size_t kMaxStderrBytes = 4096;
constexpr auto kTimeLimit = std::chrono::seconds(30);

struct Outcome {
  bool timed_out = false;
  int signal = 0;    // the signal that ended the process, 0 when it exited
  int status = -1;   // its exit status when it exited
  long max_rss_kb = 0;
  std::string err;
};

// Runs `cairn ARGS...` with stdout discarded and stderr in a file, killing it after kTimeLimit, and
// reports how it ended and its peak resident memory (from wait4's rusage).
Outcome run_measured(const std::vector<std::string>& args, const std::string& stderr_path) {
  std::vector<std::string> words{CAIRN_CLI};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  Outcome outcome;
  if (spawned != 0) {
    ADD_FAILURE() << "cannot start " << CAIRN_CLI;
    return outcome;
  }
  const auto deadline = std::chrono::steady_clock::now() + kTimeLimit;
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, WNOHANG, &usage) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      outcome.timed_out = true;
      kill(pid, SIGKILL);
      wait4(pid, &status, 0, &usage);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  if (WIFEXITED(status)) outcome.status = WEXITSTATUS(status);
  outcome.max_rss_kb = usage.ru_maxrss;
  outcome.err = read_text(stderr_path);
  return outcome;
}

std::string read_bytes(const std::string& path) { return read_text(path); }

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The damaged versions of a file's bytes, each with a name that says what was done.
std::vector<std::pair<std::string, std::string>> damaged_versions(const std::string& bytes, uint32_t seed) {
  std::vector<std::pair<std::string, std::string>> versions;
  const size_t size = bytes.size();
  for (size_t cut : {size_t{0}, size_t{1}, size_t{8}, size / 4, size / 2, size - size / 8, size - 1}) {
    if (cut < size) versions.emplace_back("truncated to " + std::to_string(cut), bytes.substr(0, cut));
  }
  std::mt19937 random(seed);
  for (int i = 0; i < 24 && size > 0; ++i) {
    std::string flipped = bytes;
    const size_t at = random() % size;
    flipped[at] = static_cast<char>(flipped[at] ^ (1u << (random() % 8)));
    versions.emplace_back("bit flipped at " + std::to_string(at), flipped);
  }
  // Length, count and offset fields in headers and footers set to 2^64-1 (and, where a varint ends, to
  // a varint that never ends).
  std::vector<size_t> positions;
  for (size_t at = 0; at < 32; at += 4) positions.push_back(at);
  for (size_t back = 8; back <= 48 && back <= size; back += 4) positions.push_back(size - back);
  for (size_t at : positions) {
    if (at + 8 > size) continue;
    std::string huge = bytes;
    huge.replace(at, 8, std::string(8, '\xff'));
    versions.emplace_back("8 bytes of 0xff at " + std::to_string(at), huge);
  }
  if (size >= 64) {
    std::string zeroed = bytes;
    zeroed.replace(0, 64, std::string(64, '\0'));
    versions.emplace_back("first 64 bytes zeroed", zeroed);
  }
  if (!bytes.empty() && bytes.front() == '{') {
    // A JSON config: every integer replaced with a hostile number, and nesting far deeper than any model.
    for (const std::string number : {"4611686018427387904", "2147483648", "-7", "0", "1e308", "56e7373"}) {
      std::string replaced;
      for (size_t i = 0; i < size; ++i) {
        const bool starts_number = std::isdigit(static_cast<unsigned char>(bytes[i])) &&
                                   (i == 0 || bytes[i - 1] == ' ' || bytes[i - 1] == ':' || bytes[i - 1] == '[');
        if (!starts_number) {
          replaced += bytes[i];
          continue;
        }
        size_t end = i;
        while (end < size && (std::isdigit(static_cast<unsigned char>(bytes[end])) || bytes[end] == '.')) ++end;
        replaced += number;
        i = end - 1;
      }
      versions.emplace_back("numbers replaced with " + number, replaced);
    }
    versions.emplace_back("nested 100000 deep", std::string(100000, '[') + std::string(100000, ']'));
  }
  return versions;
}

class DamagedFilesCliTest : public CliFixture {
 protected:
  void SetUp() override {
    const CliResult trained = cairn({"train", "--model", "iris_dnn", "--data", "iris", "--epochs", "1",
                                     "--verbose", "0", "--checkpoint-dir", path("run")});
    ASSERT_EQ(trained.status, 0) << trained.err;
    for (const char* name : {"w.safetensors", "w.npz", "w.h5", "w.keras"}) {
      const CliResult converted = cairn({"convert", path("run"), path(name)});
      ASSERT_EQ(converted.status, 0) << converted.err;
    }
    Tensor inputs(Shape{7, 4});
    for (size_t i = 0; i < inputs.span<float>().size(); ++i) inputs.span<float>()[i] = 0.25f * static_cast<float>(i % 9);
    save_npy(path("x.npy"), inputs);
    const CliResult predicted = cairn({"predict", path("run"), "--input", path("x.npy"), "--output", path("p.npy")});
    ASSERT_EQ(predicted.status, 0) << predicted.err;
    EventFileWriter writer(path("logs/train"));
    for (int step = 0; step < 20; ++step) writer.add_scalar("loss", 1.0 / (step + 1), step);
    writer.close();
  }

  // Damages `file` in every way, restoring it afterwards, and runs each command (a list of arguments in
  // which "{}" stands for `argument`) on each damaged version.
  void check_damaged(const std::string& file, const std::string& argument,
                     const std::vector<std::vector<std::string>>& commands, uint32_t seed) {
    const std::string original = read_bytes(file);
    ASSERT_FALSE(original.empty()) << file;
    const std::string named = std::filesystem::path(argument).filename().string();
    for (const auto& [what, bytes] : damaged_versions(original, seed)) {
      write_bytes(file, bytes);
      for (std::vector<std::string> command : commands) {
        for (std::string& word : command) {
          if (word == "{}") word = argument;
        }
        std::filesystem::remove_all(path("out"));
        std::filesystem::create_directories(path("out"));
        const Outcome outcome = run_measured(command, path("stderr.txt"));
        const std::string context = "cairn " + command[0] + " on " + file + " " + what;
        EXPECT_FALSE(outcome.timed_out) << context << ": still running after the time limit";
        EXPECT_EQ(outcome.signal, 0) << context << ": killed by signal " << outcome.signal;
        EXPECT_LT(outcome.max_rss_kb, kMaxResidentKb) << context;
        EXPECT_LE(outcome.err.size(), kMaxStderrBytes) << context << ": " << outcome.err.substr(0, 300);
        if (outcome.status != 0) {
          EXPECT_TRUE(contains(outcome.err, named)) << context << ": the error does not name " << named
                                                    << ":\n" << outcome.err.substr(0, 500);
        }
      }
    }
    write_bytes(file, original);
  }
};

TEST_F(DamagedFilesCliTest, CheckpointIndexAndData) {
  const std::vector<std::vector<std::string>> commands{
      {"inspect", "{}"}, {"verify", "{}"}, {"convert", "{}", path("out/w.safetensors")}};
  check_damaged(path("run/final.index"), path("run/final"), commands, 1);
  check_damaged(path("run/final.data-00000-of-00001"), path("run/final"), commands, 2);
}

TEST_F(DamagedFilesCliTest, CheckpointStateFile) {
  check_damaged(path("run/checkpoint"), path("run"), {{"inspect", "{}"}, {"verify", "{}"}}, 3);
}

TEST_F(DamagedFilesCliTest, ArrayFiles) {
  const auto commands = [&](const std::string& out) {
    return std::vector<std::vector<std::string>>{{"inspect", "{}"}, {"verify", "{}"}, {"convert", "{}", path(out)}};
  };
  check_damaged(path("w.safetensors"), path("w.safetensors"), commands("out/c.npz"), 4);
  check_damaged(path("w.npz"), path("w.npz"), commands("out/c.safetensors"), 5);
  check_damaged(path("p.npy"), path("p.npy"), commands("out/c.safetensors"), 6);
}

TEST_F(DamagedFilesCliTest, KerasFiles) {
  check_damaged(path("w.h5"), path("w.h5"), {{"convert", "{}", path("out/c.npz")}}, 7);
  check_damaged(path("w.keras"), path("w.keras"), {{"convert", "{}", path("out/c.npz")}}, 8);
}

TEST_F(DamagedFilesCliTest, ModelConfig) {
  check_damaged(path("run/model.json"), path("run/model.json"),
                {{"convert", path("run/final"), path("out/m.keras"), "--model", "{}"},
                 {"train", "--model", "{}", "--data", "iris", "--epochs", "1", "--verbose", "0", "--checkpoint-dir",
                  path("out/run")}},
                9);
}

TEST_F(DamagedFilesCliTest, EventFile) {
  std::string event_file;
  for (const auto& entry : std::filesystem::directory_iterator(path("logs/train"))) event_file = entry.path();
  ASSERT_FALSE(event_file.empty());
  check_damaged(event_file, path("logs"), {{"events", "{}"}}, 10);
}

}  // namespace
}  // namespace cairn::testing
