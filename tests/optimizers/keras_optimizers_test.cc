// Every registered optimizer, the common options and the learning-rate schedules against Keras 3: the
// variables after each of three steps on the gradients of tests/conformance/vocabulary/optimizers.npz, and
// every slot after the last, within testing::kKerasTolerance; schedules at the steps of schedules.npz.
// A run split in two (its state copied into a new optimizer between the steps) ends bit-identical to an
// uninterrupted one, which is what a checkpoint's resume relies on.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "cairn/optimizers.h"
#include "expect_error.h"
#include "keras_vocabulary.h"

namespace cairn {
namespace {

using testing::KerasVocabulary;

const KerasVocabulary& oracle() {
  static const KerasVocabulary vocabulary("optimizers");
  return vocabulary;
}

OptimizerPtr with_options(OptimizerPtr optimizer, const std::function<void(OptimizerCommonOptions&)>& set) {
  OptimizerCommonOptions options = optimizer->common_options();
  set(options);
  optimizer->set_common_options(options);
  return optimizer;
}

OptimizerPtr with_schedule(OptimizerPtr optimizer, LearningRateSchedulePtr schedule) {
  optimizer->set_learning_rate_schedule(std::move(schedule));
  return optimizer;
}

// The cases of generate_vocabulary.py's OPTIMIZER_CASES, with the same arguments.
std::map<std::string, std::function<OptimizerPtr()>> keras_cases() {
  return {
      {"sgd_nesterov", [] { return std::make_shared<SGD>(0.1, 0.9, true); }},
      {"adam_amsgrad", [] { return std::make_shared<Adam>(0.01, 0.9, 0.999, 1e-7, true); }},
      {"adamw", [] { return std::make_shared<AdamW>(0.01, 0.1); }},
      {"adamw_amsgrad", [] { return std::make_shared<AdamW>(0.01, 0.05, 0.9, 0.999, 1e-7, true); }},
      {"nadam", [] { return std::make_shared<Nadam>(0.01); }},
      {"adamax", [] { return std::make_shared<Adamax>(0.01); }},
      {"adadelta", [] { return std::make_shared<Adadelta>(1.0); }},
      {"ftrl", [] { return std::make_shared<Ftrl>(0.1); }},
      {"ftrl_regularized", [] { return std::make_shared<Ftrl>(0.1, -0.7, 0.2, 0.01, 0.02, 0.01, 0.1); }},
      {"lion", [] { return std::make_shared<Lion>(0.01); }},
      {"clipnorm",
       [] { return with_options(std::make_shared<SGD>(0.1), [](auto& o) { o.clipnorm = 0.5; }); }},
      {"clipvalue",
       [] { return with_options(std::make_shared<Adam>(0.01), [](auto& o) { o.clipvalue = 0.1; }); }},
      {"global_clipnorm",
       [] { return with_options(std::make_shared<SGD>(0.1), [](auto& o) { o.global_clipnorm = 0.5; }); }},
      {"weight_decay",
       [] { return with_options(std::make_shared<SGD>(0.1), [](auto& o) { o.weight_decay = 0.05; }); }},
      {"ema",
       [] {
         return with_options(std::make_shared<SGD>(0.1, 0.5), [](auto& o) {
           o.use_ema = true;
           o.ema_momentum = 0.9;
           o.ema_overwrite_frequency = 2;
         });
       }},
      {"exponential_decay",
       [] { return with_schedule(std::make_shared<SGD>(), std::make_shared<ExponentialDecay>(0.1, 2, 0.5)); }},
      {"cosine_decay_warmup",
       [] {
         return with_schedule(std::make_shared<Adam>(), std::make_shared<CosineDecay>(0.001, 4, 0.0, 0.01, 2));
       }},
  };
}

const std::vector<std::string> kVariables = {"a", "b"};
constexpr int kSteps = 3;

std::vector<VariablePtr> initial_variables() {
  std::vector<VariablePtr> vars;
  for (const std::string& name : kVariables)
    vars.push_back(std::make_shared<Variable>(name, oracle().at("w0." + name).clone()));
  return vars;
}

void step(Optimizer& optimizer, const std::vector<VariablePtr>& vars, int index) {
  std::vector<Tensor> grads;
  for (const std::string& name : kVariables) grads.push_back(oracle().at("grads." + std::to_string(index) + "." + name));
  optimizer.apply_gradients(grads, vars);
}

TEST(KerasOptimizers, StepsAndSlotsMatchKeras) {
  for (const auto& [name, make] : keras_cases()) {
    SCOPED_TRACE(name);
    OptimizerPtr optimizer = make();
    std::vector<VariablePtr> vars = initial_variables();
    for (int s = 0; s < kSteps; ++s) {
      step(*optimizer, vars, s);
      for (size_t v = 0; v < vars.size(); ++v)
        testing::expect_keras_close(vars[v]->value(),
                                    oracle().at(name + "." + std::to_string(s) + "." + kVariables[v]),
                                    name + " step " + std::to_string(s) + " " + kVariables[v]);
    }
    // Every slot Keras has, and no other.
    size_t keras_slots = 0;
    for (const auto& [key, array] : oracle().arrays())
      if (key.rfind(name + ".slot.", 0) == 0) ++keras_slots;
    EXPECT_EQ(optimizer->slots().size(), keras_slots);
    for (const OptimizerSlot& slot : optimizer->slots()) {
      const std::string key = name + ".slot." + slot.variable->name() + "." + slot.slot_name;
      ASSERT_TRUE(oracle().has(key)) << key;
      testing::expect_keras_close(slot.slot->value(), oracle().at(key), key);
    }
  }
  const auto nadam = std::dynamic_pointer_cast<Nadam>(keras_cases().at("nadam")());
  std::vector<VariablePtr> vars = initial_variables();
  for (int s = 0; s < kSteps; ++s) step(*nadam, vars, s);
  for (const VariablePtr& h : nadam->hyperparameter_variables())
    if (h->name() == "momentum_cache") testing::expect_keras_close(h->value(), oracle().at("nadam.momentum_cache"), "u_product");
}

TEST(KerasOptimizers, EveryRegisteredOptimizerIsCheckedAgainstKeras) {
  std::set<std::string> checked = {"Adagrad", "RMSprop", "Adam", "SGD"};  // tests/conformance's optimizer cases
  for (const auto& [name, make] : keras_cases()) checked.insert(make()->class_name());
  for (const OptimizerRegistration& entry : optimizer_registry())
    EXPECT_TRUE(checked.count(entry.class_name)) << entry.class_name << " has no Keras case";
}

// The whole state (iterations, hyperparameter variables, slots) copied into a fresh optimizer between
// steps continues bit for bit: nothing a resumed run needs lives outside those variables.
TEST(KerasOptimizers, ACopiedStateContinuesBitIdentically) {
  for (const auto& [name, make] : keras_cases()) {
    SCOPED_TRACE(name);
    OptimizerPtr straight = make();
    std::vector<VariablePtr> straight_vars = initial_variables();
    for (int s = 0; s < kSteps; ++s) step(*straight, straight_vars, s);

    OptimizerPtr first = make();
    std::vector<VariablePtr> vars = initial_variables();
    step(*first, vars, 0);
    OptimizerPtr resumed = make();
    resumed->build(vars);
    for (size_t k = 0; k < first->hyperparameter_variables().size(); ++k)
      resumed->hyperparameter_variables()[k]->assign(first->hyperparameter_variables()[k]->value().clone());
    for (const OptimizerSlot& slot : first->slots())
      resumed->get_slot(*slot.variable, slot.slot_name)->assign(slot.slot->value().clone());
    for (int s = 1; s < kSteps; ++s) step(*resumed, vars, s);
    for (size_t v = 0; v < vars.size(); ++v)
      EXPECT_EQ(vars[v]->value().to_vector<float>(), straight_vars[v]->value().to_vector<float>()) << kVariables[v];
  }
}

TEST(KerasOptimizers, ConfigArgumentsRoundTrip) {
  for (const auto& [name, make] : keras_cases()) {
    OptimizerPtr optimizer = make();
    ArgList args = optimizer->get_config();
    args.emplace_back("learning_rate", optimizer->learning_rate());
    KeywordArgs keyword(optimizer->class_name(), args);
    OptimizerPtr copy = make_optimizer(optimizer->class_name(), keyword);
    EXPECT_EQ(copy->get_config(), optimizer->get_config()) << name;
  }
  KeywordArgs two_clips("SGD", {{"clipnorm", 1.0}, {"global_clipnorm", 1.0}});
  testing::expect_error_mentioning<InvalidArgument>([&] { make_optimizer("SGD", two_clips); },
                                                    {"only one of clipnorm, clipvalue and global_clipnorm"});
  KeywordArgs ema("SGD", {{"use_ema", true}, {"ema_momentum", 0.5}, {"ema_overwrite_frequency", 3.0}});
  OptimizerPtr sgd = make_optimizer("SGD", ema);
  EXPECT_TRUE(sgd->common_options().use_ema);
  EXPECT_EQ(sgd->common_options().ema_overwrite_frequency, 3);
  EXPECT_EQ(sgd->slot_names(), std::vector<std::string>{"average"});
  EXPECT_EQ(std::make_shared<AdamW>()->common_options().weight_decay, 0.004);
}

TEST(KerasOptimizers, ScheduledLearningRateCannotBeSet) {
  SGD sgd;
  sgd.set_learning_rate_schedule(std::make_shared<ExponentialDecay>(0.1, 2, 0.5));
  EXPECT_DOUBLE_EQ(sgd.current_learning_rate(), 0.1);
  testing::expect_error_mentioning<InvalidArgument>([&] { sgd.set_learning_rate(0.2); },
                                                    {"ExponentialDecay", "cannot be set"});
}

TEST(KerasSchedules, ValuesMatchKeras) {
  static const KerasVocabulary schedules("schedules");
  const std::map<std::string, LearningRateSchedulePtr> cases = {
      {"exponential_decay", std::make_shared<ExponentialDecay>(0.1, 7, 0.5)},
      {"exponential_decay_staircase", std::make_shared<ExponentialDecay>(0.1, 7, 0.5, true)},
      {"piecewise_constant_decay",
       std::make_shared<PiecewiseConstantDecay>(std::vector<double>{5, 10, 20}, std::vector<double>{1.0, 0.5, 0.1, 0.05})},
      {"polynomial_decay", std::make_shared<PolynomialDecay>(0.1, 20, 0.01, 2.0)},
      {"polynomial_decay_cycle", std::make_shared<PolynomialDecay>(0.1, 6, 0.01, 0.5, true)},
      {"inverse_time_decay", std::make_shared<InverseTimeDecay>(0.1, 3, 0.5)},
      {"inverse_time_decay_staircase", std::make_shared<InverseTimeDecay>(0.1, 3, 0.5, true)},
      {"cosine_decay", std::make_shared<CosineDecay>(0.1, 20, 0.1)},
      {"cosine_decay_warmup", std::make_shared<CosineDecay>(0.0, 15, 0.0, 0.1, 5)},
      {"cosine_decay_restarts", std::make_shared<CosineDecayRestarts>(0.1, 4)},
      {"cosine_decay_restarts_args", std::make_shared<CosineDecayRestarts>(0.1, 5, 1.0, 0.5, 0.05)},
  };
  std::set<std::string> classes;
  for (const auto& [name, schedule] : cases) {
    SCOPED_TRACE(name);
    classes.insert(schedule->class_name());
    const Tensor steps = schedules.at(name + ".steps").to(DType::Int64);
    const Tensor want = schedules.at(name + ".lr").to(DType::Float64);
    for (int64_t i = 0; i < steps.numel(); ++i) {
      const int64_t at = steps.data<int64_t>()[i];
      const double expected = want.data<double>()[i];
      // Keras computes in float32: 1e-5 of the value (1e-9 absolute for values that reach 0).
      EXPECT_NEAR((*schedule)(at), expected, 1e-5 * std::abs(expected) + 1e-9) << "step " << at;
    }
    // The config arguments make the same schedule.
    KeywordArgs args(schedule->class_name(), schedule->get_config());
    LearningRateSchedulePtr copy = make_schedule(schedule->class_name(), args);
    EXPECT_EQ(copy->get_config(), schedule->get_config());
  }
  for (const ScheduleRegistration& entry : schedule_registry())
    EXPECT_TRUE(classes.count(entry.class_name)) << entry.class_name << " has no Keras case";
  EXPECT_THROW(PiecewiseConstantDecay({1, 2}, {1}), InvalidArgument);
  EXPECT_THROW(ExponentialDecay(0.1, 0, 0.5), InvalidArgument);
}

}  // namespace
}  // namespace cairn
