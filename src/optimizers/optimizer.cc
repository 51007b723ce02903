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
  require_range("learning_rate", learning_rate, 0, INFINITY, false);
  learning_rate_->mutable_value().data<float>()[0] = static_cast<float>(learning_rate);
}

double Optimizer::decay() const { return read(decay_); }

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
  const double decay_rate = decay();
  prepare_step(decay_rate > 0 ? learning_rate() / (1.0 + decay_rate * static_cast<double>(step)) : learning_rate(),
               step);
  std::vector<float*> slot_data;
  for (size_t i : active) {
    Variable& var = *vars[i];
    slot_data.clear();
    for (const VariablePtr& slot : slots_by_variable_.at(&var))
      slot_data.push_back(slot->mutable_value().data<float>());
    float* w = var.mutable_value().data<float>();
    const float* g = grads[i].data<float>();
    parallel_for(var.value().numel(), kUpdateGrain, [&](int64_t begin, int64_t end) {
      std::vector<float*> chunk_slots(slot_data.size());
      for (size_t k = 0; k < slot_data.size(); ++k) chunk_slots[k] = slot_data[k] + begin;
      update(w + begin, g + begin, chunk_slots.data(), end - begin);
    });
  }
  iterations_->mutable_value().data<int64_t>()[0] = step + 1;
}

OptimizerPtr get_optimizer(const std::string& name) {
  std::string key = name;
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  if (key == "sgd") return std::make_shared<SGD>();
  if (key == "adam") return std::make_shared<Adam>();
  if (key == "adagrad") return std::make_shared<Adagrad>();
  if (key == "rmsprop") return std::make_shared<RMSprop>();
  throw InvalidArgument("unknown optimizer '" + name + "' (expected 'sgd', 'adam', 'adagrad' or 'rmsprop')");
}

std::vector<std::pair<VariablePtr, std::string>> Optimizer::keras_slot_order(const std::vector<VariablePtr>& vars) const {
  const std::vector<std::string> names = slot_names();
  const size_t together = std::min<size_t>(class_name() == "Adam" ? 2 : 1, names.size());
  std::vector<std::pair<VariablePtr, std::string>> order;
  for (const VariablePtr& variable : vars)
    for (size_t k = 0; k < together; ++k) order.emplace_back(variable, names[k]);
  for (size_t k = together; k < names.size(); ++k)
    for (const VariablePtr& variable : vars) order.emplace_back(variable, names[k]);
  return order;
}

}  // namespace cairn
