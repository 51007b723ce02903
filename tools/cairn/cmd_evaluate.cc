// cairn evaluate RUN: the loss and metrics of a trained model on labeled data.
#include <iostream>
#include <string>
#include <vector>

#include "cairn/callbacks.h"
#include "command.h"
#include "format.h"
#include "workflow.h"

namespace cairn::cli {
namespace {

int run_evaluate(const Args& args) {
  const int64_t batch_size = int_option(args, "batch-size", 32, 1);
  TrainedModel trained = load_trained_model(args.positional("RUN"), args.value("model"));
  Model& model = *trained.model;
  model.compile(evaluation_compile_options(trained, args.value("loss"), args.value("metrics")));
  // Without data options, the data the run trained on (a named dataset's test part).
  DataOptions data_options = cli::data_options(args);
  if (!data_options.given())
    if (std::optional<DataOptions> recorded = recorded_data_options(args.positional("RUN"))) data_options = *recorded;
  LabeledData data = load_labeled_data(data_options, Split::Test);
  Tensor x = prepare_inputs(data.x, model);
  Logs logs = model.evaluate(x, prepare_labels(data.y), {.batch_size = batch_size});
  const int64_t samples = x.rank() > 0 ? x.dim(0) : 0;
  // The loss first, as Keras prints it, then the metrics by name.
  std::vector<std::pair<std::string, double>> results{{"loss", logs.at("loss")}};
  for (const auto& [name, value] : logs)
    if (name != "loss") results.emplace_back(name, value);

  if (args.flag("json")) {
    std::cout << "{\"weights\": " << json_string(trained.weights) << ", \"samples\": " << samples;
    for (const auto& [name, value] : results)
      std::cout << ", " << json_string(name) << ": " << format_number(value, Notation::Json);
    std::cout << "}\n";
  } else {
    std::cout << "weights: " << trained.weights << "\nsamples: " << samples << "\n";
    for (const auto& [name, value] : results)
      std::cout << name << ": " << format_log_value(value) << "\n";
  }
  return 0;
}

std::vector<OptionSpec> evaluate_options() {
  std::vector<OptionSpec> options = labeled_data_options();
  std::vector<OptionSpec> rest = {
      {"model", "FILE",
       "the model's JSON config (default: model.json in the run directory or beside\nthe weights); with an HDF5 weights file (save_weights' .h5 or .weights.h5), the model\nits weights go into"},
      {"loss", "LOSS", "a Keras loss name or JSON config (default: the run's training_config.json)"},
      {"metrics", "LIST", "comma-separated metric names (default: the run's)"},
      {"batch-size", "N", "samples per batch (default 32)"},
      {"json", "", "print one JSON object: {\"weights\", \"samples\", \"loss\", ...the metrics}"},
  };
  for (OptionSpec& option : rest) options.push_back(std::move(option));
  return options;
}

const RegisterCommand kRegistration({
    .name = "evaluate",
    .summary = "print the loss and metrics of a trained model on labeled data",
    .description =
        "RUN is a run directory of `cairn train` (its latest checkpoint: the final weights once training\n"
        "has finished, else the newest epoch's), a checkpoint prefix such as RUN_DIR/cp-0003.ckpt (the\n"
        "architecture from model.json beside it, the loss and metrics from training_config.json), or a\n"
        "Keras .h5 or .keras model file. Without data options, a run is evaluated on the data it trained\n"
        "on (as its run.json records it); a named dataset on its test part. Prints one \"name: value\"\n"
        "line each for the weights, the number of samples, the loss and the metrics, with 4 decimals as\n"
        "Keras prints them (--json gives every digit).",
    .options = evaluate_options(),
    .positionals = {{"RUN", "a run directory, a checkpoint prefix, a Keras .h5 / .keras file, or an HDF5 weights file\nwith --model"}},
    .run = run_evaluate,
});

}  // namespace
}  // namespace cairn::cli
