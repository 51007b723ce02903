#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

#include "cairn/autodiff.h"
#include "cairn/optimizers.h"
#include "cairn/parallel.h"

namespace cairn {

namespace {
// Elements per parallel chunk: small variables are updated on the calling thread.
constexpr int64_t kUpdateGrain = 1 << 15;

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}
}  // namespace

Optimizer::Optimizer(std::string class_name, double learning_rate, double decay)
    : class_name_(std::move(class_name)) {
  require_range("learning_rate", learning_rate, 0, INFINITY, false);
  require_range("decay", decay, 0, INFINITY, false);
  iterations_ = std::make_shared<Variable>("iter", Tensor::scalar(0, DType::Int64), /*trainable=*/false);
  learning_rate_ = add_hyperparameter("learning_rate", learning_rate);
  decay_ = add_hyperparameter("decay", decay);
}

VariablePtr Optimizer::add_hyperparameter(const std::string& name, double value) {
  auto variable = std::make_shared<Variable>(name, Tensor::scalar(value, DType::Float32), /*trainable=*/false);
  hyperparameters_.push_back(variable);
  return variable;
}

double Optimizer::read(const VariablePtr& hyperparameter) { return hyperparameter->value().item(); }

void Optimizer::require_range(const char* argument, double value, double low, double high,
                              bool high_inclusive) const {
  const bool inside = value >= low && (high_inclusive ? value <= high : value < high);
  if (!inside)
    throw InvalidArgument(class_name_ + ": " + argument + " must be in [" + format_number(low) + ", " +
                          format_number(high) + (high_inclusive ? "]" : ")") + ", got " + format_number(value));
}

double Optimizer::learning_rate() const { return read(learning_rate_); }

void Optimizer::set_learning_rate(double learning_rate) {
  if (schedule_)
    throw InvalidArgument(class_name_ + ": the learning rate follows the schedule " + schedule_->class_name() +
                          " and cannot be set");
  require_range("learning_rate", learning_rate, 0, INFINITY, false);
  learning_rate_->mutable_value().data<float>()[0] = static_cast<float>(learning_rate);
}

double Optimizer::decay() const { return read(decay_); }

double Optimizer::current_learning_rate() const {
  const int64_t step = iteration_count();
  if (schedule_) return (*schedule_)(step);
  const double decay_rate = decay();
  return decay_rate > 0 ? learning_rate() / (1.0 + decay_rate * static_cast<double>(step)) : learning_rate();
}

void Optimizer::set_learning_rate_schedule(LearningRateSchedulePtr schedule) { schedule_ = std::move(schedule); }

void Optimizer::set_common_options(const OptimizerCommonOptions& options) {
  auto non_negative = [&](const char* name, const std::optional<double>& value) {
    if (value) require_range(name, *value, 0, INFINITY, false);
  };
  non_negative("clipnorm", options.clipnorm);
  non_negative("clipvalue", options.clipvalue);
  non_negative("global_clipnorm", options.global_clipnorm);
  non_negative("weight_decay", options.weight_decay);
  if (int(options.clipnorm.has_value()) + int(options.clipvalue.has_value()) + int(options.global_clipnorm.has_value()) > 1)
    throw InvalidArgument(class_name_ + ": only one of clipnorm, clipvalue and global_clipnorm can be set");
  require_range("ema_momentum", options.ema_momentum, 0, 1, true);
  if (options.ema_overwrite_frequency && *options.ema_overwrite_frequency < 1)
    throw InvalidArgument(class_name_ + ": ema_overwrite_frequency must be an integer >= 1 or None, got " +
                          std::to_string(*options.ema_overwrite_frequency));
  if (options.use_ema != common_.use_ema && !slots_by_variable_.empty())
    throw InvalidArgument(class_name_ + ": use_ema cannot change once the optimizer has built its slots");
  common_ = options;
}

std::vector<std::string> Optimizer::slot_names() const {
  std::vector<std::string> names = update_slot_names();
  if (common_.use_ema) names.push_back("average");
  return names;
}

