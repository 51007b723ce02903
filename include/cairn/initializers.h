// Weight initializers with Keras names, arguments and defaults. Each draws from a Generator: the layer's
// own stream, or, with a seed, a stream of its own that gives the same values at every call (Keras 3's
// rule for a seeded initializer).
//
// Adding an initializer is its class and one line in initializer_registry() (src/layers/initializers.cc).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cairn/keyword_args.h"
#include "cairn/random.h"
#include "cairn/tensor.h"

namespace cairn {

class Initializer {
 public:
  explicit Initializer(std::optional<uint64_t> seed = {}) : seed_(seed) {}
  virtual ~Initializer() = default;
  // A float32 tensor of `shape`; uses `layer_stream` unless this initializer has its own seed.
  Tensor operator()(const Shape& shape, Generator& layer_stream) const;
  virtual std::string class_name() const = 0;  // Keras class name, e.g. "GlorotUniform"
  std::optional<uint64_t> seed() const { return seed_; }
  // Keras's config arguments other than the seed, in Keras's order: {{"gain", 1.0}} for Orthogonal.
  virtual ArgList get_config() const { return {}; }
  // Whether Keras's config has a "seed" (not for Zeros, Ones, Constant and Identity).
  virtual bool is_random() const { return true; }

 protected:
  virtual void fill(Tensor& t, Generator& gen) const = 0;

 private:
  std::optional<uint64_t> seed_;
};

using InitializerPtr = std::shared_ptr<const Initializer>;

// Keras fans: (in, out) for a matrix; (kh, kw, in, out) counts the receptive field in both.
std::pair<double, double> compute_fans(const Shape& shape);

// Keras's VarianceScaling: scale divided by fan_in, fan_out or their mean (`mode`), drawn from a
// truncated normal (stddev sqrt(scale) / 0.8796...), a normal (stddev sqrt(scale)) or a uniform
// (limit sqrt(3 scale)). GlorotUniform/Normal, HeNormal/Uniform and LecunNormal/Uniform are its presets.
InitializerPtr variance_scaling(double scale = 1.0, std::string mode = "fan_in",
                                std::string distribution = "truncated_normal", std::optional<uint64_t> seed = {});
InitializerPtr glorot_uniform(std::optional<uint64_t> seed = {});
InitializerPtr glorot_normal(std::optional<uint64_t> seed = {});
InitializerPtr he_normal(std::optional<uint64_t> seed = {});
InitializerPtr he_uniform(std::optional<uint64_t> seed = {});
InitializerPtr lecun_normal(std::optional<uint64_t> seed = {});
InitializerPtr lecun_uniform(std::optional<uint64_t> seed = {});
InitializerPtr orthogonal(double gain = 1.0, std::optional<uint64_t> seed = {});
InitializerPtr zeros();
InitializerPtr ones();
InitializerPtr constant(double value = 0.0);
// gain times the identity matrix; InvalidArgument for a shape that is not 2-D.
InitializerPtr identity(double gain = 1.0);
InitializerPtr random_normal(double mean = 0.0, double stddev = 0.05, std::optional<uint64_t> seed = {});
InitializerPtr random_uniform(double minval = -0.05, double maxval = 0.05, std::optional<uint64_t> seed = {});
// A normal with draws beyond two standard deviations drawn again (TensorFlow's truncated_normal).
InitializerPtr truncated_normal(double mean = 0.0, double stddev = 0.05, std::optional<uint64_t> seed = {});

struct InitializerRegistration {
  std::string class_name;                // "HeNormal"
  std::vector<std::string> identifiers;  // the strings Keras takes: "he_normal"
  // From the config arguments (seed included); Keras's defaults for absent ones.
  std::function<InitializerPtr(KeywordArgs& args)> make;
};
// Every initializer cairn has, in keras.initializers' order.
const std::vector<InitializerRegistration>& initializer_registry();
// By Keras identifier ("he_normal", "glorot_uniform", "uniform", "zeros"...) with default arguments.
// InvalidArgument for anything else.
InitializerPtr get_initializer(const std::string& name);
// The initializer of class (or identifier) `class_name` from its config arguments; InvalidArgument for
// an unknown class or argument.
InitializerPtr make_initializer(const std::string& class_name, KeywordArgs& args);

}  // namespace cairn
