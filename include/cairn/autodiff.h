// Reverse-mode automatic differentiation on a tape, in the style of tf.GradientTape:
//
//   GradientTape tape;
//   Tensor loss = ops::mean(ops::square(ops::sub(model(x), y)));
//   std::vector<Tensor> grads = tape.gradient(loss, model.trainable_variables());
//
// While a tape is alive on this thread, every op whose inputs depend on a watched tensor records how
// to send gradients back to its inputs. Values of trainable Variables are watched by themselves.
#pragma once

#include <functional>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cairn/tensor.h"
#include "cairn/variable.h"

namespace cairn {

// Called by GradientTape::gradient with a source's index and its gradient as soon as that gradient is
// final: the reverse sweep has passed every recorded op that uses the source (the last consumer in
// reverse order), so nothing more is added to it. Lets a caller start work on early gradients (a
// data-parallel reduction) while the rest of the backward pass runs.
using FinalGradientFn = std::function<void(size_t source_index, const Tensor& gradient)>;

// Given the gradients of an op's outputs (undefined for outputs that got none), returns the
// gradients of its inputs. `needs[i]` says whether input i needs one; others may be left undefined.
using BackwardFn = std::function<std::vector<Tensor>(const std::vector<Tensor>& output_grads,
                                                     const std::vector<bool>& needs)>;

class GradientTape {
 public:
  explicit GradientTape(bool persistent = false);
  ~GradientTape();
  GradientTape(const GradientTape&) = delete;
  GradientTape& operator=(const GradientTape&) = delete;

  void watch(const Tensor& tensor);
  void watch(const Variable& variable) { watch(variable.value()); }

  // d target / d source for each source, summed over target's elements (as TensorFlow does).
  // Sources that target does not depend on get a zero tensor of their shape.
  // A non-persistent tape can compute gradients once. `on_final`, when given, is called exactly once per
  // source, with the gradient this returns for it, as soon as it is final: in the order the reverse sweep
  // finishes them (roughly the reverse of the forward pass), those that nothing recorded uses (zeros, or
  // ones for the target itself) first.
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Tensor>& sources,
                               const FinalGradientFn& on_final = {});
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Variable*>& sources,
                               const FinalGradientFn& on_final = {});
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<VariablePtr>& sources,
                               const FinalGradientFn& on_final = {});

  // Stops and restarts recording (tape.stop_recording()).
  void pause() { paused_ = true; }
  void resume() { paused_ = false; }

  // --- used by ops
  bool needs_grad(const Tensor& t) const;
  void record(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs, BackwardFn backward);
  GradientTape* outer() const { return outer_; }

 private:
  struct Node {
    std::vector<Tensor> inputs;
    std::vector<const TensorImpl*> outputs;
    std::vector<bool> needs;
    BackwardFn backward;
  };
  std::vector<Node> nodes_;
  std::unordered_set<const TensorImpl*> tracked_;
  std::vector<Tensor> keep_alive_;  // outputs, so their identities are not reused while recorded
  bool persistent_;
  bool paused_ = false;
  bool used_ = false;
  GradientTape* outer_;
};

namespace autodiff {

// True when some active tape wants gradients for any of `inputs`; ops skip recording otherwise.
bool should_record(std::initializer_list<const Tensor*> inputs);
bool should_record(const std::vector<Tensor>& inputs);
// Records an op on every active tape that watches one of its inputs.
void record(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs, BackwardFn backward);

// While alive, nothing is recorded on this thread (inference, optimizer updates, metrics).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();

 private:
  bool previous_;
};

}  // namespace autodiff
}  // namespace cairn
