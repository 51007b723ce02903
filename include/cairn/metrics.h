// Stateful metrics, as Keras's: update_state over batches, result() for the epoch so far.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cairn/keyword_args.h"
#include "cairn/losses.h"
#include "cairn/tensor.h"

namespace cairn {

class Metric {
 public:
  explicit Metric(std::string name) : name_(std::move(name)) {}
  virtual ~Metric() = default;
  const std::string& name() const { return name_; }
  virtual void update_state(const Tensor& y_true, const Tensor& y_pred) = 0;
  // Keras's update_state with sample_weight (compile's weighted_metrics, and the weight 0 an output's
  // mask gives its masked steps): one weight per sample (batch), or per position of y_pred's leading
  // dimensions (batch, steps). Named apart from update_state so that a subclass overriding one does not
  // hide the other. Metrics that do not take weights yet throw InvalidArgument.
  virtual void update_state_weighted(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight);
  // Whether an output's mask leaves its masked steps out of this metric: Keras's mean metrics
  // (MeanMetricWrapper: accuracies, errors, losses as metrics) do; AUC, Precision, Recall, MeanIoU,
  // F1Score and RootMeanSquaredError do not look at masks in Keras 3.
  virtual bool uses_masks() const { return false; }
  // The value for the epoch so far: the weighted mean of what update_state added, unless the metric
  // computes it from counts of its own (AUC, Precision, MeanIoU...).
  virtual double result() const { return count_ > 0 ? total_ / count_ : 0.0; }
  virtual void reset_state() { total_ = count_ = 0; }
  // The running sums, for checkpoints of a run stopped in the middle of an epoch.
  std::pair<double, double> totals() const { return {total_, count_}; }
  void set_totals(double total, double count) { total_ = total; count_ = count; }
  // Every number the metric accumulates ({total, count} for the means; AUC's four counts per threshold,
  // MeanIoU's confusion matrix...), and the way back: a restored state continues the epoch exactly.
  // set_state throws InvalidArgument for a state of another size.
  virtual std::vector<double> state() const { return {total_, count_}; }
  virtual void set_state(const std::vector<double>& state);
  // Keras's class name and config arguments ("AUC", {num_thresholds, curve...}); "" for the internal means.
  virtual std::string class_name() const { return ""; }
  virtual ArgList get_config() const { return {}; }

 protected:
  void add(double value, double weight) {
    total_ += value;
    count_ += weight;
  }

 private:
  std::string name_;
  double total_ = 0, count_ = 0;
};

// Weighted mean of values (the loss of each batch weighted by its size, as Keras does).
class Mean : public Metric {
 public:
  using Metric::Metric;
  // Adds every element of `values` with weight 1 (y_true is ignored).
  void update_state(const Tensor& y_true, const Tensor& values) override;
  void update(double value, double weight = 1.0) { add(value * weight, weight); }
};

// Keras's MeanMetricWrapper: a function of (y_true, y_pred) with one value per position of y_pred's
// leading dimensions (per sample, or per step of a sequence output), averaged over everything seen. With
// weights, as Keras's Mean: each sample adds the mean over its positions of value * weight, and the mean
// of its weights to the count. An output's mask leaves the masked steps out (weight 0).
class MeanMetricWrapper : public Metric {
 public:
  using Metric::Metric;
  void update_state(const Tensor& y_true, const Tensor& y_pred) final;
  void update_state_weighted(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) final;
  bool uses_masks() const final { return true; }

 protected:
  // The values, one per position of y_pred's leading dimensions (all but the last axis; one per sample
  // for a rank-1 y_pred), in row-major order. ShapeError when y_true does not fit y_pred.
  virtual std::vector<double> values(const Tensor& y_true, const Tensor& y_pred) const = 0;
};

// Fraction of rows whose argmax of y_pred equals the integer label in y_true.
class SparseCategoricalAccuracy : public MeanMetricWrapper {
 public:
  explicit SparseCategoricalAccuracy(std::string name = "sparse_categorical_accuracy") : MeanMetricWrapper(std::move(name)) {}

 protected:
  std::vector<double> values(const Tensor& y_true, const Tensor& y_pred) const override;
};

// Fraction of rows whose argmax of y_pred equals the argmax of the one-hot y_true.
class CategoricalAccuracy : public MeanMetricWrapper {
 public:
  explicit CategoricalAccuracy(std::string name = "categorical_accuracy") : MeanMetricWrapper(std::move(name)) {}

