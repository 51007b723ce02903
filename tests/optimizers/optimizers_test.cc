// Optimizer updates against the formulas written out in double precision here, against numbers from
// PyTorch for the optimizers PyTorch computes identically, and the bookkeeping a checkpoint relies on
// (slot names, shapes and order, iterations, hyperparameter variables, exact resume).
#include "cairn/optimizers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "cairn/parallel.h"
#include "expect_error.h"

namespace cairn {
namespace {

using Values = std::vector<double>;

// A (2, 3) variable and four steps of fixed gradients shared by the value tests.
const Values kInitial = {0.5, -1.5, 2.0, -0.25, 1.0, 0.0};
const std::vector<Values> kGrads = {{0.1, -0.2, 0.3, -0.4, 0.5, -0.6},
                                    {0.3, 0.1, -0.5, 0.2, -0.1, 0.4},
                                    {-0.2, 0.4, 0.1, -0.3, 0.6, 0.05},
                                    {0.05, -0.1, 0.2, 0.25, -0.35, 0.15}};

Tensor float_tensor(const Shape& shape, const Values& values) {
  Tensor t(shape, DType::Float32);
  for (size_t i = 0; i < values.size(); ++i) t.data<float>()[i] = static_cast<float>(values[i]);
  return t;
}

VariablePtr make_variable(const std::string& name = "dense/kernel", const Values& values = kInitial) {
  return std::make_shared<Variable>(name, float_tensor({2, 3}, values));
}

// Applies kGrads one step at a time; returns the variable's values after each step.
std::vector<Values> run_steps(Optimizer& optimizer) {
  VariablePtr w = make_variable();
  std::vector<Values> history;
  for (const Values& g : kGrads) {
    optimizer.apply_gradients({float_tensor({2, 3}, g)}, {w});
    Values now;
    for (float x : w->value().span<float>()) now.push_back(x);
    history.push_back(now);
  }
  return history;
}

void expect_close(const Values& got, const Values& want, double tolerance, const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tolerance + tolerance * std::abs(want[i])) << what << ", element " << i;
}

void expect_matches_reference(Optimizer& optimizer, const std::vector<Values>& reference,
                              double tolerance = 2e-6) {
  std::vector<Values> got = run_steps(optimizer);
  ASSERT_EQ(got.size(), reference.size());
  for (size_t step = 0; step < got.size(); ++step)
    expect_close(got[step], reference[step], tolerance, "step " + std::to_string(step + 1));
}

// ---- reference formulas (Keras OptimizerV2 / TF kernels), in double, one element at a time

std::vector<Values> sgd_reference(double lr, double momentum, bool nesterov) {
  Values w = kInitial, v(w.size(), 0.0);
  std::vector<Values> history;
  for (const Values& g : kGrads) {
    for (size_t i = 0; i < w.size(); ++i) {
      if (momentum == 0) {
        w[i] -= lr * g[i];
        continue;
      }
      v[i] = momentum * v[i] - lr * g[i];
      w[i] += nesterov ? momentum * v[i] - lr * g[i] : v[i];
    }
    history.push_back(w);
  }
  return history;
}

std::vector<Values> adam_reference(double lr, double beta_1, double beta_2, double epsilon, bool amsgrad) {
  Values w = kInitial, m(w.size(), 0.0), v(w.size(), 0.0), vhat(w.size(), 0.0);
  std::vector<Values> history;
  int t = 0;
  for (const Values& g : kGrads) {
    ++t;
    const double lr_t = lr * std::sqrt(1 - std::pow(beta_2, t)) / (1 - std::pow(beta_1, t));
    for (size_t i = 0; i < w.size(); ++i) {
      m[i] = beta_1 * m[i] + (1 - beta_1) * g[i];
      v[i] = beta_2 * v[i] + (1 - beta_2) * g[i] * g[i];
      vhat[i] = std::max(vhat[i], v[i]);
      w[i] -= lr_t * m[i] / (std::sqrt(amsgrad ? vhat[i] : v[i]) + epsilon);
    }
    history.push_back(w);
  }
  return history;
}

std::vector<Values> adagrad_reference(double lr, double initial_accumulator, double epsilon, bool legacy = false) {
  Values w = kInitial, acc(w.size(), initial_accumulator);
  std::vector<Values> history;
  for (const Values& g : kGrads) {
    for (size_t i = 0; i < w.size(); ++i) {
      acc[i] += g[i] * g[i];
      w[i] -= lr * g[i] / (legacy ? std::sqrt(acc[i]) + epsilon : std::sqrt(acc[i] + epsilon));
    }
    history.push_back(w);
  }
  return history;
}

// legacy: tf.keras.optimizers.legacy's rule, epsilon after the square root when there is no momentum.
std::vector<Values> rmsprop_reference(double lr, double rho, double momentum, double epsilon, bool centered,
                                      bool legacy = false) {
  Values w = kInitial, rms(w.size(), 0.0), mom(w.size(), 0.0), mg(w.size(), 0.0);
  std::vector<Values> history;
  for (const Values& g : kGrads) {
    for (size_t i = 0; i < w.size(); ++i) {
      rms[i] = rho * rms[i] + (1 - rho) * g[i] * g[i];
      mg[i] = rho * mg[i] + (1 - rho) * g[i];
      const double denominator = centered ? rms[i] - mg[i] * mg[i] : rms[i];
      if (momentum > 0) {
        // TF's ApplyRMSProp kernel: epsilon inside the square root.
        mom[i] = momentum * mom[i] + lr * g[i] / std::sqrt(denominator + epsilon);
        w[i] -= mom[i];
      } else if (legacy) {
        w[i] -= lr * g[i] / (std::sqrt(denominator) + epsilon);
      } else {
        w[i] -= lr * g[i] / std::sqrt(denominator + epsilon);
      }
    }
    history.push_back(w);
  }
  return history;
}

// ---- update rules

TEST(Optimizers, SgdMatchesFormula) {
  SGD sgd(0.1);
  expect_matches_reference(sgd, sgd_reference(0.1, 0.0, false));
}

TEST(Optimizers, SgdMomentumMatchesFormula) {
  SGD sgd(0.1, 0.9);
  expect_matches_reference(sgd, sgd_reference(0.1, 0.9, false));
}

TEST(Optimizers, SgdNesterovMatchesFormula) {
  SGD sgd(0.05, 0.8, /*nesterov=*/true);
  expect_matches_reference(sgd, sgd_reference(0.05, 0.8, true));
}

TEST(Optimizers, AdamMatchesTensorFlowFormula) {
  Adam adam(0.01);
  expect_matches_reference(adam, adam_reference(0.01, 0.9, 0.999, 1e-7, false));
  Adam custom(0.02, 0.8, 0.99, 1e-3);
  expect_matches_reference(custom, adam_reference(0.02, 0.8, 0.99, 1e-3, false));
}

TEST(Optimizers, AdamAmsgradMatchesFormula) {
  Adam adam(0.01, 0.9, 0.999, 1e-7, /*amsgrad=*/true);
  expect_matches_reference(adam, adam_reference(0.01, 0.9, 0.999, 1e-7, true));
}

TEST(Optimizers, AdamEpsilonIsAddedToTheUncorrectedRoot) {
  // With a gradient near epsilon, TF's placement (epsilon added to sqrt(v), the bias correction folded
  // into the step size) and PyTorch's (epsilon added to sqrt(v / (1 - beta_2^t))) differ by a factor ~4.
  Adam adam(1.0);
  auto w = std::make_shared<Variable>("w", Tensor::scalar(0.0));
  const double g = 1e-6;
  adam.apply_gradients({Tensor::scalar(g)}, {w});
  const double tf_step = std::sqrt(1 - 0.999) / (1 - 0.9) * (0.1 * g) / (std::sqrt(0.001 * g * g) + 1e-7);
  const double torch_step = g / (g + 1e-7);
  // The tolerance covers beta_2 being stored as float32 (1 - 0.999f is 1.3e-5 off 0.001 relatively).
  EXPECT_NEAR(w->value().item(), -tf_step, 1e-5);
  EXPECT_GT(std::abs(tf_step - torch_step), 0.5);
}

TEST(Optimizers, AdagradMatchesFormula) {
  Adagrad adagrad(0.1);
  expect_matches_reference(adagrad, adagrad_reference(0.1, 0.1, 1e-7));
  Adagrad zero_start(0.05, 0.0, 1e-3);
  expect_matches_reference(zero_start, adagrad_reference(0.05, 0.0, 1e-3));
}

TEST(Optimizers, LegacyAdagradAddsEpsilonAfterTheRoot) {
  // A large epsilon so that the two rules differ by far more than the tolerance.
  Adagrad current(0.05, 0.0, 1e-1), legacy(0.05, 0.0, 1e-1, 0.0, /*legacy=*/true);
  EXPECT_FALSE(current.legacy());
  EXPECT_TRUE(legacy.legacy());
  expect_matches_reference(current, adagrad_reference(0.05, 0.0, 1e-1));
  expect_matches_reference(legacy, adagrad_reference(0.05, 0.0, 1e-1, /*legacy=*/true));
  ASSERT_GT(std::abs(adagrad_reference(0.05, 0.0, 1e-1).back()[0] -
                     adagrad_reference(0.05, 0.0, 1e-1, true).back()[0]),
            1e-3);
}

TEST(Optimizers, RmspropMatchesFormula) {
  RMSprop rmsprop(0.01);
  expect_matches_reference(rmsprop, rmsprop_reference(0.01, 0.9, 0.0, 1e-7, false));
}

TEST(Optimizers, LegacyRmspropAddsEpsilonAfterTheRootWithoutMomentum) {
  for (const bool centered : {false, true}) {
    RMSprop current(0.01, 0.9, 0.0, 1e-1, centered), legacy(0.01, 0.9, 0.0, 1e-1, centered, 0.0, /*legacy=*/true);
    expect_matches_reference(current, rmsprop_reference(0.01, 0.9, 0.0, 1e-1, centered));
    expect_matches_reference(legacy, rmsprop_reference(0.01, 0.9, 0.0, 1e-1, centered, /*legacy=*/true));
    ASSERT_GT(std::abs(rmsprop_reference(0.01, 0.9, 0.0, 1e-1, centered).back()[0] -
                       rmsprop_reference(0.01, 0.9, 0.0, 1e-1, centered, true).back()[0]),
              1e-3);
  }
  // With momentum both generations run TF's kernel, epsilon inside the root.
  RMSprop legacy_momentum(0.01, 0.9, 0.5, 1e-1, false, 0.0, /*legacy=*/true);
  expect_matches_reference(legacy_momentum, rmsprop_reference(0.01, 0.9, 0.5, 1e-1, false));
}

TEST(Optimizers, RmspropCenteredMatchesFormula) {
  RMSprop rmsprop(0.01, 0.8, 0.0, 1e-7, /*centered=*/true);
  expect_matches_reference(rmsprop, rmsprop_reference(0.01, 0.8, 0.0, 1e-7, true), 5e-6);
}

TEST(Optimizers, RmspropMomentumMatchesTensorFlowKernel) {
  RMSprop rmsprop(0.01, 0.9, 0.5, 1e-3);
  expect_matches_reference(rmsprop, rmsprop_reference(0.01, 0.9, 0.5, 1e-3, false));
  RMSprop centered(0.01, 0.9, 0.5, 1e-3, /*centered=*/true);
  expect_matches_reference(centered, rmsprop_reference(0.01, 0.9, 0.5, 1e-3, true));
}

// Final values after the four kGrads steps from kInitial, computed by PyTorch 1.13 (Debian's
// python3-torch) in float64, for the configurations where PyTorch's update is the same as Keras's:
//   w = torch.tensor(kInitial, requires_grad=True); opt = torch.optim.<Opt>([w], ...)
//   for g in kGrads: opt.zero_grad(); w.grad = torch.tensor(g); opt.step()
// PyTorch's momentum buffer is -v/lr of Keras's, so SGD(momentum[, nesterov]) agrees; Adagrad agrees
// with the same initial_accumulator_value and eps; RMSprop (alpha = rho) agrees without momentum. PyTorch
// adds eps after the square root, as Keras's legacy Adagrad and RMSprop do.
TEST(Optimizers, AgreeWithPyTorch) {
  struct Case {
    std::string what;
    OptimizerPtr optimizer;
    Values expected;
  };
  std::vector<Case> cases = {
      {"SGD(lr=0.1, momentum=0.9)",
       std::make_shared<SGD>(0.1, 0.9),
       {0.41731, -1.52432, 1.99333, -0.13464, 0.77615, 0.07344}},
      {"SGD(lr=0.1, momentum=0.9, nesterov=True)",
       std::make_shared<SGD>(0.1, 0.9, true),
       {0.400579, -1.541888, 1.983997, -0.121176, 0.733535, 0.066096}},
      {"Adagrad(lr=0.1, initial_accumulator_value=0.1, eps=1e-7)",
       std::make_shared<Adagrad>(0.1, 0.1, 1e-7, 0.0, /*legacy=*/true),
       {0.43343821143170663, -1.5265320897140988, 1.9630745782915346, -0.19719465516796197, 0.899572008511324,
        0.01265069273360618}},
      {"RMSprop(lr=0.01, alpha=0.9, eps=1e-7)",
       std::make_shared<RMSprop>(0.01, 0.9, 0.0, 1e-7, false, 0.0, /*legacy=*/true),
       {0.4512389305852519, -1.5040763994285784, 1.9789296119549196, -0.2289734049707555, 0.9636714306166821,
        0.0037047531295215106}},
      {"RMSprop(lr=0.01, alpha=0.9, eps=1e-7, centered=True)",
       std::make_shared<RMSprop>(0.01, 0.9, 0.0, 1e-7, true, 0.0, /*legacy=*/true),
       {0.44699506791230326, -1.5031807613934332, 1.9774116203447578, -0.22665436378564738, 0.9603199349571446,
        0.005370929078330245}},
  };
  for (Case& c : cases) expect_close(run_steps(*c.optimizer).back(), c.expected, 3e-6, c.what);
}

TEST(Optimizers, InverseTimeDecayScalesTheLearningRate) {
  SGD sgd(0.1, 0.0, false, /*decay=*/0.5);
  auto w = std::make_shared<Variable>("w", Tensor::scalar(0.0));
  double expected = 0;
  for (int t = 0; t < 3; ++t) {
    sgd.apply_gradients({Tensor::scalar(1.0)}, {w});
    expected -= 0.1 / (1 + 0.5 * t);
    EXPECT_NEAR(w->value().item(), expected, 1e-6) << "step " << t;
  }
  EXPECT_DOUBLE_EQ(sgd.learning_rate(), static_cast<double>(0.1f));
  EXPECT_DOUBLE_EQ(sgd.decay(), 0.5);
}

TEST(Optimizers, SetLearningRateAppliesToTheNextStep) {
  SGD sgd;
  EXPECT_DOUBLE_EQ(sgd.learning_rate(), static_cast<double>(0.01f));
  auto w = std::make_shared<Variable>("w", Tensor::scalar(1.0));
  sgd.set_learning_rate(0.5);
  EXPECT_DOUBLE_EQ(sgd.learning_rate(), 0.5);
  sgd.apply_gradients({Tensor::scalar(2.0)}, {w});
  EXPECT_DOUBLE_EQ(w->value().item(), 0.0);
  EXPECT_THROW(sgd.set_learning_rate(-1), InvalidArgument);
  EXPECT_THROW(sgd.set_learning_rate(NAN), InvalidArgument);
  EXPECT_DOUBLE_EQ(sgd.learning_rate(), 0.5);
}

// ---- state: slots, iterations, hyperparameters

TEST(Optimizers, SlotNamesFollowKeras) {
  using Names = std::vector<std::string>;
  EXPECT_EQ(SGD().slot_names(), Names{});
  EXPECT_EQ(SGD(0.01, 0.9).slot_names(), Names{"momentum"});
  EXPECT_EQ(Adam().slot_names(), (Names{"m", "v"}));
  EXPECT_EQ(Adam(0.001, 0.9, 0.999, 1e-7, true).slot_names(), (Names{"m", "v", "vhat"}));
  EXPECT_EQ(Adagrad().slot_names(), Names{"accumulator"});
  EXPECT_EQ(RMSprop().slot_names(), Names{"rms"});
  EXPECT_EQ(RMSprop(0.001, 0.9, 0.5).slot_names(), (Names{"rms", "momentum"}));
  EXPECT_EQ(RMSprop(0.001, 0.9, 0.0, 1e-7, true).slot_names(), (Names{"rms", "mg"}));
  EXPECT_EQ(RMSprop(0.001, 0.9, 0.5, 1e-7, true).slot_names(), (Names{"rms", "momentum", "mg"}));
  EXPECT_EQ(Adam().class_name(), "Adam");
  EXPECT_EQ(SGD().class_name(), "SGD");
  EXPECT_EQ(Adagrad().class_name(), "Adagrad");
  EXPECT_EQ(RMSprop().class_name(), "RMSprop");
}

TEST(Optimizers, BuildCreatesNamedSlotsInKerasOrder) {
  auto kernel = std::make_shared<Variable>("dense/kernel", Tensor::ones({3, 2}));
  auto bias = std::make_shared<Variable>("dense/bias", Tensor::ones({2}));
  Adam adam;
  adam.build({kernel, bias});
  const std::vector<OptimizerSlot>& slots = adam.slots();
  ASSERT_EQ(slots.size(), 4u);
  const std::vector<std::pair<std::string, Shape>> expected = {
      {"dense/kernel/m", {3, 2}}, {"dense/bias/m", {2}}, {"dense/kernel/v", {3, 2}}, {"dense/bias/v", {2}}};
  for (size_t i = 0; i < slots.size(); ++i) {
    EXPECT_EQ(slots[i].slot->name(), expected[i].first);
    EXPECT_EQ(slots[i].slot->shape(), expected[i].second);
    EXPECT_EQ(slots[i].slot->dtype(), DType::Float32);
    EXPECT_FALSE(slots[i].slot->trainable());
    EXPECT_EQ(slots[i].slot->value().to_vector<float>(),
              std::vector<float>(num_elements(expected[i].second), 0.f));
  }
  EXPECT_EQ(slots[0].variable, kernel);
  EXPECT_EQ(slots[0].slot_name, "m");
  EXPECT_EQ(slots[3].variable, bias);
  EXPECT_EQ(slots[3].slot_name, "v");
  EXPECT_EQ(adam.get_slot(*bias, "v"), slots[3].slot);
  EXPECT_EQ(adam.get_slot(*kernel, "m"), slots[0].slot);
  // Building again is a no-op; optimizer.weights is iter followed by the slots.
  adam.build({kernel, bias});
  EXPECT_EQ(adam.slots().size(), 4u);
  std::vector<VariablePtr> weights = adam.weights();
  ASSERT_EQ(weights.size(), 5u);
  EXPECT_EQ(weights[0], adam.iterations());
  EXPECT_EQ(weights[4], slots[3].slot);
}

TEST(Optimizers, AdagradSlotsStartAtInitialAccumulatorValue) {
  auto w = make_variable();
  Adagrad adagrad(0.01, 0.25);
  adagrad.build({w});
  EXPECT_EQ(adagrad.get_slot(*w, "accumulator")->value().to_vector<float>(), std::vector<float>(6, 0.25f));
  EXPECT_EQ(adagrad.get_slot(*w, "accumulator")->name(), "dense/kernel/accumulator");
}

TEST(Optimizers, SlotsAreCreatedOnFirstApplyOnlyForVariablesWithGradients) {
  auto a = make_variable("a");
  auto b = make_variable("b");
  RMSprop rmsprop(0.01, 0.9, 0.5, 1e-7, true);
  EXPECT_FALSE(rmsprop.has_slots(*a));
  EXPECT_THROW(rmsprop.get_slot(*a, "rms"), InvalidArgument);
  rmsprop.apply_gradients({float_tensor({2, 3}, kGrads[0]), Tensor()}, {a, b});
  EXPECT_TRUE(rmsprop.has_slots(*a));
  EXPECT_FALSE(rmsprop.has_slots(*b));
  EXPECT_EQ(rmsprop.slots().size(), 3u);
  EXPECT_EQ(rmsprop.get_slot(*a, "mg")->name(), "a/mg");
  EXPECT_EQ(b->value().to_vector<float>(), float_tensor({2, 3}, kInitial).to_vector<float>());
  // rms = (1 - rho) g^2 after one step.
  EXPECT_NEAR(rmsprop.get_slot(*a, "rms")->value().data<float>()[0], 0.1 * 0.1 * 0.1, 1e-9);
  try {
    rmsprop.get_slot(*a, "velocity");
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("'velocity'"), std::string::npos) << e.what();
  }
}

