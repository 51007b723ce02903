// The merge layers that combine inputs of one shape element by element, as keras.layers' Multiply,
// Subtract (exactly two inputs: a - b), Average, Maximum and Minimum. Add and Concatenate are in merge.h.
// With masks, as Keras 3: the output has one when every input has one, the union of theirs; Multiply,
// Maximum and Minimum leave their inputs' masked entries out of the result.
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

class ElementwiseMerge : public Layer {
 public:
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;

 protected:
  // `arity` 0 takes two or more inputs; otherwise exactly that many.
  ElementwiseMerge(std::string class_name, std::string name, size_t arity = 0);
  Tensor call(const Tensor& x, bool training) override { return x; }
  Tensor call_multi(const std::vector<Tensor>& xs, bool training) override;
  Tensor call_multi_with_masks(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks, bool training) override;
  Tensor compute_mask_multi(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks) const override;
  // What Keras 3 does with an input's masked entries: uses them as they are (Add, Subtract, Average),
  // reads them as 1 (Multiply, whose output is then 0 where every input is masked), or as the result so
  // far (Maximum, Minimum), so that they take no part.
  enum class MaskedEntries { Used, One, ResultSoFar };
  virtual MaskedEntries masked_entries() const { return MaskedEntries::Used; }
  void build_multi(const std::vector<Shape>& input_shapes) override;
  // Combines two tensors of the same shape.
  virtual Tensor combine(const Tensor& a, const Tensor& b) const = 0;
  // Applied to the combination of every input (Average divides by their number).
  virtual Tensor finish(const Tensor& combined, size_t inputs) const { return combined; }

 private:
  size_t arity_;
};

class Multiply : public ElementwiseMerge {
 public:
  explicit Multiply(std::string name = "") : ElementwiseMerge("Multiply", std::move(name)) {}

 protected:
  Tensor combine(const Tensor& a, const Tensor& b) const override;
  MaskedEntries masked_entries() const override { return MaskedEntries::One; }
};

class Subtract : public ElementwiseMerge {
 public:
  explicit Subtract(std::string name = "") : ElementwiseMerge("Subtract", std::move(name), 2) {}

 protected:
  Tensor combine(const Tensor& a, const Tensor& b) const override;
};

class Average : public ElementwiseMerge {
 public:
  explicit Average(std::string name = "") : ElementwiseMerge("Average", std::move(name)) {}

 protected:
  Tensor combine(const Tensor& a, const Tensor& b) const override;
  Tensor finish(const Tensor& combined, size_t inputs) const override;
};

class Maximum : public ElementwiseMerge {
 public:
  explicit Maximum(std::string name = "") : ElementwiseMerge("Maximum", std::move(name)) {}

 protected:
  Tensor combine(const Tensor& a, const Tensor& b) const override;
  MaskedEntries masked_entries() const override { return MaskedEntries::ResultSoFar; }
};

class Minimum : public ElementwiseMerge {
 public:
  explicit Minimum(std::string name = "") : ElementwiseMerge("Minimum", std::move(name)) {}

 protected:
  Tensor combine(const Tensor& a, const Tensor& b) const override;
  MaskedEntries masked_entries() const override { return MaskedEntries::ResultSoFar; }
};

}  // namespace cairn