 protected:
  std::vector<double> values(const Tensor& y_true, const Tensor& y_pred) const override;
};

// Fraction of elements where (y_pred > threshold) equals y_true (per row: the mean over the last axis).
class BinaryAccuracy : public MeanMetricWrapper {
 public:
  explicit BinaryAccuracy(std::string name = "binary_accuracy", double threshold = 0.5)
      : MeanMetricWrapper(std::move(name)), threshold_(threshold) {}

 protected:
  std::vector<double> values(const Tensor& y_true, const Tensor& y_pred) const override;

 private:
  double threshold_;
};

// The mean over samples of each sample's mean error over the last axis of y_pred: |y_true - y_pred|
// (Keras's "mae", mean_absolute_error) or (y_true - y_pred)^2 ("mse", mean_squared_error).
class MeanError : public MeanMetricWrapper {
 public:
  enum class Kind { Absolute, Squared };
  MeanError(std::string name, Kind kind) : MeanMetricWrapper(std::move(name)), kind_(kind) {}

 protected:
  std::vector<double> values(const Tensor& y_true, const Tensor& y_pred) const override;

 private:
  Kind kind_;
};

// A Keras loss function averaged over samples, as Keras's MeanMetricWrapper does: "mape", "msle",
// "binary_crossentropy", "hinge"... (the log key is the name given).
class LossMetric : public MeanMetricWrapper {
 public:
  LossMetric(std::string name, LossPtr loss) : MeanMetricWrapper(std::move(name)), loss_(std::move(loss)) {}

 protected:
  std::vector<double> values(const Tensor& y_true, const Tensor& y_pred) const override;

 private:
  LossPtr loss_;
};

// sqrt of the mean of (y_true - y_pred)^2 over every element.
class RootMeanSquaredError : public Metric {
 public:
  explicit RootMeanSquaredError(std::string name = "root_mean_squared_error") : Metric(std::move(name)) {}
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;
  void update_state_weighted(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;
  double result() const override;
  std::string class_name() const override { return "RootMeanSquaredError"; }
};

// Whether the label (an integer id, or the argmax of one-hot y_true) is among the k largest of y_pred;
// classes tied with the k-th largest count as inside, as TensorFlow's in_top_k.
class TopKCategoricalAccuracy : public MeanMetricWrapper {
 public:
  explicit TopKCategoricalAccuracy(int64_t k = 5, bool sparse = false, std::string name = "");
  std::string class_name() const override { return sparse_ ? "SparseTopKCategoricalAccuracy" : "TopKCategoricalAccuracy"; }
  ArgList get_config() const override { return {{"k", static_cast<double>(k_)}}; }

 protected:
  std::vector<double> values(const Tensor& y_true, const Tensor& y_pred) const override;

 private:
  int64_t k_;
  bool sparse_;
};

// Precision, Recall and AUC count true/false positives/negatives of y_pred > threshold against
// y_true (0 or 1), elementwise, per threshold.
class ConfusionCounts {
 public:
  explicit ConfusionCounts(std::vector<double> thresholds);
  // `sample_weight` (optional): each element counts with its weight, given per sample or per position of
  // y_pred's leading dimensions.
  void update(const std::string& metric, const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor());
  const std::vector<double>& thresholds() const { return thresholds_; }
  // Per threshold: true positives, false positives, true negatives, false negatives.
  std::vector<double> tp, fp, tn, fn;
  std::vector<double> state() const;
  void set_state(const std::string& metric, const std::vector<double>& state);
  void reset();

