// cairn report RUN_DIR: the RunReport (cairn/report.h) of a run of `cairn train`: the run directory's
// checkpoints, its TensorBoard logs, its model and its dataset's test part.
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "cairn/env.h"
#include "cairn/error.h"
#include "cairn/report.h"
#include "command.h"
#include "report.h"
#include "workflow.h"

namespace cairn::cli {

void write_run_report(const std::string& dir, const std::string& logs, const std::string& output,
                      const DataOptions& data_given) {
  Env& env = Env::Default();
  if (!env.is_directory(dir) || !env.file_exists(join_path(dir, kModelFile)))
    throw IOError(dir + " is not a run directory of `cairn train` (it has no " + kModelFile + ")");
  RunReport report(dir);
  if (env.file_exists(join_path(dir, kRunFile))) {
    try {
      const Json run = parse_json(env.read_file(join_path(dir, kRunFile)), join_path(dir, kRunFile));
      if (run.contains("setup")) {
        report.set_setup(run["setup"].dump());
        if (run["setup"].contains("monitor") && run["setup"]["monitor"].is_string())
          report.set_monitor(run["setup"]["monitor"].get<std::string>());
      }
    } catch (const Error& e) {
      report.add_warning(e.what());
    }
  }
  report.add_checkpoints(dir, env);
  if (env.is_directory(logs))
    report.add_tensorboard_logs(logs, env);
  else
    report.set_missing(ReportSection::Curves, "No training curves: " + logs +
                                                  " holds no TensorBoard logs (train with --tensorboard DIR, then give "
                                                  "--logs DIR).");
  // The summary needs the architecture only, so that a run whose weights are damaged still has one.
  try {
    report.set_model_summary(*model_from_json(env.read_file(join_path(dir, kModelFile))));
  } catch (const Error& e) {
    report.set_missing(ReportSection::Summary, std::string("No model summary: ") + e.what());
  }
  // The trained model: its filters and test predictions.
  bool filters_drawn = false;
  try {
    TrainedModel trained = load_trained_model(dir, std::nullopt);
    report.add_filters(first_convolution_filters(*trained.model, "after training (" + trained.weights + ")"));
    filters_drawn = true;
    DataOptions data = data_given;
    if (!data.given())
      if (std::optional<DataOptions> recorded = recorded_data_options(dir)) data = *recorded;
    if (!data.given()) {
      report.set_missing(ReportSection::ConfusionMatrix, "No test data: the run records none; give --data or --x and --y.");
    } else {
      LabeledData test = load_labeled_data(data, Split::Test);
      report.add_test_results(*trained.model, prepare_inputs(test.x, *trained.model), prepare_labels(test.y));
    }
  } catch (const Error& e) {
    const std::string why = std::string("The model could not be loaded or run: ") + e.what();
    if (!filters_drawn) report.set_missing(ReportSection::Filters, why);
    report.set_missing(ReportSection::ConfusionMatrix, why);
  }
  for (const std::string& warning : report.warnings()) std::cerr << "cairn: WARNING: " << warning << "\n";
  report.write(output, env);
}

namespace {

int run_report(const Args& args) {
  const std::string dir = args.positional("RUN_DIR");
  const std::string output = args.value("output").value_or(join_path(dir, "report.html"));
  write_run_report(dir, args.value("logs").value_or(join_path(dir, "logs")), output, data_options(args));
  std::cout << "wrote " << output << "\n";
  return 0;
}

std::vector<OptionSpec> report_options() {
  std::vector<OptionSpec> options = {
      {"logs", "DIR", "the run's TensorBoard logs (`cairn train --tensorboard DIR`; default RUN_DIR/logs)"},
      {"output", "FILE", "where to write the page (default RUN_DIR/report.html)"},
  };
  for (OptionSpec& option : labeled_data_options()) options.push_back(std::move(option));
  return options;
}

const RegisterCommand kRegistration({
    .name = "report",
    .summary = "write one self-contained HTML page about a training run",
    .description =
        "Writes an HTML file (inline SVG and PNG, nothing fetched) about the run in RUN_DIR: the loss and\n"
        "metric curves per epoch for training and validation (from --logs, the run's TensorBoard logs),\n"
        "with the epochs that have a checkpoint; the checkpoints, each verified, the latest and the best by\n"
        "the run's --monitor marked; the confusion matrix of the test data (the run's dataset's test part,\n"
        "or the data options given) as a heat map with counts; the first misclassified test examples with\n"
        "their true and predicted labels (as images for image data); the first convolution layer's filters;\n"
        "and the model summary. A piece that cannot be made (no logs, an empty run, no validation data, a\n"
        "model that is not a classifier or has no convolution) is replaced by a line saying why; a torn\n"
        "last record in the logs is a warning.",
    .options = report_options(),
    .positionals = {{"RUN_DIR", "a run directory of `cairn train`"}},
    .run = run_report,
});

}  // namespace
}  // namespace cairn::cli
