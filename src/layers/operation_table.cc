// The operations cairn runs in functional models: Keras 3's operation classes (keras.src.ops.*) that real
// models apply to symbolic tensors, each computed with cairn's differentiable ops, and the tf-keras 2
// functions (TFOpLambda's "function") that are the same operations under TensorFlow's names.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "cairn/error.h"
#include "cairn/layers/operation.h"
#include "cairn/ops.h"

namespace cairn {

namespace {

using Kind = OperationValue::Kind;
using Args = OperationArguments;

int normalized_axis(const Args& args, const std::string& parameter, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    args.unsupported(parameter, "= " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

// ---- elementwise (numpy broadcasting between tensors and constants)

Tensor add(const Args& a) { return ops::add(a.tensor("x1"), a.tensor("x2")); }
Tensor subtract(const Args& a) { return ops::sub(a.tensor("x1"), a.tensor("x2")); }
Tensor multiply(const Args& a) { return ops::mul(a.tensor("x1"), a.tensor("x2")); }
Tensor divide(const Args& a) { return ops::div(a.tensor("x1"), a.tensor("x2")); }
Tensor maximum(const Args& a) { return ops::maximum(a.tensor("x1"), a.tensor("x2")); }
Tensor minimum(const Args& a) { return ops::neg(ops::maximum(ops::neg(a.tensor("x1")), ops::neg(a.tensor("x2")))); }
Tensor power(const Args& a) {
  const OperationValue& exponent = a.value("x2");
  if (exponent.kind != Kind::Integer && exponent.kind != Kind::Number)
    a.unsupported("x2", "(the exponent) must be a number: cairn raises tensors to constant powers");
  return ops::power(a.tensor("x1"), a.number("x2"));
}
Tensor negative(const Args& a) { return ops::neg(a.tensor("x")); }
Tensor absolute(const Args& a) { return ops::abs(a.tensor("x")); }
Tensor sqrt(const Args& a) { return ops::sqrt(a.tensor("x")); }
Tensor rsqrt(const Args& a) { return ops::div(Tensor::scalar(1.0), ops::sqrt(a.tensor("x"))); }
Tensor reciprocal(const Args& a) { return ops::div(Tensor::scalar(1.0), a.tensor("x")); }
Tensor square(const Args& a) { return ops::square(a.tensor("x")); }
Tensor exp(const Args& a) { return ops::exp(a.tensor("x")); }
Tensor log(const Args& a) { return ops::log(a.tensor("x")); }
Tensor tanh(const Args& a) { return ops::tanh(a.tensor("x")); }
Tensor expm1(const Args& a) { return ops::add_scalar(ops::exp(a.tensor("x")), -1.0); }
Tensor log1p(const Args& a) { return ops::log(ops::add_scalar(a.tensor("x"), 1.0)); }
Tensor clip(const Args& a) { return ops::clip(a.tensor("x"), a.number("x_min"), a.number("x_max")); }

// None: every axis.
std::vector<int> reduction_axes(const Args& a) { return a.axes("axis").value_or(std::vector<int>{}); }

// ---- activations (keras.src.ops.nn)

Tensor relu(const Args& a) { return ops::relu(a.tensor("x")); }
Tensor relu6(const Args& a) { return ops::relu6(a.tensor("x")); }
Tensor sigmoid(const Args& a) { return ops::sigmoid(a.tensor("x")); }
Tensor softplus(const Args& a) { return ops::softplus(a.tensor("x")); }
Tensor silu(const Args& a) { return ops::silu(a.tensor("x")); }
Tensor leaky_relu(const Args& a) { return ops::leaky_relu(a.tensor("x"), a.number("negative_slope")); }
Tensor elu(const Args& a) { return ops::elu(a.tensor("x"), a.number("alpha")); }
Tensor gelu(const Args& a) { return ops::gelu(a.tensor("x"), a.boolean("approximate")); }
Tensor softsign(const Args& a) { return ops::softsign(a.tensor("x")); }
Tensor log_sigmoid(const Args& a) { return ops::log_sigmoid(a.tensor("x")); }
Tensor hard_sigmoid(const Args& a) { return ops::hard_sigmoid(a.tensor("x")); }
Tensor hard_silu(const Args& a) { return ops::hard_silu(a.tensor("x")); }
Tensor selu(const Args& a) { return ops::selu(a.tensor("x")); }
Tensor celu(const Args& a) { return ops::celu(a.tensor("x"), a.number("alpha")); }
Tensor tanh_shrink(const Args& a) { return ops::tanh_shrink(a.tensor("x")); }
Tensor hard_tanh(const Args& a) { return ops::hard_tanh(a.tensor("x")); }
Tensor sparse_plus(const Args& a) { return ops::sparse_plus(a.tensor("x")); }
Tensor squareplus(const Args& a) { return ops::squareplus(a.tensor("x"), a.number("b")); }
// Keras 3's L2 normalization: x * min(rsqrt(sum(x^2)), 1 / epsilon), epsilon None meaning 1e-7.
Tensor normalize(const Args& a) {
  if (a.integer("order") != 2) a.unsupported("order", "must be 2 (cairn has the L2 normalization)");
  Tensor x = a.tensor("x");
  const double epsilon = a.value("epsilon").is_none() ? 1e-7 : a.number("epsilon");
  Tensor inverse_norm = ops::div(Tensor::scalar(1.0), ops::sqrt(ops::sum(ops::square(x), reduction_axes(a), true)));
  inverse_norm = ops::neg(ops::maximum(ops::neg(inverse_norm), Tensor::scalar(-1.0 / epsilon)));
  return ops::mul(x, inverse_norm);
}
// tf.nn.softmax's axis None is the last axis.
int softmax_axis(const Args& a) { return a.value("axis").is_none() ? -1 : static_cast<int>(a.integer("axis")); }
Tensor softmax(const Args& a) { return ops::softmax(a.tensor("x"), softmax_axis(a)); }
Tensor log_softmax(const Args& a) { return ops::log_softmax(a.tensor("x"), softmax_axis(a)); }

// ---- reductions

void require_no_initial(const Args& a) {
  if (!a.value("initial").is_none()) a.unsupported("initial", "must be None");
}
Tensor mean(const Args& a) { return ops::mean(a.tensor("x"), reduction_axes(a), a.boolean("keepdims")); }
Tensor sum(const Args& a) { return ops::sum(a.tensor("x"), reduction_axes(a), a.boolean("keepdims")); }
Tensor max(const Args& a) {
  require_no_initial(a);
  return ops::reduce_max(a.tensor("x"), reduction_axes(a), a.boolean("keepdims"));
}
Tensor min(const Args& a) {
  require_no_initial(a);
  return ops::neg(ops::reduce_max(ops::neg(a.tensor("x")), reduction_axes(a), a.boolean("keepdims")));
}

// The biased variance, as numpy's var.
Tensor variance_of(const Args& a) {
  Tensor x = a.tensor("x");
  const std::vector<int> axes = reduction_axes(a);
  Tensor centered = ops::sub(x, ops::mean(x, axes, true));
  return ops::mean(ops::square(centered), axes, a.boolean("keepdims"));
}
Tensor variance(const Args& a) { return variance_of(a); }
Tensor std_dev(const Args& a) { return ops::sqrt(variance_of(a)); }

// ---- shapes

Tensor reshape(const Args& a) {
  const OperationValue& target = a.value("newshape");
  Shape shape;
  if (target.kind == Kind::Integer) {
    shape.push_back(target.integer);
  } else {
    if (target.kind != Kind::List) a.unsupported("newshape", "must be a list of sizes");
    for (const OperationValue& d : target.items) {
      if (d.kind == Kind::None) {
        shape.push_back(-1);  // Keras's None: whatever is left, as -1
      } else if (d.kind == Kind::Integer) {
        shape.push_back(d.integer);
      } else {
        a.unsupported("newshape", "must be a list of sizes");
      }
    }
  }
  Tensor x = a.input("x");
  return ops::reshape(x.dtype() == DType::Float32 ? x : ops::cast(x, DType::Float32), shape);
}

Tensor transpose(const Args& a) {
  Tensor x = a.tensor("x");
  const int64_t rank = x.rank();
  std::vector<int> perm(static_cast<size_t>(rank));
  if (std::optional<std::vector<int>> axes = a.axes("axes")) {
    if (static_cast<int64_t>(axes->size()) != rank)
      a.unsupported("axes", "must name each of the input's " + std::to_string(rank) + " axes");
    for (size_t i = 0; i < perm.size(); ++i) perm[i] = normalized_axis(a, "axes", (*axes)[i], rank);
  } else {
    std::iota(perm.rbegin(), perm.rend(), 0);
  }
  return ops::permute(x, perm);
}

// A permutation that moves the `from` axes to the `to` positions, the others keeping their order.
std::vector<int> moved_axes(const Args& a, int64_t rank, std::vector<int> from, std::vector<int> to) {
  if (from.size() != to.size()) a.unsupported("destination", "must name as many axes as source");
  std::vector<int> perm(static_cast<size_t>(rank), -1);
  std::vector<bool> taken(static_cast<size_t>(rank), false);
  for (size_t i = 0; i < from.size(); ++i) {
    const int source = normalized_axis(a, "source", from[i], rank), destination = normalized_axis(a, "destination", to[i], rank);
    if (perm[static_cast<size_t>(destination)] >= 0 || taken[static_cast<size_t>(source)])
      a.unsupported("source", "names an axis twice");
    perm[static_cast<size_t>(destination)] = source;
    taken[static_cast<size_t>(source)] = true;
  }
  int next = 0;
  for (int& p : perm) {
    if (p >= 0) continue;
    while (taken[static_cast<size_t>(next)]) ++next;
    p = next++;
  }
  return perm;
}

Tensor moveaxis(const Args& a) {
  Tensor x = a.tensor("x");
  return ops::permute(x, moved_axes(a, x.rank(), a.axes("source").value_or(std::vector<int>{}),
                                    a.axes("destination").value_or(std::vector<int>{})));
}

Tensor swapaxes(const Args& a) {
  Tensor x = a.tensor("x");
  const int64_t rank = x.rank();
  std::vector<int> perm(static_cast<size_t>(rank));
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[static_cast<size_t>(normalized_axis(a, "axis1", a.integer("axis1"), rank))],
            perm[static_cast<size_t>(normalized_axis(a, "axis2", a.integer("axis2"), rank))]);
  return ops::permute(x, perm);
}

constexpr int64_t kMaxTileElements = int64_t{1} << 31;

// numpy.tile: repeats for the last axes (missing leading ones are 1), by concatenating copies.
Tensor tile(const Args& a) {
  Tensor x = a.tensor("x");
  std::vector<int> repeats = a.axes("repeats").value_or(std::vector<int>{});
  if (static_cast<int64_t>(repeats.size()) > x.rank())
    a.unsupported("repeats", "has more entries than the input has axes (cairn does not add axes here)");
  const size_t offset = static_cast<size_t>(x.rank()) - repeats.size();
  // Checked before any copy is made: a file's repeats must not be able to exhaust memory while loading.
  int64_t elements = std::max<int64_t>(x.numel(), 1);
  for (int r : repeats) {
    if (r < 1) a.unsupported("repeats", "must be positive");
    if (r > kMaxTileElements / elements) a.unsupported("repeats", "would make more than 2^31 elements");
    elements *= r;
  }
  for (size_t i = 0; i < repeats.size(); ++i) {
    if (repeats[i] > 1) x = ops::concat(std::vector<Tensor>(static_cast<size_t>(repeats[i]), x), static_cast<int>(offset + i));
  }
  return x;
}

Tensor expand_dims(const Args& a) {
  Tensor x = a.tensor("x");
  const std::vector<int> axes = a.axes("axis").value_or(std::vector<int>{});
  if (axes.empty()) a.unsupported("axis", "must be an axis or a list of axes");
  const int64_t rank = x.rank() + static_cast<int64_t>(axes.size());
  std::vector<bool> inserted(static_cast<size_t>(rank), false);
  for (int axis : axes) {
    const int d = normalized_axis(a, "axis", axis, rank);
    // A repeated axis (numpy refuses it) would insert fewer axes than the rank counts.
    if (inserted[static_cast<size_t>(d)]) a.unsupported("axis", "repeats axis " + std::to_string(axis));
    inserted[static_cast<size_t>(d)] = true;
  }
  Shape shape;
  size_t next = 0;
  for (int64_t d = 0; d < rank; ++d) shape.push_back(inserted[static_cast<size_t>(d)] ? 1 : x.shape()[next++]);
  return ops::reshape(x, shape);
}

Tensor squeeze(const Args& a) {
  Tensor x = a.tensor("x");
  const int64_t rank = x.rank();
  std::vector<bool> removed(static_cast<size_t>(rank), false);
  if (std::optional<std::vector<int>> axes = a.axes("axis")) {
    for (int axis : *axes) {
      const int d = normalized_axis(a, "axis", axis, rank);
      if (x.shape()[d] != 1) a.unsupported("axis", "names axis " + std::to_string(axis) + ", whose size is not 1");
      removed[static_cast<size_t>(d)] = true;
    }
  } else {
    // Every axis of size 1 in the model's shape: an unknown batch size stays, as in Keras.
    const Shape& symbolic = a.symbolic_shape("x");
    for (int64_t d = 0; d < rank; ++d) removed[static_cast<size_t>(d)] = symbolic.at(static_cast<size_t>(d)) == 1;
  }
  Shape shape;
  for (int64_t d = 0; d < rank; ++d)
    if (!removed[static_cast<size_t>(d)]) shape.push_back(x.shape()[d]);
  return ops::reshape(x, shape);
}

Tensor concatenate(const Args& a) {
  std::vector<Tensor> xs = a.tensors("xs");
  return ops::concat(xs, normalized_axis(a, "axis", a.integer("axis"), xs[0].rank()));
}

Tensor stack(const Args& a) {
  std::vector<Tensor> xs = a.tensors("x");
  const int64_t rank = xs[0].rank() + 1;
  const int axis = normalized_axis(a, "axis", a.integer("axis"), rank);
  for (Tensor& x : xs) {
    Shape shape = x.shape();
    shape.insert(shape.begin() + axis, 1);
    x = ops::reshape(x, shape);
  }
  return ops::concat(xs, axis);
}

// numpy.matmul for the forms models use: matrices, a batch of matrices times a matrix, and batches of
// matrices with the same batch dimensions.
Tensor matmul(const Args& a) {
  Tensor x = a.tensor("x1"), y = a.tensor("x2");
  if (x.rank() >= 2 && y.rank() == 2) {
    if (x.rank() == 2) return ops::matmul(x, y);
    Shape out = x.shape();
    out.back() = y.shape()[1];
    return ops::reshape(ops::matmul(ops::reshape(x, {-1, x.shape().back()}), y), out);
  }
  if (x.rank() > 2 && x.rank() == y.rank()) return ops::batch_matmul(x, y);
  a.unsupported("x2", "of shape " + shape_str(y.shape()) + " cannot multiply x1 of shape " + shape_str(x.shape()) +
                          " in cairn (matrices, a batch of matrices times a matrix, or batches of one shape)");
}

Tensor cast(const Args& a) {
  const std::string dtype = a.text("dtype");
  try {
    return ops::cast(a.input("x"), dtype_from_name(dtype));
  } catch (const InvalidArgument&) {
    a.unsupported("dtype", "= '" + dtype + "' is not one of cairn's dtypes");
  }
}

// x[key]: integers, slices of step 1, None (a new axis of size 1) and one Ellipsis, as numpy's basic
// indexing; the key is one of them or a list of them.
Tensor get_item(const Args& a) {
  Tensor x = a.tensor("x");
  const OperationValue& key = a.value("key");
  std::vector<OperationValue> items = key.kind == Kind::List ? key.items : std::vector<OperationValue>{key};
  int64_t consumed = 0;
  for (const OperationValue& item : items) {
    if (item.kind == Kind::Integer || item.kind == Kind::Slice) {
      ++consumed;
    } else if (item.kind != Kind::None && item.kind != Kind::Ellipsis) {
      a.unsupported("key", "must hold integers, slices, None and Ellipsis (cairn has no indexing by tensors)");
    }
  }
  if (std::count_if(items.begin(), items.end(), [](const OperationValue& v) { return v.kind == Kind::Ellipsis; }) > 1)
    a.unsupported("key", "holds more than one Ellipsis");
  const int64_t rank = x.rank();
  if (consumed > rank)
    a.unsupported("key", "indexes " + std::to_string(consumed) + " axes of a tensor of rank " + std::to_string(rank));
  Shape out;
  int64_t axis = 0;
  auto bound = [&](const OperationValue& v, int64_t size, int64_t fallback) -> int64_t {
    if (v.kind == Kind::None) return fallback;
    if (v.kind != Kind::Integer) a.unsupported("key", "has a slice bound that is not an integer");
    const int64_t i = v.integer < 0 ? v.integer + size : v.integer;
    return std::clamp<int64_t>(i, 0, size);
  };
  for (const OperationValue& item : items) {
    if (item.kind == Kind::None) {
      out.push_back(1);
    } else if (item.kind == Kind::Ellipsis) {
      for (int64_t n = rank - consumed; n > 0; --n, ++axis) out.push_back(x.shape()[axis]);
    } else if (item.kind == Kind::Integer) {
      const int64_t size = x.shape()[axis];
      if (item.integer < -size || item.integer >= size)
        a.unsupported("key", "index " + std::to_string(item.integer) + " is out of range for axis " +
                                 std::to_string(axis) + " of size " + std::to_string(size));
      const int64_t i = item.integer < 0 ? item.integer + size : item.integer;
      x = ops::slice(x, static_cast<int>(axis), i, i + 1);
      ++axis;
    } else {
      const OperationValue& step = item.items.at(2);
      if (!(step.kind == Kind::None || (step.kind == Kind::Integer && step.integer == 1)))
        a.unsupported("key", "has a slice with a step other than 1, which cairn does not implement");
      const int64_t size = x.shape()[axis];
      const int64_t begin = bound(item.items.at(0), size, 0);
      const int64_t end = std::max(begin, bound(item.items.at(1), size, size));
      x = ops::slice(x, static_cast<int>(axis), begin, end);
      out.push_back(end - begin);
      ++axis;
    }
  }
  for (; axis < rank; ++axis) out.push_back(x.shape()[axis]);
  return ops::reshape(x, out);
}

OperationValue none() { return OperationValue::none(); }
OperationValue integer(int64_t i) { return OperationValue::of_int(i); }
OperationValue number(double d) { return OperationValue::of_number(d); }
OperationValue boolean(bool b) { return OperationValue::of_bool(b); }

constexpr const char* kNumpy = "keras.src.ops.numpy";
constexpr const char* kNn = "keras.src.ops.nn";
constexpr const char* kMath = "keras.src.ops.math";
constexpr const char* kCore = "keras.src.ops.core";

using Params = std::vector<OperationSpec::ConfigParameter>;
const Params kReduction = {{"axis", none()}, {"keepdims", boolean(false)}};
const Params kReductionWithInitial = {{"axis", none()}, {"keepdims", boolean(false)}, {"initial", none()}};

// tf.math.l2_normalize's epsilon bounds the squared norm from below, Keras 3's the norm: the square root.
void l2_normalize_epsilon(std::map<std::string, OperationValue>& arguments) {
  OperationValue& epsilon = arguments["epsilon"];
  if (epsilon.kind == Kind::Integer) epsilon = number(static_cast<double>(epsilon.integer));
  if (epsilon.kind == Kind::Number) epsilon.number = std::sqrt(epsilon.number);
}

}  // namespace

const std::vector<OperationSpec>& operation_specs() {
  static const std::vector<OperationSpec> specs = {
      {kNumpy, "Add", {"x1", "x2"}, {}, add, ""},
      {kNumpy, "Subtract", {"x1", "x2"}, {}, subtract, ""},
      {kNumpy, "Multiply", {"x1", "x2"}, {}, multiply, ""},
      {kNumpy, "Divide", {"x1", "x2"}, {}, divide, ""},
      {kNumpy, "TrueDivide", {"x1", "x2"}, {}, divide, ""},
      {kNumpy, "Maximum", {"x1", "x2"}, {}, maximum, ""},
      {kNumpy, "Minimum", {"x1", "x2"}, {}, minimum, ""},
      {kNumpy, "Power", {"x1", "x2"}, {}, power, "a constant exponent"},
      {kNumpy, "Negative", {"x"}, {}, negative, ""},
      {kNumpy, "Absolute", {"x"}, {}, absolute, ""},
      {kNumpy, "Abs", {"x"}, {}, absolute, ""},
      {kNumpy, "Sqrt", {"x"}, {}, sqrt, ""},
      {kNumpy, "Square", {"x"}, {}, square, ""},
      {kNumpy, "Exp", {"x"}, {}, exp, ""},
      {kNumpy, "Log", {"x"}, {}, log, ""},
      {kNumpy, "Tanh", {"x"}, {}, tanh, ""},
      {kNumpy, "Reciprocal", {"x"}, {}, reciprocal, ""},
      {kNumpy, "Clip", {"x"}, {{"x_min", none(), true}, {"x_max", none(), true}}, clip, "constant bounds"},
      {kNumpy, "Mean", {"x"}, kReduction, mean, ""},
      {kNumpy, "Sum", {"x"}, kReduction, sum, ""},
      {kNumpy, "Max", {"x"}, kReductionWithInitial, max, "initial None"},
      {kNumpy, "Min", {"x"}, kReductionWithInitial, min, "initial None"},
      {kNumpy, "Reshape", {"x"}, {{"newshape", none(), true}}, reshape, ""},
      {kNumpy, "Transpose", {"x"}, {{"axes", none()}}, transpose, ""},
      {kNumpy, "ExpandDims", {"x"}, {{"axis", none(), true}}, expand_dims, ""},
      {kNumpy, "Squeeze", {"x"}, {{"axis", none()}}, squeeze, ""},
      {kNumpy, "Concatenate", {"xs"}, {{"axis", integer(0)}}, concatenate, ""},
      {kNumpy, "Stack", {"x"}, {{"axis", integer(0)}}, stack, ""},
      {kNumpy, "Matmul", {"x1", "x2"}, {}, matmul,
       "matrices, a batch of matrices times a matrix, or batches of matrices of one shape"},
      {kNumpy, "GetItem", {"x", "key"}, {}, get_item,
       "integers, slices of step 1, None and Ellipsis (not indexing by tensors)"},
      {kCore, "Cast", {"x"}, {{"dtype", none(), true}}, cast, "cairn's dtypes"},
      {kNn, "Relu", {"x"}, {}, relu, ""},
      {kNn, "Relu6", {"x"}, {}, relu6, ""},
      {kNn, "Sigmoid", {"x"}, {}, sigmoid, ""},
      {kNn, "Softplus", {"x"}, {}, softplus, ""},
      {kNn, "Silu", {"x"}, {}, silu, ""},
      {kNn, "LeakyRelu", {"x"}, {{"negative_slope", number(0.2)}}, leaky_relu, ""},
      {kNn, "Elu", {"x"}, {{"alpha", number(1.0)}}, elu, ""},
      {kNn, "Gelu", {"x"}, {{"approximate", boolean(true)}}, gelu, ""},
      {kNn, "Softmax", {"x"}, {{"axis", integer(-1)}}, softmax, "one axis"},
      {kNn, "LogSoftmax", {"x"}, {{"axis", integer(-1)}}, log_softmax, "one axis"},
      {kMath, "Rsqrt", {"x"}, {}, rsqrt, ""},
      {kNumpy, "Expm1", {"x"}, {}, expm1, ""},
      {kNumpy, "Log1p", {"x"}, {}, log1p, ""},
      {kNumpy, "Var", {"x"}, kReduction, variance, ""},
      {kNumpy, "Std", {"x"}, kReduction, std_dev, ""},
      {kNumpy, "Swapaxes", {"x"}, {{"axis1", none(), true}, {"axis2", none(), true}}, swapaxes, ""},
      {kNumpy, "Moveaxis", {"x"}, {{"source", none(), true}, {"destination", none(), true}}, moveaxis, ""},
      {kNumpy, "Tile", {"x"}, {{"repeats", none(), true}}, tile, "at most one repeat per input axis"},
      {kNn, "Softsign", {"x"}, {}, softsign, ""},
      {kNn, "LogSigmoid", {"x"}, {}, log_sigmoid, ""},
      {kNn, "HardSigmoid", {"x"}, {}, hard_sigmoid, ""},
      {kNn, "HardSilu", {"x"}, {}, hard_silu, ""},
      {kNn, "Selu", {"x"}, {}, selu, ""},
      {kNn, "Celu", {"x"}, {{"alpha", number(1.0)}}, celu, ""},
      {kNn, "TanhShrink", {"x"}, {}, tanh_shrink, ""},
      {kNn, "HardTanh", {"x"}, {}, hard_tanh, ""},
      {kNn, "SparsePlus", {"x"}, {}, sparse_plus, ""},
      {kNn, "Squareplus", {"x"}, {{"b", integer(4)}}, squareplus, ""},
      {kNn, "Normalize", {"x"}, {{"axis", integer(-1)}, {"order", integer(2)}, {"epsilon", none()}}, normalize,
       "order 2"},
  };
  return specs;
}

const std::vector<TfOperationAlias>& tf_operation_aliases() {
  using P = std::vector<std::pair<std::string, std::string>>;
  const P binary = {{"x", "x1"}, {"y", "x2"}, {"name", ""}};
  const P unary = {{"x", "x"}, {"name", ""}};
  const P features = {{"features", "x"}, {"name", ""}};
  const P reduction = {{"input_tensor", "x"}, {"axis", "axis"}, {"keepdims", "keepdims"}, {"name", ""}};
  const P softmax = {{"logits", "x"}, {"axis", "axis"}, {"name", ""}};
  static const std::vector<TfOperationAlias> aliases = {
      {"__operators__.add", "Add", binary},
      {"math.add", "Add", binary},
      {"math.subtract", "Subtract", binary},
      {"math.multiply", "Multiply", binary},
      {"math.truediv", "TrueDivide", binary},
      {"math.divide", "Divide", binary},
      {"math.maximum", "Maximum", binary},
      {"math.minimum", "Minimum", binary},
      {"math.pow", "Power", binary},
      {"math.negative", "Negative", unary},
      {"math.abs", "Absolute", unary},
      {"math.sqrt", "Sqrt", unary},
      {"math.rsqrt", "Rsqrt", unary},
      {"math.square", "Square", unary},
      {"math.exp", "Exp", unary},
      {"math.log", "Log", unary},
      {"math.tanh", "Tanh", unary},
      {"math.reciprocal", "Reciprocal", unary},
      {"math.sigmoid", "Sigmoid", unary},
      {"clip_by_value", "Clip", {{"t", "x"}, {"clip_value_min", "x_min"}, {"clip_value_max", "x_max"}, {"name", ""}}},
      {"math.reduce_mean", "Mean", reduction},
      {"math.reduce_sum", "Sum", reduction},
      {"math.reduce_max", "Max", reduction},
      {"math.reduce_min", "Min", reduction},
      {"reshape", "Reshape", {{"tensor", "x"}, {"shape", "newshape"}, {"name", ""}}},
      {"transpose", "Transpose", {{"a", "x"}, {"perm", "axes"}, {"conjugate", ""}, {"name", ""}}},
      // tf.transpose and tf.squeeze on Keras tensors record TensorFlow 1's names.
      {"compat.v1.transpose", "Transpose", {{"a", "x"}, {"perm", "axes"}, {"name", ""}, {"conjugate", ""}}},
      {"compat.v1.squeeze", "Squeeze", {{"input", "x"}, {"axis", "axis"}, {"name", ""}, {"squeeze_dims", ""}}},
      {"expand_dims", "ExpandDims", {{"input", "x"}, {"axis", "axis"}, {"name", ""}}},
      {"squeeze", "Squeeze", {{"input", "x"}, {"axis", "axis"}, {"name", ""}}},
      {"concat", "Concatenate", {{"values", "xs"}, {"axis", "axis"}, {"name", ""}}},
      {"stack", "Stack", {{"values", "x"}, {"axis", "axis"}, {"name", ""}}},
      {"linalg.matmul", "Matmul",
       {{"a", "x1"}, {"b", "x2"}, {"transpose_a", ""}, {"transpose_b", ""}, {"adjoint_a", ""}, {"adjoint_b", ""},
        {"a_is_sparse", ""}, {"b_is_sparse", ""}, {"output_type", ""}, {"grad_a", ""}, {"grad_b", ""}, {"name", ""}}},
      {"__operators__.getitem", "GetItem", {{"tensor", "x"}, {"slice_spec", "key"}, {"var", ""}}},
      {"cast", "Cast", {{"x", "x"}, {"dtype", "dtype"}, {"name", ""}}},
      {"nn.relu", "Relu", features},
      {"nn.relu6", "Relu6", features},
      {"math.softplus", "Softplus", features},
      {"nn.silu", "Silu", {{"features", "x"}, {"beta", ""}}},
      {"nn.leaky_relu", "LeakyRelu", {{"features", "x"}, {"alpha", "negative_slope"}, {"name", ""}}},
      {"nn.elu", "Elu", features},
      {"nn.gelu", "Gelu", {{"features", "x"}, {"approximate", "approximate"}, {"name", ""}},
       {{"approximate", boolean(false)}}},
      {"nn.softmax", "Softmax", softmax},
      {"nn.log_softmax", "LogSoftmax", softmax},
      {"math.expm1", "Expm1", unary},
      {"math.log1p", "Log1p", unary},
      {"math.reduce_variance", "Var", reduction},
      {"math.reduce_std", "Std", reduction},
      {"tile", "Tile", {{"input", "x"}, {"multiples", "repeats"}, {"name", ""}}},
      {"nn.softsign", "Softsign", features},
      {"math.softsign", "Softsign", features},
      {"math.log_sigmoid", "LogSigmoid", unary},
      {"nn.selu", "Selu", features},
      {"math.l2_normalize", "Normalize", {{"x", "x"}, {"axis", "axis"}, {"epsilon", "epsilon"}, {"name", ""}, {"dim", ""}},
       {{"axis", none()}, {"epsilon", number(1e-12)}}, l2_normalize_epsilon},
  };
  return aliases;
}

const OperationSpec* find_operation(const std::string& module, const std::string& class_name) {
  for (const OperationSpec& spec : operation_specs())
    if (spec.module == module && spec.class_name == class_name) return &spec;
  return nullptr;
}

const OperationSpec* find_operation_class(const std::string& class_name) {
  for (const OperationSpec& spec : operation_specs())
    if (spec.class_name == class_name) return &spec;
  return nullptr;
}

const TfOperationAlias* find_tf_operation(const std::string& function) {
  for (const TfOperationAlias& alias : tf_operation_aliases())
    if (alias.function == function) return &alias;
  return nullptr;
}

}  // namespace cairn