TEST(Optimizers, IterationsCountApplyCalls) {
  Adam adam;
  const VariablePtr& iter = adam.iterations();
  EXPECT_EQ(iter->name(), "iter");
  EXPECT_EQ(iter->dtype(), DType::Int64);
  EXPECT_EQ(iter->shape(), Shape{});
  EXPECT_FALSE(iter->trainable());
  auto a = make_variable("a");
  auto b = make_variable("b");
  for (int step = 1; step <= 3; ++step) {
    adam.apply_gradients({float_tensor({2, 3}, kGrads[0]), float_tensor({2, 3}, kGrads[1])}, {a, b});
    EXPECT_EQ(adam.iteration_count(), step);
    EXPECT_EQ(iter->value().data<int64_t>()[0], step);
  }
}

TEST(Optimizers, HyperparameterVariablesAreThoseOfTensorFlowCheckpoints) {
  auto names_of = [](const Optimizer& optimizer) {
    std::vector<std::string> names;
    for (const VariablePtr& v : optimizer.hyperparameter_variables()) names.push_back(v->name());
    return names;
  };
  using Names = std::vector<std::string>;
  EXPECT_EQ(names_of(Adam()), (Names{"iter", "beta_1", "beta_2", "decay", "learning_rate"}));
  EXPECT_EQ(names_of(SGD()), (Names{"iter", "decay", "learning_rate", "momentum"}));
  EXPECT_EQ(names_of(RMSprop()), (Names{"iter", "decay", "learning_rate", "momentum", "rho"}));
  EXPECT_EQ(names_of(Adagrad()), (Names{"iter", "decay", "learning_rate"}));

  Adam adam(0.002, 0.8, 0.95);
  std::vector<VariablePtr> vars = adam.hyperparameter_variables();
  const std::vector<float> values = {0.8f, 0.95f, 0.f, 0.002f};
  for (size_t i = 1; i < vars.size(); ++i) {
    EXPECT_EQ(vars[i]->dtype(), DType::Float32) << vars[i]->name();
    EXPECT_EQ(vars[i]->shape(), Shape{}) << vars[i]->name();
    EXPECT_FALSE(vars[i]->trainable()) << vars[i]->name();
    EXPECT_EQ(vars[i]->value().data<float>()[0], values[i - 1]) << vars[i]->name();
  }
  EXPECT_EQ(vars[0], adam.iterations());
}

