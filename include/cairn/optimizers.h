// Optimizers with tf.keras 2.x (OptimizerV2) names, defaults and update rules:
//
//   Adam optimizer;                          // or get_optimizer("adam")
//   optimizer.apply_gradients(grads, model.trainable_variables());
//
// All state is held in named Variables so that a checkpoint can save and restore it exactly:
// iterations() ("iter", int64), the float32 hyperparameters TF checkpoints carry ("learning_rate",
// "decay", "beta_1"...) and one slot variable per optimized variable and slot name ("dense/kernel/m").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "cairn/tensor.h"
#include "cairn/variable.h"

namespace cairn {

// One piece of per-variable optimizer state: `slot` holds `slot_name` (e.g. "m") for `variable`.
struct OptimizerSlot {
  VariablePtr variable;
  std::string slot_name;
  VariablePtr slot;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Keras's class name: "SGD", "Adam", "Adagrad", "RMSprop".
  const std::string& class_name() const { return class_name_; }

  // Updates each variable in place from its gradient, then increments iterations() once. An undefined
  // gradient skips its variable; a call without any gradient is an InvalidArgument (as in Keras).
  // Shapes and dtypes (float32) are checked for every pair before anything changes.
  void apply_gradients(const std::vector<Tensor>& grads, const std::vector<VariablePtr>& vars);
  // Creates the slots of the variables that have none yet (apply_gradients does so lazily).
  void build(const std::vector<VariablePtr>& vars);

  // The base learning rate (before `decay`), as stored in the float32 variable "learning_rate".
  double learning_rate() const;
  void set_learning_rate(double learning_rate);  // InvalidArgument unless finite and >= 0
  // Keras's inverse time decay: step t uses learning_rate / (1 + decay * t).
  double decay() const;
  // The number of apply_gradients calls so far (Keras optimizer.iterations), an int64 scalar "iter".
  const VariablePtr& iterations() const { return iterations_; }
  int64_t iteration_count() const;

  // The slot names of this configuration, in Keras's creation order (Adam: {"m", "v"}).
  virtual std::vector<std::string> slot_names() const = 0;
  // The slot variable `slot_name` of `var`; InvalidArgument if it does not exist (yet).
  VariablePtr get_slot(const Variable& var, const std::string& slot_name) const;
  bool has_slots(const Variable& var) const { return slots_by_variable_.count(&var) != 0; }
  // Every slot in creation order: per build, all first slots, then all second slots... (Keras's order).
  const std::vector<OptimizerSlot>& slots() const { return slots_; }
  // The scalar variables a TF2 checkpoint stores for this optimizer: "iter" first, then the
  // hyperparameters sorted by name (Adam: iter, beta_1, beta_2, decay, learning_rate).
  std::vector<VariablePtr> hyperparameter_variables() const;
  // Keras optimizer.weights: iterations() followed by the slot variables in creation order.
  std::vector<VariablePtr> weights() const;
  // (variable, slot name) in the order the optimizers of Keras 2.11+ and Keras 3 list their variables
  // after the iteration count (and Keras 3's learning rate): Adam's m and v variable by variable, every
  // other slot slot by slot over the variables.
  std::vector<std::pair<VariablePtr, std::string>> keras_slot_order(const std::vector<VariablePtr>& vars) const;

 protected:
  Optimizer(std::string class_name, double learning_rate, double decay);
  // A float32 scalar hyperparameter variable saved with the optimizer.
  VariablePtr add_hyperparameter(const std::string& name, double value);
  static double read(const VariablePtr& hyperparameter);
  // Throws InvalidArgument naming the optimizer and the argument unless low <= value < high
  // (value <= high when high_inclusive).
  void require_range(const char* argument, double value, double low, double high, bool high_inclusive) const;

  virtual float initial_slot_value(const std::string& slot_name) const { return 0.f; }
  // Called once per apply_gradients before any variable is updated, with the decayed learning rate
  // and the number of steps taken before this one; the optimizer computes its step constants here.
  virtual void prepare_step(double learning_rate, int64_t iteration) = 0;
  // Updates elements [0, n) of a variable: `w` its values, `g` its gradient, `slots[k]` the values of
  // slot_names()[k]. Called on disjoint chunks, possibly in parallel.
  virtual void update(float* w, const float* g, float* const* slots, int64_t n) const = 0;

 private:
  std::string class_name_;
  VariablePtr iterations_;
  VariablePtr learning_rate_;
  VariablePtr decay_;
  std::vector<VariablePtr> hyperparameters_;
  std::vector<OptimizerSlot> slots_;
  // For each optimized variable, its slot variables in slot_names() order.
  std::unordered_map<const Variable*, std::vector<VariablePtr>> slots_by_variable_;
};

using OptimizerPtr = std::shared_ptr<Optimizer>;

// Plain SGD, or with Keras's momentum: v = momentum * v - lr * g; w += v
// (nesterov: w += momentum * v - lr * g). Slot "momentum" when momentum > 0.
class SGD : public Optimizer {
 public:
  explicit SGD(double learning_rate = 0.01, double momentum = 0.0, bool nesterov = false, double decay = 0.0);
  double momentum() const { return read(momentum_); }
  bool nesterov() const { return nesterov_; }
  std::vector<std::string> slot_names() const override;