std::vector<Tensor> Optimizer::clipped(std::vector<Tensor> grads) const {
  // Keras 3 applies one of them, in this order.
  auto norm_of = [](const Tensor& g) {
    double sum = 0;
    for (float v : g.span<float>()) sum += double(v) * double(v);
    return sum;
  };
  auto scaled = [](const Tensor& g, float factor) {
    Tensor out = g.clone();
    for (float& v : out.span<float>()) v *= factor;
    return out;
  };
  std::vector<Tensor> out;
  if (common_.clipnorm && *common_.clipnorm > 0) {
    const double clip = *common_.clipnorm;
    for (const Tensor& g : grads) {
      const double norm = std::sqrt(norm_of(g));
      out.push_back(norm > clip ? scaled(g, static_cast<float>(clip / norm)) : g);
    }
  } else if (common_.global_clipnorm && *common_.global_clipnorm > 0) {
    double total = 0;
    for (const Tensor& g : grads) total += norm_of(g);
    const double norm = std::sqrt(total), clip = *common_.global_clipnorm;
    // A non-finite norm makes every gradient NaN, as Keras's clip_by_global_norm does.
    const double scale = std::isfinite(norm) ? clip * std::min(1.0 / norm, 1.0 / clip) : NAN;
    for (const Tensor& g : grads) out.push_back(scale == 1.0 ? g : scaled(g, static_cast<float>(scale)));
  } else if (common_.clipvalue && *common_.clipvalue > 0) {
    const float clip = static_cast<float>(*common_.clipvalue);
    for (const Tensor& g : grads) {
      Tensor c = g.clone();
      for (float& v : c.span<float>()) v = v < -clip ? -clip : (v > clip ? clip : v);
      out.push_back(c);
    }
  } else {
    return grads;
  }
  return out;
}

void Optimizer::apply_weight_decay(Variable& var, double learning_rate) const {
  const float factor = static_cast<float>(*common_.weight_decay) * static_cast<float>(learning_rate);
  for (float& w : var.mutable_value().span<float>()) w -= w * factor;
}

void Optimizer::update_moving_averages(const std::vector<VariablePtr>& vars, int64_t step) {
  // The first step starts the average at the variable (momentum 0), as Keras.
  const float momentum = step == 0 ? 0.f : static_cast<float>(common_.ema_momentum);
  const bool overwrite = common_.ema_overwrite_frequency && (step + 1) % *common_.ema_overwrite_frequency == 0;
  for (const VariablePtr& var : vars) {
    float* average = get_slot(*var, "average")->mutable_value().data<float>();
    float* w = var->mutable_value().data<float>();
    const int64_t n = var->value().numel();
    for (int64_t i = 0; i < n; ++i) average[i] = momentum * average[i] + (1.f - momentum) * w[i];
    if (overwrite) std::copy(average, average + n, w);
  }
}

int64_t Optimizer::iteration_count() const { return iterations_->value().data<int64_t>()[0]; }

std::vector<VariablePtr> Optimizer::hyperparameter_variables() const {
  std::vector<VariablePtr> sorted = hyperparameters_;
  std::sort(sorted.begin(), sorted.end(),
            [](const VariablePtr& a, const VariablePtr& b) { return a->name() < b->name(); });
  sorted.insert(sorted.begin(), iterations_);
  return sorted;
}

std::vector<VariablePtr> Optimizer::weights() const {
  std::vector<VariablePtr> result{iterations_};
  for (const OptimizerSlot& s : slots_) result.push_back(s.slot);
  return result;
}

VariablePtr Optimizer::get_slot(const Variable& var, const std::string& slot_name) const {
  const std::vector<std::string> names = slot_names();
  auto name_it = std::find(names.begin(), names.end(), slot_name);
  if (name_it == names.end()) {
    std::string known;
    for (const std::string& n : names) known += (known.empty() ? "'" : ", '") + n + "'";
    throw InvalidArgument(class_name_ + " has no slot named '" + slot_name +
                          "' (its slots: " + (known.empty() ? "none" : known) + ")");
  }
  auto it = slots_by_variable_.find(&var);
  if (it == slots_by_variable_.end())
    throw InvalidArgument(class_name_ + " has no slots for variable '" + var.name() + "' yet");
  return it->second[name_it - names.begin()];
}

void Optimizer::build(const std::vector<VariablePtr>& vars) {
  std::vector<VariablePtr> fresh;
  for (const VariablePtr& var : vars) {
    if (!var) throw InvalidArgument(class_name_ + ": null variable");
    if (var->dtype() != DType::Float32)
      throw InvalidArgument(class_name_ + ": variable '" + var->name() + "' has dtype " +
                            std::string(dtype_name(var->dtype())) + ", only float32 variables can be optimized");
    if (!has_slots(*var) && std::find(fresh.begin(), fresh.end(), var) == fresh.end()) fresh.push_back(var);
  }
  if (fresh.empty()) return;  // every step after the first
  // Keras creates slots slot by slot over the variable list ("for var: m; for var: v"), which fixes
  // the order of optimizer.weights.
  for (const std::string& slot_name : slot_names()) {
    const float initial = initial_slot_value(slot_name);
    for (const VariablePtr& var : fresh) {
      auto slot = std::make_shared<Variable>(var->name() + "/" + slot_name,
                                             Tensor::full(var->shape(), initial, DType::Float32),
                                             /*trainable=*/false);
      slots_.push_back({var, slot_name, slot});
      slots_by_variable_[var.get()].push_back(slot);
    }
  }
  // A configuration without slots (plain SGD) still marks the variables as built.
  for (const VariablePtr& var : fresh) slots_by_variable_.try_emplace(var.get());
}

