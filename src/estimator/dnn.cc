// DNNClassifier and DNNRegressor: the shared Estimator with TensorFlow's classification heads (softmax
// cross-entropy over n classes, or one logit with the sigmoid cross-entropy for two) and regression head
// (squared error).
#include <charconv>
#include <cmath>
#include <set>

#include "cairn/error.h"
#include "cairn/ops.h"
#include "estimator_core.h"

namespace cairn {
namespace {

int64_t feature_count(const std::vector<std::string>& feature_columns, int64_t n_features,
                      const std::string& owner) {
  if (feature_columns.empty()) return n_features;
  std::set<std::string> names;
  for (const std::string& name : feature_columns)
    if (!names.insert(name).second) throw InvalidArgument(owner + ": feature column '" + name + "' is given twice");
  const auto count = static_cast<int64_t>(feature_columns.size());
  if (n_features != 0 && n_features != count)
    throw InvalidArgument(owner + ": " + std::to_string(count) + " feature_columns but n_features = " +
                          std::to_string(n_features));
  return count;
}

std::string number_text(double value) {
  char buffer[32];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return error == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

// Labels as a (n,) or (n, 1) tensor of integral class ids in [0, n_classes).
std::vector<int64_t> class_ids(const Tensor& y, int n_classes, const std::string& owner) {
  if (y.rank() > 2 || (y.rank() == 2 && y.dim(1) != 1))
    throw ShapeError(owner + ": labels must have shape (n,) or (n, 1), got " + shape_str(y.shape()));
  if (y.dtype() == DType::Bool) throw InvalidArgument(owner + ": labels must be numbers, got bool");
  const Tensor values = y.to(DType::Float64);
  std::vector<int64_t> ids;
  ids.reserve(static_cast<size_t>(values.numel()));
  int64_t index = 0;
  for (double v : values.span<double>()) {
    if (!(v >= 0 && v < n_classes) || v != std::floor(v))
      throw InvalidArgument(owner + ": label " + number_text(v) + " at index " + std::to_string(index) +
                            " is not a class id in [0, n_classes) = [0, " + std::to_string(n_classes) + ")");
    ids.push_back(static_cast<int64_t>(v));
    ++index;
  }
  return ids;
}

class MultiClassHead : public Head {
 public:
  explicit MultiClassHead(int n_classes) : n_classes_(n_classes) {}
  int64_t logits_dimension() const override { return n_classes_; }
  Tensor prepare_labels(const Tensor& y, const std::string& owner) const override {
    std::vector<int64_t> ids = class_ids(y, n_classes_, owner);
    return Tensor::from_vector<int64_t>({static_cast<int64_t>(ids.size())}, ids);
  }
  Tensor losses(const Tensor& logits, const Tensor& labels) const override {
    return ops::sparse_softmax_cross_entropy(logits, labels);
  }
  int64_t correct(const Tensor& logits, const Tensor& labels) const override {
    const Tensor predicted = ops::argmax(logits, -1);
    int64_t count = 0;
    for (int64_t i = 0; i < labels.numel(); ++i) count += predicted.data<int64_t>()[i] == labels.data<int64_t>()[i];
    return count;
  }
  bool reports_accuracy() const override { return true; }

 private:
  int n_classes_;
};

// Two classes: one logit, the probability of class 1 is its sigmoid.
class BinaryClassHead : public Head {
 public:
  int64_t logits_dimension() const override { return 1; }
  Tensor prepare_labels(const Tensor& y, const std::string& owner) const override {
    std::vector<int64_t> ids = class_ids(y, 2, owner);
    std::vector<float> values(ids.begin(), ids.end());
    return Tensor::from_vector<float>({static_cast<int64_t>(values.size()), 1}, values);
  }
  Tensor losses(const Tensor& logits, const Tensor& labels) const override {
    return ops::sigmoid_cross_entropy(logits, labels);
  }
  int64_t correct(const Tensor& logits, const Tensor& labels) const override {
    int64_t count = 0;
    for (int64_t i = 0; i < labels.numel(); ++i)
      count += (logits.data<float>()[i] > 0) == (labels.data<float>()[i] > 0.5f);
    return count;
  }
  bool reports_accuracy() const override { return true; }
};

class RegressionHead : public Head {
 public:
  explicit RegressionHead(int64_t label_dimension) : label_dimension_(label_dimension) {}
  int64_t logits_dimension() const override { return label_dimension_; }
  Tensor prepare_labels(const Tensor& y, const std::string& owner) const override {
    const bool fits = (y.rank() == 2 && y.dim(1) == label_dimension_) || (y.rank() == 1 && label_dimension_ == 1);
    if (!fits)
      throw ShapeError(owner + ": labels of shape " + shape_str(y.shape()) + " do not fit label_dimension " +
                       std::to_string(label_dimension_));
    if (y.dtype() == DType::Bool) throw InvalidArgument(owner + ": labels must be numbers, got bool");
    return y.to(DType::Float32).reshape({y.dim(0), label_dimension_});
  }
  Tensor losses(const Tensor& logits, const Tensor& labels) const override {
    return ops::square(ops::sub(logits, labels));
  }

 private:
  int64_t label_dimension_;
};

// The network and run settings that both estimators' options hold alike (moved out of `options`); the
// caller adds the head.
template <class Options>
EstimatorSpec network_spec(Options& options, const std::string& owner) {
  return {.class_name = owner,
          .n_features = feature_count(options.feature_columns, options.n_features, owner),
          .hidden_units = std::move(options.hidden_units),
          .model_dir = std::move(options.model_dir),
          .optimizer = std::move(options.optimizer),
          .activation = std::move(options.activation),
          .dropout = options.dropout,
          .config = options.config,
          .head = nullptr};
}

std::vector<float> row(const Tensor& t, int64_t i) {
  const int64_t width = t.dim(1);
  const float* p = t.data<float>() + i * width;
  return {p, p + width};
}

}  // namespace

// ---- DNNClassifier

DNNClassifier::DNNClassifier(DNNClassifierOptions options) {
  const std::string owner = "DNNClassifier";
  if (options.n_classes < 2)
    throw InvalidArgument(owner + ": n_classes must be > 1, got " + std::to_string(options.n_classes));
  EstimatorSpec spec = network_spec(options, owner);
  if (options.n_classes == 2) {
    spec.head = std::make_unique<BinaryClassHead>();
  } else {
    spec.head = std::make_unique<MultiClassHead>(options.n_classes);
  }
  estimator_ = std::make_unique<Estimator>(std::move(spec));
}

DNNClassifier::~DNNClassifier() = default;
DNNClassifier::DNNClassifier(DNNClassifier&&) noexcept = default;
DNNClassifier& DNNClassifier::operator=(DNNClassifier&&) noexcept = default;

void DNNClassifier::train(const InputFn& input_fn, TrainSteps steps, const std::vector<SessionRunHookPtr>& hooks) {
  estimator_->train(input_fn, steps, hooks);
}

ClassifierEvaluation DNNClassifier::evaluate(const InputFn& input_fn, std::optional<int64_t> steps,
                                             const std::string& name) {
  EvaluationTotals totals = estimator_->evaluate(input_fn, steps, name);
  return {totals.metric("accuracy"), totals.metric("average_loss"), totals.metric("loss"), totals.global_step};
}

std::vector<ClassPrediction> DNNClassifier::predict(const InputFn& input_fn) {
  const Tensor logits = estimator_->predict(input_fn);
  const bool binary = logits.dim(1) == 1;
  const Tensor probabilities = binary ? ops::sigmoid(logits) : ops::softmax(logits);
  std::vector<ClassPrediction> predictions;
  for (int64_t i = 0; i < logits.dim(0); ++i) {
    ClassPrediction p;
    p.logits = row(logits, i);
    p.probabilities = row(probabilities, i);
    if (binary) p.probabilities.insert(p.probabilities.begin(), 1.f - p.probabilities[0]);
    // The first most probable class, as argmax.
    for (size_t c = 1; c < p.probabilities.size(); ++c)
      if (p.probabilities[c] > p.probabilities[static_cast<size_t>(p.class_id)]) p.class_id = static_cast<int64_t>(c);
    predictions.push_back(std::move(p));
  }
  return predictions;
}

const std::string& DNNClassifier::model_dir() const { return estimator_->model_dir(); }
std::optional<std::string> DNNClassifier::latest_checkpoint() const { return estimator_->latest_checkpoint(); }

// ---- DNNRegressor

DNNRegressor::DNNRegressor(DNNRegressorOptions options) {
  const std::string owner = "DNNRegressor";
  if (options.label_dimension <= 0)
    throw InvalidArgument(owner + ": label_dimension must be positive, got " + std::to_string(options.label_dimension));
  EstimatorSpec spec = network_spec(options, owner);
  spec.head = std::make_unique<RegressionHead>(options.label_dimension);
  estimator_ = std::make_unique<Estimator>(std::move(spec));
}

DNNRegressor::~DNNRegressor() = default;
DNNRegressor::DNNRegressor(DNNRegressor&&) noexcept = default;
DNNRegressor& DNNRegressor::operator=(DNNRegressor&&) noexcept = default;

void DNNRegressor::train(const InputFn& input_fn, TrainSteps steps, const std::vector<SessionRunHookPtr>& hooks) {
  estimator_->train(input_fn, steps, hooks);
}

RegressorEvaluation DNNRegressor::evaluate(const InputFn& input_fn, std::optional<int64_t> steps,
                                           const std::string& name) {
  EvaluationTotals totals = estimator_->evaluate(input_fn, steps, name);
  return {totals.metric("average_loss"), totals.metric("loss"), totals.global_step};
}

std::vector<std::vector<float>> DNNRegressor::predict(const InputFn& input_fn) {
  const Tensor outputs = estimator_->predict(input_fn);
  std::vector<std::vector<float>> predictions;
  for (int64_t i = 0; i < outputs.dim(0); ++i) predictions.push_back(row(outputs, i));
  return predictions;
}

const std::string& DNNRegressor::model_dir() const { return estimator_->model_dir(); }
std::optional<std::string> DNNRegressor::latest_checkpoint() const { return estimator_->latest_checkpoint(); }

}  // namespace cairn
