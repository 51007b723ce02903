// cairn train --model M --data D: trains a model in a run directory that keeps every epoch's weights and
// backs the run up as it goes, so that the same command run again after an interruption continues it
// exactly where the last backup left it.
#include <signal.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <streambuf>
#include <string>
#include <vector>

#include "cairn/callbacks.h"
#include "cairn/checkpoint.h"
#include "cairn/config.h"
#include "cairn/env.h"
#include "cairn/error.h"
#include "cairn/random.h"
#include "cairn/saving_callbacks.h"
#include "cairn/tensor_bundle.h"
#include "cairn/tensorboard.h"
#include "command.h"
#include "job.h"
#include "report.h"
#include "seed_models.h"
#include "workflow.h"

namespace cairn::cli {
namespace {

// The exit status of --stop-after-batches: EX_TEMPFAIL, "try again", which is what resuming does.
constexpr int kInterruptedExit = 75;
constexpr int64_t kDefaultBackupEvery = 100;
// The exit status after Ctrl-C (SIGINT), as a shell reports a process killed by it: 128 + 2.
constexpr int kInterruptedBySignalExit = 130;

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
  if (std::optional<std::string> metrics = args.value("metrics")) {
    const std::vector<std::string> names = comma_list(*metrics);
    options.metrics.assign(names.begin(), names.end());
  }
  else if (options.loss.object->name().find("crossentropy") != std::string::npos)
    options.metrics = {"accuracy"};
  return options;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t begin = 0; begin < text.size();) {
    size_t end = std::min(text.find('\n', begin), text.size());
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

std::string trimmed(const std::string& line) {
  const size_t first = line.find_first_not_of(' ');
  return first == std::string::npos ? "" : line.substr(first);
}

// The first line where two texts differ, quoted from both, for an error that says what is different.
std::string first_difference(const std::string& recorded, const std::string& given) {
  std::vector<std::string> a = split_lines(recorded), b = split_lines(given);
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const std::string left = i < a.size() ? a[i] : "(end)", right = i < b.size() ? b[i] : "(end)";
    if (left != right)
      return "line " + std::to_string(i + 1) + ": " + excerpt(trimmed(left)) + " in the run, " + excerpt(trimmed(right)) +
             " here";
  }
  return "no line";
}

// A run directory holds one run: a command for it must describe the same model, training and setup, or
// it would continue someone else's run with other settings. Checked before anything in dir changes.
void check_same_text(const std::string& dir, const std::string& path, const std::string& recorded,
                     const std::string& text, const std::string& what) {
  if (recorded != text)
    throw InvalidArgument(dir + " holds a run of another " + what + ": " + path + " differs from this command's at " +
                          first_difference(recorded, text) +
                          ". Nothing was changed. Resume the run with `cairn train --resume " + dir +
                          "`, or give another --checkpoint-dir");
}

void check_same_run(Env& env, const std::string& dir, const std::string& file, const std::string& text,
                    const std::string& what) {
  const std::string path = join_path(dir, file);
  if (env.file_exists(path)) check_same_text(dir, path, env.read_file(path), text, what);
}

// "loss 0.3031, accuracy 0.8650": the loss first, as Keras prints it.
std::string format_logs(const Logs& logs) {
  std::string text;
  if (auto loss = logs.find("loss"); loss != logs.end()) text = "loss " + format_log_value(loss->second);
  for (const auto& [name, value] : logs)
    if (name != "loss") text += (text.empty() ? "" : ", ") + name + " " + format_log_value(value);
  return text;
}

// The options that set a run up: with --resume they come from the run directory.
const std::vector<std::string> kSetupOptions = {"data", "x", "y", "label-column", "header", "batch-size",
                                                "validation-split", "optimizer", "learning-rate", "loss",
                                                "metrics", "seed", "monitor", "save-best-only",
                                                "early-stopping-patience", "backup-every", "checkpoint-dir"};

// The run file of `dir` for --resume: IOError naming the directory and what is missing when it holds no run.
Json read_run_for_resume(Env& env, const std::string& dir) {
  if (!env.is_directory(dir)) throw IOError(dir + ": no such run directory (--resume takes a directory of `cairn train`)");
  for (const char* file : {kRunFile, kModelFile, kTrainingConfigFile})
    if (!env.file_exists(join_path(dir, file)))
      throw IOError(dir + " holds no run to resume: " + join_path(dir, file) + " is missing (a run directory of " +
                    "`cairn train` has " + kRunFile + ", " + kModelFile + " and " + kTrainingConfigFile + ")");
  const std::string path = join_path(dir, kRunFile);
  Json run = parse_json(env.read_file(path), path);
  if (!run.is_object() || !run.contains("setup") || !run["setup"].is_object() || !run.contains("epochs") ||
      !run["epochs"].is_number_integer())
    throw FormatError(path + ": not a run file of `cairn train` (no setup or epochs)");
  return run;
}

// setup's value of key as T, FormatError naming the run file when it is missing or of another type.
template <class T>
T setup_value(const Json& setup, const char* key, const std::string& path) {
  if (!setup.contains(key)) throw FormatError(path + ": setup has no '" + key + "'");
  try {
    return setup[key].get<T>();
  } catch (const std::exception&) {
    throw FormatError(path + ": setup '" + key + "' has the wrong type");
  }
}

// --tensorboard DIR: Keras's TensorBoard callback (scalars, the model's graph), with the run's setup as its
// hyperparameters; --histogram-freq N adds weight histograms and images every N epochs.
CallbackPtr tensorboard_callback(const Args& args, const std::string& log_dir, const Json& setup, const Model& model) {
  const int histogram_freq = static_cast<int>(int_option(args, "histogram-freq", 0, 0, 1 << 30));
  const std::string update = args.value("update-freq").value_or("epoch");
  UpdateFreq update_freq = "epoch";
  try {
    update_freq = update == "epoch" || update == "batch" ? UpdateFreq(update) : UpdateFreq(static_cast<int64_t>(std::stoll(update)));
  } catch (const std::exception&) {
    throw UsageError("--update-freq must be epoch, batch or a positive number of batches, not " + update);
  }
  HParams hparams = {{"optimizer", model.optimizer().class_name()},
                     {"learning_rate", model.optimizer().learning_rate()},
                     {"batch_size", static_cast<double>(setup["batch_size"].get<int64_t>())},
                     {"seed", static_cast<double>(setup["seed"].get<uint64_t>())},
                     {"validation_split", setup["validation_split"].get<double>()}};
  if (setup["model"].is_string()) hparams["model"] = setup["model"].get<std::string>();
  return std::make_shared<TensorBoard>(log_dir, TensorBoardOptions{.histogram_freq = histogram_freq,
                                                                   .write_images = histogram_freq > 0,
                                                                   .update_freq = update_freq,
                                                                   .hparams = hparams});
}

// Set by SIGINT; the training loop checks it between batches, so that a backup in progress completes.
volatile std::sig_atomic_t interrupted = 0;
extern "C" void on_interrupt(int) { interrupted = 1; }

[[noreturn]] void report_interruption(const std::string& dir, Model& model, int64_t steps) {
  Env& env = Env::Default();
  const EpochPosition at = model.training_state().position;
  std::cout << "\ninterrupted in epoch " << at.epoch + 1 << " after batch " << at.step << " of " << steps
            << ".\nsaved in " << dir << ":";
  const std::optional<std::string> backup = latest_checkpoint(join_path(dir, kBackupDir), env);
  const std::optional<std::string> epoch = latest_checkpoint(dir, env);
  if (backup) std::cout << "\n  " << *backup << " (the backup, written every --backup-every batches)";
  if (epoch) std::cout << "\n  " << *epoch << " (the weights of the last epoch checkpoint)";
  if (!backup && !epoch) std::cout << " nothing yet (the first backup comes after --backup-every batches)";
  std::cout << "\nresume with: cairn train --resume " << dir << "\n";
  std::cout.flush();
  std::_Exit(kInterruptedBySignalExit);
}

// Writes nothing: what the processes of a job other than process 0 print.
class DiscardingBuffer : public std::streambuf {
 protected:
  int overflow(int c) override { return traits_type::not_eof(c); }
};

int train(const Args& args, TrainingJob& job) {
  Env& env = Env::Default();
  // Only process 0 of a job prints (errors excepted) and writes the run's files.
  static DiscardingBuffer discard;
  if (!job.chief()) std::cout.rdbuf(&discard);
  const std::optional<std::string> resume = args.value("resume");
  std::optional<Json> recorded;  // the run file, when dir already holds a run
  if (resume) {
    for (const std::string& option : kSetupOptions)
      if (args.value(option) || (option == "header" || option == "save-best-only" ? args.flag(option) : false))
        throw UsageError("--" + option + " cannot be given with --resume, which continues the run as " +
                         join_path(*resume, kRunFile) + " set it up (--epochs N trains it to N epochs)");
    recorded = read_run_for_resume(env, *resume);
  }
  const std::string dir = resume ? *resume : args.value("checkpoint-dir").value_or("cairn_run");
  const std::string run_path = join_path(dir, kRunFile);
  if (!resume && env.file_exists(run_path)) recorded = parse_json(env.read_file(run_path), run_path);
  const Json setup_recorded = resume ? (*recorded)["setup"] : Json();
  const int verbose = static_cast<int>(int_option(args, "verbose", 1, 0, 2));
  if (!args.value("tensorboard") && (args.value("histogram-freq") || args.value("update-freq")))
    throw UsageError("--histogram-freq and --update-freq go with --tensorboard DIR");
  const int64_t stop_after = int_option(args, "stop-after-batches", 0, 1);
  const int64_t interrupt_after = int_option(args, "interrupt-after-batches", 0, 1);

  int64_t backup_every = 0, batch_size = 0;
  uint64_t seed = 0;
  double validation_split = 0;
  std::string monitor;
  bool save_best_only = false;
  std::optional<int> patience;
  DataOptions data;
  if (resume) {
    backup_every = setup_value<int64_t>(setup_recorded, "backup_every", run_path);
    batch_size = setup_value<int64_t>(setup_recorded, "batch_size", run_path);
    seed = setup_value<uint64_t>(setup_recorded, "seed", run_path);
    validation_split = setup_value<double>(setup_recorded, "validation_split", run_path);
    monitor = setup_value<std::string>(setup_recorded, "monitor", run_path);
    save_best_only = setup_value<bool>(setup_recorded, "save_best_only", run_path);
    if (setup_recorded.contains("early_stopping_patience"))
      patience = setup_value<int>(setup_recorded, "early_stopping_patience", run_path);
    data = data_options_from_json(setup_value<Json>(setup_recorded, "data", run_path), run_path);
  } else {
    seed = static_cast<uint64_t>(int_option(args, "seed", 0, 0));
    backup_every = int_option(args, "backup-every", kDefaultBackupEvery, 1);
    validation_split = number_option(args, "validation-split").value_or(0.0);
    if (validation_split < 0 || validation_split >= 1)
      throw UsageError("--validation-split must be in [0, 1), not " + *args.value("validation-split"));
    monitor = args.value("monitor").value_or(validation_split > 0 ? "val_loss" : "loss");
    save_best_only = args.flag("save-best-only");
    if (args.value("early-stopping-patience"))
      patience = static_cast<int>(int_option(args, "early-stopping-patience", 0, 0, 1 << 30));
    data = data_options(args);
  }
  const int recorded_epochs = recorded && recorded->contains("epochs") && (*recorded)["epochs"].is_number_integer()
                                  ? (*recorded)["epochs"].get<int>()
                                  : 1;
  const int epochs = static_cast<int>(int_option(args, "epochs", resume ? recorded_epochs : 1, 1, 1 << 30));
  std::optional<int> finished_epochs;
  if (recorded && recorded->contains("finished_epochs") && (*recorded)["finished_epochs"].is_number_integer())
    finished_epochs = (*recorded)["finished_epochs"].get<int>();
  const std::string final_weights = join_path(dir, kFinalWeights);
  const bool finished = bundle_exists(env, final_weights);
  const bool backed_up = env.is_directory(join_path(dir, kBackupDir)) && latest_checkpoint(join_path(dir, kBackupDir), env);
  // A job's backups are sharded (DistributedBackupAndRestore) and a lone process's are not
  // (BackupAndRestore): a backup continues under the launch that wrote it, at any number of processes.
  const bool recorded_job = recorded && recorded->contains("processes");
  if (backed_up && recorded_job && !job.launched())
    throw InvalidArgument(dir + " holds a run of " + recorded->at("processes").dump() +
                          " processes under mpirun, whose backups are sharded: continue it under mpirun "
                          "(mpirun -np N cairn train --resume " + dir + ", N any number of processes)");
  if (backed_up && !recorded_job && job.launched())
    throw InvalidArgument(dir + " holds a run trained without mpirun: continue it without mpirun (cairn train --resume " +
                          dir + ")");

  if (finished && !finished_epochs) {
    std::cout << dir << " holds a finished run (" << final_weights
              << ") that records no epoch count: nothing to train. Remove the directory, or give another "
                 "--checkpoint-dir, to train again.\n";
    return 0;
  }
  if (finished && epochs <= *finished_epochs && !backed_up) {
    std::cout << dir << " holds a run finished after " << *finished_epochs << " epochs (" << final_weights
              << "): nothing to train. Give --epochs N, more than " << *finished_epochs << ", to train it further.\n";
    return 0;
  }

  // Everything random (initial weights, dropout, the shuffling) follows from the seed; a resumed run
  // draws the same initial weights and then replaces them, and the rest, from its backup.
  set_random_seed(seed);
  std::shared_ptr<Model> model;
  CompileOptions compile;
  std::optional<std::string> model_option = args.value("model");
  if (resume) {
    const std::string model_path = join_path(dir, kModelFile), config_path = join_path(dir, kTrainingConfigFile);
    if (model_option) {  // a check that the run is of this model
      SeedModel given = model_from_option(*model_option);
      check_same_run(env, dir, kModelFile, model_to_json(*given.model, 2) + "\n", "model than --model " + *model_option);
      set_random_seed(seed);
    }
    try {
      model = model_from_json(env.read_file(model_path));
      compile = compile_options_from_training_config(parse_json(env.read_file(config_path), config_path));
    } catch (const FormatError& e) {
      throw FormatError(dir + ": " + e.what());
    }
  } else {
    if (!model_option)
      throw UsageError("--model is required (a Keras JSON config file or one of " + seed_model_list() +
                       "), or --resume DIR to continue a run");
    SeedModel made = model_from_option(*model_option);
    model = made.model;
    compile = compile_options(args, made.compile);
    batch_size = int_option(args, "batch-size", made.batch_size, 1);
  }
  LabeledData loaded = load_labeled_data(data, Split::Train);
  Tensor x = prepare_inputs(loaded.x, *model);
  Tensor y = prepare_labels(loaded.y);
  if (!model->built() && x.rank() >= 1) {  // a config without an input shape: the data gives it
    Shape input = x.shape();
    input[0] = -1;
    model->build(input);
  }
  as_usage_error("metrics", [&] {  // the optimizer and loss are made: only a metric name can fail here
    model->compile(compile);
    return 0;
  });
  if (batch_size % job.size() != 0)
    throw UsageError("the batch size " + std::to_string(batch_size) + " does not divide among the " +
                     std::to_string(job.size()) + " processes of the job (each trains on an equal part of every batch)");
  job.distribute(*model);

  Json setup = {{"model", resume ? setup_value<std::string>(setup_recorded, "model", run_path) : *model_option},
                {"data", data_options_to_json(data)},
                {"batch_size", batch_size},
                {"seed", seed},
                {"validation_split", validation_split},
                {"monitor", monitor},
                {"save_best_only", save_best_only},
                {"backup_every", backup_every}};
  if (patience) setup["early_stopping_patience"] = *patience;
  const std::string model_json = model_to_json(*model, 2) + "\n";
  const std::string config_json = training_config(*model).dump(2) + "\n";
  const std::string setup_json = setup.dump(2) + "\n";
  if (!resume) {  // everything is checked before anything in dir changes
    check_same_run(env, dir, kModelFile, model_json, "model");
    check_same_run(env, dir, kTrainingConfigFile, config_json, "training configuration");
    if (recorded && recorded->contains("setup"))
      check_same_text(dir, run_path, (*recorded)["setup"].dump(2) + "\n", setup_json, "setup (data or options)");
  }

  job.barrier();  // every process has read the run directory before process 0 writes in it
  // One run per directory at a time: a second `cairn train` on it would interleave its epochs and
  // backups with this one's. The lock goes when the process does, however it ends.
  std::unique_ptr<FileLock> run_lock;
  auto write_run_file = [&](std::optional<int> done) {
    Json run = {{"setup", setup}, {"epochs", epochs}};
    if (job.launched()) run["processes"] = job.size();  // the latest job's
    if (done) run["finished_epochs"] = *done;
    write_file_atomically(env, run_path, run.dump(2) + "\n");
  };
  if (job.chief()) {
    env.create_dirs(dir);
    run_lock = lock_directory(env, dir);
    if (!env.file_exists(join_path(dir, kModelFile))) write_file_atomically(env, join_path(dir, kModelFile), model_json);
    if (!env.file_exists(join_path(dir, kTrainingConfigFile)))
      write_file_atomically(env, join_path(dir, kTrainingConfigFile), config_json);
    write_run_file(finished_epochs);
  }
  job.barrier();  // the directory exists for every process's backups

  int initial_epoch = 0;
  if (finished) {  // training a finished run further, as Keras's initial_epoch: from its final state
    Checkpoint(model_items(model)).restore(final_weights).assert_existing_objects_matched();
    initial_epoch = *finished_epochs;
    std::cout << "continuing " << dir << " from epoch " << initial_epoch << " (" << final_weights << ") to epoch "
              << epochs << "\n";
  }

  // Files with one writer (the epoch checkpoints, TensorBoard's logs) are process 0's. The epoch
  // checkpoints and early stopping run on every process, on the same (job-wide) logs, so that their
  // states are common and in the sharded backups.
  std::vector<CallbackPtr> callbacks;
  callbacks.push_back(std::make_shared<ModelCheckpoint>(
      join_path(dir, kEpochCheckpoints), ModelCheckpointOptions{.monitor = monitor,
                                                                .verbose = verbose > 0 ? 1 : 0,
                                                                .save_best_only = save_best_only,
                                                                .save_weights_only = true,
                                                                .writes_files = job.chief()}));
  if (patience)
    callbacks.push_back(std::make_shared<EarlyStopping>(
        EarlyStoppingOptions{.monitor = monitor, .patience = *patience, .verbose = verbose > 0 ? 1 : 0}));
  // The backup is removed only once the final weights are written (below): a run interrupted between
  // the end of fit and that write still resumes instead of starting over.
  const std::shared_ptr<BackupCallback> backup =
      job.backup(join_path(dir, kBackupDir), BackupAndRestoreOptions{.save_freq = backup_every, .delete_checkpoint = false});
  callbacks.push_back(backup);
  if (std::optional<std::string> log_dir = args.value("tensorboard"); log_dir && job.chief())
    callbacks.push_back(tensorboard_callback(args, *log_dir, setup, *model));

  auto progress = std::make_shared<LambdaCallback>();
  progress->on_train_begin_fn = [&](const Logs&) {  // runs after the backup's restore
    if (backup->restored_from()) {
      const EpochPosition at = model->training_state().position;
      std::cout << "resuming from " << *backup->restored_from() << " (epoch " << at.epoch + 1 << ", after batch "
                << at.step << ")\n";
    }
  };
  int64_t batches = 0;
  // Checked before a batch: the previous batch's backup (which runs after every other callback) is done.
  progress->on_batch_begin_fn = [&](int64_t, const Logs&) {
    if (interrupted) report_interruption(dir, *model, static_cast<int64_t>(progress->params().at("steps")));
  };
  progress->on_batch_end_fn = [&](int64_t, const Logs&) {
    ++batches;
    if (interrupt_after > 0 && batches == interrupt_after) std::raise(SIGINT);
    if (stop_after == 0 || batches < stop_after) return;
    std::cout << "stopping after " << batches << " batches (--stop-after-batches)\n";
    std::cout.flush();
    std::_Exit(kInterruptedExit);  // as abruptly as a kill: no callback gets to save anything more
  };
  callbacks.push_back(progress);

  struct sigaction action {}, previous{};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous);
  History history = model->fit(x, y,
                               {.batch_size = batch_size,
                                .epochs = epochs,
                                .verbose = verbose,
                                .callbacks = callbacks,
                                .validation_split = validation_split,
                                .initial_epoch = initial_epoch,
                                .seed = seed,
                                .replica_context = job.replica_context()});
  sigaction(SIGINT, &previous, nullptr);

