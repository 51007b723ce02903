// What the examples that prove an exact resume share: run the training job of the same program in a child
// process, kill it with SIGKILL once it has written a given backup, run it again to completion (it resumes
// from the backup), and compare its final TensorFlow checkpoint, tensor by tensor, with an uninterrupted
// run's. Also writes the directory that tests/conformance/check_cairn_files.py reads, so that real Keras 3
// judges the example's saved model (tests/conformance/check_examples.sh).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cairn/cairn.h"
#include "cairn/config.h"
#include "cairn/npy.h"
#include "cairn/tensor_bundle.h"

namespace cairn::examples {

// This program again (/proc/self/exe) with `args`; its output hidden when `quiet`.
inline pid_t spawn(const std::vector<std::string>& args, bool quiet) {
  pid_t pid = fork();
  if (pid == 0) {
    if (quiet) dup2(open("/dev/null", O_WRONLY), STDOUT_FILENO);
    std::vector<char*> argv{const_cast<char*>("example")};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  return pid;
}

// The exit code, or minus the signal that ended it.
inline int wait_for(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

// Runs `job`, kills it with SIGKILL as soon as `marker` (a backup's index file) exists, then runs `job`
// again to its end. False, with a message, when the first run ends before the marker or the second fails.
inline bool kill_then_resume(const std::vector<std::string>& job, const std::string& marker) {
  std::fflush(stdout);
  const pid_t child = spawn(job, false);
  while (!std::filesystem::exists(marker)) {
    if (waitpid(child, nullptr, WNOHANG) == child) {
      std::fprintf(stderr, "the training process ended before %s existed\n", marker.c_str());
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(child, SIGKILL);
  wait_for(child);
  std::printf("\n== Killed with SIGKILL after %s was written; the same command again resumes from it:\n",
              std::filesystem::path(marker).filename().c_str());
  std::fflush(stdout);
  return wait_for(spawn(job, false)) == 0;
}

// How many of the reference checkpoint's tensors the other holds with the same bytes, of how many.
inline std::pair<int, int> identical_tensors(const std::string& reference_prefix, const std::string& other_prefix) {
  BundleReader reference(Env::Default(), reference_prefix), other(Env::Default(), other_prefix);
  int identical = 0, total = 0;
  for (const auto& key : reference.keys()) {
    if (key == "_CHECKPOINTABLE_OBJECT_GRAPH") continue;
    ++total;
    identical += other.contains(key) && equal_bytes(other.read(key), reference.read(key));
  }
  return {identical, total};
}

// The command line of the examples that prove an exact resume: a size (--short, the default; --long;
// --tiny, for the tests), --dir DIR for the run's files, --keras-case DIR for check_examples.sh, and
// --train DIR, with which the example runs its own training job in a child process.
struct ExampleArgs {
  std::string size = "--short";
  std::string dir, keras_case, job_dir;
};

// nullopt, after printing the usage, for an argument it does not know.
inline std::optional<ExampleArgs> parse_example_args(int argc, char** argv, const std::string& name) {
  ExampleArgs args{.dir = name + "_run"};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--long" || a == "--tiny" || a == "--short") args.size = a;
    else if (a == "--dir" && i + 1 < argc) args.dir = argv[++i];
    else if (a == "--keras-case" && i + 1 < argc) args.keras_case = argv[++i];
    else if (a == "--train" && i + 1 < argc) args.job_dir = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--short | --long | --tiny] [--dir DIR] [--keras-case DIR]\n", name.c_str());
      return std::nullopt;
    }
  }
  return args;
}

// Runs the training job killed after its second backup and resumed (in DIR/run), then uninterrupted (in
// DIR/reference), and prints how many of the final checkpoint's tensors, `what` they hold, are
// bit-identical. nullopt when a run failed; else whether all are.
inline std::optional<bool> resume_is_exact(const ExampleArgs& args, const char* what) {
  const std::string& dir = args.dir;
  if (!kill_then_resume({args.size, "--train", dir + "/run"}, dir + "/run/backup/backup-2.index")) return std::nullopt;
  std::printf("\n== The same training without interruption (output hidden)\n");
  std::fflush(stdout);
  if (wait_for(spawn({args.size, "--train", dir + "/reference"}, true)) != 0) return std::nullopt;
  const auto [identical, total] = identical_tensors(dir + "/reference/final/weights", dir + "/run/final/weights");
  std::printf("%s of the killed and resumed run: %d of %d tensors bit-identical to the uninterrupted run's%s\n", what,
              identical, total, identical == total ? "" : "  <-- MISMATCH");
  return identical == total && total > 0;
}

// A case directory for check_cairn_files.py: the .keras file, the inputs and what cairn's model loaded from
// that file predicts for them; Keras 3 must load it and predict the same within 1e-5.
inline void write_keras_case(const std::string& dir, const std::string& name, const std::string& keras_file,
                             const Tensor& x) {
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(keras_file, dir + "/model.keras", std::filesystem::copy_options::overwrite_existing);
  std::shared_ptr<Model> loaded = load_model(keras_file);
  save_npz(dir + "/data.npz", {{"x", x}, {"y_pred", loaded->predict(x)}});
  const Json spec = {{"case", name},
                     {"keras", "keras3"},
                     {"data", "data.npz"},
                     {"tolerance", {{"predict", 1e-5}, {"train_step", 1e-5}}},
                     {"files", Json::array({{{"format", "keras"}, {"path", "model.keras"}, {"holds", {"config", "weights"}}}})}};
  std::ofstream(dir + "/case.json") << spec.dump(1) << "\n";
}

}  // namespace cairn::examples
