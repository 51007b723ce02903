// Optimizers with Keras names, defaults and update rules:
//
//   Adam optimizer;                          // or get_optimizer("adam")
//   optimizer.apply_gradients(grads, model.trainable_variables());
//
// Every optimizer takes Keras 3's common options (set_common_options: clipnorm, clipvalue,
// global_clipnorm, weight_decay, use_ema) and a learning-rate schedule (set_learning_rate_schedule).
// Adding an optimizer is one file (its class) and one line in src/optimizers/registry.cc.
//
// All state is held in named Variables so that a checkpoint can save and restore it exactly:
// iterations() ("iter", int64), the float32 hyperparameters TF checkpoints carry ("learning_rate",
// "decay", "beta_1"...) and one slot variable per optimized variable and slot name ("dense/kernel/m").
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cairn/keyword_args.h"
#include "cairn/learning_rate_schedules.h"
#include "cairn/tensor.h"
#include "cairn/variable.h"

namespace cairn {

// One piece of per-variable optimizer state: `slot` holds `slot_name` (e.g. "m") for `variable`.
struct OptimizerSlot {
  VariablePtr variable;
  std::string slot_name;
  VariablePtr slot;
};

// Keras 3's options of every optimizer (BaseOptimizer's arguments). At most one of the three clips.
struct OptimizerCommonOptions {
  std::optional<double> clipnorm;         // each gradient scaled to an L2 norm of at most this
  std::optional<double> clipvalue;        // each gradient element clipped to [-clipvalue, clipvalue]
  std::optional<double> global_clipnorm;  // all gradients scaled together to a joint norm of at most this
  std::optional<double> weight_decay;     // w -= w * weight_decay * learning_rate before each update
  bool use_ema = false;                   // keep an exponential moving average of each variable ("average")
  double ema_momentum = 0.99;
  std::optional<int64_t> ema_overwrite_frequency;  // copy the averages into the variables every n steps
  bool operator==(const OptimizerCommonOptions&) const = default;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Keras's class name: "SGD", "Adam", "AdamW"...
  const std::string& class_name() const { return class_name_; }
  // The class's own Keras config arguments (after learning_rate and the common options), in Keras's order.
  virtual ArgList get_config() const = 0;

  // InvalidArgument naming the option for a negative clip, two clips at once, ema_momentum outside [0, 1]
  // or an ema_overwrite_frequency below 1. Changing use_ema after the slots exist is refused too.
  void set_common_options(const OptimizerCommonOptions& options);
  const OptimizerCommonOptions& common_options() const { return common_; }
  // Step t then uses schedule(t) instead of the learning_rate variable (and decay); null removes it.
  void set_learning_rate_schedule(LearningRateSchedulePtr schedule);
  const LearningRateSchedulePtr& learning_rate_schedule() const { return schedule_; }
  // The learning rate the next step uses: the schedule's value at iteration_count(), or learning_rate()
  // after decay.
  double current_learning_rate() const;

  // Updates each variable in place from its gradient, then increments iterations() once. An undefined
  // gradient skips its variable; a call without any gradient is an InvalidArgument (as in Keras).
  // Shapes and dtypes (float32) are checked for every pair before anything changes.
  void apply_gradients(const std::vector<Tensor>& grads, const std::vector<VariablePtr>& vars);
  // Creates the slots of the variables that have none yet (apply_gradients does so lazily).
  void build(const std::vector<VariablePtr>& vars);

  // The base learning rate (before `decay`), as stored in the float32 variable "learning_rate".
  double learning_rate() const;
  // InvalidArgument unless finite and >= 0, or when a schedule drives the learning rate (as Keras).
  void set_learning_rate(double learning_rate);
  // Keras's inverse time decay: step t uses learning_rate / (1 + decay * t).
  double decay() const;
  // The number of apply_gradients calls so far (Keras optimizer.iterations), an int64 scalar "iter".
  const VariablePtr& iterations() const { return iterations_; }
  int64_t iteration_count() const;

  // The slot names of this configuration, in Keras's creation order (Adam: {"m", "v"}), then "average"
  // with use_ema.
  std::vector<std::string> slot_names() const;
  // The slots the update rule itself uses (slot_names() without "average").
  virtual std::vector<std::string> update_slot_names() const = 0;
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
  // after the iteration count (and Keras 3's learning rate): the first keras_paired_slots() slots variable
  // by variable (Adam's m and v), every other slot slot by slot over the variables.
  std::vector<std::pair<VariablePtr, std::string>> keras_slot_order(const std::vector<VariablePtr>& vars) const;
  // How many of the first slots Keras 3 creates together for each variable (add_optimizer_variables).
  virtual size_t keras_paired_slots() const { return 1; }

