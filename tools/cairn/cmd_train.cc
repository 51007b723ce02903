// cairn train --model M --data D: trains a model in a run directory that keeps every epoch's weights and
// backs the run up as it goes, so that the same command run again after an interruption continues it
// exactly where the last backup left it.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cairn/callbacks.h"
#include "cairn/config.h"
#include "cairn/env.h"
#include "cairn/error.h"
#include "cairn/random.h"
#include "cairn/saving_callbacks.h"
#include "cairn/tensor_bundle.h"
#include "command.h"
#include "seed_models.h"
#include "workflow.h"

namespace cairn::cli {
namespace {

// The exit status of --stop-after-batches: EX_TEMPFAIL, "try again", which is what resuming does.
constexpr int kInterruptedExit = 75;
constexpr int64_t kDefaultBackupEvery = 100;

std::string seed_model_list() {
  std::string list;
  for (const std::string& name : seed_model_names()) list += (list.empty() ? "" : ", ") + name;
  return list;
}

// An option value the library refuses (an unknown optimizer, loss or metric) is a usage error.
template <class F>
auto as_usage_error(const std::string& option, F make) {
  try {
    return make();
  } catch (const Error& e) {
    throw UsageError("--" + option + ": " + e.what());
  }
}

SeedModel model_from_option(const std::string& model) {
  if (std::optional<SeedModel> seed = make_seed_model(model)) return std::move(*seed);
  Env& env = Env::Default();
  if (!env.file_exists(model) || env.is_directory(model))
    throw IOError(model + ": no such model file (a Keras JSON config), and not a built-in model (" +
                  seed_model_list() + ")");
  std::shared_ptr<Model> parsed;
  try {
    parsed = model_from_json(env.read_file(model));
  } catch (const FormatError& e) {
    throw FormatError(model + ": " + e.what());
  }
  return {.model = parsed, .compile = {.optimizer = "adam", .loss = "sparse_categorical_crossentropy"}};
}

CompileOptions compile_options(const Args& args, CompileOptions options) {
  if (std::optional<std::string> name = args.value("optimizer"))
    options.optimizer = as_usage_error("optimizer", [&] { return get_optimizer(*name); });
  if (std::optional<double> rate = number_option(args, "learning-rate")) {
    if (!options.optimizer.object) options.optimizer.object = get_optimizer(options.optimizer.name);
    as_usage_error("learning-rate", [&] {
      options.optimizer.object->set_learning_rate(*rate);
      return 0;
    });
  }
  if (std::optional<std::string> loss = args.value("loss"))
    options.loss = as_usage_error("loss", [&] { return loss_option(*loss); });
  else if (!options.loss.object)
    options.loss = loss_option(options.loss.name);
  if (std::optional<std::string> metrics = args.value("metrics"))
    options.metrics = comma_list(*metrics);
  else if (options.loss.object->name().find("crossentropy") != std::string::npos)
    options.metrics = {"accuracy"};
  return options;
}

// The first run writes the file; a resumed run must describe the same model and training, or it would
// continue someone else's run with other settings.
void write_or_check(Env& env, const std::string& path, const std::string& text) {
  if (!env.file_exists(path)) {
    write_file_atomically(env, path, text);
    return;
  }
  if (env.read_file(path) != text)
    throw InvalidArgument(
        path + " was written for a different model or training setup than this command's. A run " +
        "directory holds one run: resume it with the command that started it, or give another " +
        "--checkpoint-dir");
}

// "loss 0.3031, accuracy 0.8650": the loss first, as Keras prints it.
std::string format_logs(const Logs& logs) {
  std::string text;
  if (auto loss = logs.find("loss"); loss != logs.end()) text = "loss " + format_log_value(loss->second);
  for (const auto& [name, value] : logs)
    if (name != "loss") text += (text.empty() ? "" : ", ") + name + " " + format_log_value(value);
  return text;
}

int run_train(const Args& args) {
  Env& env = Env::Default();
  std::optional<std::string> model_option = args.value("model");
  if (!model_option)
    throw UsageError("--model is required: a Keras JSON config file or one of " + seed_model_list());
  const int epochs = static_cast<int>(int_option(args, "epochs", 1, 1, 1 << 30));
  const int verbose = static_cast<int>(int_option(args, "verbose", 1, 0, 2));
  const uint64_t seed = static_cast<uint64_t>(int_option(args, "seed", 0, 0));
  const int64_t backup_every = int_option(args, "backup-every", kDefaultBackupEvery, 1);
  const int64_t stop_after = int_option(args, "stop-after-batches", 0, 1);
  const double validation_split = number_option(args, "validation-split").value_or(0.0);
  if (validation_split < 0 || validation_split >= 1)
    throw UsageError("--validation-split must be in [0, 1), not " + *args.value("validation-split"));
  const std::string dir = args.value("checkpoint-dir").value_or("cairn_run");
  const std::string final_weights = join_path(dir, kFinalWeights);

  if (bundle_exists(env, final_weights)) {
    std::cout
        << dir << " holds a finished run (" << final_weights
        << "): nothing to train. Remove the directory, or give another --checkpoint-dir, to train again.\n";
    return 0;
  }

  // Everything random (initial weights, dropout, the shuffling) follows from the seed; a resumed run
  // draws the same initial weights and then replaces them, and the rest, from its backup.
  set_random_seed(seed);
  SeedModel made = model_from_option(*model_option);
  std::shared_ptr<Model> model = made.model;
  LabeledData data = load_labeled_data(args, Split::Train);
  Tensor x = prepare_inputs(data.x, *model);
  Tensor y = prepare_labels(data.y);
  if (!model->built() && x.rank() >= 1) {  // a config without an input shape: the data gives it
    Shape input = x.shape();
    input[0] = -1;
    model->build(input);
  }
  CompileOptions compile = compile_options(args, made.compile);
  as_usage_error("metrics", [&] {  // the optimizer and loss are made: only a metric name can fail here
    model->compile(compile);
    return 0;
  });
  const int64_t batch_size = int_option(args, "batch-size", made.batch_size, 1);

  env.create_dirs(dir);
  // One run per directory at a time: a second `cairn train` on it would interleave its epochs and
  // backups with this one's. The lock goes when the process does, however it ends.
  std::unique_ptr<FileLock> run_lock = lock_directory(env, dir);
  write_or_check(env, join_path(dir, kModelFile), model_to_json(*model, 2) + "\n");
  write_or_check(env, join_path(dir, kTrainingConfigFile), training_config(*model).dump(2) + "\n");

  const std::string monitor = args.value("monitor").value_or(validation_split > 0 ? "val_loss" : "loss");
  std::vector<CallbackPtr> callbacks;
  callbacks.push_back(std::make_shared<ModelCheckpoint>(
      join_path(dir, kEpochCheckpoints), ModelCheckpointOptions{.monitor = monitor,
                                                                .verbose = verbose > 0 ? 1 : 0,
                                                                .save_best_only = args.flag("save-best-only"),
                                                                .save_weights_only = true}));
  if (args.value("early-stopping-patience"))
    callbacks.push_back(std::make_shared<EarlyStopping>(EarlyStoppingOptions{
        .monitor = monitor,
        .patience = static_cast<int>(int_option(args, "early-stopping-patience", 0, 0, 1 << 30)),
        .verbose = verbose > 0 ? 1 : 0}));
  // The backup is removed only once the final weights are written (below): a run interrupted between
  // the end of fit and that write still resumes instead of starting over.
  auto backup = std::make_shared<BackupAndRestore>(
      join_path(dir, kBackupDir),
      BackupAndRestoreOptions{.save_freq = backup_every, .delete_checkpoint = false});
  callbacks.push_back(backup);

  auto progress = std::make_shared<LambdaCallback>();
  progress->on_train_begin_fn = [&](const Logs&) {  // runs after the backup's restore
    if (backup->restored_from())
      std::cout << "resuming from " << *backup->restored_from() << " (epoch " << model->position().epoch + 1
                << ", after batch " << model->position().step << ")\n";
  };
  int64_t batches = 0;
  progress->on_batch_end_fn = [&](int64_t, const Logs&) {
    if (stop_after == 0 || ++batches < stop_after) return;
    std::cout << "stopping after " << batches << " batches (--stop-after-batches)\n";
    std::cout.flush();
    std::_Exit(kInterruptedExit);  // as abruptly as a kill: no callback gets to save anything more
  };
  callbacks.push_back(progress);

  History history = model->fit(x, y,
                               {.batch_size = batch_size,
                                .epochs = epochs,
                                .verbose = verbose,
                                .callbacks = callbacks,
                                .validation_split = validation_split,
                                .seed = seed});

  model->save_weights(final_weights);
  std::filesystem::remove_all(join_path(dir, kBackupDir));
  // Removed while held, so that no other writer can be holding it (see Env::lock_file).
  env.remove_file(run_lock->path());
  env.sync_dir(dir);
  run_lock.reset();

  Logs last;
  for (const auto& [name, values] : history.history)
    if (!values.empty()) last[name] = values.back();
  std::cout << "trained to epoch " << (history.epoch.empty() ? epochs : history.epoch.back() + 1);
  if (!last.empty()) std::cout << ": " << format_logs(last);
  std::cout << "\nfinal weights: " << final_weights << "\n";
  return 0;
}

std::vector<OptionSpec> train_options() {
  std::vector<OptionSpec> options = {
      {"model", "MODEL",
       "a Keras JSON model config (model.to_json()), or a built-in model:\n" + seed_model_list()},
  };
  for (OptionSpec& option : labeled_data_options()) options.push_back(std::move(option));
  std::vector<OptionSpec> rest = {
      {"epochs", "N", "epochs to train (default 1)"},
      {"batch-size", "N", "samples per batch (default: the built-in model's, else 32)"},
      {"validation-split", "F", "the fraction of the data, taken from its end, held out for validation"},
      {"optimizer", "NAME", "adam, sgd, rmsprop or adagrad (default: the built-in model's, else adam)"},
      {"learning-rate", "F", "the optimizer's learning rate"},
      {"loss", "LOSS",
       "a Keras loss name or JSON config (default: the built-in model's, else\n"
       "sparse_categorical_crossentropy)"},
      {"metrics", "LIST", "comma-separated metric names (default: accuracy for cross-entropy losses)"},
      {"seed", "N", "the seed of the initial weights, dropout and shuffling (default 0)"},
      {"verbose", "N",
       "0 silent, 1 progress bar (one line per epoch when not a terminal), 2 one line per\n"
       "epoch (default 1)"},
      {"checkpoint-dir", "DIR", "the run directory (default cairn_run)"},
      {"save-best-only", "", "keep an epoch's checkpoint only when --monitor improved"},
      {"monitor", "NAME",
       "the value --save-best-only and early stopping watch (default val_loss with\n"
       "--validation-split, else loss)"},
      {"early-stopping-patience", "N", "stop when --monitor has not improved for N epochs"},
      {"backup-every", "N", "back the run up every N batches (default 100)"},
      {"stop-after-batches", "N",
       "exit with status 75 after N batches, as if killed (for testing resumption)"},
  };
  for (OptionSpec& option : rest) options.push_back(std::move(option));
  return options;
}

const RegisterCommand kRegistration({
    .name = "train",
    .summary = "train a model, resuming an interrupted run where it stopped",
    .description =
        "Trains MODEL on the data and keeps the run in --checkpoint-dir DIR:\n"
        "  DIR/model.json            the architecture (model.to_json())\n"
        "  DIR/training_config.json  loss, metrics and optimizer, as Keras's training_config\n"
        "  DIR/cp-0001.ckpt ...      the weights after each epoch (ModelCheckpoint)\n"
        "  DIR/backup/               the last two backups (BackupAndRestore), removed at the end\n"
        "  DIR/final                 the final weights, written when training ends\n"
        "Run the same command again after an interruption (a kill, a crash, a power cut) and it continues\n"
        "from the last backup; its final weights are bit-identical to those of an uninterrupted run. A\n"
        "directory whose run has finished is not trained again. `cairn evaluate DIR` and `cairn predict "
        "DIR`\n"
        "use the run. While a run trains, DIR is locked (DIR/.cairn.lock holds its pid): a second\n"
        "`cairn train` on DIR is refused. Data: --data NAME, or --x and --y files (uint8 inputs, such as\n"
        "IDX images, are scaled to [0, 1]; inputs are reshaped to the model's input shape when only the\n"
        "layout differs).",
    .options = train_options(),
    .run = run_train,
});

}  // namespace
}  // namespace cairn::cli
