// compile / fit / evaluate / predict: the Keras training loop.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "cairn/autodiff.h"
#include "cairn/epoch_iterator.h"
#include "cairn/error.h"
#include "cairn/model.h"
#include "cairn/ops.h"
#include "cairn/replica_context.h"

namespace cairn {

namespace {
// Keras's CallbackList: every hook goes to each callback in order, except that callbacks which
// snapshot the others (runs_last: BackupAndRestore) restore before them and save after them.
class CallbackList {
 public:
  CallbackList(std::vector<CallbackPtr> callbacks, Model* model, const std::map<std::string, double>& params)
      : callbacks_(std::move(callbacks)) {
    for (auto& c : callbacks_) {
      c->set_model(model);
      c->set_params(params);
    }
    std::stable_partition(callbacks_.begin(), callbacks_.end(), [](const CallbackPtr& c) { return !c->runs_last(); });
    first_ = callbacks_;
    std::stable_partition(first_.begin(), first_.end(), [](const CallbackPtr& c) { return c->runs_last(); });
  }
  template <class Hook, class... Args>
  void each(Hook hook, Args&&... args) {
    for (auto& c : callbacks_) ((*c).*hook)(args...);
  }
  void train_begin() {
    for (auto& c : first_) c->on_train_begin(Logs{});
  }