 protected:
  void prepare_step(double learning_rate, int64_t iteration) override;
  void update(float* w, const float* g, float* const* slots, int64_t n) const override;

 private:
  VariablePtr momentum_;
  bool use_momentum_;
  bool nesterov_;
  float lr_ = 0.f, step_momentum_ = 0.f;
};

// TF's Adam: with t = iteration + 1, lr_t = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t),
// m = beta_1 m + (1 - beta_1) g, v = beta_2 v + (1 - beta_2) g^2, w -= lr_t m / (sqrt(v) + epsilon).
// amsgrad divides by sqrt(vhat) with vhat = max(vhat, v). Slots "m", "v" (and "vhat").
class Adam : public Optimizer {
 public:
  explicit Adam(double learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999, double epsilon = 1e-7,
                bool amsgrad = false, double decay = 0.0);
  double beta_1() const { return read(beta_1_); }
  double beta_2() const { return read(beta_2_); }
  double epsilon() const { return epsilon_; }
  bool amsgrad() const { return amsgrad_; }
  std::vector<std::string> slot_names() const override;

 protected:
  void prepare_step(double learning_rate, int64_t iteration) override;
  void update(float* w, const float* g, float* const* slots, int64_t n) const override;

 private:
  VariablePtr beta_1_, beta_2_;
  double epsilon_;
  bool amsgrad_;
  float alpha_ = 0.f, b1_ = 0.f, b2_ = 0.f;
};

// acc += g^2; w -= lr g / sqrt(acc + epsilon), as Keras 3 and tf.keras 2.11+. `legacy` is the rule of
// tf.keras.optimizers.legacy.Adagrad (TF 2.0-2.10, and Keras 2.2): w -= lr g / (sqrt(acc) + epsilon).
// Slot "accumulator", starting at initial_accumulator_value.
class Adagrad : public Optimizer {
 public:
  explicit Adagrad(double learning_rate = 0.001, double initial_accumulator_value = 0.1, double epsilon = 1e-7,
                   double decay = 0.0, bool legacy = false);
  double initial_accumulator_value() const { return initial_accumulator_value_; }
  double epsilon() const { return epsilon_; }
  bool legacy() const { return legacy_; }
  std::vector<std::string> slot_names() const override;

 protected:
  float initial_slot_value(const std::string& slot_name) const override;
  void prepare_step(double learning_rate, int64_t iteration) override;
  void update(float* w, const float* g, float* const* slots, int64_t n) const override;

 private:
  double initial_accumulator_value_;
  double epsilon_;
  bool legacy_;
  float lr_ = 0.f;
};

// rms = rho rms + (1 - rho) g^2, denominator rms (centered: rms - mg^2 with mg = rho mg + (1 - rho) g),
// increment = lr g / sqrt(denominator + epsilon) as Keras 3 and tf.keras 2.11+; without momentum
// w -= increment, with it mom = momentum mom + increment; w -= mom. `legacy` is the rule of
// tf.keras.optimizers.legacy.RMSprop (TF 2.0-2.10, and Keras 2.2), which differs without momentum only:
// w -= lr g / (sqrt(denominator) + epsilon).
// Slots "rms", then "momentum" when momentum > 0, then "mg" when centered.
class RMSprop : public Optimizer {
 public:
  explicit RMSprop(double learning_rate = 0.001, double rho = 0.9, double momentum = 0.0, double epsilon = 1e-7,
                   bool centered = false, double decay = 0.0, bool legacy = false);
  double rho() const { return read(rho_); }
  double momentum() const { return read(momentum_); }
  double epsilon() const { return epsilon_; }
  bool centered() const { return centered_; }
  bool legacy() const { return legacy_; }
  std::vector<std::string> slot_names() const override;

 protected:
  void prepare_step(double learning_rate, int64_t iteration) override;
  void update(float* w, const float* g, float* const* slots, int64_t n) const override;

 private:
  VariablePtr rho_, momentum_;
  double epsilon_;
  bool use_momentum_;
  bool centered_;
  bool legacy_;
  float lr_ = 0.f, step_rho_ = 0.f, step_momentum_ = 0.f;
};

// Keras's string shortcuts, case-insensitive: "sgd", "adam", "adagrad", "rmsprop", with default
// arguments. InvalidArgument naming the unknown name otherwise.
OptimizerPtr get_optimizer(const std::string& name);

}  // namespace cairn
