// Operation: a node of a functional model that applies one entry of the operation table (operation_table.cc).
#include "cairn/layers/operation.h"

#include <climits>
#include <functional>

#include "cairn/error.h"
#include "cairn/ops.h"

namespace cairn {

namespace {

const OperationValue kNone;

// The elements of nested lists of numbers, row-major, and their shape; InvalidArgument when ragged.
void flatten_constant(const OperationValue& value, size_t depth, Shape& shape, std::vector<double>& out,
                      const std::function<void(const std::string&)>& fail) {
  if (value.kind == OperationValue::Kind::Integer || value.kind == OperationValue::Kind::Number ||
      value.kind == OperationValue::Kind::Boolean) {
    if (depth != shape.size()) fail("nested lists of numbers of one shape");
    out.push_back(value.kind == OperationValue::Kind::Integer   ? static_cast<double>(value.integer)
                  : value.kind == OperationValue::Kind::Number ? value.number
                                                               : (value.boolean ? 1.0 : 0.0));
    return;
  }
  if (value.kind != OperationValue::Kind::List) fail("a tensor, a number or nested lists of numbers");
  const auto length = static_cast<int64_t>(value.items.size());
  if (depth == shape.size() && out.empty()) {
    shape.push_back(length);
  } else if (depth >= shape.size() || shape[depth] != length) {
    fail("nested lists of numbers of one shape");
  }
  for (const OperationValue& item : value.items) flatten_constant(item, depth + 1, shape, out, fail);
}

}  // namespace

// ---------------------------------------------------------------- OperationArguments

const OperationValue& OperationArguments::value(const std::string& parameter) const {
  auto it = values_.find(parameter);
  return it == values_.end() ? kNone : it->second;
}

void OperationArguments::unsupported(const std::string& parameter, const std::string& why) const {
  throw InvalidArgument("operation '" + op_.name() + "' (" + op_.class_name() + "): argument " + parameter + " " + why);
}

Tensor OperationArguments::input(const std::string& parameter) const {
  const OperationValue& v = value(parameter);
  if (v.kind != OperationValue::Kind::Tensor) unsupported(parameter, "must be a tensor");
  return inputs_.at(static_cast<size_t>(v.integer));
}

Tensor OperationArguments::tensor(const std::string& parameter) const {
  const OperationValue& v = value(parameter);
  if (v.kind == OperationValue::Kind::Tensor) {
    const Tensor& x = inputs_.at(static_cast<size_t>(v.integer));
    return x.dtype() == DType::Float32 ? x : ops::cast(x, DType::Float32);
  }
  Shape shape;
  std::vector<double> values;
  flatten_constant(v, 0, shape, values, [&](const std::string& expected) { unsupported(parameter, "must be " + expected); });
  if (shape.empty()) return Tensor::scalar(values[0]);
  Tensor t = Tensor::zeros(shape);
  float* data = t.data<float>();
  for (size_t i = 0; i < values.size(); ++i) data[i] = static_cast<float>(values[i]);
  return t;
}

std::vector<Tensor> OperationArguments::tensors(const std::string& parameter) const {
  const OperationValue& v = value(parameter);
  if (v.kind != OperationValue::Kind::List || v.items.empty()) unsupported(parameter, "must be a list of tensors");
  std::vector<Tensor> out;
  for (const OperationValue& item : v.items) {
    if (item.kind != OperationValue::Kind::Tensor) unsupported(parameter, "must be a list of tensors");
    const Tensor& x = inputs_.at(static_cast<size_t>(item.integer));
    out.push_back(x.dtype() == DType::Float32 ? x : ops::cast(x, DType::Float32));
  }
  return out;
}

std::optional<std::vector<int>> OperationArguments::axes(const std::string& parameter) const {
  const OperationValue& v = value(parameter);
  if (v.is_none()) return std::nullopt;
  // Axes and repeats from a file: out of int's range they would wrap into valid-looking small numbers.
  auto small = [&](int64_t value) {
    if (value < INT_MIN || value > INT_MAX) unsupported(parameter, "= " + std::to_string(value) + " is out of range");
    return static_cast<int>(value);
  };
  if (v.kind == OperationValue::Kind::Integer) return std::vector<int>{small(v.integer)};
  if (v.kind != OperationValue::Kind::List) unsupported(parameter, "must be None, an axis or a list of axes");
  std::vector<int> out;
  for (const OperationValue& item : v.items) {
    if (item.kind != OperationValue::Kind::Integer) unsupported(parameter, "must be None, an axis or a list of axes");
    out.push_back(small(item.integer));
  }
  return out;
}

int64_t OperationArguments::integer(const std::string& parameter) const {
  const OperationValue& v = value(parameter);
  if (v.kind != OperationValue::Kind::Integer) unsupported(parameter, "must be an integer");
  return v.integer;
}

double OperationArguments::number(const std::string& parameter) const {
  const OperationValue& v = value(parameter);
  if (v.kind == OperationValue::Kind::Integer) return static_cast<double>(v.integer);
  if (v.kind != OperationValue::Kind::Number) unsupported(parameter, "must be a number");
  return v.number;
}

bool OperationArguments::boolean(const std::string& parameter) const {
  const OperationValue& v = value(parameter);
  if (v.kind != OperationValue::Kind::Boolean) unsupported(parameter, "must be true or false");
  return v.boolean;
}

std::string OperationArguments::text(const std::string& parameter) const {
  const OperationValue& v = value(parameter);
  if (v.kind != OperationValue::Kind::Text) unsupported(parameter, "must be a string");
  return v.text;
}

const Shape& OperationArguments::symbolic_shape(const std::string& parameter) const {
  const OperationValue& v = value(parameter);
  if (v.kind != OperationValue::Kind::Tensor) unsupported(parameter, "must be a tensor");
  return symbolic_shapes_.at(static_cast<size_t>(v.integer));
}

// ---------------------------------------------------------------- Operation

Operation::Operation(const OperationSpec& spec, std::map<std::string, OperationValue> arguments, size_t inputs,
                     std::string name)
    : Layer(spec.class_name, std::move(name)), spec_(spec), arguments_(std::move(arguments)), inputs_(inputs) {
  for (const OperationSpec::ConfigParameter& p : spec_.config_parameters) {
    if (arguments_.count(p.name)) continue;
    if (p.required)
      throw InvalidArgument("operation '" + this->name() + "' (" + keras_name() + "): argument " + p.name + " is required");
    arguments_[p.name] = p.fallback;
  }
  for (const auto& [parameter, value] : arguments_) {
    bool known = false;
    for (const std::string& c : spec_.call_parameters) known = known || c == parameter;
    for (const auto& c : spec_.config_parameters) known = known || c.name == parameter;
    if (!known)
      throw InvalidArgument("operation '" + this->name() + "' (" + keras_name() + ") has no argument " + parameter);
  }
  if (inputs_ == 0) throw InvalidArgument("operation '" + this->name() + "' (" + keras_name() + ") takes no tensor");
}

void Operation::build_impl(const Shape& input_shape) {
  if (symbolic_shapes_.empty()) symbolic_shapes_ = {input_shape};
}

void Operation::build_multi(const std::vector<Shape>& input_shapes) {
  symbolic_shapes_ = input_shapes;
  build(input_shapes.at(0));
}

Tensor Operation::run(const std::vector<Tensor>& xs) const {
  if (xs.size() != inputs_)
    throw InvalidArgument("operation '" + name() + "' (" + keras_name() + ") takes " + std::to_string(inputs_) +
                          " tensors, got " + std::to_string(xs.size()));
  std::vector<Shape> shapes = symbolic_shapes_;
  if (shapes.size() != xs.size()) {  // called on tensors before any symbolic call: their own shapes
    shapes.clear();
    for (const Tensor& x : xs) shapes.push_back(x.shape());
  }
  return spec_.forward(OperationArguments(*this, arguments_, xs, shapes));
}

Tensor Operation::call(const Tensor& x, bool) { return run({x}); }

Tensor Operation::call_multi(const std::vector<Tensor>& xs, bool) { return run(xs); }

Shape Operation::compute_output_shape(const Shape& input_shape) const {
  return compute_output_shape(std::vector<Shape>{input_shape});
}

// By running the operation twice on ones, its unknown dimensions (-1) given two different sizes: the
// output dimensions that differ between the runs are unknown. Every entry's output shape follows from its
// input shapes this way, without a shape function per entry.
Shape Operation::compute_output_shape(const std::vector<Shape>& input_shapes) const {
  auto run_with = [&](int64_t unknown) {
    std::vector<Tensor> xs;
    for (Shape shape : input_shapes) {
      for (int64_t& d : shape)
        if (d < 0) d = unknown;
      xs.push_back(Tensor::ones(shape));
    }
    return run(xs).shape();
  };
  const Shape small = run_with(4), large = run_with(8);
  if (small.size() != large.size())
    throw ShapeError("operation '" + name() + "' (" + keras_name() + "): its output's rank depends on the batch size");
  Shape out = small;
  for (size_t i = 0; i < out.size(); ++i)
    if (small[i] != large[i]) out[i] = -1;
  return out;
}

}  // namespace cairn
