// The learning-rate schedules cairn has, by Keras class name: adding one is its class (one file) and
// one line here.
#include <limits>

#include "cairn/error.h"
#include "cairn/learning_rate_schedules.h"

namespace cairn {

namespace {
constexpr int64_t kMaxSteps = std::numeric_limits<int64_t>::max();

int64_t steps(KeywordArgs& a, const std::string& key) {
  if (!a.has(key)) a.fail(key, "is required");
  return a.integer(key, 0, 1, kMaxSteps);
}

double required_number(KeywordArgs& a, const std::string& key) {
  if (!a.has(key) || !a.optional_number(key)) a.fail(key, "is required");
  return *a.optional_number(key);
}
}  // namespace

const std::vector<ScheduleRegistration>& schedule_registry() {
  static const std::vector<ScheduleRegistration> registry = {
      {"CosineDecay",
       [](KeywordArgs& a) {
         const double initial = required_number(a, "initial_learning_rate");
         const int64_t decay_steps = steps(a, "decay_steps");
         const double alpha = a.number("alpha", 0.0);
         const std::optional<double> target = a.optional_number("warmup_target");
         return std::make_shared<CosineDecay>(initial, decay_steps, alpha, target,
                                              a.integer("warmup_steps", 0, 0, kMaxSteps));
       }},
      {"CosineDecayRestarts",
       [](KeywordArgs& a) {
         const double initial = required_number(a, "initial_learning_rate");
         const int64_t first = steps(a, "first_decay_steps");
         const double t_mul = a.number("t_mul", 2.0), m_mul = a.number("m_mul", 1.0);
         return std::make_shared<CosineDecayRestarts>(initial, first, t_mul, m_mul, a.number("alpha", 0.0));
       }},
      {"ExponentialDecay",
       [](KeywordArgs& a) {
         const double initial = required_number(a, "initial_learning_rate");
         const int64_t decay_steps = steps(a, "decay_steps");
         const double rate = required_number(a, "decay_rate");
         return std::make_shared<ExponentialDecay>(initial, decay_steps, rate, a.boolean("staircase", false));
       }},
      {"InverseTimeDecay",
       [](KeywordArgs& a) {
         const double initial = required_number(a, "initial_learning_rate");
         const int64_t decay_steps = steps(a, "decay_steps");
         const double rate = required_number(a, "decay_rate");
         return std::make_shared<InverseTimeDecay>(initial, decay_steps, rate, a.boolean("staircase", false));
       }},
      {"PiecewiseConstantDecay",
       [](KeywordArgs& a) {
         std::vector<double> boundaries = a.numbers("boundaries", {});
         return std::make_shared<PiecewiseConstantDecay>(std::move(boundaries), a.numbers("values", {}));
       }},
      {"PolynomialDecay",
       [](KeywordArgs& a) {
         const double initial = required_number(a, "initial_learning_rate");
         const int64_t decay_steps = steps(a, "decay_steps");
         const double end = a.number("end_learning_rate", 0.0001), power = a.number("power", 1.0);
         return std::make_shared<PolynomialDecay>(initial, decay_steps, end, power, a.boolean("cycle", false));
       }},
  };
  return registry;
}

LearningRateSchedulePtr make_schedule(const std::string& class_name, KeywordArgs& args) {
  for (const ScheduleRegistration& entry : schedule_registry()) {
    if (entry.class_name != class_name) continue;
    args.ignore("name");
    LearningRateSchedulePtr schedule = entry.make(args);
    args.finish();
    return schedule;
  }
  std::string known;
  for (const ScheduleRegistration& entry : schedule_registry()) known += (known.empty() ? "" : ", ") + entry.class_name;
  throw InvalidArgument("unknown learning rate schedule '" + class_name + "' (cairn has " + known + ")");
}

}  // namespace cairn