void Optimizer::apply_gradients(const std::vector<Tensor>& grads, const std::vector<VariablePtr>& vars) {
  if (grads.size() != vars.size())
    throw InvalidArgument(class_name_ + ".apply_gradients: " + std::to_string(grads.size()) + " gradients for " +
                          std::to_string(vars.size()) + " variables");
  std::vector<size_t> active;
  for (size_t i = 0; i < vars.size(); ++i) {
    if (!vars[i])
      throw InvalidArgument(class_name_ + ".apply_gradients: variable " + std::to_string(i) + " is null");
    if (!grads[i].defined()) continue;
    const Variable& var = *vars[i];
    if (var.dtype() != DType::Float32 || grads[i].dtype() != DType::Float32)
      throw InvalidArgument(class_name_ + ".apply_gradients: variable '" + var.name() + "' (" +
                            std::string(dtype_name(var.dtype())) + ") with gradient of dtype " +
                            std::string(dtype_name(grads[i].dtype())) + "; both must be float32");
    if (grads[i].shape() != var.shape())
      throw ShapeError(class_name_ + ".apply_gradients: gradient of shape " + shape_str(grads[i].shape()) +
                       " for variable '" + var.name() + "' of shape " + shape_str(var.shape()));
    active.push_back(i);
  }
  if (active.empty()) {
    std::string names;
    for (const VariablePtr& var : vars) names += (names.empty() ? "'" : ", '") + var->name() + "'";
    throw InvalidArgument(class_name_ + ".apply_gradients: no gradients provided for any variable: [" + names +
                          "]");
  }

  autodiff::NoGradGuard no_grad;
  std::vector<VariablePtr> updated;
  for (size_t i : active) updated.push_back(vars[i]);
  build(updated);

  const int64_t step = iteration_count();
  const double step_learning_rate = current_learning_rate();
  std::vector<Tensor> active_grads;
  for (size_t i : active) active_grads.push_back(grads[i]);
  active_grads = clipped(std::move(active_grads));
  if (common_.weight_decay)
    for (const VariablePtr& var : updated) apply_weight_decay(*var, step_learning_rate);
  prepare_step(step_learning_rate, step);
  std::vector<float*> slot_data;
  for (size_t k = 0; k < active.size(); ++k) {
    Variable& var = *updated[k];
    slot_data.clear();
    const std::vector<VariablePtr>& var_slots = slots_by_variable_.at(&var);
    // The update's slots, in slot_names() order; the moving average, when kept, comes after them.
    const size_t update_slots = var_slots.size() - (common_.use_ema ? 1 : 0);
    for (size_t s = 0; s < update_slots; ++s) slot_data.push_back(var_slots[s]->mutable_value().data<float>());
    float* w = var.mutable_value().data<float>();
    const float* g = active_grads[k].data<float>();
    parallel_for(var.value().numel(), kUpdateGrain, [&](int64_t begin, int64_t end) {
      std::vector<float*> chunk_slots(slot_data.size());
      for (size_t k = 0; k < slot_data.size(); ++k) chunk_slots[k] = slot_data[k] + begin;
      update(w + begin, g + begin, chunk_slots.data(), end - begin);
    });
  }
  if (common_.use_ema) update_moving_averages(updated, step);
  iterations_->mutable_value().data<int64_t>()[0] = step + 1;
}

std::vector<std::pair<VariablePtr, std::string>> Optimizer::keras_slot_order(const std::vector<VariablePtr>& vars) const {
  std::vector<std::pair<VariablePtr, std::string>> order;
  // The moving averages come first: Keras's base optimizer builds them before the subclass's slots.
  if (common_.use_ema)
    for (const VariablePtr& variable : vars) order.emplace_back(variable, "average");
  const std::vector<std::string> names = update_slot_names();
  const size_t together = std::min<size_t>(keras_paired_slots(), names.size());
  for (const VariablePtr& variable : vars)
    for (size_t k = 0; k < together; ++k) order.emplace_back(variable, names[k]);
  for (size_t k = together; k < names.size(); ++k)
    for (const VariablePtr& variable : vars) order.emplace_back(variable, names[k]);
  return order;
}

}  // namespace cairn
