// A functional model lists its layers in Keras's order (map_graph: deepest first, then in the order a walk
// from the outputs reaches them), not in the order they were made or first run: Keras 3's .keras files
// name weight groups by class and position in that order, and optimizer slots and TensorFlow checkpoints
// follow it. The expected order is what Keras 3.15 gives the same graph.
#include <gtest/gtest.h>

#include "cairn/layers.h"
#include "cairn/model.h"

namespace cairn {
namespace {

TEST(FunctionalOrder, LayersComeInKerasOrder) {
  clear_session();
  SymbolicTensor x = Input({4}, "x");
  SymbolicTensor shortcut = (*make_dense(3, {.name = "shortcut"}))(x);  // made first, but shallower
  SymbolicTensor a = (*make_dense(3, {.name = "a"}))(x);
  SymbolicTensor b = (*make_dense(3, {.name = "b"}))(a);
  SymbolicTensor sum = (*std::make_shared<Add>("add"))(std::vector<SymbolicTensor>{shortcut, b});
  SymbolicTensor c = (*make_dense(3, {.name = "c"}))(sum);
  SymbolicTensor joined = (*std::make_shared<Concatenate>(-1, "cat"))(std::vector<SymbolicTensor>{c, a});
  Functional model(x, (*make_dense(2, {.name = "out"}))(joined));
  std::vector<std::string> names;
  for (const LayerPtr& layer : model.layers()) names.push_back(layer->name());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "shortcut", "b", "add", "c", "cat", "out"}));
  // The weights follow the layers: a's kernel first.
  EXPECT_EQ(model.weights().front()->name(), "a/kernel");
}

}  // namespace
}  // namespace cairn
