// Keras's learning-rate schedules (keras.optimizers.schedules): the learning rate as a function of the
// optimizer's step count, which checkpoints save, so that a resumed run continues the schedule exactly.
//
//   auto schedule = std::make_shared<CosineDecay>(0.1, 1000);
//   optimizer.set_learning_rate_schedule(schedule);   // step t uses (*schedule)(t)
//
// Adding a schedule is one file (its class) and one line in src/optimizers/schedules/registry.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cairn/keyword_args.h"

namespace cairn {

class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  virtual std::string class_name() const = 0;
  // The learning rate at `step` (the number of optimizer steps taken before it), as Keras computes it.
  virtual double operator()(int64_t step) const = 0;
  // Keras's config arguments, in Keras's order (without "name").
  virtual ArgList get_config() const = 0;
};

using LearningRateSchedulePtr = std::shared_ptr<const LearningRateSchedule>;

// initial_learning_rate * decay_rate ^ (step / decay_steps), the exponent floored when staircase.
class ExponentialDecay : public LearningRateSchedule {
 public:
  ExponentialDecay(double initial_learning_rate, int64_t decay_steps, double decay_rate, bool staircase = false);
  std::string class_name() const override { return "ExponentialDecay"; }
  double operator()(int64_t step) const override;
  ArgList get_config() const override;

 private:
  double initial_learning_rate_;
  int64_t decay_steps_;
  double decay_rate_;
  bool staircase_;
};

// values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <= boundaries[i],
// values.back() after the last boundary. One more value than boundaries.
class PiecewiseConstantDecay : public LearningRateSchedule {
 public:
  PiecewiseConstantDecay(std::vector<double> boundaries, std::vector<double> values);
  std::string class_name() const override { return "PiecewiseConstantDecay"; }
  double operator()(int64_t step) const override;
  ArgList get_config() const override;

 private:
  std::vector<double> boundaries_, values_;
};

// (initial - end) * (1 - step / decay_steps) ^ power + end, step capped at decay_steps; with cycle,
// decay_steps grows to the first multiple of itself at or above step instead.
class PolynomialDecay : public LearningRateSchedule {
 public:
  PolynomialDecay(double initial_learning_rate, int64_t decay_steps, double end_learning_rate = 0.0001,
                  double power = 1.0, bool cycle = false);
  std::string class_name() const override { return "PolynomialDecay"; }
  double operator()(int64_t step) const override;
  ArgList get_config() const override;

 private:
  double initial_learning_rate_;
  int64_t decay_steps_;
  double end_learning_rate_, power_;
  bool cycle_;
};

// initial_learning_rate / (1 + decay_rate * step / decay_steps), the ratio floored when staircase.
class InverseTimeDecay : public LearningRateSchedule {
 public:
  InverseTimeDecay(double initial_learning_rate, int64_t decay_steps, double decay_rate, bool staircase = false);
  std::string class_name() const override { return "InverseTimeDecay"; }
  double operator()(int64_t step) const override;
  ArgList get_config() const override;

 private:
  double initial_learning_rate_;
  int64_t decay_steps_;
  double decay_rate_;
  bool staircase_;
};

// Cosine decay from initial_learning_rate to alpha * initial over decay_steps. With warmup_target, first a
// linear warmup from initial_learning_rate to warmup_target over warmup_steps, then the decay from
// warmup_target.
class CosineDecay : public LearningRateSchedule {
 public:
  CosineDecay(double initial_learning_rate, int64_t decay_steps, double alpha = 0.0,
              std::optional<double> warmup_target = std::nullopt, int64_t warmup_steps = 0);
  std::string class_name() const override { return "CosineDecay"; }
  double operator()(int64_t step) const override;
  ArgList get_config() const override;

 private:
  double initial_learning_rate_;
  int64_t decay_steps_;
  double alpha_;
  std::optional<double> warmup_target_;
  int64_t warmup_steps_;
};

// SGDR (Loshchilov & Hutter): cosine decays over first_decay_steps, restarting with periods multiplied by
// t_mul and peaks by m_mul.
class CosineDecayRestarts : public LearningRateSchedule {
 public:
  CosineDecayRestarts(double initial_learning_rate, int64_t first_decay_steps, double t_mul = 2.0,
                      double m_mul = 1.0, double alpha = 0.0);
  std::string class_name() const override { return "CosineDecayRestarts"; }
  double operator()(int64_t step) const override;
  ArgList get_config() const override;

 private:
  double initial_learning_rate_;
  int64_t first_decay_steps_;
  double t_mul_, m_mul_, alpha_;
};

struct ScheduleRegistration {
  std::string class_name;
  // From the config arguments (without "name"), Keras's defaults for absent ones; InvalidArgument otherwise.
  std::function<LearningRateSchedulePtr(KeywordArgs& args)> make;
};
// Every schedule cairn has, in keras.optimizers.schedules' order.
const std::vector<ScheduleRegistration>& schedule_registry();
// The schedule of class `class_name`; InvalidArgument for an unknown class or argument.
LearningRateSchedulePtr make_schedule(const std::string& class_name, KeywordArgs& args);

}  // namespace cairn