  const int trained_to = history.epoch.empty() ? std::max(initial_epoch, epochs) : history.epoch.back() + 1;
  job.barrier();  // every process is done with the backups
  if (job.chief()) {
    model->save_weights(final_weights);
    write_run_file(trained_to);
    remove_tree(env, join_path(dir, kBackupDir));
    // Removed while held, so that no other writer can be holding it (see Env::lock_file).
    env.remove_file(run_lock->path());
    env.sync_dir(dir);
    run_lock.reset();
  }

  Logs last;
  for (const auto& [name, values] : history.history)
    if (!values.empty()) last[name] = values.back();
  std::cout << "trained to epoch " << trained_to;
  if (!last.empty()) std::cout << ": " << format_logs(last);
  std::cout << "\nfinal weights: " << final_weights << "\n";
  if (args.flag("report") && job.chief()) {
    const std::string report = join_path(dir, "report.html");
    write_run_report(dir, args.value("tensorboard").value_or(join_path(dir, "logs")), report, DataOptions{});
    std::cout << "report: " << report << "\n";
  }
  return 0;
}

int run_train(const Args& args) {
  TrainingJob job;
  return job.run([&] { return train(args, job); }, "train");
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
      {"resume", "DIR",
       "continue the run in DIR with its own model, data and options (only --epochs,\n"
       "--verbose and --model, checked against the run's, may be given)"},
      {"save-best-only", "", "keep an epoch's checkpoint only when --monitor improved"},
      {"monitor", "NAME",
       "the value --save-best-only and early stopping watch (default val_loss with\n"
       "--validation-split, else loss)"},
      {"early-stopping-patience", "N", "stop when --monitor has not improved for N epochs"},
      {"backup-every", "N", "back the run up every N batches (default 100)"},
      {"tensorboard", "DIR",
       "write TensorBoard logs to DIR (DIR/train, DIR/validation): the curves, the\n"
       "model's graph, the run's options as hparams (`cairn events --all DIR`)"},
      {"histogram-freq", "N", "with --tensorboard: weight histograms and images every N epochs"},
      {"update-freq", "FREQ", "with --tensorboard: epoch (default), batch, or every N batches"},
      {"report", "", "when training ends, write DIR/report.html (see `cairn help report`;\n"
       "its curves need --tensorboard)"},
      {"stop-after-batches", "N",
       "exit with status 75 after N batches, as if killed (for testing resumption)"},
      {"interrupt-after-batches", "N", "send this process SIGINT (Ctrl-C) after N batches (for testing)"},
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
        "  DIR/run.json              the data and options, the target epochs and, at the end, the epochs done\n"
        "After an interruption (Ctrl-C, a kill, a crash, a power cut), `cairn train --resume DIR` (or the\n"
        "same command again) continues from the last backup; its final weights are bit-identical to those\n"
        "of an uninterrupted run. Ctrl-C prints what was saved. A finished run trains further with\n"
        "--epochs N beyond its epochs (from its final weights and optimizer state, as Keras's\n"
        "initial_epoch). `cairn evaluate DIR` and `cairn predict DIR` use the run. While a run trains, DIR is locked (DIR/.cairn.lock holds its pid): a second\n"
        "`cairn train` on DIR is refused. Data: --data NAME, or --x and --y files (uint8 inputs, such as\n"
        "IDX images, are scaled to [0, 1]; inputs are reshaped to the model's input shape when only the\n"
        "layout differs). Under mpirun (a cairn built with MPI), the processes train data-parallel on parts of\n"
        "every --batch-size batch: process 0 prints and writes DIR's files, every process its shard of the\n"
        "backups, and --resume continues under mpirun at any number of processes (docs/distributed.md).",
    .options = train_options(),
    .run = run_train,
});

}  // namespace
}  // namespace cairn::cli
