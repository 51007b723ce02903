#include "cairn/metrics.h"

#include <algorithm>
#include <cmath>

#include "cairn/error.h"
#include "cairn/ops.h"
#include "metric_weights.h"

namespace cairn {

namespace {
// Integer labels of any dtype as int64 (floats truncated), converted once for the whole batch.
Tensor int64_labels(const Tensor& labels) {
  return labels.dtype() == DType::Int64 ? labels : labels.to(DType::Int64);
}
}  // namespace

void Mean::update_state(const Tensor&, const Tensor& values) {
  Tensor v = values.to(DType::Float64);
  for (double x : v.span<double>()) update(x);
}

void Metric::update_state_weighted(const Tensor&, const Tensor&, const Tensor&) {
  throw InvalidArgument("metric '" + name_ + "' does not take sample weights (weighted_metrics) yet");
}

std::vector<double> weights_per_position(const Tensor& sample_weight, int64_t samples, int64_t positions,
                                         const std::string& metric) {
  const std::vector<double> given = sample_weight.to(DType::Float64).to_vector<double>();
  const int64_t n = static_cast<int64_t>(given.size());
  if (n == positions) return given;
  if (n != samples || samples == 0 || positions % samples != 0)
    throw ShapeError(metric + ": sample_weight of shape " + shape_str(sample_weight.shape()) + " for " +
                     std::to_string(samples) + " samples with " + std::to_string(positions) +
                     " values: give one weight per sample or one per value");
  const int64_t per_sample = positions / samples;
  std::vector<double> spread;
  spread.reserve(static_cast<size_t>(positions));
  for (double w : given) spread.insert(spread.end(), static_cast<size_t>(per_sample), w);
  return spread;
}

void MeanMetricWrapper::update_state(const Tensor& y_true, const Tensor& y_pred) {
  for (double value : values(y_true, y_pred)) add(value, 1.0);
}

void MeanMetricWrapper::update_state_weighted(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  const std::vector<double> v = values(y_true, y_pred);
  const int64_t samples = y_pred.rank() ? y_pred.dim(0) : 1;
  if (samples == 0 || v.empty()) return;
  const std::vector<double> w = weights_per_position(sample_weight, samples, static_cast<int64_t>(v.size()), name());
  // As Keras's Mean: per sample, the mean over its positions of value * weight, and of the weights.
  const size_t per_sample = v.size() / static_cast<size_t>(samples);
  for (size_t b = 0; b < static_cast<size_t>(samples); ++b) {
    double total = 0, count = 0;
    for (size_t j = b * per_sample; j < (b + 1) * per_sample; ++j) {
      total += v[j] * w[j];
      count += w[j];
    }
    add(total / static_cast<double>(per_sample), count / static_cast<double>(per_sample));
  }
}

std::vector<double> SparseCategoricalAccuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
  Tensor predicted = ops::argmax(y_pred, -1);
  const int64_t n = predicted.numel();
  if (y_true.numel() != n)
    throw ShapeError(name() + ": labels of shape " + shape_str(y_true.shape()) + " do not match predictions of shape " +
                     shape_str(y_pred.shape()));
  Tensor labels = int64_labels(y_true);
  std::vector<double> correct(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) correct[i] = predicted.data<int64_t>()[i] == labels.data<int64_t>()[i] ? 1.0 : 0.0;
  return correct;
}

std::vector<double> CategoricalAccuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
  if (y_true.shape() != y_pred.shape())
    throw ShapeError(name() + ": targets of shape " + shape_str(y_true.shape()) + " do not match predictions of shape " +
                     shape_str(y_pred.shape()));
  Tensor a = ops::argmax(y_true.to(DType::Float32), -1), b = ops::argmax(y_pred, -1);
  std::vector<double> correct(static_cast<size_t>(a.numel()));
  for (int64_t i = 0; i < a.numel(); ++i) correct[i] = a.data<int64_t>()[i] == b.data<int64_t>()[i] ? 1.0 : 0.0;
  return correct;
}

namespace {
// The elements of y_pred in rows of its last axis (one row of one element for a rank-1 y_pred).
int64_t row_length(const Tensor& y_pred) { return y_pred.rank() >= 2 ? y_pred.shape().back() : 1; }
}  // namespace

std::vector<double> BinaryAccuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
  if (y_true.numel() != y_pred.numel())
    throw ShapeError(name() + ": targets of shape " + shape_str(y_true.shape()) + " do not match predictions of shape " +
                     shape_str(y_pred.shape()));
  Tensor t = y_true.to(DType::Float64), p = y_pred.to(DType::Float64);
  const int64_t last = row_length(y_pred);
  if (last == 0) return {};
  std::vector<double> rows(static_cast<size_t>(p.numel() / last));
  for (size_t row = 0; row < rows.size(); ++row) {
    int64_t correct = 0;
    for (int64_t j = static_cast<int64_t>(row) * last; j < static_cast<int64_t>(row + 1) * last; ++j)
      correct += (p.data<double>()[j] > threshold_ ? 1.0 : 0.0) == t.data<double>()[j];
    rows[row] = static_cast<double>(correct) / static_cast<double>(last);
  }
  return rows;
}

