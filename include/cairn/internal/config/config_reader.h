// Strict reading of Keras config objects, shared by the layer, model and optimizer configs.
#pragma once

#include <array>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/config.h"
#include "cairn/error.h"
#include "cairn/initializers.h"
#include "cairn/shape.h"

namespace cairn::config_detail {

// A value as a message shows it: null, true, "selu", [1, 2]. Long strings, long or deep arrays and
// objects are cut (a file's bad value can be 50 MB), so the result stays under a few hundred bytes.
std::string show(const Json& value);
// A name from a file as messages quote it: 'dense_1', or an excerpt of a long one.
std::string quote_name(const std::string& name);
// A class name or key from a file as a message shows it: whole, or an excerpt of a long one.
std::string clipped(const std::string& text);
// Another module's error message, which may quote a whole value from the file, cut to a few hundred
// characters.
std::string clip_message(std::string_view message);

// Runs `read`, turning nlohmann's own exceptions (a type mismatch the readers did not foresee) into
// FormatErrors.
template <class F>
auto guard_json(const std::string& context, F&& read) {
  try {
    return read();
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(context + ": " + clip_message(e.what()));
  }
}

// Keras's tuple encodings ({"class_name": "__tuple__" | "TensorShape", "items": [...]}) as plain arrays;
// any other value as it is.
const Json& unwrap_tuple(const Json& value);
// The string value of object[key], or "" when there is none.
std::string string_at(const Json& object, const std::string& key);
// "Dense 'dense_1'": how messages name a layer (long names cut).
std::string describe(const std::string& class_name, const std::string& name);

// Reads the keys of one JSON object, each at most once. finish() rejects the keys nobody read, so a key
// cairn does not know is an error rather than being dropped. Every error is a FormatError that starts
// with `context`.
class ConfigReader {
 public:
  // FormatError unless `object` is a JSON object.
  ConfigReader(const Json& object, std::string context);
  const std::string& context() const { return context_; }

  bool has(const std::string& key) const { return object_.contains(key); }
  // The value of `key` (marked read), or nullptr when absent.
  const Json* take(const std::string& key);
  const Json& take_required(const std::string& key);
  // Typed values; a null or absent key gives `fallback` (absent without fallback is an error).
  int64_t integer(const std::string& key, std::optional<int64_t> fallback = std::nullopt);
  // An integer in [min, max]; "<key> must be an integer in [min, max], got <value>" otherwise.
  int64_t integer_in(const std::string& key, int64_t min, int64_t max, std::optional<int64_t> fallback = std::nullopt);
  // A size such as units or filters: an integer in [1, kMaxConfigDimension].
  int64_t dimension(const std::string& key) { return integer_in(key, 1, kMaxConfigDimension); }
  double number(const std::string& key, std::optional<double> fallback = std::nullopt);
  bool boolean(const std::string& key, std::optional<bool> fallback = std::nullopt);
  std::string string(const std::string& key, std::optional<std::string> fallback = std::nullopt);
  // null / absent: none; otherwise a non-negative integer.
  std::optional<uint64_t> seed(const std::string& key);
  // An int n (meaning (n, n)), [a, b] or a Keras tuple of integers in [1, kMaxConfigDimension] (kernel
  // sizes, strides, pool sizes); `fallback` when null or absent.
  std::array<int, 2> pair(const std::string& key, std::optional<std::array<int, 2>> fallback = std::nullopt);
  // A Keras initializer (string identifier, Keras 2 or Keras 3 object); `fallback` when absent.
  InitializerPtr initializer(const std::string& key, InitializerPtr fallback);
  // One of cairn's activations (ops::activation_names()); null means linear.
  std::string activation(const std::string& key, const std::string& fallback);

  // `key` is absent or has one of the `supported` values; otherwise
  // "<context>: <key> = <value> is not supported (<why>)".
  void require(const std::string& key, const std::vector<Json>& supported, const std::string& why);
  // A key whose value does not change what cairn computes (LSTM implementation, unroll): read, dropped.
  void ignore(const std::string& key) { read_.insert(key); }
  // FormatError naming the first key that was not read.
  void finish() const;

  [[noreturn]] void fail(const std::string& message) const;
  [[noreturn]] void unsupported(const std::string& key, const Json& value, const std::string& why) const;

 private:
  const Json& object_;
  std::string context_;
  std::set<std::string> read_;
};

// {"class_name": "GlorotUniform", "config": {"seed": null}}: InvalidArgument for an initializer that is
// not one of Keras's.
Json initializer_config(const Initializer& initializer);
// A dtype that means float32: "float32", null, or a Keras 3 DTypePolicy of float32.
bool is_float32_dtype(const Json& dtype);
// A shape with null for unknown dimensions (Keras's batch_input_shape); -1 in `shape` writes null.
Json shape_config(const Shape& shape);
// null -> -1; FormatError naming `context` and `key` for anything but an array of nulls and integers in
// [0, kMaxConfigDimension].
Shape shape_from_config(const Json& value, const std::string& context, const std::string& key);

// The operations Keras 3 writes into functional configs as layers to compute masks (Embedding's ids != 0,
// Masking's any(x != value)), which cairn's models compute themselves (Layer::compute_mask).
bool is_keras_mask_operation(const std::string& class_name);
// Whether an entry of a functional config's "layers" is an operation rather than a layer (Keras 3's module
// keras.src.ops.*, tf-keras's TFOpLambda and its kin): read from cairn's table of operations
// (cairn/layers/operation.h), which refuses the ones it lacks by name.
bool is_operation_entry(const std::string& module, const std::string& class_name);
// Whether a layer's call takes initial states as inputs after the sequence (the recurrent layers and
// Bidirectional): their configs record those inputs as Keras's initial_state argument.
bool takes_initial_state(const Layer& layer);

// A layer read from a config, with the batch_input_shape its config carried (Keras 2 gives the first layer
// of a Sequential one).
struct ReadLayer {
  LayerPtr layer;
  std::optional<Shape> batch_input_shape;
};
// The layer of class `class_name` (models included) from its "config" object.
ReadLayer read_layer(const std::string& class_name, const Json& config);
// model_from_config without an allocation budget of its own (a model nested in a config is bounded by
// the budget of the outermost read).
std::shared_ptr<Model> read_model_config(const Json& config);
// The keys of a layer entry that carry no information cairn uses: Keras 3's "module",
// "registered_name" and "build_config" (in a model, the graph builds every layer).
bool is_entry_metadata(const std::string& key);

}  // namespace cairn::config_detail
