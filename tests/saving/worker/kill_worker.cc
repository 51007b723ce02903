// The process the kill test kills: trains a small MLP with dropout and shuffling under
// BackupAndRestore (a backup after every batch), then writes the final weights.
//
//   kill_worker BACKUP_DIR FINAL_WEIGHTS_PREFIX [async]
//
// With "async", the backups are asynchronous (BackupAndRestoreOptions::options.enable_async).
//
// On stdout, one line per step the kill test wants to aim at or to tell apart afterwards: "batch" when
// a batch ends (before its backup), "remove NAME" before each file the backups' deletions remove (the
// CheckpointManager's max_to_keep ones, and on_train_end's), "train_end" when training ends, before
// BackupAndRestore deletes the backups. Each line is flushed at once, so that the last line the test
// read before its SIGKILL says what the process was doing.
#include <cstdio>

#include "cairn/cairn.h"

using namespace cairn;

namespace {

void report(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

// The default Env, reporting each removal.
class ReportingEnv : public EnvWrapper {
 public:
  ReportingEnv() : EnvWrapper(Env::Default()) {}
  void remove_file(const std::string& path) override {
    report("remove " + path.substr(path.find_last_of('/') + 1));
    target().remove_file(path);
  }
};

}  // namespace

int main(int argc, char** argv) {
  const bool async = argc == 4 && std::string(argv[3]) == "async";
  if (argc != 3 && !async) {
    std::fprintf(stderr, "usage: kill_worker BACKUP_DIR FINAL_WEIGHTS_PREFIX [async]\n");
    return 2;
  }
  set_random_seed(7);
  LabeledData data = make_moons(240, 0.2, 1);
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{std::make_shared<Dense>(32, DenseOptions{.activation = "relu"}), std::make_shared<Dropout>(0.25),
                            std::make_shared<Dense>(2)},
      Shape{2});
  model->compile({.optimizer = "adam", .loss = std::make_shared<SparseCategoricalCrossentropy>(true), .metrics = {"accuracy"}});
  ReportingEnv env;
  BackupAndRestoreOptions options{.save_freq = int64_t{1}};
  options.options.enable_async = async;
  auto backup = std::make_shared<BackupAndRestore>(argv[1], options, env);
  // Runs before the backup's callbacks (BackupAndRestore runs last).
  auto reporter = std::make_shared<LambdaCallback>();
  reporter->on_batch_end_fn = [](int64_t, const Logs&) { report("batch"); };
  reporter->on_train_end_fn = [](const Logs&) { report("train_end"); };
  model->fit(data.x, data.y, {.batch_size = 12, .epochs = 8, .verbose = 0, .callbacks = {reporter, backup}, .seed = 3});
  model->save_weights(argv[2]);
  report(backup->restored_from() ? "restored " + *backup->restored_from() : "fresh");
  return 0;
}
