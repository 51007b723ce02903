#include <unordered_map>

#include "cairn/autodiff.h"
#include "cairn/ops.h"

namespace cairn {

namespace {
thread_local GradientTape* innermost_tape = nullptr;
thread_local bool recording_disabled = false;

std::vector<GradientTape*> active_tapes() {
  std::vector<GradientTape*> tapes;
  for (GradientTape* t = innermost_tape; t; t = t->outer()) tapes.push_back(t);
  return tapes;
}
}  // namespace

GradientTape::GradientTape(bool persistent) : persistent_(persistent), outer_(innermost_tape) {
  innermost_tape = this;
}

GradientTape::~GradientTape() {
  // Tapes nest like scopes; restore the enclosing one.
  innermost_tape = outer_;
}

void GradientTape::watch(const Tensor& tensor) {
  tracked_.insert(tensor.id());
  keep_alive_.push_back(tensor);
}

bool GradientTape::needs_grad(const Tensor& t) const {
  return t.defined() && (t.impl().watched_by_default || tracked_.count(t.id()) > 0);
}

void GradientTape::record(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs, BackwardFn backward) {
  if (paused_) return;
  Node node;
  bool any = false;
  for (const Tensor& in : inputs) {
    bool need = needs_grad(in);
    node.needs.push_back(need);
    any |= need;
  }
  if (!any) return;
  node.inputs = inputs;
  for (const Tensor& out : outputs) {
    node.outputs.push_back(out.id());
    tracked_.insert(out.id());
    keep_alive_.push_back(out);
  }
  node.backward = std::move(backward);
  nodes_.push_back(std::move(node));
}

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Tensor>& sources,
                                           const FinalGradientFn& on_final) {
  if (used_ && !persistent_)
    throw InvalidArgument("GradientTape.gradient can only be called once on a non-persistent tape");
  used_ = true;
  autodiff::NoGradGuard no_grad;

  std::unordered_map<const TensorImpl*, Tensor> grads;
  grads[target.id()] = Tensor::ones(target.shape(), target.dtype());
  auto accumulate = [&](const Tensor& input, const Tensor& g) {
    if (input.shape() != g.shape())
      throw ShapeError("GradientTape: gradient of shape " + shape_str(g.shape()) + " for a tensor of shape " +
                       shape_str(input.shape()));
    auto [it, inserted] = grads.try_emplace(input.id(), g);
    if (!inserted) it->second = ops::add(it->second, g);
  };

  std::vector<Tensor> result(sources.size());
  auto finish_source = [&](size_t i) {
    auto it = grads.find(sources[i].id());
    result[i] = it == grads.end() ? Tensor::zeros(sources[i].shape(), sources[i].dtype()) : it->second;
    if (on_final) on_final(i, result[i]);
  };
  // For on_final: how many recorded ops not yet passed send a gradient to each source. A source is final
  // when its count reaches zero; one that no op uses is final before the sweep starts.
  std::unordered_map<const TensorImpl*, std::vector<size_t>> source_indices;
  std::unordered_map<const TensorImpl*, size_t> uses_left;
  auto for_each_source_input = [&](const Node& node, auto&& f) {
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (!node.needs[i]) continue;
      const TensorImpl* id = node.inputs[i].id();
      if (!source_indices.count(id)) continue;
      bool repeated = false;  // an op that uses a source twice (x * x) is one use
      for (size_t j = 0; j < i && !repeated; ++j) repeated = node.needs[j] && node.inputs[j].id() == id;
      if (!repeated) f(id);
    }
  };
  if (on_final) {
    for (size_t i = 0; i < sources.size(); ++i) source_indices[sources[i].id()].push_back(i);
    for (const Node& node : nodes_) for_each_source_input(node, [&](const TensorImpl* id) { ++uses_left[id]; });
    for (size_t i = 0; i < sources.size(); ++i)
      if (!uses_left.count(sources[i].id())) finish_source(i);
  }

  for (auto node = nodes_.rbegin(); node != nodes_.rend(); ++node) {
    std::vector<Tensor> output_grads;
    bool any = false;
    for (const TensorImpl* out : node->outputs) {
      auto it = grads.find(out);
      output_grads.push_back(it == grads.end() ? Tensor() : it->second);
      any |= it != grads.end();
    }
    if (any) {
      std::vector<Tensor> input_grads = node->backward(output_grads, node->needs);
      for (size_t i = 0; i < node->inputs.size(); ++i)
        if (node->needs[i] && i < input_grads.size() && input_grads[i].defined())
          accumulate(node->inputs[i], input_grads[i]);
    }
    if (on_final)
      for_each_source_input(*node, [&](const TensorImpl* id) {
        if (--uses_left[id] == 0)
          for (size_t i : source_indices[id]) finish_source(i);
      });
  }

  for (size_t i = 0; i < sources.size(); ++i)
    if (!result[i].defined()) finish_source(i);  // without on_final: every source, after the sweep
  if (!persistent_) {
    nodes_.clear();
    keep_alive_.clear();
    tracked_.clear();
  }
  return result;
}

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Variable*>& sources,
                                           const FinalGradientFn& on_final) {
  std::vector<Tensor> values;
  for (Variable* v : sources) values.push_back(v->value());
  return gradient(target, values, on_final);
}

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<VariablePtr>& sources,
                                           const FinalGradientFn& on_final) {
  std::vector<Tensor> values;
  for (const VariablePtr& v : sources) values.push_back(v->value());
  return gradient(target, values, on_final);
}

namespace autodiff {

bool should_record(std::initializer_list<const Tensor*> inputs) {
  if (recording_disabled || !innermost_tape) return false;
  for (GradientTape* tape : active_tapes())
    for (const Tensor* t : inputs)
      if (tape->needs_grad(*t)) return true;
  return false;
}

bool should_record(const std::vector<Tensor>& inputs) {
  if (recording_disabled || !innermost_tape) return false;
  for (GradientTape* tape : active_tapes())
    for (const Tensor& t : inputs)
      if (tape->needs_grad(t)) return true;
  return false;
}

void record(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs, BackwardFn backward) {
  if (recording_disabled) return;
  for (GradientTape* tape : active_tapes()) tape->record(inputs, outputs, backward);
}

NoGradGuard::NoGradGuard() : previous_(recording_disabled) { recording_disabled = true; }
NoGradGuard::~NoGradGuard() { recording_disabled = previous_; }

}  // namespace autodiff
}  // namespace cairn