 protected:
  Optimizer(std::string class_name, double learning_rate, double decay);
  // A float32 scalar hyperparameter variable saved with the optimizer.
  VariablePtr add_hyperparameter(const std::string& name, double value);
  static double read(const VariablePtr& hyperparameter);
  // Throws InvalidArgument naming the optimizer and the argument unless low <= value < high
  // (value <= high when high_inclusive).
  void require_range(const char* argument, double value, double low, double high, bool high_inclusive) const;

  virtual float initial_slot_value(const std::string& slot_name) const { return 0.f; }
  // Called once per apply_gradients before any variable is updated, with the learning rate of this step
  // and the number of steps taken before this one; the optimizer computes its step constants here.
  virtual void prepare_step(double learning_rate, int64_t iteration) = 0;
  // Updates elements [0, n) of a variable: `w` its values, `g` its gradient, `slots[k]` the values of
  // slot_names()[k]. Called on disjoint chunks, possibly in parallel.
  virtual void update(float* w, const float* g, float* const* slots, int64_t n) const = 0;

 private:
  // Clipping, weight decay and the moving average around update().
  std::vector<Tensor> clipped(std::vector<Tensor> grads) const;
  void apply_weight_decay(Variable& var, double learning_rate) const;
  void update_moving_averages(const std::vector<VariablePtr>& vars, int64_t step);

  std::string class_name_;
  OptimizerCommonOptions common_;
  LearningRateSchedulePtr schedule_;
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
  std::vector<std::string> update_slot_names() const override;
  ArgList get_config() const override;

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
  std::vector<std::string> update_slot_names() const override;
  ArgList get_config() const override;
  size_t keras_paired_slots() const override { return 2; }

 protected:
  Adam(std::string class_name, double learning_rate, double beta_1, double beta_2, double epsilon, bool amsgrad,
       double decay);
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
  std::vector<std::string> update_slot_names() const override;
  ArgList get_config() const override;

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
  std::vector<std::string> update_slot_names() const override;
  ArgList get_config() const override;

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

// AdamW: Adam with Keras 3's decoupled weight decay (weight_decay 0.004 by default); slots as Adam's.
class AdamW : public Adam {
 public:
  explicit AdamW(double learning_rate = 0.001, double weight_decay = 0.004, double beta_1 = 0.9,
                 double beta_2 = 0.999, double epsilon = 1e-7, bool amsgrad = false);
};

// Keras 3's Nadam (Dozat's Nesterov Adam with the 0.96 momentum schedule). Slots "m", "v"; the running
// product of the momentum schedule is the float32 variable "momentum_cache" (tf.keras's name), saved with
// the hyperparameters.
class Nadam : public Optimizer {
 public:
  explicit Nadam(double learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999, double epsilon = 1e-7);
  double beta_1() const { return read(beta_1_); }
  double beta_2() const { return read(beta_2_); }
  double epsilon() const { return epsilon_; }
  std::vector<std::string> update_slot_names() const override { return {"m", "v"}; }
  ArgList get_config() const override;
  size_t keras_paired_slots() const override { return 2; }

 protected:
  void prepare_step(double learning_rate, int64_t iteration) override;
  void update(float* w, const float* g, float* const* slots, int64_t n) const override;

 private:
  VariablePtr beta_1_, beta_2_, momentum_cache_;
  double epsilon_;
  float lr_ = 0.f, b1_ = 0.f, b2_ = 0.f, u_t_ = 0.f, u_next_ = 0.f, product_ = 0.f, product_next_ = 0.f,
        beta_2_power_ = 0.f;
};

// Adamax (Adam with the infinity norm): m = beta_1 m + (1 - beta_1) g, u = max(beta_2 u, |g|),
// w -= lr m / ((1 - beta_1^t) (u + epsilon)). Slots "m" and "v" (tf.keras's names; Keras 3 calls v "u").
class Adamax : public Optimizer {
 public:
  explicit Adamax(double learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999, double epsilon = 1e-7);
  double beta_1() const { return read(beta_1_); }
  double beta_2() const { return read(beta_2_); }
  double epsilon() const { return epsilon_; }
  std::vector<std::string> update_slot_names() const override { return {"m", "v"}; }
  ArgList get_config() const override;
  size_t keras_paired_slots() const override { return 2; }

