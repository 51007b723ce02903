// Stateful metrics, as Keras's: update_state over batches, result() for the epoch so far.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cairn/tensor.h"

namespace cairn {

class Metric {
 public:
  explicit Metric(std::string name) : name_(std::move(name)) {}
  virtual ~Metric() = default;
  const std::string& name() const { return name_; }
  virtual void update_state(const Tensor& y_true, const Tensor& y_pred) = 0;
  double result() const { return count_ > 0 ? total_ / count_ : 0.0; }
  void reset_state() { total_ = count_ = 0; }
  // The running sums, for checkpoints of a run stopped in the middle of an epoch.
  std::pair<double, double> totals() const { return {total_, count_}; }
  void set_totals(double total, double count) { total_ = total; count_ = count; }

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

// Fraction of rows whose argmax of y_pred equals the integer label in y_true.
class SparseCategoricalAccuracy : public Metric {
 public:
  explicit SparseCategoricalAccuracy(std::string name = "sparse_categorical_accuracy") : Metric(std::move(name)) {}
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;
};

// Fraction of rows whose argmax of y_pred equals the argmax of the one-hot y_true.
class CategoricalAccuracy : public Metric {
 public:
  explicit CategoricalAccuracy(std::string name = "categorical_accuracy") : Metric(std::move(name)) {}
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;
};

// Fraction of elements where (y_pred > threshold) equals y_true.
class BinaryAccuracy : public Metric {
 public:
  explicit BinaryAccuracy(std::string name = "binary_accuracy", double threshold = 0.5)
      : Metric(std::move(name)), threshold_(threshold) {}
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;

 private:
  double threshold_;
};

// The mean over samples of each sample's mean error over the last axis of y_pred: |y_true - y_pred|
// (Keras's "mae", mean_absolute_error) or (y_true - y_pred)^2 ("mse", mean_squared_error).
class MeanError : public Metric {
 public:
  enum class Kind { Absolute, Squared };
  MeanError(std::string name, Kind kind) : Metric(std::move(name)), kind_(kind) {}
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;

 private:
  Kind kind_;
};

// Keras's metric by name. "accuracy"/"acc" are resolved from the shapes, as Keras does: a last
// dimension of 1 in y_pred means binary, y_true of the same rank as y_pred with a last dimension > 1
// means categorical, otherwise sparse. The log key stays the name the user gave.
std::unique_ptr<Metric> make_metric(const std::string& name, const Shape& y_true_shape, const Shape& y_pred_shape);
bool is_metric_name(const std::string& name);

// counts[true][predicted] over integer labels and the argmax of predictions.
std::vector<std::vector<int64_t>> confusion_matrix(const Tensor& labels, const Tensor& predictions, int64_t num_classes);

}  // namespace cairn
