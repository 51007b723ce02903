// The HTML report of a training run, which `cairn report` writes: one self-contained page (inline SVG
// and PNG, nothing fetched) with the loss and metric curves per epoch, the checkpoints on that timeline
// (each verified, the latest and the best marked), the confusion matrix of test data as a heat map with
// counts, the misclassified test examples (as images for image data), the first convolution layer's
// filters at the moments given, and the model summary. A piece that was not given, or could not be
// made, is replaced by a line saying why.
//
//   RunReport report("CNN on Fashion-MNIST");
//   report.add_filters(first_convolution_filters(*model, "before training"));
//   History history = ...;                       // a callback of fit
//   report.add_history(history);
//   report.add_checkpoints("checkpoints");
//   report.add_test_results(*model, x_test, y_test);
//   report.set_model_summary(*model);
//   report.write("report.html");
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cairn/callbacks.h"
#include "cairn/env.h"
#include "cairn/model.h"
#include "cairn/tensor.h"

namespace cairn {

// A convolution layer's kernel at one moment of a run (before training, after a restore...).
struct FilterSnapshot {
  std::string caption;  // the moment: "before training"
  std::string layer;    // the layer's name
  Tensor kernel;        // float32 (kh, kw, in, out), a copy: later training does not change it
};

// The kernel of the model's first Conv2D now, with that caption; nullopt when the model has none.
std::optional<FilterSnapshot> first_convolution_filters(const Model& model, const std::string& caption);

// The sections of the page, for saying why one is missing.
enum class ReportSection { Curves, Checkpoints, ConfusionMatrix, Examples, Filters, Summary };

class RunReport {
 public:
  explicit RunReport(std::string title);

  // A line under the title (a run's settings).
  void set_setup(std::string text);
  // Shown at the top of the page; warnings() lists them for a program to print.
  void add_warning(std::string text);
  const std::vector<std::string>& warnings() const { return warnings_; }
  // Replaces a section by a line saying why it is missing (the reasons the report finds itself, such as
  // no validation data or no convolution layer, need no call).
  void set_missing(ReportSection section, std::string why);

  // Curves: fit's History ("loss", "accuracy"... for training, "val_..." for validation), or the epoch
  // scalars ("epoch_loss"...) of the "train" and "validation" runs of TensorBoard logs, as the TensorBoard
  // callback writes them. A torn last record of the logs is a warning; a directory without logs or logs
  // without epoch scalars (an empty run) say so in the page.
  void add_history(const History& history);
  void add_tensorboard_logs(const std::string& log_dir, Env& env = Env::Default());
  // The value whose best epoch marks the best checkpoint, judged as ModelCheckpoint's mode "auto" does
  // (default "val_loss").
  void set_monitor(std::string monitor);

  // A checkpoint prefix, verified now (every tensor read and its checksum checked; a damaged one is
  // shown as DAMAGED with the error); epoch (from 1) places it on the curves' timeline.
  void add_checkpoint(const std::string& prefix, std::optional<int> epoch, Env& env = Env::Default());
  // Every checkpoint in dir (each prefix with an .index file), in name order: the epoch is read from a
  // name like "cp-0003.ckpt" (ModelCheckpoint's "cp-{epoch:04d}.ckpt"), and dir's checkpoint file names
  // the latest.
  void add_checkpoints(const std::string& dir, Env& env = Env::Default());

  // The confusion matrix and misclassified examples of the model's predictions on x against integer
  // labels y (a softmax's argmax, or a single sigmoid above one half). When the model is not a
  // classifier of integer labels, the page says so.
  void add_test_results(Model& model, const Tensor& x, const Tensor& y);
  // A filter grid for each snapshot, in the order added; nullopt (a model without convolution) says so.
  void add_filters(const std::optional<FilterSnapshot>& snapshot);
  // The model's Keras summary table.
  void set_model_summary(const Model& model);

  // The page. Besides the pictures it holds each filter grid's values as JSON
  // (<script type="application/json" class="filter-values">: caption, layer, shape, values in the
  // kernel's order) so that a program can check them.
  std::string html() const;
  // The page, written atomically.
  void write(const std::string& path, Env& env = Env::Default()) const;

 private:
  struct Curve {
    std::map<int64_t, double> train, validation;  // epoch index (from 0) -> value
  };
  struct Checkpoint {
    std::string prefix;
    std::optional<int> epoch;
    std::string verification;
    bool latest = false;
  };
  std::optional<int64_t> best_epoch() const;

  std::string title_, setup_, monitor_ = "val_loss";
  std::vector<std::string> warnings_;
  std::map<ReportSection, std::string> missing_;
  std::map<std::string, Curve> curves_;  // metric -> its curves
  bool curves_given_ = false;
  std::vector<Checkpoint> checkpoints_;
  std::string confusion_html_, examples_html_, summary_;
  std::vector<FilterSnapshot> filters_;
  bool filters_given_ = false;
};

}  // namespace cairn