TEST(Optimizers, RestoredStateResumesExactly) {
  // Four steps in one go equal two steps, a copy of every state variable into a fresh optimizer built
  // with other hyperparameters (as a checkpoint restore does), and two more steps.
  using Factory = std::function<OptimizerPtr()>;
  const std::vector<std::pair<Factory, Factory>> configurations = {
      {[] { return std::make_shared<Adam>(0.01); }, [] { return std::make_shared<Adam>(0.5, 0.5, 0.5); }},
      {[] { return std::make_shared<SGD>(0.1, 0.9, true); }, [] { return std::make_shared<SGD>(0.3, 0.2, true); }},
      {[] { return std::make_shared<RMSprop>(0.01, 0.9, 0.5, 1e-7, true); },
       [] { return std::make_shared<RMSprop>(0.1, 0.5, 0.1, 1e-7, true); }},
      {[] { return std::make_shared<Adagrad>(0.1); }, [] { return std::make_shared<Adagrad>(0.3, 0.7); }}};
  for (const auto& [original, other] : configurations) {
    OptimizerPtr first = original(), second = other();
    VariablePtr w = make_variable();
    for (int s = 0; s < 2; ++s) first->apply_gradients({float_tensor({2, 3}, kGrads[s])}, {w});
    second->build({w});
    std::vector<VariablePtr> from = first->hyperparameter_variables(), to = second->hyperparameter_variables();
    ASSERT_EQ(from.size(), to.size());
    for (size_t i = 0; i < from.size(); ++i) to[i]->assign(from[i]->value());
    ASSERT_EQ(first->slots().size(), second->slots().size());
    for (size_t i = 0; i < first->slots().size(); ++i)
      second->slots()[i].slot->assign(first->slots()[i].slot->value());
    for (int s = 2; s < 4; ++s) second->apply_gradients({float_tensor({2, 3}, kGrads[s])}, {w});

    Values resumed;
    for (float x : w->value().span<float>()) resumed.push_back(x);
    EXPECT_EQ(resumed, run_steps(*original()).back()) << first->class_name();
    EXPECT_EQ(second->iteration_count(), 4);
  }
}