 protected:
  void prepare_step(double learning_rate, int64_t iteration) override;
  void update(float* w, const float* g, float* const* slots, int64_t n) const override;

 private:
  VariablePtr beta_1_, beta_2_;
  double epsilon_;
  float lr_ = 0.f, b1_ = 0.f, b2_ = 0.f, correction_ = 0.f;
};

// Adadelta: acc_g = rho acc_g + (1 - rho) g^2; delta = -sqrt(acc_d + eps) g / sqrt(acc_g + eps);
// acc_d = rho acc_d + (1 - rho) delta^2; w += lr delta. Slots "accum_grad", "accum_var" (tf.keras's).
class Adadelta : public Optimizer {
 public:
  explicit Adadelta(double learning_rate = 0.001, double rho = 0.95, double epsilon = 1e-7);
  double rho() const { return read(rho_); }
  double epsilon() const { return epsilon_; }
  std::vector<std::string> update_slot_names() const override { return {"accum_grad", "accum_var"}; }
  ArgList get_config() const override;
  size_t keras_paired_slots() const override { return 2; }

 protected:
  void prepare_step(double learning_rate, int64_t iteration) override;
  void update(float* w, const float* g, float* const* slots, int64_t n) const override;

 private:
  VariablePtr rho_;
  double epsilon_;
  float lr_ = 0.f, step_rho_ = 0.f;
};

// Follow The Regularized Leader (McMahan et al.), Keras 3's update. Slots "accumulator" (starting at
// initial_accumulator_value) and "linear".
class Ftrl : public Optimizer {
 public:
  explicit Ftrl(double learning_rate = 0.001, double learning_rate_power = -0.5,
                double initial_accumulator_value = 0.1, double l1_regularization_strength = 0.0,
                double l2_regularization_strength = 0.0, double l2_shrinkage_regularization_strength = 0.0,
                double beta = 0.0);
  std::vector<std::string> update_slot_names() const override { return {"accumulator", "linear"}; }
  ArgList get_config() const override;
  size_t keras_paired_slots() const override { return 2; }

 protected:
  float initial_slot_value(const std::string& slot_name) const override;
  void prepare_step(double learning_rate, int64_t iteration) override;
  void update(float* w, const float* g, float* const* slots, int64_t n) const override;

 private:
  VariablePtr learning_rate_power_, l1_, l2_, beta_;
  double initial_accumulator_value_, l2_shrinkage_;
  float lr_ = 0.f, power_ = 0.f, l1_step_ = 0.f, l2_step_ = 0.f, shrinkage_step_ = 0.f;
};

// Lion (Chen et al. 2023): w -= lr sign(beta_1 m + (1 - beta_1) g); m = beta_2 m + (1 - beta_2) g.
// Slot "m".
class Lion : public Optimizer {
 public:
  explicit Lion(double learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.99);
  std::vector<std::string> update_slot_names() const override { return {"m"}; }
  ArgList get_config() const override;

 protected:
  void prepare_step(double learning_rate, int64_t iteration) override;
  void update(float* w, const float* g, float* const* slots, int64_t n) const override;

 private:
  VariablePtr beta_1_, beta_2_;
  float lr_ = 0.f, b1_ = 0.f, b2_ = 0.f;
};

// ---- the registry: one line per optimizer in src/optimizers/registry.cc

struct OptimizerRegistration {
  std::string class_name;  // "AdamW"; get_optimizer also takes it lower-cased ("adamw")
  // Makes the optimizer from its config arguments other than the common options (learning_rate, decay and
  // the class's own), Keras's defaults for absent ones; InvalidArgument for a bad value.
  std::function<OptimizerPtr(KeywordArgs& args)> make;
};
// Every optimizer cairn has, in keras.optimizers' order.
const std::vector<OptimizerRegistration>& optimizer_registry();

// Keras's string shortcuts, case-insensitive ("sgd", "adam", "adamw", "nadam"...), with default
// arguments. InvalidArgument naming the unknown name otherwise.
OptimizerPtr get_optimizer(const std::string& name);
// The optimizer of class `class_name` from its config arguments, common options included
// (clipnorm, clipvalue, global_clipnorm, weight_decay, use_ema, ema_momentum, ema_overwrite_frequency);
// InvalidArgument for an unknown class or argument.
OptimizerPtr make_optimizer(const std::string& class_name, KeywordArgs& args);

}  // namespace cairn
