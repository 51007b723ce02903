// Keras's metric classes by name, the loss functions as metrics, and the identifiers compile takes:
// adding a metric is its class and one line in metric_registry().
#include <algorithm>
#include <cmath>

#include "cairn/error.h"
#include "cairn/metrics.h"
#include "cairn/ops.h"
#include "metric_weights.h"

namespace cairn {

std::vector<double> LossMetric::values(const Tensor& y_true, const Tensor& y_pred) const {
  return loss_->call(y_true, y_pred.to(DType::Float32)).to(DType::Float64).to_vector<double>();
}

void RootMeanSquaredError::update_state(const Tensor& y_true, const Tensor& y_pred) {
  if (y_true.numel() != y_pred.numel())
    throw ShapeError(name() + ": targets of shape " + shape_str(y_true.shape()) + " do not match predictions of shape " +
                     shape_str(y_pred.shape()));
  const Tensor t = y_true.to(DType::Float64), p = y_pred.to(DType::Float64);
  for (int64_t i = 0; i < p.numel(); ++i) {
    const double difference = p.data<double>()[i] - t.data<double>()[i];
    add(difference * difference, 1.0);
  }
}

void RootMeanSquaredError::update_state_weighted(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  if (y_true.numel() != y_pred.numel())
    throw ShapeError(name() + ": targets of shape " + shape_str(y_true.shape()) + " do not match predictions of shape " +
                     shape_str(y_pred.shape()));
  const Tensor t = y_true.to(DType::Float64), p = y_pred.to(DType::Float64);
  const int64_t samples = p.rank() ? p.dim(0) : 1;
  if (samples == 0 || p.numel() == 0) return;
  const std::vector<double> w = weights_per_position(sample_weight, samples, p.numel(), name());
  // As Keras's Mean of the squared errors: per sample, the mean of weight * error^2 and of the weights.
  const int64_t per_sample = p.numel() / samples;
  for (int64_t b = 0; b < samples; ++b) {
    double total = 0, count = 0;
    for (int64_t i = b * per_sample; i < (b + 1) * per_sample; ++i) {
      const double difference = p.data<double>()[i] - t.data<double>()[i];
      total += w[static_cast<size_t>(i)] * difference * difference;
      count += w[static_cast<size_t>(i)];
    }
    add(total / static_cast<double>(per_sample), count / static_cast<double>(per_sample));
  }
}

double RootMeanSquaredError::result() const { return std::sqrt(Metric::result()); }

TopKCategoricalAccuracy::TopKCategoricalAccuracy(int64_t k, bool sparse, std::string name)
    : MeanMetricWrapper(name.empty() ? (sparse ? "sparse_top_k_categorical_accuracy" : "top_k_categorical_accuracy") : name),
      k_(k),
      sparse_(sparse) {
  if (k < 1) throw InvalidArgument(this->name() + ": k must be >= 1, got " + std::to_string(k));
}

std::vector<double> TopKCategoricalAccuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
  if (y_pred.rank() < 1) throw ShapeError(name() + ": predictions of shape () have no classes");
  const int64_t classes = y_pred.shape().back(), rows = y_pred.numel() / std::max<int64_t>(classes, 1);
  const std::vector<int64_t> labels =
      sparse_ ? y_true.to(DType::Int64).to_vector<int64_t>() : ops::argmax(y_true.to(DType::Float32), -1).to_vector<int64_t>();
  if (static_cast<int64_t>(labels.size()) != rows)
    throw ShapeError(name() + ": targets of shape " + shape_str(y_true.shape()) + " do not match predictions of shape " +
                     shape_str(y_pred.shape()));
  const Tensor p = y_pred.to(DType::Float32);
  std::vector<double> in_top_k(static_cast<size_t>(rows), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = p.data<float>() + r * classes;
    const int64_t label = labels[static_cast<size_t>(r)];
    if (label < 0 || label >= classes) continue;  // TensorFlow's in_top_k: an out-of-range target is never in the top k
    int64_t larger = 0;
    for (int64_t c = 0; c < classes; ++c) larger += row[c] > row[label];
    in_top_k[static_cast<size_t>(r)] = larger < k_ ? 1.0 : 0.0;
  }
  return in_top_k;
}

namespace {

std::optional<int64_t> optional_class(KeywordArgs& a, const std::string& key) { return a.optional_integer(key, 0); }

// Precision and Recall take one threshold; top_k and class_id select what cairn does not.
std::optional<double> single_threshold(KeywordArgs& a) {
  std::vector<double> thresholds = a.numbers("thresholds", {});
  if (thresholds.size() > 1) a.fail("thresholds", "with more than one value is not supported (one result per metric)");
  if (a.optional_integer("top_k")) a.fail("top_k", "is not supported by cairn's Precision and Recall");
  if (a.optional_integer("class_id")) a.fail("class_id", "is not supported by cairn's Precision and Recall");
  return thresholds.empty() ? std::nullopt : std::optional<double>(thresholds[0]);
}

}  // namespace

