// Operations in functional models: what Keras records when a model applies an operation to symbolic
// tensors directly rather than through a layer (Keras 3: `keras.ops.tanh(x) * 2.0 + x`, nodes of
// keras.src.ops.numpy.Tanh, Multiply, Add; tf-keras 2: TFOpLambda layers of tf.math.multiply and the like).
// cairn runs them as nodes of its graph: an Operation is a weightless Layer holding one entry of a fixed
// table of named operations (never code) and the constant arguments of its call, and computes with
// cairn's differentiable ops, so gradients flow through it. The table is keyed by Keras 3's names; the
// tf-keras functions it knows map onto those entries.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cairn/layers/layer.h"

namespace cairn {

// A call argument of an operation: a constant as Keras's configs write it, or one of its tensor inputs.
struct OperationValue {
  enum class Kind { None, Boolean, Integer, Number, Text, List, Tensor, Slice, Ellipsis };
  Kind kind = Kind::None;
  bool boolean = false;
  int64_t integer = 0;  // Integer; Tensor: which of the operation's inputs (0, 1, ...)
  double number = 0;    // Number
  std::string text;     // Text
  std::vector<OperationValue> items;  // List; Slice: start, stop, step (each None or Integer)

  static OperationValue none() { return {}; }
  static OperationValue of_bool(bool b) { OperationValue v; v.kind = Kind::Boolean; v.boolean = b; return v; }
  static OperationValue of_int(int64_t i) { OperationValue v; v.kind = Kind::Integer; v.integer = i; return v; }
  static OperationValue of_number(double d) { OperationValue v; v.kind = Kind::Number; v.number = d; return v; }
  static OperationValue of_text(std::string s) { OperationValue v; v.kind = Kind::Text; v.text = std::move(s); return v; }
  static OperationValue of_list(std::vector<OperationValue> items) {
    OperationValue v; v.kind = Kind::List; v.items = std::move(items); return v;
  }
  static OperationValue of_tensor(int64_t input) { OperationValue v; v.kind = Kind::Tensor; v.integer = input; return v; }
  bool is_none() const { return kind == Kind::None; }
  bool operator==(const OperationValue& o) const {
    return kind == o.kind && boolean == o.boolean && integer == o.integer && number == o.number && text == o.text &&
           items == o.items;
  }
};

class OperationArguments;

// One entry of the table: a Keras 3 operation class and how cairn computes it.
struct OperationSpec {
  std::string module;      // Keras 3's module: "keras.src.ops.numpy"
  std::string class_name;  // Keras 3's class: "Add"
  // The call's positional parameters, in order (Keras 3's `call(self, x1, x2)`): {"x1", "x2"}.
  std::vector<std::string> call_parameters;
  // The constructor's parameters (Keras 3 writes them in the op's config) with their defaults; a parameter
  // without a default (Reshape's newshape) has `required`.
  struct ConfigParameter {
    std::string name;
    OperationValue fallback;
    bool required = false;
  };
  std::vector<ConfigParameter> config_parameters;
  Tensor (*forward)(const OperationArguments&) = nullptr;
  std::string support;  // what docs/keras_support.md says of it: "" when all of Keras's arguments work
};

// A tf-keras 2 function (TFOpLambda's "function") as one of the table's entries: its parameters, in
// order, each with the entry's parameter it gives ("" for the op's name, which is ignored, and for options
// that must be null or false: conjugate, transpose_a...).
struct TfOperationAlias {
  std::string function;       // "math.multiply"
  std::string keras3_class;   // "Multiply" (of the entry's module)
  std::vector<std::pair<std::string, std::string>> parameters;  // {tf name, entry parameter}
  // The entry's parameters whose TensorFlow default differs from Keras 3's (tf.nn.gelu's approximate).
  std::vector<std::pair<std::string, OperationValue>> defaults = {};
  // Turns the bound arguments into the entry's where TensorFlow means another value (tf.math.l2_normalize's
  // epsilon bounds the squared norm, Keras 3's the norm); null when they mean the same.
  void (*adapt)(std::map<std::string, OperationValue>& arguments) = nullptr;
};

// The table, in docs order; aliases of tf-keras's functions.
const std::vector<OperationSpec>& operation_specs();
const std::vector<TfOperationAlias>& tf_operation_aliases();
// The entry of Keras 3's `module`.`class_name`, or null.
const OperationSpec* find_operation(const std::string& module, const std::string& class_name);
// The entry of Keras 3's class `class_name` in any of the table's modules, or null.
const OperationSpec* find_operation_class(const std::string& class_name);
// The alias of tf-keras's function ("math.multiply", without "tf."), or null.
const TfOperationAlias* find_tf_operation(const std::string& function);

// The bound arguments of one call, as the forward functions read them.
class OperationArguments {
 public:
  OperationArguments(const Layer& op, const std::map<std::string, OperationValue>& values,
                     const std::vector<Tensor>& inputs, const std::vector<Shape>& symbolic_shapes)
      : op_(op), values_(values), inputs_(inputs), symbolic_shapes_(symbolic_shapes) {}
  const OperationValue& value(const std::string& parameter) const;
  // A tensor input, or a constant (a number or nested lists of them), as float32 (cairn's arithmetic).
  Tensor tensor(const std::string& parameter) const;
  // A tensor input of any dtype, as it is (Cast, Reshape).
  Tensor input(const std::string& parameter) const;
  // A list of tensor inputs (concatenate's xs).
  std::vector<Tensor> tensors(const std::string& parameter) const;
  // Axes: None gives nullopt, an integer one axis, a list several.
  std::optional<std::vector<int>> axes(const std::string& parameter) const;
  int64_t integer(const std::string& parameter) const;
  double number(const std::string& parameter) const;
  bool boolean(const std::string& parameter) const;
  std::string text(const std::string& parameter) const;
  // The shape (batch dimension -1) the model gave the tensor argument `parameter` when it was built.
  const Shape& symbolic_shape(const std::string& parameter) const;
  // InvalidArgument naming the operation and the argument.
  [[noreturn]] void unsupported(const std::string& parameter, const std::string& why) const;
  const Layer& operation() const { return op_; }

 private:
  const Layer& op_;
  const std::map<std::string, OperationValue>& values_;
  const std::vector<Tensor>& inputs_;
  const std::vector<Shape>& symbolic_shapes_;
};

class Operation : public Layer {
 public:
  // `arguments` binds every parameter of `spec` (call and config ones; absent ones take their defaults) to
  // a constant or to one of the `inputs` tensor inputs. InvalidArgument when a required one is missing.
  Operation(const OperationSpec& spec, std::map<std::string, OperationValue> arguments, size_t inputs,
            std::string name = "");
  const OperationSpec& spec() const { return spec_; }
  const std::map<std::string, OperationValue>& arguments() const { return arguments_; }
  size_t input_count() const { return inputs_; }
  // Keras 3's full name of the operation: "keras.src.ops.numpy.Add".
  std::string keras_name() const { return spec_.module + "." + spec_.class_name; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;
  Tensor call_multi(const std::vector<Tensor>& xs, bool training) override;
  void build_impl(const Shape& input_shape) override;
  void build_multi(const std::vector<Shape>& input_shapes) override;

 private:
  Tensor run(const std::vector<Tensor>& xs) const;
  const OperationSpec& spec_;
  std::map<std::string, OperationValue> arguments_;
  size_t inputs_;
  std::vector<Shape> symbolic_shapes_;
};

}  // namespace cairn