std::vector<double> MeanError::values(const Tensor& y_true, const Tensor& y_pred) const {
  if (y_true.numel() != y_pred.numel())
    throw ShapeError(name() + ": targets of shape " + shape_str(y_true.shape()) + " do not match predictions of shape " +
                     shape_str(y_pred.shape()));
  Tensor t = y_true.to(DType::Float64), p = y_pred.to(DType::Float64);
  const int64_t last = row_length(y_pred);
  if (p.numel() == 0 || last == 0) return {};
  std::vector<double> rows(static_cast<size_t>(p.numel() / last));
  for (size_t row = 0; row < rows.size(); ++row) {
    double sum = 0;
    for (int64_t j = static_cast<int64_t>(row) * last; j < static_cast<int64_t>(row + 1) * last; ++j) {
      const double difference = t.data<double>()[j] - p.data<double>()[j];
      sum += kind_ == Kind::Absolute ? std::abs(difference) : difference * difference;
    }
    rows[row] = sum / double(last);
  }
  return rows;
}

void Metric::set_state(const std::vector<double>& state) {
  if (state.size() != 2)
    throw InvalidArgument(name_ + ": a state of " + std::to_string(state.size()) + " values (expected total, count)");
  set_totals(state[0], state[1]);
}

namespace {

// Keras's shape rule for "accuracy" and "crossentropy": binary, categorical or sparse.
enum class LabelKind { Binary, Categorical, Sparse };
LabelKind label_kind(const Shape& y_true_shape, const Shape& y_pred_shape) {
  if (!y_pred_shape.empty() && y_pred_shape.back() == 1) return LabelKind::Binary;
  if (y_true_shape.size() == y_pred_shape.size() && !y_true_shape.empty() && y_true_shape.back() > 1)
    return LabelKind::Categorical;
  return LabelKind::Sparse;
}

bool is_shape_resolved(const std::string& name) {
  return name == "accuracy" || name == "acc" || name == "crossentropy" || name == "ce";
}

const MetricRegistration* registered_identifier(const std::string& name) {
  for (const MetricRegistration& entry : metric_registry())
    if (std::find(entry.names.begin(), entry.names.end(), name) != entry.names.end()) return &entry;
  return nullptr;
}

// Keras's loss functions that compile also takes as metrics (a mean of the per-sample loss).
bool is_loss_function(const std::string& name) {
  const LossRegistration* loss = find_loss(name);
  return loss && name != loss->class_name;
}

}  // namespace

bool is_metric_name(const std::string& name) {
  return is_shape_resolved(name) || name == "sparse_categorical_accuracy" || name == "categorical_accuracy" ||
         name == "binary_accuracy" || registered_identifier(name) || is_loss_function(name);
}

std::unique_ptr<Metric> make_metric(const std::string& name, const Shape& y_true_shape, const Shape& y_pred_shape) {
  if (name == "sparse_categorical_accuracy") return std::make_unique<SparseCategoricalAccuracy>();
  if (name == "categorical_accuracy") return std::make_unique<CategoricalAccuracy>();
  if (name == "binary_accuracy") return std::make_unique<BinaryAccuracy>();
  if (name == "accuracy" || name == "acc") {
    switch (label_kind(y_true_shape, y_pred_shape)) {
      case LabelKind::Binary: return std::make_unique<BinaryAccuracy>(name);
      case LabelKind::Categorical: return std::make_unique<CategoricalAccuracy>(name);
      case LabelKind::Sparse: return std::make_unique<SparseCategoricalAccuracy>(name);
    }
  }
  if (name == "crossentropy" || name == "ce") {
    const char* loss = "sparse_categorical_crossentropy";
    const LabelKind kind = label_kind(y_true_shape, y_pred_shape);
    if (kind == LabelKind::Binary) loss = "binary_crossentropy";
    if (kind == LabelKind::Categorical) loss = "categorical_crossentropy";
    return std::make_unique<LossMetric>(name, get_loss(loss));
  }
  if (const MetricRegistration* entry = registered_identifier(name)) {
    KeywordArgs defaults(entry->class_name, {});
    return make_metric_from_config(entry->class_name, name, defaults);
  }
  if (is_loss_function(name)) return std::make_unique<LossMetric>(name, get_loss(name));
  std::string known = "accuracy, acc, crossentropy, ce, sparse_categorical_accuracy, categorical_accuracy, binary_accuracy";
  for (const MetricRegistration& entry : metric_registry())
    for (const std::string& identifier : entry.names) known += ", " + identifier;
  throw InvalidArgument("Unknown metric function: '" + name + "'. Expected one of " + known +
                        ", or a Keras loss function (mape, msle, hinge...)");
}

std::vector<std::vector<int64_t>> confusion_matrix(const Tensor& labels, const Tensor& predictions, int64_t num_classes) {
  if (num_classes <= 0) throw InvalidArgument("confusion_matrix: num_classes must be positive, got " + std::to_string(num_classes));
  Tensor predicted = predictions.rank() >= 2 ? ops::argmax(predictions.to(DType::Float32), -1) : predictions.to(DType::Int64);
  if (predicted.numel() != labels.numel())
    throw ShapeError("confusion_matrix: " + std::to_string(labels.numel()) + " labels for " +
                     std::to_string(predicted.numel()) + " predictions");
  Tensor truth = int64_labels(labels);
  std::vector<std::vector<int64_t>> counts(num_classes, std::vector<int64_t>(num_classes, 0));
  for (int64_t i = 0; i < truth.numel(); ++i) {
    int64_t t = truth.data<int64_t>()[i], p = predicted.data<int64_t>()[i];
    if (t < 0 || t >= num_classes || p < 0 || p >= num_classes)
      throw InvalidArgument("confusion_matrix: class " + std::to_string(t < 0 || t >= num_classes ? t : p) +
                            " is outside [0, " + std::to_string(num_classes) + ")");
    ++counts[t][p];
  }
  return counts;
}

}  // namespace cairn