const std::vector<MetricRegistration>& metric_registry() {
  static const std::vector<MetricRegistration> registry = {
      {"AUC", {"auc"},
       [](const std::string& name, KeywordArgs& a) -> std::unique_ptr<Metric> {
         const int64_t num_thresholds = a.integer("num_thresholds", 200, 2, 100000);
         const std::string curve = a.string("curve", "ROC");
         if (a.string("summation_method", "interpolation") != "interpolation")
           a.fail("summation_method", "other than 'interpolation' is not supported");
         if (a.boolean("multi_label", false)) a.fail("multi_label", "is not supported (one AUC over every label)");
         if (a.optional_integer("num_labels")) a.fail("num_labels", "is not supported");
         if (!a.numbers("label_weights", {}).empty()) a.fail("label_weights", "is not supported");
         if (!a.numbers("thresholds", {}).empty()) a.fail("thresholds", "is not supported (use num_thresholds)");
         return std::make_unique<AUC>(num_thresholds, curve, name, a.boolean("from_logits", false));
       }},
      {"F1Score", {},
       [](const std::string& name, KeywordArgs& a) -> std::unique_ptr<Metric> {
         const std::string average = a.string("average", "none");
         return std::make_unique<F1Score>(average, a.optional_number("threshold"), name);
       }},
      {"MeanAbsoluteError", {"mae", "mean_absolute_error"},
       [](const std::string& name, KeywordArgs&) -> std::unique_ptr<Metric> {
         return std::make_unique<MeanError>(name, MeanError::Kind::Absolute);
       }},
      {"MeanIoU", {},
       [](const std::string& name, KeywordArgs& a) -> std::unique_ptr<Metric> {
         if (!a.has("num_classes")) a.fail("num_classes", "is required");
         const int64_t classes = a.integer("num_classes", 0, 1, 65536);
         const std::optional<int64_t> ignore = optional_class(a, "ignore_class");
         const bool sparse_true = a.boolean("sparse_y_true", true), sparse_pred = a.boolean("sparse_y_pred", true);
         if (a.integer("axis", -1) != -1) a.fail("axis", "other than -1 is not supported");
         return std::make_unique<MeanIoU>(classes, ignore, sparse_true, sparse_pred, name);
       }},
      {"MeanSquaredError", {"mse", "mean_squared_error"},
       [](const std::string& name, KeywordArgs&) -> std::unique_ptr<Metric> {
         return std::make_unique<MeanError>(name, MeanError::Kind::Squared);
       }},
      {"Precision", {"precision"},
       [](const std::string& name, KeywordArgs& a) -> std::unique_ptr<Metric> {
         return std::make_unique<Precision>(single_threshold(a), name);
       }},
      {"Recall", {"recall"},
       [](const std::string& name, KeywordArgs& a) -> std::unique_ptr<Metric> {
         return std::make_unique<Recall>(single_threshold(a), name);
       }},
      {"RootMeanSquaredError", {"root_mean_squared_error"},
       [](const std::string& name, KeywordArgs&) -> std::unique_ptr<Metric> {
         return std::make_unique<RootMeanSquaredError>(name);
       }},
      {"SparseTopKCategoricalAccuracy", {"sparse_top_k_categorical_accuracy"},
       [](const std::string& name, KeywordArgs& a) -> std::unique_ptr<Metric> {
         return std::make_unique<TopKCategoricalAccuracy>(a.integer("k", 5, 1, 1 << 30), true, name);
       }},
      {"TopKCategoricalAccuracy", {"top_k_categorical_accuracy"},
       [](const std::string& name, KeywordArgs& a) -> std::unique_ptr<Metric> {
         return std::make_unique<TopKCategoricalAccuracy>(a.integer("k", 5, 1, 1 << 30), false, name);
       }},
  };
  return registry;
}

std::unique_ptr<Metric> make_metric_from_config(const std::string& class_name, const std::string& name,
                                                KeywordArgs& args) {
  for (const MetricRegistration& entry : metric_registry()) {
    if (entry.class_name != class_name) continue;
    std::unique_ptr<Metric> metric = entry.make(name, args);
    args.ignore("dtype");
    args.finish();
    return metric;
  }
  std::string known;
  for (const MetricRegistration& entry : metric_registry()) known += (known.empty() ? "" : ", ") + entry.class_name;
  throw InvalidArgument("Unknown metric class '" + class_name + "' (cairn has " + known + ")");
}

}  // namespace cairn