 private:
  std::vector<double> thresholds_;
};

// tp / (tp + fp) at `thresholds` (0.5 by default; the first one is the result).
class Precision : public Metric {
 public:
  explicit Precision(std::optional<double> thresholds = std::nullopt, std::string name = "precision");
  void update_state(const Tensor& y_true, const Tensor& y_pred) override { counts_.update(name(), y_true, y_pred); }
  void update_state_weighted(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override {
    counts_.update(name(), y_true, y_pred, sample_weight);
  }
  double result() const override;
  void reset_state() override { counts_.reset(); }
  std::vector<double> state() const override { return counts_.state(); }
  void set_state(const std::vector<double>& state) override { counts_.set_state(name(), state); }
  std::string class_name() const override { return "Precision"; }
  ArgList get_config() const override;

 protected:
  ConfusionCounts counts_;
  std::optional<double> threshold_;
};

// tp / (tp + fn) at the threshold (0.5 by default).
class Recall : public Precision {
 public:
  explicit Recall(std::optional<double> thresholds = std::nullopt, std::string name = "recall")
      : Precision(thresholds, std::move(name)) {}
  double result() const override;
  std::string class_name() const override { return "Recall"; }
};

// Keras's AUC: the area under the ROC or precision-recall curve from counts at num_thresholds evenly
// spaced thresholds (with -1e-7 and 1 + 1e-7 at the ends), summed by interpolation (PR: Davis and
// Goadrich's). The counts are the state, so a restored AUC continues exactly.
class AUC : public Metric {
 public:
  explicit AUC(int64_t num_thresholds = 200, std::string curve = "ROC", std::string name = "auc",
               bool from_logits = false);
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;
  void update_state_weighted(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;
  double result() const override;
  void reset_state() override { counts_.reset(); }
  std::vector<double> state() const override { return counts_.state(); }
  void set_state(const std::vector<double>& state) override { counts_.set_state(name(), state); }
  std::string class_name() const override { return "AUC"; }
  ArgList get_config() const override;

 private:
  int64_t num_thresholds_;
  std::string curve_;
  bool from_logits_;
  ConfusionCounts counts_;
};

// Keras's MeanIoU: the mean over classes (those that occur in y_true or y_pred) of
// tp / (tp + fp + fn), from a confusion matrix accumulated over batches. sparse_y_true / sparse_y_pred
// false mean one-hot / scores (argmax taken); ignore_class drops those labels.
class MeanIoU : public Metric {
 public:
  explicit MeanIoU(int64_t num_classes, std::optional<int64_t> ignore_class = std::nullopt,
                   bool sparse_y_true = true, bool sparse_y_pred = true, std::string name = "mean_io_u");
  void update_state(const Tensor& y_true, const Tensor& y_pred) override { update_state_weighted(y_true, y_pred, Tensor()); }
  void update_state_weighted(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;
  double result() const override;
  void reset_state() override;
  std::vector<double> state() const override { return matrix_; }
  void set_state(const std::vector<double>& state) override;
  std::string class_name() const override { return "MeanIoU"; }
  ArgList get_config() const override;

 private:
  int64_t num_classes_;
  std::optional<int64_t> ignore_class_;
  bool sparse_y_true_, sparse_y_pred_;
  std::vector<double> matrix_;  // [true][predicted]
};

// Keras's F1Score with average "micro", "macro" or "weighted" (None, one score per class, has no single
// value for the logs). Predictions are the row's maximum without a threshold, y_pred > threshold with one.
class F1Score : public Metric {
 public:
  explicit F1Score(std::string average = "macro", std::optional<double> threshold = std::nullopt,
                   std::string name = "f1_score");
  void update_state(const Tensor& y_true, const Tensor& y_pred) override { update_state_weighted(y_true, y_pred, Tensor()); }
  void update_state_weighted(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;
  double result() const override;
  void reset_state() override;
  std::vector<double> state() const override;
  void set_state(const std::vector<double>& state) override;
  std::string class_name() const override { return "F1Score"; }
  ArgList get_config() const override;

 private:
  std::string average_;
  std::optional<double> threshold_;
  // Per class (one entry for micro): true positives, false positives, false negatives, label counts.
  std::vector<double> tp_, fp_, fn_, support_;
};

// ---- the registry: one line per metric class in src/training/metric_registry.cc

struct MetricRegistration {
  std::string class_name;          // "AUC"
  std::vector<std::string> names;  // the string identifiers compile takes ("auc"), if any
  // From the class's config arguments (without name and dtype); InvalidArgument for a bad or unknown one.
  std::function<std::unique_ptr<Metric>(const std::string& name, KeywordArgs& args)> make;
};
const std::vector<MetricRegistration>& metric_registry();
// The metric of class `class_name` named `name` from its config arguments.
std::unique_ptr<Metric> make_metric_from_config(const std::string& class_name, const std::string& name,
                                                KeywordArgs& args);

// Keras's metric by name. "accuracy"/"acc" and "crossentropy"/"ce" are resolved from the shapes, as
// Keras does: a last dimension of 1 in y_pred means binary, y_true of the same rank as y_pred with a last
// dimension > 1 means categorical, otherwise sparse. Registered identifiers ("auc", "precision",
// "top_k_categorical_accuracy"...) and Keras's loss functions as metrics ("mape", "binary_crossentropy")
// are known too. The log key stays the name the user gave.
std::unique_ptr<Metric> make_metric(const std::string& name, const Shape& y_true_shape, const Shape& y_pred_shape);
bool is_metric_name(const std::string& name);

// counts[true][predicted] over integer labels and the argmax of predictions.
std::vector<std::vector<int64_t>> confusion_matrix(const Tensor& labels, const Tensor& predictions, int64_t num_classes);

}  // namespace cairn
