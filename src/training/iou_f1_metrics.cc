// Keras's MeanIoU and F1Score: per-class counts accumulated over batches.
#include <algorithm>
#include <cmath>

#include "cairn/error.h"
#include "cairn/metrics.h"
#include "cairn/ops.h"
#include "metric_weights.h"

namespace cairn {

namespace {
constexpr double kEpsilon = 1e-7;  // keras.backend.epsilon()

// Class ids per sample: the values themselves (sparse), or the argmax over the last axis.
std::vector<int64_t> class_ids(const Tensor& values, bool sparse) {
  Tensor ids = sparse ? values.to(DType::Int64) : ops::argmax(values.to(DType::Float32), -1);
  return ids.to_vector<int64_t>();
}

void require_size(const std::string& metric, const std::vector<double>& state, size_t expected) {
  if (state.size() != expected)
    throw InvalidArgument(metric + ": a state of " + std::to_string(state.size()) + " values (expected " +
                          std::to_string(expected) + ")");
}
}  // namespace

MeanIoU::MeanIoU(int64_t num_classes, std::optional<int64_t> ignore_class, bool sparse_y_true, bool sparse_y_pred,
                 std::string name)
    : Metric(std::move(name)),
      num_classes_(num_classes),
      ignore_class_(ignore_class),
      sparse_y_true_(sparse_y_true),
      sparse_y_pred_(sparse_y_pred) {
  if (num_classes < 1 || num_classes > 65536)
    throw InvalidArgument(this->name() + ": num_classes must be in [1, 65536], got " + std::to_string(num_classes));
  reset_state();
}

void MeanIoU::reset_state() { matrix_.assign(static_cast<size_t>(num_classes_ * num_classes_), 0); }

void MeanIoU::set_state(const std::vector<double>& state) {
  require_size(name(), state, matrix_.size());
  matrix_ = state;
}

void MeanIoU::update_state_weighted(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  const std::vector<int64_t> truth = class_ids(y_true, sparse_y_true_), predicted = class_ids(y_pred, sparse_y_pred_);
  if (truth.size() != predicted.size())
    throw ShapeError(name() + ": targets of shape " + shape_str(y_true.shape()) + " do not match predictions of shape " +
                     shape_str(y_pred.shape()));
  // Each (label, prediction) pair counts with its weight (Keras's weighted confusion matrix).
  const std::vector<double> weights =
      sample_weight.defined() && !truth.empty()
          ? weights_per_position(sample_weight, y_pred.rank() ? y_pred.dim(0) : 1, static_cast<int64_t>(truth.size()), name())
          : std::vector<double>(truth.size(), 1.0);
  for (size_t i = 0; i < truth.size(); ++i) {
    if (ignore_class_ && truth[i] == *ignore_class_) continue;
    for (int64_t id : {truth[i], predicted[i]})
      if (id < 0 || id >= num_classes_)
        throw InvalidArgument(name() + ": class " + std::to_string(id) + " is outside [0, " +
                              std::to_string(num_classes_) + ")");
    matrix_[static_cast<size_t>(truth[i] * num_classes_ + predicted[i])] += weights[i];
  }
}

double MeanIoU::result() const {
  double sum = 0;
  int64_t valid = 0;
  for (int64_t c = 0; c < num_classes_; ++c) {
    double row = 0, column = 0;
    for (int64_t k = 0; k < num_classes_; ++k) {
      row += matrix_[static_cast<size_t>(c * num_classes_ + k)];
      column += matrix_[static_cast<size_t>(k * num_classes_ + c)];
    }
    const double tp = matrix_[static_cast<size_t>(c * num_classes_ + c)];
    const double denominator = row + column - tp;
    if (denominator == 0) continue;  // a class that never occurred does not count
    sum += tp / denominator;
    ++valid;
  }
  return valid ? sum / static_cast<double>(valid) : 0.0;
}

ArgList MeanIoU::get_config() const {
  return {{"num_classes", static_cast<double>(num_classes_)},
          {"ignore_class", ignore_class_ ? ArgValue{static_cast<double>(*ignore_class_)} : ArgValue{nullptr}},
          {"sparse_y_true", sparse_y_true_},
          {"sparse_y_pred", sparse_y_pred_},
          {"axis", -1.0}};
}

F1Score::F1Score(std::string average, std::optional<double> threshold, std::string name)
    : Metric(std::move(name)), average_(std::move(average)), threshold_(threshold) {
  if (average_ != "micro" && average_ != "macro" && average_ != "weighted")
    throw InvalidArgument(this->name() + ": average must be 'micro', 'macro' or 'weighted', got '" + average_ +
                          "' (Keras's None gives one score per class, which a log of one number per metric "
                          "cannot hold)");
  if (threshold && !(*threshold > 0 && *threshold <= 1))
    throw InvalidArgument(this->name() + ": threshold must be in (0, 1], got " + std::to_string(*threshold));
}

// Keeps the number of classes, as Keras's variables do: zeros, not an empty state.
void F1Score::reset_state() {
  for (auto* v : {&tp_, &fp_, &fn_, &support_}) std::fill(v->begin(), v->end(), 0.0);
}

std::vector<double> F1Score::state() const {
  std::vector<double> all;
  for (const auto* v : {&tp_, &fp_, &fn_, &support_}) all.insert(all.end(), v->begin(), v->end());
  return all;
}

void F1Score::set_state(const std::vector<double>& state) {
  if (state.size() % 4 != 0) require_size(name(), state, state.size() - state.size() % 4);
  const size_t n = state.size() / 4;
  size_t at = 0;
  for (auto* v : {&tp_, &fp_, &fn_, &support_}) {
    v->assign(state.begin() + static_cast<std::ptrdiff_t>(at), state.begin() + static_cast<std::ptrdiff_t>(at + n));
    at += n;
  }
}

void F1Score::update_state_weighted(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  if (y_true.shape() != y_pred.shape() || y_pred.rank() < 1)
    throw ShapeError(name() + ": targets of shape " + shape_str(y_true.shape()) + " do not match predictions of shape " +
                     shape_str(y_pred.shape()) + " (F1Score takes one-hot targets)");
  const int64_t classes = y_pred.shape().back(), rows = y_pred.numel() / std::max<int64_t>(classes, 1);
  const size_t slots = average_ == "micro" ? 1 : static_cast<size_t>(classes);
  if (tp_.empty()) tp_.assign(slots, 0), fp_.assign(slots, 0), fn_.assign(slots, 0), support_.assign(slots, 0);
  if (tp_.size() != slots)
    throw ShapeError(name() + ": predictions with " + std::to_string(classes) + " classes after batches with " +
                     std::to_string(tp_.size()));
  const Tensor t = y_true.to(DType::Float64), p = y_pred.to(DType::Float64);
  // Each row's counts weigh its weight (Keras multiplies y_true and y_pred by the sample's weight).
  const std::vector<double> weights =
      sample_weight.defined() && rows > 0 ? weights_per_position(sample_weight, y_pred.dim(0), rows, name())
                                          : std::vector<double>(static_cast<size_t>(rows), 1.0);
  for (int64_t r = 0; r < rows; ++r) {
    const double w = weights[static_cast<size_t>(r)];
    const double* pr = p.data<double>() + r * classes;
    const double* tr = t.data<double>() + r * classes;
    const double row_max = *std::max_element(pr, pr + classes);
    for (int64_t c = 0; c < classes; ++c) {
      const double predicted =
          threshold_ ? (pr[c] > *threshold_ ? 1.0 : 0.0) : (pr[c] >= row_max && std::fabs(pr[c]) > 1e-9 ? 1.0 : 0.0);
      const size_t k = slots == 1 ? 0 : static_cast<size_t>(c);
      tp_[k] += w * predicted * tr[c];
      fp_[k] += w * predicted * (1 - tr[c]);
      fn_[k] += w * (1 - predicted) * tr[c];
      support_[k] += w * tr[c];
    }
  }
}

double F1Score::result() const {
  if (tp_.empty()) return 0;
  std::vector<double> scores;
  for (size_t k = 0; k < tp_.size(); ++k) {
    const double precision = tp_[k] / (tp_[k] + fp_[k] + kEpsilon);
    const double recall = tp_[k] / (tp_[k] + fn_[k] + kEpsilon);
    scores.push_back(2 * precision * recall / (precision + recall + kEpsilon));
  }
  if (average_ == "weighted") {
    double total = 0, weights = 0;
    for (double w : support_) weights += w;
    for (size_t k = 0; k < scores.size(); ++k) total += scores[k] * support_[k] / (weights + kEpsilon);
    return total;
  }
  double sum = 0;
  for (double s : scores) sum += s;
  return sum / static_cast<double>(scores.size());
}

ArgList F1Score::get_config() const {
  return {{"average", average_}, {"threshold", threshold_ ? ArgValue{*threshold_} : ArgValue{nullptr}}};
}

}  // namespace cairn