TEST(Optimizers, ParallelUpdatesEqualSerialOnes) {
  // A variable large enough to be split across threads gets bit-identical updates.
  const int64_t n = 200000;
  Tensor initial = Tensor::zeros({n}), grad = Tensor::zeros({n});
  for (int64_t i = 0; i < n; ++i) {
    initial.data<float>()[i] = std::sin(0.01f * i);
    grad.data<float>()[i] = std::cos(0.003f * i);
  }
  auto run = [&](int threads) {
    set_num_threads(threads);
    auto w = std::make_shared<Variable>("w", initial.clone());
    Adam adam(0.01);
    for (int s = 0; s < 3; ++s) adam.apply_gradients({grad}, {w});
    set_num_threads(1);
    return w->value();
  };
  EXPECT_TRUE(equal_bytes(run(1), run(2)));
}

// ---- errors

using testing::expect_error_mentioning;

TEST(Optimizers, InvalidHyperparametersNameTheArgument) {
  expect_error_mentioning<InvalidArgument>([] { SGD(-0.1); }, {"SGD", "learning_rate", "-0.1"});
  expect_error_mentioning<InvalidArgument>([] { SGD(0.1, 1.5); }, {"momentum", "1.5"});
  expect_error_mentioning<InvalidArgument>([] { SGD(0.1, 0.0, false, -1); }, {"decay"});
  expect_error_mentioning<InvalidArgument>([] { Adam(0.001, 1.0); }, {"Adam", "beta_1"});
  expect_error_mentioning<InvalidArgument>([] { Adam(0.001, 0.9, -0.1); }, {"beta_2"});
  expect_error_mentioning<InvalidArgument>([] { Adam(0.001, 0.9, 0.999, -1e-7); }, {"epsilon"});
  expect_error_mentioning<InvalidArgument>([] { Adam(NAN); }, {"learning_rate"});
  expect_error_mentioning<InvalidArgument>([] { Adagrad(0.01, -0.1); }, {"Adagrad", "initial_accumulator_value"});
  expect_error_mentioning<InvalidArgument>([] { RMSprop(0.001, 1.0); }, {"RMSprop", "rho"});
  expect_error_mentioning<InvalidArgument>([] { RMSprop(0.001, 0.9, -0.5); }, {"momentum"});
}

