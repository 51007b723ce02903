// Keras's threshold metrics: Precision, Recall and AUC, from true/false positive/negative counts.
#include <algorithm>
#include <cmath>

#include "cairn/error.h"
#include "cairn/metrics.h"
#include "cairn/ops.h"
#include "metric_weights.h"

namespace cairn {

namespace {
constexpr double kEpsilon = 1e-7;  // keras.backend.epsilon()

double divide_no_nan(double a, double b) { return b == 0 ? 0 : a / b; }
}  // namespace

ConfusionCounts::ConfusionCounts(std::vector<double> thresholds) : thresholds_(std::move(thresholds)) { reset(); }

void ConfusionCounts::reset() {
  tp.assign(thresholds_.size(), 0);
  fp.assign(thresholds_.size(), 0);
  tn.assign(thresholds_.size(), 0);
  fn.assign(thresholds_.size(), 0);
}

void ConfusionCounts::update(const std::string& metric, const Tensor& y_true, const Tensor& y_pred,
                             const Tensor& sample_weight) {
  if (y_true.numel() != y_pred.numel())
    throw ShapeError(metric + ": targets of shape " + shape_str(y_true.shape()) +
                     " do not match predictions of shape " + shape_str(y_pred.shape()));
  const Tensor t = y_true.to(DType::Float64), p = y_pred.to(DType::Float64);
  // Keras broadcasts the weights over y_pred: per sample, or per position of its leading dimensions.
  std::vector<double> weights;
  int64_t per_weight = 1;
  if (sample_weight.defined() && p.numel() > 0) {
    const int64_t samples = p.rank() ? p.dim(0) : 1;
    const int64_t positions = p.rank() >= 2 ? p.numel() / p.shape().back() : p.numel();
    weights = weights_per_position(sample_weight, samples, positions, metric);
    per_weight = p.numel() / positions;
  }
  for (int64_t i = 0; i < p.numel(); ++i) {
    const bool positive = t.data<double>()[i] != 0;  // Keras casts the labels to bool
    const double score = p.data<double>()[i];
    const double weight = weights.empty() ? 1.0 : weights[static_cast<size_t>(i / per_weight)];
    for (size_t k = 0; k < thresholds_.size(); ++k) {
      const bool predicted = score > thresholds_[k];
      (positive ? (predicted ? tp : fn) : (predicted ? fp : tn))[k] += weight;
    }
  }
}

std::vector<double> ConfusionCounts::state() const {
  std::vector<double> all;
  for (const auto* counts : {&tp, &fp, &tn, &fn}) all.insert(all.end(), counts->begin(), counts->end());
  return all;
}

void ConfusionCounts::set_state(const std::string& metric, const std::vector<double>& state) {
  const size_t n = thresholds_.size();
  if (state.size() != 4 * n)
    throw InvalidArgument(metric + ": a state of " + std::to_string(state.size()) + " values for " +
                          std::to_string(n) + " thresholds (expected " + std::to_string(4 * n) + ")");
  size_t at = 0;
  for (auto* counts : {&tp, &fp, &tn, &fn}) {
    std::copy(state.begin() + static_cast<std::ptrdiff_t>(at), state.begin() + static_cast<std::ptrdiff_t>(at + n),
              counts->begin());
    at += n;
  }
}

Precision::Precision(std::optional<double> thresholds, std::string name)
    : Metric(std::move(name)), counts_({thresholds.value_or(0.5)}), threshold_(thresholds) {
  if (!(counts_.thresholds()[0] >= 0 && counts_.thresholds()[0] <= 1))
    throw InvalidArgument(this->name() + ": thresholds must be in [0, 1], got " +
                          std::to_string(counts_.thresholds()[0]));
}

double Precision::result() const { return divide_no_nan(counts_.tp[0], counts_.tp[0] + counts_.fp[0]); }

double Recall::result() const { return divide_no_nan(counts_.tp[0], counts_.tp[0] + counts_.fn[0]); }

ArgList Precision::get_config() const {
  return {{"thresholds", threshold_ ? ArgValue{*threshold_} : ArgValue{nullptr}},
          {"top_k", nullptr},
          {"class_id", nullptr}};
}

namespace {
std::vector<double> auc_thresholds(const std::string& name, int64_t num_thresholds) {
  if (num_thresholds <= 1)
    throw InvalidArgument(name + ": num_thresholds must be an integer > 1, got " + std::to_string(num_thresholds));
  std::vector<double> thresholds{0.0 - kEpsilon};
  for (int64_t i = 0; i < num_thresholds - 2; ++i)
    thresholds.push_back(static_cast<double>(i + 1) / static_cast<double>(num_thresholds - 1));
  thresholds.push_back(1.0 + kEpsilon);
  return thresholds;
}
}  // namespace

AUC::AUC(int64_t num_thresholds, std::string curve, std::string name, bool from_logits)
    : Metric(std::move(name)),
      num_thresholds_(num_thresholds),
      curve_(std::move(curve)),
      from_logits_(from_logits),
      counts_(auc_thresholds(this->name(), num_thresholds)) {
  if (curve_ != "ROC" && curve_ != "PR")
    throw InvalidArgument(this->name() + ": curve must be 'ROC' or 'PR' (cairn has no 'PRGAIN'), got '" + curve_ +
                          "'");
}

void AUC::update_state(const Tensor& y_true, const Tensor& y_pred) {
  counts_.update(name(), y_true, from_logits_ ? ops::sigmoid(y_pred.to(DType::Float32)) : y_pred);
}

void AUC::update_state_weighted(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  counts_.update(name(), y_true, from_logits_ ? ops::sigmoid(y_pred.to(DType::Float32)) : y_pred, sample_weight);
}

double AUC::result() const {
  const size_t n = counts_.thresholds().size();
  const auto& tp = counts_.tp;
  const auto& fp = counts_.fp;
  const auto& tn = counts_.tn;
  const auto& fn = counts_.fn;
  double area = 0;
  if (curve_ == "PR") {
    // Davis & Goadrich: precision interpolated linearly in the counts between thresholds.
    for (size_t i = 0; i + 1 < n; ++i) {
      const double dtp = tp[i] - tp[i + 1];
      const double p = tp[i] + fp[i], p_next = tp[i + 1] + fp[i + 1];
      const double slope = divide_no_nan(dtp, std::max(p - p_next, 0.0));
      const double intercept = tp[i + 1] - slope * p_next;
      const double ratio = p > 0 && p_next > 0 ? divide_no_nan(p, std::max(p_next, 0.0)) : 1.0;
      area += divide_no_nan(slope * (dtp + intercept * std::log(ratio)), std::max(tp[i + 1] + fn[i + 1], 0.0));
    }
    return area;
  }
  for (size_t i = 0; i + 1 < n; ++i) {
    const double fpr = divide_no_nan(fp[i], fp[i] + tn[i]), fpr_next = divide_no_nan(fp[i + 1], fp[i + 1] + tn[i + 1]);
    const double tpr = divide_no_nan(tp[i], tp[i] + fn[i]), tpr_next = divide_no_nan(tp[i + 1], tp[i + 1] + fn[i + 1]);
    area += (fpr - fpr_next) * (tpr + tpr_next) / 2;
  }
  return area;
}

ArgList AUC::get_config() const {
  return {{"num_thresholds", static_cast<double>(num_thresholds_)},
          {"curve", curve_},
          {"summation_method", std::string("interpolation")},
          {"multi_label", false},
          {"num_labels", nullptr},
          {"label_weights", nullptr},
          {"from_logits", from_logits_}};
}

}  // namespace cairn
