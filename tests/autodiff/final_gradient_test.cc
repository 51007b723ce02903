// GradientTape::gradient's on_final hook: once per source, as soon as the reverse sweep has passed the
// source's last consumer, with the gradient that gradient() returns.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cairn/autodiff.h"
#include "cairn/ops.h"

namespace cairn {
namespace {

// An identity op whose backward notes in `events` that the reverse sweep reached it.
Tensor marker(const Tensor& x, std::vector<std::string>& events, const std::string& name) {
  Tensor y = x.clone();
  autodiff::record({x}, {y}, [&events, name](const std::vector<Tensor>& output_grads, const std::vector<bool>&) {
    events.push_back(name);
    return std::vector<Tensor>{output_grads[0]};
  });
  return y;
}

struct Fired {
  size_t index;
  Tensor gradient;
};

TEST(FinalGradient, FiresOncePerSourceInReverseOrderWhileTheSweepRuns) {
  Variable w1("w1", Tensor::from_values({2}, {1, 2})), w2("w2", Tensor::from_values({2}, {3, 4})),
      w3("w3", Tensor::from_values({2}, {5, 6})), unused("unused", Tensor::from_values({3}, {1, 1, 1}));
  const Tensor x = Tensor::from_values({2}, {7, 8});
  std::vector<std::string> events;
  std::vector<Fired> fired;
  GradientTape tape;
  Tensor h = marker(ops::mul(w1.value(), x), events, "sweep passed w2's op");
  h = marker(ops::mul(h, w2.value()), events, "sweep passed w3's op");
  Tensor loss = ops::sum(ops::mul(h, w3.value()));  // sum(w1 x w2 w3)
  const std::vector<Variable*> sources{&w1, &w2, &w3, &unused};
  auto grads = tape.gradient(loss, sources, [&](size_t index, const Tensor& gradient) {
    fired.push_back({index, gradient});
    events.push_back(sources[index]->name());
  });
  // Nothing uses `unused`: final before the sweep. w3's gradient is final before the sweep reaches the
  // ops recorded before its use, w2's before those before its use.
  EXPECT_EQ(events, (std::vector<std::string>{"unused", "w3", "sweep passed w3's op", "w2", "sweep passed w2's op",
                                              "w1"}));
  ASSERT_EQ(fired.size(), 4u);
  for (const Fired& f : fired) {
    EXPECT_EQ(f.gradient.id(), grads[f.index].id()) << f.index;  // the very tensor gradient() returns
  }
  EXPECT_EQ(grads[0].to_vector<float>(), (std::vector<float>{105, 192}));  // x w2 w3
  EXPECT_EQ(grads[1].to_vector<float>(), (std::vector<float>{35, 96}));    // w1 x w3
  EXPECT_EQ(grads[2].to_vector<float>(), (std::vector<float>{21, 64}));    // w1 x w2
  EXPECT_EQ(grads[3].to_vector<float>(), (std::vector<float>{0, 0, 0}));
}

TEST(FinalGradient, ASourceUsedEarlyAndLateIsFinalAfterItsEarliestUse) {
  Variable w("w", Tensor::from_values({1}, {3}));
  const Tensor x = Tensor::from_values({1}, {2});
  std::vector<std::string> events;
  GradientTape tape;
  Tensor h = marker(ops::mul(w.value(), x), events, "between the uses");
  Tensor loss = ops::sum(ops::mul(h, w.value()));  // w^2 x: gradient 2 w x
  std::vector<float> fired;
  auto grads = tape.gradient(loss, std::vector<Variable*>{&w}, [&](size_t, const Tensor& gradient) {
    events.push_back("w");
    fired.push_back(static_cast<float>(gradient.item()));
  });
  EXPECT_EQ(events, (std::vector<std::string>{"between the uses", "w"}));
  EXPECT_EQ(fired, (std::vector<float>{12}));  // both uses summed, not the later one's 6
  EXPECT_FLOAT_EQ(grads[0].item(), 12.f);
}

TEST(FinalGradient, AnOpUsingASourceTwiceAndARepeatedSource) {
  Variable w("w", Tensor::from_values({2}, {3, -1}));
  GradientTape tape;
  Tensor loss = ops::sum(ops::mul(w.value(), w.value()));  // one op, w twice: one use
  std::vector<size_t> indices;
  std::vector<std::vector<float>> values;
  auto grads = tape.gradient(loss, std::vector<Variable*>{&w, &w}, [&](size_t index, const Tensor& gradient) {
    indices.push_back(index);
    values.push_back(gradient.to_vector<float>());
  });
  EXPECT_EQ(indices, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(values, (std::vector<std::vector<float>>{{6, -2}, {6, -2}}));
  EXPECT_EQ(grads[1].to_vector<float>(), (std::vector<float>{6, -2}));
}

TEST(FinalGradient, TheTargetAsSourceIsFinalBeforeTheSweep) {
  Variable w("w", Tensor::from_values({2}, {1, 2}));
  GradientTape tape;
  Tensor loss = ops::sum(ops::square(w.value()));
  std::vector<size_t> order;
  auto grads = tape.gradient(loss, std::vector<Tensor>{w.value(), loss},
                             [&](size_t index, const Tensor&) { order.push_back(index); });
  EXPECT_EQ(order, (std::vector<size_t>{1, 0}));
  EXPECT_FLOAT_EQ(grads[1].item(), 1.f);
  EXPECT_EQ(grads[0].to_vector<float>(), (std::vector<float>{2, 4}));
}

}  // namespace
}  // namespace cairn