TEST(Optimizers, GradientShapeMismatchNamesVariableAndShapesAndChangesNothing) {
  auto a = make_variable("dense/kernel");
  auto b = std::make_shared<Variable>("dense/bias", Tensor::ones({3}));
  Adam adam;
  expect_error_mentioning<ShapeError>(
      [&] {
        adam.apply_gradients({float_tensor({2, 3}, kGrads[0]), Tensor::ones({2})}, {a, b});
      },
      {"dense/bias", "(2,)", "(3,)"});
  EXPECT_EQ(adam.iteration_count(), 0);
  EXPECT_TRUE(adam.slots().empty());
  EXPECT_EQ(a->value().to_vector<float>(), float_tensor({2, 3}, kInitial).to_vector<float>());
}

TEST(Optimizers, MalformedApplyCallsAreInvalidArguments) {
  auto a = make_variable("a");
  auto b = make_variable("b");
  SGD sgd;
  expect_error_mentioning<InvalidArgument>(
      [&] {
        sgd.apply_gradients({float_tensor({2, 3}, kGrads[0])}, {a, b});
      },
      {"1 gradients for 2 variables"});
  expect_error_mentioning<InvalidArgument>(
      [&] {
        sgd.apply_gradients({Tensor(), Tensor()}, {a, b});
      },
      {"no gradients", "'a'", "'b'"});
  expect_error_mentioning<InvalidArgument>(
      [&] {
        sgd.apply_gradients({Tensor::zeros({2, 3}, DType::Float64)}, {a});
      },
      {"'a'", "float64"});
  auto ints = std::make_shared<Variable>("counts", Tensor::zeros({2}, DType::Int32), false);
  expect_error_mentioning<InvalidArgument>([&] { sgd.build({ints}); }, {"'counts'", "int32"});
  EXPECT_EQ(sgd.iteration_count(), 0);
}

TEST(Optimizers, GetOptimizerKnowsKerasShortcuts) {
  EXPECT_EQ(get_optimizer("sgd")->class_name(), "SGD");
  EXPECT_EQ(get_optimizer("adam")->class_name(), "Adam");
  EXPECT_EQ(get_optimizer("Adam")->class_name(), "Adam");
  EXPECT_EQ(get_optimizer("adagrad")->class_name(), "Adagrad");
  EXPECT_EQ(get_optimizer("rmsprop")->class_name(), "RMSprop");
  EXPECT_DOUBLE_EQ(get_optimizer("sgd")->learning_rate(), static_cast<double>(0.01f));
  EXPECT_DOUBLE_EQ(get_optimizer("adam")->learning_rate(), static_cast<double>(0.001f));
  EXPECT_EQ(get_optimizer("adamw")->class_name(), "AdamW");
  expect_error_mentioning<InvalidArgument>([] { get_optimizer("adamz"); }, {"'adamz'", "adamw", "lion"});
}

}  // namespace
}  // namespace cairn