 private:
  std::vector<CallbackPtr> callbacks_, first_;
};

bool stdout_is_terminal() { return isatty(fileno(stdout)) == 1; }

int64_t first_dim(const Tensor& t) { return t.rank() ? t.dim(0) : 0; }

struct NonFiniteCount {
  int64_t nan = 0, infinite = 0;
};

// Branch-free, so that the scan vectorizes: it runs over every input of predict and evaluate.
template <class T>
NonFiniteCount count_non_finite(const T* values, int64_t n) {
  NonFiniteCount count;
  for (int64_t i = 0; i < n; ++i) {
    count.nan += values[i] != values[i];
    count.infinite += std::fabs(values[i]) == std::numeric_limits<T>::infinity();
  }
  return count;
}

NonFiniteCount count_non_finite(const Tensor& t) {
  if (t.dtype() == DType::Float32) return count_non_finite(t.data<float>(), t.numel());
  if (t.dtype() == DType::Float64) return count_non_finite(t.data<double>(), t.numel());
  return {};
}

// One line on stderr when inputs hold NaN or infinities: they reach the outputs as NaN (as in
// TensorFlow), where a prediction or a metric would be wrong without saying why.
void warn_about_non_finite_inputs(const char* call, const std::vector<std::pair<std::string, const Tensor*>>& inputs) {
  std::string found;
  for (const auto& [name, tensor] : inputs) {
    const NonFiniteCount count = count_non_finite(*tensor);
    if (count.nan == 0 && count.infinite == 0) continue;
    found += std::string(found.empty() ? "" : ", ") + name + " holds " + std::to_string(count.nan) + " NaN and " +
             std::to_string(count.infinite) + " infinite values (of " + std::to_string(tensor->numel()) + ")";
  }
  if (!found.empty())
    std::cerr << "WARNING: " << call << ": " << found << "; the results computed from them are NaN or infinite.\n";
}

// Data-parallel fit: every replica takes an equal part of each global batch, starts from replica 0's
// weights and shuffles with replica 0's seed (so that the replicas' parts are disjoint). Returns the seed.
uint64_t start_replicas(ReplicaContext& replicas, const std::vector<VariablePtr>& weights, const FitOptions& options) {
  const int count = replicas.num_replicas_in_sync();
  if (options.batch_size % count != 0)
    throw InvalidArgument("fit: the global batch_size " + std::to_string(options.batch_size) +
                          " is not divisible by the " + std::to_string(count) +
                          " replicas training together: each replica trains on an equal part of every batch");
  Tensor seed = Tensor::from_vector<int64_t>({1}, {static_cast<int64_t>(options.seed ? *options.seed : next_seed())});
  std::vector<Tensor> values{seed};
  for (const auto& w : weights) values.push_back(w->value());
  replicas.broadcast_from_first(values);
  return static_cast<uint64_t>(seed.data<int64_t>()[0]);
}
}  // namespace

// ---------------------------------------------------------------- compile

namespace {
std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// A per-output compile argument in the order of the outputs; absent where the argument names no value.
template <class T>
std::vector<std::optional<T>> in_output_order(const PerOutput<T>& given, const std::vector<std::string>& outputs,
                                              const std::string& argument) {
  std::vector<std::optional<T>> out(outputs.size());
  if (!given.in_order().empty()) {
    if (given.in_order().size() != outputs.size())
      throw InvalidArgument("compile: `" + argument + "` as a list should have as many entries as the model has outputs; got " +
                            std::to_string(given.in_order().size()) + " entries for the " + std::to_string(outputs.size()) +
                            " outputs " + joined(outputs));
    for (size_t i = 0; i < outputs.size(); ++i) out[i] = given.in_order()[i];
  }
  for (const auto& [name, value] : given.by_name()) {
    const auto at = std::find(outputs.begin(), outputs.end(), name);
    if (at == outputs.end())
      throw InvalidArgument("compile: `" + argument + "` names output '" + name + "', which the model does not have (its outputs: " +
                            joined(outputs) + ")");
    out[static_cast<size_t>(at - outputs.begin())] = value;
  }
  return out;
}

void check_metric_spec(const MetricSpec& spec) {
  if (spec.object) return;
  if (!is_metric_name(spec.name)) make_metric(spec.name, {}, {});  // throws the Keras "Unknown metric function" error
}

// Keras's apply_mask for sum_over_batch_size: the unmasked positions weigh total / valid and the masked
// ones 0, so that the mean over every position is the mean over the unmasked ones (0 when none is).
Tensor mask_weights(const Tensor& mask, const Tensor& per_sample, const std::string& output) {
  const Shape& ms = mask.shape();
  const Shape& ls = per_sample.shape();
  if (ms.size() > ls.size() || !std::equal(ms.begin(), ms.end(), ls.begin()))
    throw ShapeError("the mask of output '" + output + "' has shape " + shape_str(ms) +
                     ", which does not fit its loss's values of shape " + shape_str(ls));
  const std::vector<double> values = mask.to(DType::Float64).to_vector<double>();
  const double valid = static_cast<double>(std::count_if(values.begin(), values.end(), [](double m) { return m > 0.5; }));
  // In float32, as Keras computes it.
  const float weight = valid > 0 ? static_cast<float>(values.size()) / static_cast<float>(valid) : 0.0f;
  std::vector<float> weights;
  weights.reserve(values.size());
  for (double m : values) weights.push_back(m > 0.5 ? weight : 0.0f);
  Shape shape = ms;
  shape.resize(ls.size(), 1);
  return Tensor::from_vector<float>(shape, weights);
}

Tensor weighted_loss(const Loss& loss, const Tensor& y_true, const Layer::MaskedOutput& y_pred, const Tensor& sample_weight,
                     const std::string& output) {
  if (!sample_weight.defined() && !y_pred.mask.defined()) return loss(y_true, y_pred.output);
  // Keras's sum_over_batch_size with weights: sum(loss_i * w_i) over the count of the losses.
  const Tensor per_sample = loss.call(y_true, y_pred.output);
  Tensor weights;
  if (sample_weight.defined()) {
    Shape shape(static_cast<size_t>(std::max<int64_t>(per_sample.rank(), 1)), 1);
    shape[0] = sample_weight.numel();
    weights = ops::reshape(sample_weight, shape);
  }
  if (y_pred.mask.defined()) {
    const Tensor masked = mask_weights(y_pred.mask, per_sample, output);
    weights = weights.defined() ? ops::mul(weights, masked) : masked;
  }
  return ops::mean(ops::mul(per_sample, weights));
}

// The weights a compiled metric takes for a batch, as Keras's: an output's mask (0 at the masked steps)
// for the mean metrics, times the sample weights for weighted_metrics; undefined for none.
Tensor metric_weights(const Metric& metric, bool weighted, const Layer::MaskedOutput& y_pred, const Tensor& sample_weight) {
  const Tensor mask = metric.uses_masks() ? y_pred.mask : Tensor();
  const Tensor weights = weighted ? sample_weight : Tensor();
  if (!mask.defined()) return weights;
  const Tensor mask_values = mask.to(DType::Float32);
  if (!weights.defined()) return mask_values;
  Shape shape(static_cast<size_t>(std::max<int64_t>(mask.rank(), 1)), 1);
  shape[0] = weights.numel();
  return ops::mul(mask_values, ops::reshape(weights, shape));
}

// Keras's class_weight: the weight of each sample's class (the label, rounded, or the argmax of one-hot
// labels), 1 for classes the map does not name.
Tensor class_weights(const Tensor& y, const std::map<int64_t, double>& class_weight) {
  std::vector<int64_t> classes;
  if (y.rank() > 1 && y.shape().back() != 1) {
    classes = ops::argmax(y.to(DType::Float32), -1).to_vector<int64_t>();
  } else {
    for (double label : y.to(DType::Float64).to_vector<double>()) classes.push_back(static_cast<int64_t>(std::nearbyint(label)));
  }
  std::vector<float> weights;
  for (int64_t c : classes) {
    const auto it = class_weight.find(c);
    weights.push_back(it == class_weight.end() ? 1.0f : static_cast<float>(it->second));
  }
  return Tensor::from_vector<float>({static_cast<int64_t>(weights.size())}, weights);
}
}  // namespace

void Model::compile(CompileOptions options) {
  auto optimizer = options.optimizer.object ? options.optimizer.object : get_optimizer(options.optimizer.name);
  const std::vector<std::string> outputs = output_names();
  const bool one_loss = options.loss.object || !options.loss.name.empty();
  if (one_loss && !options.output_losses.empty())
    throw InvalidArgument("compile: give either `loss` (every output's) or `output_losses` (one per output), not both");
  if (!one_loss && options.output_losses.empty())
    throw InvalidArgument("compile: a loss is required, e.g. loss = \"sparse_categorical_crossentropy\"");
  auto make_loss = [](const LossSpec& spec) { return spec.object ? spec.object : get_loss(spec.name); };
  std::vector<std::shared_ptr<Loss>> losses(outputs.size());
  if (one_loss) {
    std::fill(losses.begin(), losses.end(), make_loss(options.loss));
  } else {
    const auto specs = in_output_order(options.output_losses, outputs, "output_losses");
    for (size_t i = 0; i < outputs.size(); ++i)
      if (specs[i]) losses[i] = make_loss(*specs[i]);
  }
  if (std::none_of(losses.begin(), losses.end(), [](const auto& l) { return l != nullptr; }))
    throw InvalidArgument("compile: `output_losses` gives no output a loss (the outputs: " + joined(outputs) + ")");
  if (!options.loss_weights.empty() && outputs.size() == 1 && !options.loss_weights.by_name().empty() &&
      !options.loss_weights.by_name().count(outputs[0]))
    throw InvalidArgument("compile: `loss_weights` names " + options.loss_weights.by_name().begin()->first +
                          ", which is not the model's output " + outputs[0]);
  auto weights = in_output_order(options.loss_weights, outputs, "loss_weights");

  // `metrics` or `output_metrics` (`weighted_metrics` or `output_weighted_metrics`) as lists per output.
  auto per_output = [&](const std::vector<MetricSpec>& one, const PerOutput<std::vector<MetricSpec>>& each,
                        const std::string& one_name, const std::string& each_name) {
    if (!one.empty() && !each.empty())
      throw InvalidArgument("compile: give either `" + one_name + "` (a single-output model's) or `" + each_name + "`, not both");
    if (!one.empty() && outputs.size() > 1)
      throw InvalidArgument("compile: `" + one_name + "` is a single-output model's list; model '" + name() + "' has " +
                            std::to_string(outputs.size()) + " outputs (" + joined(outputs) + "): give `" + each_name +
                            "` by output name");
    std::vector<std::vector<MetricSpec>> specs(outputs.size());
    if (!one.empty()) specs[0] = one;
    const auto given = in_output_order(each, outputs, each_name);
    for (size_t i = 0; i < outputs.size(); ++i)
      if (given[i]) specs[i] = *given[i];
    for (const auto& list : specs)
      for (const auto& spec : list) check_metric_spec(spec);
    return specs;
  };
  std::vector<std::vector<MetricSpec>> metric_specs = per_output(options.metrics, options.output_metrics, "metrics", "output_metrics");
  std::vector<std::vector<MetricSpec>> weighted_metric_specs =
      per_output(options.weighted_metrics, options.output_weighted_metrics, "weighted_metrics", "output_weighted_metrics");

  optimizer_ = std::move(optimizer);
  compiled_output_names_ = outputs;
  losses_ = std::move(losses);
  loss_weights_ = std::move(weights);
  metric_specs_ = std::move(metric_specs);
  weighted_metric_specs_ = std::move(weighted_metric_specs);
  metric_names_.clear();
  for (const auto& spec : metric_specs_[0]) metric_names_.push_back(spec.name);
  // Keras tracks each output's loss when there is more than one.
  output_loss_trackers_.clear();
  output_loss_trackers_.resize(outputs.size());
  const auto with_loss = std::count_if(losses_.begin(), losses_.end(), [](const auto& l) { return l != nullptr; });
  if (with_loss > 1)
    for (size_t i = 0; i < outputs.size(); ++i)
      if (losses_[i]) output_loss_trackers_[i] = std::make_unique<Mean>(outputs[i] + "_loss");
  metrics_.clear();
  metrics_built_ = false;
  output_classes_.clear();
}

Optimizer& Model::optimizer() const {
  if (!optimizer_) throw InvalidArgument("You must call compile() before using model \"" + name() + "\" for training");
  return *optimizer_;
}

const Loss& Model::loss() const {
  for (const auto& l : losses_)
    if (l) return *l;
  throw InvalidArgument("You must call compile() before using model \"" + name() + "\" for training");
}

void Model::ensure_metrics(const std::vector<Tensor>& y_true, const std::vector<Tensor>& y_pred) {
  if (metrics_built_) return;
  metrics_.clear();
  const bool several = compiled_output_names_.size() > 1;
  // Keras's log names: "<output>_" first with several outputs; a repeated name gets "_1", "_2"..., and a
  // weighted metric whose name `metrics` has taken becomes "weighted_<name>".
  std::map<std::string, int> taken;
  auto add = [&](size_t o, const MetricSpec& spec, bool weighted) {
    std::shared_ptr<Metric> metric =
        spec.object ? spec.object : std::shared_ptr<Metric>(make_metric(spec.name, y_true[o].shape(), y_pred[o].shape()));
    const std::string prefix = several ? compiled_output_names_[o] + "_" : "";
    std::string log_name = prefix + metric->name();
    if (taken.count(log_name) && weighted) log_name = prefix + "weighted_" + metric->name();
    if (const int uses = taken[log_name]++; uses > 0) log_name += "_" + std::to_string(uses);
    metrics_.push_back({log_name, o, metric, weighted});
  };
  for (size_t o = 0; o < metric_specs_.size(); ++o)
    for (const MetricSpec& spec : metric_specs_[o]) add(o, spec, false);
  for (size_t o = 0; o < weighted_metric_specs_.size(); ++o)
    for (const MetricSpec& spec : weighted_metric_specs_[o]) add(o, spec, true);
  metrics_built_ = true;
}

std::vector<std::pair<std::string, Metric*>> Model::tracked_metrics() const {
  std::vector<std::pair<std::string, Metric*>> out{{"loss", const_cast<Mean*>(&loss_tracker_)}};
  for (const auto& tracker : output_loss_trackers_)
    if (tracker) out.emplace_back(tracker->name(), tracker.get());
  for (const auto& m : metrics_) out.emplace_back(m.log_name, m.metric.get());
  return out;
}

void Model::reset_metrics() {
  for (const auto& [name, metric] : tracked_metrics()) metric->reset_state();
}

Logs Model::current_logs() const {
  Logs logs;
  for (const auto& [name, metric] : tracked_metrics()) logs[name] = metric->result();
  return logs;
}

std::map<std::string, std::vector<double>> Model::metric_states() const {
  std::map<std::string, std::vector<double>> states;
  for (const auto& [name, metric] : tracked_metrics()) states[name] = metric->state();
  return states;
}

void Model::set_metric_states(const std::map<std::string, std::vector<double>>& states) {
  for (const auto& [name, metric] : tracked_metrics())
    if (const auto it = states.find(name); it != states.end()) metric->set_state(it->second);
}

TrainingState Model::training_state() const {
  const int64_t iterations = optimizer_ ? optimizer_->iterations()->value().data<int64_t>()[0] : 0;
  // Between resume_from (in on_train_begin) and the first epoch: the state fit is about to continue from.
  if (resume_state_) return {iterations, resume_state_->position, resume_state_->metric_states};
  return {iterations, position_, metric_states()};
}

void Model::resume_from(TrainingState state) { resume_state_ = std::move(state); }

// ---------------------------------------------------------------- data

int64_t Model::Data::samples() const { return x.empty() ? 0 : first_dim(x[0]); }

Model::Data Model::Data::rows(int64_t begin, int64_t end) const {
  Data out;
  for (const auto& t : x) out.x.push_back(ops::slice_rows(t, begin, end));
  for (const auto& t : y) out.y.push_back(ops::slice_rows(t, begin, end));
  for (const auto& t : sample_weight) out.sample_weight.push_back(t.defined() ? ops::slice_rows(t, begin, end) : Tensor());
  return out;
}

Model::Data Model::Data::rows(const std::vector<int64_t>& indices) const {
  Data out;
  for (const auto& t : x) out.x.push_back(ops::gather_rows(t, indices));
  for (const auto& t : y) out.y.push_back(ops::gather_rows(t, indices));
  for (const auto& t : sample_weight) out.sample_weight.push_back(t.defined() ? ops::gather_rows(t, indices) : Tensor());
  return out;
}

std::vector<Tensor> Model::flatten(const Arrays& arrays, const std::vector<std::string>& names, size_t count,
                                   const char* what, const char* method) const {
  const std::string where = std::string(method) + ": " + what;
  if (!arrays.by_name().empty()) {
    if (names.empty())
      throw InvalidArgument(where + " is given by name, but the inputs of model '" + name() +
                            "' have no names: give a list in their order");
    for (const auto& [key, array] : arrays.by_name())
      if (std::find(names.begin(), names.end(), key) == names.end())
        throw InvalidArgument(where + " has an array named '" + key + "', which is not one of the model's (" + joined(names) + ")");
    std::vector<Tensor> out;
    for (const auto& key : names) {
      const auto it = arrays.by_name().find(key);
      if (it == arrays.by_name().end())
        throw InvalidArgument(where + " has no array for '" + key + "' (the model's: " + joined(names) + ")");
      out.push_back(it->second);
    }
    return out;
  }
  if (arrays.in_order().size() != count)
    throw InvalidArgument(where + ": model '" + name() + "' has " + std::to_string(count) + " (" + joined(names) + "), but " +
                          std::to_string(arrays.in_order().size()) + " arrays were given");
  for (const auto& t : arrays.in_order())
    if (!t.defined()) throw InvalidArgument(where + " holds an undefined tensor");
  return arrays.in_order();
}

Model::Data Model::resolve(const Arrays& x, const Arrays& y, const Arrays& sample_weight, const char* method) const {
  loss();  // compiled?
  if (x.empty() || y.empty()) throw InvalidArgument(std::string(method) + ": x and y must be given");
  const std::vector<std::string> inputs = input_names(), outputs = output_names();
  Data data;
  data.x = flatten(x, inputs, std::max<size_t>(inputs.size(), 1), "x", method);
  data.y = flatten(y, outputs, outputs.size(), "y", method);
  if (!sample_weight.empty()) {
    // One array weighs every output, as in Keras.
    if (sample_weight.by_name().empty() && sample_weight.in_order().size() == 1)
      data.sample_weight.assign(outputs.size(), sample_weight.in_order()[0]);
    else
      data.sample_weight = flatten(sample_weight, outputs, outputs.size(), "sample_weight", method);
    for (auto& w : data.sample_weight) {
      if (w.rank() == 0 || w.numel() != w.dim(0))
        throw ShapeError(std::string(method) + ": sample_weight of shape " + shape_str(w.shape()) +
                         " must hold one weight per sample, of shape (samples,)");
      w = ops::reshape(w.to(DType::Float32), {w.dim(0)});
    }
  }
  return data;
}

void Model::check_fit_arguments(const Data& data, const char* method, bool probe_model) {
  const int64_t n = data.samples();
  bool same = true;
  auto sizes = [&](const std::vector<Tensor>& arrays) {
    std::string out;
    for (const auto& t : arrays) {
      if (!t.defined()) continue;
      out += (out.empty() ? "" : ", ") + std::to_string(first_dim(t));
      same = same && first_dim(t) == n;
    }
    return out;
  };
  const std::string x_sizes = sizes(data.x), y_sizes = sizes(data.y), w_sizes = sizes(data.sample_weight);
  if (!same)
    throw ShapeError(std::string(method) + ": Data cardinality is ambiguous: x sizes: " + x_sizes + ", y sizes: " + y_sizes +
                     (w_sizes.empty() ? "" : ", sample_weight sizes: " + w_sizes) +
                     ". Make sure all arrays contain the same number of samples.");
  if (n == 0) throw InvalidArgument(std::string(method) + ": x has no samples");
  if (probe_model) probe(data);
  check_labels(data, method);
}

void Model::probe(const Data& data) {
  // One sample through the model in inference mode (no random draws) checks the input shapes and
  // builds the model; the losses on it check the labels' shapes before any training happens.
  const Data one = data.rows(0, 1);
  std::vector<MaskedOutput> outputs;
  autodiff::NoGradGuard no_grad;
  outputs = call_outputs_with_masks(one.x, false);
  if (outputs.size() != losses_.size())
    throw InvalidArgument("model '" + name() + "' gave " + std::to_string(outputs.size()) + " outputs, compile() knew " +
                          std::to_string(losses_.size()));
  std::vector<Tensor> output_losses;
  total_loss(one, outputs, output_losses);
  // Sizes the metric states that follow the data (F1Score's classes), which resets keep: every replica's
  // states then have the same sizes from the first step, whatever its part of the batch.
  update_compiled_metrics(one, outputs);
  reset_metrics();
  output_classes_.clear();
  for (const auto& output : outputs) output_classes_.push_back(output.output.rank() >= 1 ? output.output.dim(-1) : 0);
}

void Model::check_labels(const Data& data, const char* method) {
  // Every sparse label must name one of the model's outputs.
  for (size_t o = 0; o < losses_.size() && o < output_classes_.size(); ++o) {
    const Tensor& y = data.y[o];
    if (!losses_[o] || losses_[o]->name() != "sparse_categorical_crossentropy" || output_classes_[o] <= 0 ||
        is_floating(y.dtype()))
      continue;
    const int64_t classes = output_classes_[o];
    Tensor labels = y.to(DType::Int64);
    for (int64_t i = 0; i < labels.numel(); ++i) {
      int64_t label = labels.data<int64_t>()[i];
      if (label < 0 || label >= classes)
        throw InvalidArgument(std::string(method) + ": Received a label value of " + std::to_string(label) + " at index " +
                              std::to_string(i) + " which is outside the valid range of [0, " + std::to_string(classes) +
                              ") for a model with " + std::to_string(classes) + " outputs");
    }
  }
}

// ---------------------------------------------------------------- steps

Tensor Model::total_loss(const Data& batch, const std::vector<MaskedOutput>& y_pred, std::vector<Tensor>& output_losses) const {
  Tensor total;
  output_losses.assign(y_pred.size(), Tensor());
  for (size_t o = 0; o < y_pred.size(); ++o) {
    if (!losses_[o]) continue;
    const Tensor weights = batch.sample_weight.empty() ? Tensor() : batch.sample_weight[o];
    Tensor value = weighted_loss(*losses_[o], batch.y[o], y_pred[o], weights, compiled_output_names_[o]);
    output_losses[o] = value;
    if (loss_weights_[o]) value = ops::scale(value, *loss_weights_[o]);
    total = total.defined() ? ops::add(total, value) : value;
  }
  return total;
}

void Model::update_metrics(const Data& batch, const std::vector<MaskedOutput>& y_pred, const std::vector<Tensor>& output_losses,
                           const Tensor& loss_value) {
  const double samples = static_cast<double>(batch.samples());
  loss_tracker_.update(loss_value.item(), samples);
  for (size_t o = 0; o < output_loss_trackers_.size(); ++o)
    if (output_loss_trackers_[o]) output_loss_trackers_[o]->update(output_losses[o].item(), samples);
  update_compiled_metrics(batch, y_pred);
}

void Model::update_compiled_metrics(const Data& batch, const std::vector<MaskedOutput>& y_pred) {
  if (!metrics_built_) {
    std::vector<Tensor> outputs;
    for (const MaskedOutput& output : y_pred) outputs.push_back(output.output);
    ensure_metrics(batch.y, outputs);
  }
  // Keras's `metrics` are not weighted by sample_weight, its `weighted_metrics` are; the mean metrics
  // leave out the steps an output's mask excludes.
  for (auto& m : metrics_) {
    const Tensor sample_weight = batch.sample_weight.empty() ? Tensor() : batch.sample_weight[m.output];
    const Tensor weights = metric_weights(*m.metric, m.weighted, y_pred[m.output], sample_weight);
    if (weights.defined())
      m.metric->update_state_weighted(batch.y[m.output], y_pred[m.output].output, weights);
    else
      m.metric->update_state(batch.y[m.output], y_pred[m.output].output);
  }
}

Logs Model::train_step(const Data& batch) {
  const auto vars = trainable_weights();
  const int64_t samples = batch.samples();
  std::vector<MaskedOutput> y_pred;
  std::vector<Tensor> output_losses;
  // Undefined for a replica whose part of a short last batch is empty: it adds nothing to the others'.
  std::vector<Tensor> grads(vars.size());
  Tensor loss_value;
  // With replicas, each gradient is handed to the reduction as soon as the backward pass finishes it.
  std::unique_ptr<GradientReduction> reduction;
  if (replica_context_) reduction = replica_context_->begin_gradient_reduction(vars, samples);
  if (samples > 0) {
    GradientTape tape;
    y_pred = call_outputs_with_masks(batch.x, /*training=*/true);
    loss_value = total_loss(batch, y_pred, output_losses);
    FinalGradientFn on_final;
    if (reduction) on_final = [&](size_t index, const Tensor& gradient) { reduction->gradient_final(index, gradient); };
    grads = tape.gradient(loss_value, vars, on_final);
  }
  // With several replicas, what the step adds to the metric states (every state is a vector of sums)
  // rides with the gradients in the step's reduction: every replica then holds the states of all.
  const bool replicated = replica_context_ && replica_context_->num_replicas_in_sync() > 1;
  const auto tracked = tracked_metrics();
  auto all_states = [&] {
    std::vector<double> states;
    for (const auto& [name, metric] : tracked) {
      const std::vector<double> state = metric->state();
      states.insert(states.end(), state.begin(), state.end());
    }
    return states;
  };
  std::vector<double> before, step_sums;
  if (replicated) before = all_states();
  if (samples > 0) {
    autodiff::NoGradGuard no_grad;
    update_metrics(batch, y_pred, output_losses, loss_value);
  }
  if (replicated) {
    step_sums = all_states();
    for (size_t i = 0; i < step_sums.size(); ++i) step_sums[i] -= before[i];
  }
  if (reduction) reduction->finish(grads, step_sums);
  if (replicated) {
    size_t offset = 0;
    for (const auto& [name, metric] : tracked) {
      std::vector<double> state = metric->state();
      for (double& value : state) value = before[offset] + step_sums[offset], ++offset;
      metric->set_state(state);
    }
  }
  optimizer().apply_gradients(grads, vars);
  return current_logs();
}

Logs Model::test_step(const Data& batch) {
  autodiff::NoGradGuard no_grad;
  const std::vector<MaskedOutput> y_pred = call_outputs_with_masks(batch.x, /*training=*/false);
  std::vector<Tensor> output_losses;
  const Tensor loss_value = total_loss(batch, y_pred, output_losses);
  update_metrics(batch, y_pred, output_losses, loss_value);
  return current_logs();
}

Logs Model::train_on_batch(const Arrays& x, const Arrays& y, const Arrays& sample_weight) {
  const Data data = resolve(x, y, sample_weight, "train_on_batch");
  check_fit_arguments(data, "train_on_batch", /*probe_model=*/output_classes_.empty());
  reset_metrics();
  return train_step(data);
}

Logs Model::test_on_batch(const Arrays& x, const Arrays& y, const Arrays& sample_weight) {
  const Data data = resolve(x, y, sample_weight, "test_on_batch");
  check_fit_arguments(data, "test_on_batch", /*probe_model=*/output_classes_.empty());
  reset_metrics();
  return test_step(data);
}

// ---------------------------------------------------------------- fit

void ValidationFreq::check() const {
  if (!listed_ && every_ < 1) throw InvalidArgument("fit: validation_freq must be >= 1, got " + std::to_string(every_));
  for (int epoch : epochs_)
    if (epoch < 1)
      throw InvalidArgument("fit: validation_freq lists epoch " + std::to_string(epoch) +
                            ", but epochs are counted from 1 (as Keras counts them): it would never validate");
}

bool ValidationFreq::validates_after(int epoch) const {
  // Keras counts the epochs from 1 here.
  if (!listed_) return (epoch + 1) % every_ == 0;
  return std::find(epochs_.begin(), epochs_.end(), epoch + 1) != epochs_.end();
}

History Model::fit(const Arrays& x_all, const Arrays& y_all, FitOptions options) {
  if (options.batch_size <= 0) throw InvalidArgument("fit: batch_size must be positive, got " + std::to_string(options.batch_size));
  if (options.epochs < 0) throw InvalidArgument("fit: epochs must be >= 0, got " + std::to_string(options.epochs));
  if (!(options.validation_split >= 0.0 && options.validation_split < 1.0))
    throw InvalidArgument("fit: validation_split must be in [0, 1), got " + std::to_string(options.validation_split));
  options.validation_freq.check();
  if (options.validation_batch_size < 0)
    throw InvalidArgument("fit: validation_batch_size must be positive (0: batch_size), got " +
                          std::to_string(options.validation_batch_size));
  Data all = resolve(x_all, y_all, options.sample_weight, "fit");
  if (!options.class_weight.empty()) {
    if (all.y.size() != 1) throw InvalidArgument("fit: `class_weight` is only supported for Models with a single output.");
    if (!options.sample_weight.empty()) throw InvalidArgument("fit: You cannot `class_weight` and `sample_weight` at the same time.");
  }
  check_fit_arguments(all, "fit");

  Data train = all;
  std::optional<Data> validation;
  if (options.validation_data) {
    validation = resolve(options.validation_data->first, options.validation_data->second, options.validation_sample_weight,
                         "fit (validation_data)");
  } else if (options.validation_split > 0) {
    const int64_t n = all.samples();
    const int64_t split = static_cast<int64_t>(std::floor(static_cast<double>(n) * (1.0 - options.validation_split)));
    if (split <= 0 || split >= n)
      throw InvalidArgument("fit: validation_split=" + std::to_string(options.validation_split) + " leaves no " +
                            (split <= 0 ? "training" : "validation") + " samples out of " + std::to_string(n));
    train = all.rows(0, split);
    validation = all.rows(split, n);
  }
  if (validation) check_fit_arguments(*validation, "fit (validation_data)");
  // Class weights apply to the training samples only, as Keras's data adapter adds them.
  if (!options.class_weight.empty()) train.sample_weight = {class_weights(train.y[0], options.class_weight)};

  ReplicaContext* replicas = options.replica_context.get();
  std::optional<uint64_t> seed = options.seed;
  if (replicas) {
    seed = start_replicas(*replicas, weights(), options);
    if (replicas->replica_id_in_sync_group() != 0) options.verbose = 0;
  }
  // The iterator orders sample indices; each batch takes those rows of every array.
  std::vector<int64_t> sample_ids(static_cast<size_t>(train.samples()));
  std::iota(sample_ids.begin(), sample_ids.end(), int64_t{0});
  EpochIterator epochs(Tensor::from_vector<int64_t>({train.samples()}, sample_ids), Tensor(),
                       {.batch_size = options.batch_size, .shuffle = options.shuffle, .seed = seed,
                        .steps_per_epoch = options.steps_per_epoch,
                        .replica_id = replicas ? replicas->replica_id_in_sync_group() : 0,
                        .num_replicas = replicas ? replicas->num_replicas_in_sync() : 1});
  const int64_t steps = epochs.steps_per_epoch();

  auto history = std::make_shared<History>();
  std::vector<CallbackPtr> callbacks;
  std::ostream& out = options.output ? *options.output : std::cout;
  // An error out of fit may end the program (uncaught) without flushing std::cout: what was printed
  // up to the error must not be lost with it.
  struct FlushOnExit {
    std::ostream& out;
    ~FlushOnExit() { out.flush(); }
  } flush_on_exit{out};
  if (options.verbose)
    callbacks.push_back(std::make_shared<ProgbarLogger>(options.verbose, out, options.output == nullptr && stdout_is_terminal()));
  for (auto& c : options.callbacks) callbacks.push_back(c);
  callbacks.push_back(history);
  CallbackList list(callbacks, this, {{"epochs", options.epochs}, {"steps", static_cast<double>(steps)}, {"verbose", options.verbose}});

  stop_training = false;
  position_ = {.epoch = options.initial_epoch};
  resume_state_.reset();
  active_callbacks_ = callbacks;
  list.train_begin();
  // A callback (BackupAndRestore) may have said where to continue from in on_train_begin.
  int first_epoch = options.initial_epoch;
  if (resume_state_) {
    epochs.restore(resume_state_->position);
    set_metric_states(resume_state_->metric_states);
    first_epoch = resume_state_->position.epoch;
    resume_state_.reset();
  }
  replica_context_ = replicas;
  // Forget the replicas and the callbacks however fit ends, by an exception too.
  struct ForgetFitState {
    Model& model;
    ~ForgetFitState() {
      model.replica_context_ = nullptr;
      model.active_callbacks_.clear();
    }
  } forget_fit_state{*this};
  const int64_t validation_batch_size = options.validation_batch_size > 0 ? options.validation_batch_size : options.batch_size;
  Logs epoch_logs;
  for (int epoch = first_epoch; epoch < options.epochs && !stop_training; ++epoch) {
    // A resumed epoch keeps the metric states restored with it.
    if (epochs.begin_epoch(epoch)) reset_metrics();
    position_ = epochs.position();
    list.each(&Callback::on_epoch_begin, epoch, Logs{});
    Logs logs = current_logs();
    while (!stop_training) {
      std::optional<Batch> batch = epochs.next();
      if (!batch) break;
      // position_ counts the batches trained: a backup taken before this one is trained repeats it.
      const int64_t step = position_.step;
      list.each(&Callback::on_train_batch_begin, step, Logs{});
      logs = train_step(train.rows(batch->x.to_vector<int64_t>()));
      position_ = epochs.position();
      list.each(&Callback::on_train_batch_end, step, logs);
    }
    epoch_logs = logs;
    if (validation && !stop_training && options.validation_freq.validates_after(epoch)) {
      // The validation data was checked before training started.
      Logs val = evaluate_checked(*validation, {.batch_size = validation_batch_size});
      for (const auto& [k, v] : val) epoch_logs["val_" + k] = v;
    }
    epochs.end_epoch();  // before on_epoch_end, so that a backup there resumes at the next epoch
    position_ = epochs.position();
    list.each(&Callback::on_epoch_end, epoch, epoch_logs);
  }
  list.each(&Callback::on_train_end, epoch_logs);
  return *history;
}

Logs Model::evaluate(const Arrays& x, const Arrays& y, EvaluateOptions options) {
  if (options.batch_size <= 0) throw InvalidArgument("evaluate: batch_size must be positive");
  const Data data = resolve(x, y, options.sample_weight, "evaluate");
  check_fit_arguments(data, "evaluate");
  std::vector<std::pair<std::string, const Tensor*>> inputs;
  for (size_t i = 0; i < data.x.size(); ++i) inputs.emplace_back(data.x.size() > 1 ? "x[" + std::to_string(i) + "]" : "x", &data.x[i]);
  for (size_t i = 0; i < data.y.size(); ++i) inputs.emplace_back(data.y.size() > 1 ? "y[" + std::to_string(i) + "]" : "y", &data.y[i]);
  warn_about_non_finite_inputs("evaluate", inputs);
  return evaluate_checked(data, options);
}

Logs Model::evaluate_checked(const Data& data, const EvaluateOptions& options) {
  // Validation inside fit must not disturb the training metrics of the epoch in progress.
  const auto saved = metric_states();
  reset_metrics();
  CallbackList list(options.callbacks, this, {{"verbose", options.verbose}});
  list.each(&Callback::on_test_begin, Logs{});
  const int64_t n = data.samples();
  const double start = monotonic_seconds();
  const int64_t steps = (n + options.batch_size - 1) / options.batch_size;
  Logs logs;
  for (int64_t begin = 0, step = 0; begin < n; begin += options.batch_size, ++step) {
    const int64_t end = std::min(n, begin + options.batch_size);
    list.each(&Callback::on_test_batch_begin, step, Logs{});
    logs = test_step(data.rows(begin, end));
    list.each(&Callback::on_test_batch_end, step, logs);
  }
  list.each(&Callback::on_test_end, logs);
  if (options.verbose) {
    std::ostream& out = options.output ? *options.output : std::cout;
    out << evaluate_result_line(steps, monotonic_seconds() - start, logs) << "\n";
    out.flush();
  }
  set_metric_states(saved);
  return logs;
}

// ---------------------------------------------------------------- predict

std::vector<Tensor> Model::call_outputs(const std::vector<Tensor>& inputs, bool training) {
  return {inputs.size() == 1 ? (*this)(inputs[0], training) : (*this)(inputs, training)};
}

std::vector<Layer::MaskedOutput> Model::call_outputs_with_masks(const std::vector<Tensor>& inputs, bool training) {
  std::vector<MaskedOutput> outputs;
  for (Tensor& output : call_outputs(inputs, training)) outputs.push_back({std::move(output), Tensor()});
  return outputs;
}

Tensor Model::predict(const Arrays& x, PredictOptions options) {
  const std::vector<std::string> outputs = output_names();
  if (outputs.size() > 1)
    throw InvalidArgument("predict: model '" + name() + "' has " + std::to_string(outputs.size()) + " outputs (" +
                          joined(outputs) + "); predict_outputs returns them all");
  return predict_outputs(x, options)[0];
}

std::vector<Tensor> Model::predict_outputs(const Arrays& x, PredictOptions options) {
  if (options.batch_size <= 0) throw InvalidArgument("predict: batch_size must be positive");
  const std::vector<std::string> inputs = input_names();
  const std::vector<Tensor> xs = flatten(x, inputs, std::max<size_t>(inputs.size(), 1), "x", "predict");
  std::vector<std::pair<std::string, const Tensor*>> named;
  for (size_t i = 0; i < xs.size(); ++i) named.emplace_back(xs.size() > 1 ? "x[" + std::to_string(i) + "]" : "x", &xs[i]);
  warn_about_non_finite_inputs("predict", named);
  const int64_t n = first_dim(xs[0]);
  for (const auto& t : xs)
    if (first_dim(t) != n)
      throw ShapeError("predict: Data cardinality is ambiguous: x sizes differ (" + std::to_string(n) + " and " +
                       std::to_string(first_dim(t)) + "). Make sure all arrays contain the same number of samples.");
  if (n == 0) throw InvalidArgument("predict: x has no samples");
  autodiff::NoGradGuard no_grad;
  std::vector<std::vector<Tensor>> parts;
  for (int64_t begin = 0; begin < n; begin += options.batch_size) {
    std::vector<Tensor> batch;
    for (const auto& t : xs) batch.push_back(ops::slice_rows(t, begin, std::min(n, begin + options.batch_size)));
    std::vector<Tensor> outputs = call_outputs(batch, false);
    if (parts.empty()) parts.resize(outputs.size());
    for (size_t o = 0; o < outputs.size(); ++o) parts[o].push_back(std::move(outputs[o]));
  }
  std::vector<Tensor> result;
  for (auto& output : parts) result.push_back(output.size() == 1 ? output[0] : ops::concat(output, 0));
  return result;
}

}  // namespace cairn
