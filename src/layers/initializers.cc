#include "cairn/initializers.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "cairn/error.h"

namespace cairn {

Tensor Initializer::operator()(const Shape& shape, Generator& layer_stream) const {
  Tensor t(shape, DType::Float32);
  if (seed_) {
    Generator own(*seed_);
    fill(t, own);
  } else {
    fill(t, layer_stream);
  }
  return t;
}

std::pair<double, double> compute_fans(const Shape& shape) {
  if (shape.empty()) return {1, 1};
  if (shape.size() == 1) return {double(shape[0]), double(shape[0])};
  if (shape.size() == 2) return {double(shape[0]), double(shape[1])};
  double receptive_field = 1;
  for (size_t i = 0; i + 2 < shape.size(); ++i) receptive_field *= double(shape[i]);
  return {double(shape[shape.size() - 2]) * receptive_field, double(shape.back()) * receptive_field};
}

namespace {

void require(bool ok, const std::string& message) {
  if (!ok) throw InvalidArgument(message);
}

class VarianceScaling : public Initializer {
 public:
  VarianceScaling(std::string class_name, double scale, std::string mode, std::string distribution,
                  std::optional<uint64_t> seed)
      : Initializer(seed),
        class_name_(std::move(class_name)),
        scale_(scale),
        mode_(std::move(mode)),
        distribution_(std::move(distribution)) {
    require(scale > 0 && std::isfinite(scale), "VarianceScaling: scale must be a positive float, got " +
                                                   std::to_string(scale));
    require(mode_ == "fan_in" || mode_ == "fan_out" || mode_ == "fan_avg",
            "VarianceScaling: mode must be one of fan_in, fan_out, fan_avg, got '" + mode_ + "'");
    require(distribution_ == "truncated_normal" || distribution_ == "untruncated_normal" || distribution_ == "uniform",
            "VarianceScaling: distribution must be one of truncated_normal, untruncated_normal, uniform, got '" +
                distribution_ + "'");
  }
  std::string class_name() const override { return class_name_; }
  ArgList get_config() const override {
    if (class_name_ != "VarianceScaling") return {};  // the presets' configs hold only the seed
    return {{"scale", scale_}, {"mode", mode_}, {"distribution", distribution_}};
  }

 protected:
  void fill(Tensor& t, Generator& gen) const override {
    auto [fan_in, fan_out] = compute_fans(t.shape());
    const double fan = mode_ == "fan_in" ? fan_in : (mode_ == "fan_out" ? fan_out : (fan_in + fan_out) / 2);
    const double scale = scale_ / std::max(1.0, fan);
    if (distribution_ == "uniform") {
      // 3 scale / fan in this order: for GlorotUniform the same double as sqrt(6 / (fan_in + fan_out)).
      const float limit = static_cast<float>(std::sqrt(3.0 * scale_ / std::max(1.0, fan)));
      for (float& v : t.span<float>()) v = gen.uniform(-limit, limit);
    } else if (distribution_ == "untruncated_normal") {
      const float stddev = static_cast<float>(std::sqrt(scale));
      for (float& v : t.span<float>()) v = gen.normal(0.f, stddev);
    } else {
      // The standard deviation of a standard normal truncated to [-2, 2].
      const float stddev = static_cast<float>(std::sqrt(scale) / 0.87962566103423978);
      for (float& v : t.span<float>()) v = truncated(gen, 0.f, stddev);
    }
  }

 public:
  static float truncated(Generator& gen, float mean, float stddev) {
    for (;;) {
      const float z = gen.normal();
      if (std::fabs(z) <= 2.f) return mean + stddev * z;
    }
  }

 private:
  std::string class_name_;
  double scale_;
  std::string mode_, distribution_;
};

class Orthogonal : public Initializer {
 public:
  Orthogonal(double gain, std::optional<uint64_t> seed) : Initializer(seed), gain_(gain) {}
  std::string class_name() const override { return "Orthogonal"; }
  ArgList get_config() const override { return {{"gain", gain_}}; }

 protected:
  void fill(Tensor& t, Generator& gen) const override {
    if (t.rank() < 2) throw InvalidArgument("orthogonal initializer needs a shape of rank >= 2, got " + shape_str(t.shape()));
    const int64_t cols = t.dim(-1), rows = t.numel() / std::max<int64_t>(cols, 1);
    // QR of a tall normal matrix (as Keras does), by modified Gram-Schmidt in double precision;
    // columns are then sign-corrected by diag(R) so the result is uniformly distributed.
    const int64_t tall = std::max(rows, cols), narrow = std::min(rows, cols);
    std::vector<double> q(static_cast<size_t>(tall * narrow));
    for (double& v : q) v = gen.normal();
    for (int64_t j = 0; j < narrow; ++j) {
      for (int64_t k = 0; k < j; ++k) {
        double dot = 0;
        for (int64_t i = 0; i < tall; ++i) dot += q[i * narrow + j] * q[i * narrow + k];
        for (int64_t i = 0; i < tall; ++i) q[i * narrow + j] -= dot * q[i * narrow + k];
      }
      double norm = 0;
      for (int64_t i = 0; i < tall; ++i) norm += q[i * narrow + j] * q[i * narrow + j];
      norm = std::sqrt(norm);
      for (int64_t i = 0; i < tall; ++i) q[i * narrow + j] /= norm;
    }
    float* out = t.data<float>();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        double v = rows >= cols ? q[r * narrow + c] : q[c * narrow + r];
        out[r * cols + c] = static_cast<float>(gain_ * v);
      }
  }

 private:
  double gain_;
};

class Constant : public Initializer {
 public:
  Constant(double value, std::string name) : value_(value), name_(std::move(name)) {}
  std::string class_name() const override { return name_; }
  ArgList get_config() const override {
    if (name_ == "Constant") return {{"value", value_}};
    return {};
  }
  bool is_random() const override { return false; }

 protected:
  void fill(Tensor& t, Generator&) const override { t.fill(static_cast<float>(value_)); }

 private:
  double value_;
  std::string name_;
};

class Identity : public Initializer {
 public:
  explicit Identity(double gain) : gain_(gain) {}
  std::string class_name() const override { return "Identity"; }
  ArgList get_config() const override { return {{"gain", gain_}}; }
  bool is_random() const override { return false; }

 protected:
  void fill(Tensor& t, Generator&) const override {
    if (t.rank() != 2)
      throw InvalidArgument("Identity initializer can only be used for 2D matrices, got shape " + shape_str(t.shape()));
    t.fill(0.f);
    const int64_t rows = t.dim(0), cols = t.dim(1);
    for (int64_t i = 0; i < std::min(rows, cols); ++i) t.data<float>()[i * cols + i] = static_cast<float>(gain_);
  }

 private:
  double gain_;
};

class RandomNormal : public Initializer {
 public:
  RandomNormal(double mean, double stddev, bool truncated, std::optional<uint64_t> seed)
      : Initializer(seed), mean_(mean), stddev_(stddev), truncated_(truncated) {
    require(stddev >= 0 && std::isfinite(stddev), class_name() + ": stddev must be a finite number >= 0");
  }
  std::string class_name() const override { return truncated_ ? "TruncatedNormal" : "RandomNormal"; }
  ArgList get_config() const override { return {{"mean", mean_}, {"stddev", stddev_}}; }

 protected:
  void fill(Tensor& t, Generator& gen) const override {
    const float mean = static_cast<float>(mean_), stddev = static_cast<float>(stddev_);
    for (float& v : t.span<float>()) v = truncated_ ? VarianceScaling::truncated(gen, mean, stddev) : gen.normal(mean, stddev);
  }

 private:
  double mean_, stddev_;
  bool truncated_;
};

class RandomUniform : public Initializer {
 public:
  RandomUniform(double minval, double maxval, std::optional<uint64_t> seed) : Initializer(seed), min_(minval), max_(maxval) {
    require(minval <= maxval, "RandomUniform: minval " + std::to_string(minval) + " is above maxval " +
                                  std::to_string(maxval));
  }
  std::string class_name() const override { return "RandomUniform"; }
  ArgList get_config() const override { return {{"minval", min_}, {"maxval", max_}}; }

 protected:
  void fill(Tensor& t, Generator& gen) const override {
    for (float& v : t.span<float>()) v = gen.uniform(static_cast<float>(min_), static_cast<float>(max_));
  }

 private:
  double min_, max_;
};

std::shared_ptr<VarianceScaling> preset(const char* class_name, double scale, const char* mode,
                                        const char* distribution, std::optional<uint64_t> seed) {
  return std::make_shared<VarianceScaling>(class_name, scale, mode, distribution, seed);
}

}  // namespace

InitializerPtr variance_scaling(double scale, std::string mode, std::string distribution, std::optional<uint64_t> seed) {
  return std::make_shared<VarianceScaling>("VarianceScaling", scale, std::move(mode), std::move(distribution), seed);
}
InitializerPtr glorot_uniform(std::optional<uint64_t> seed) { return preset("GlorotUniform", 1.0, "fan_avg", "uniform", seed); }
InitializerPtr glorot_normal(std::optional<uint64_t> seed) {
  return preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal", seed);
}
InitializerPtr he_normal(std::optional<uint64_t> seed) { return preset("HeNormal", 2.0, "fan_in", "truncated_normal", seed); }
InitializerPtr he_uniform(std::optional<uint64_t> seed) { return preset("HeUniform", 2.0, "fan_in", "uniform", seed); }
InitializerPtr lecun_normal(std::optional<uint64_t> seed) {
  return preset("LecunNormal", 1.0, "fan_in", "truncated_normal", seed);
}
InitializerPtr lecun_uniform(std::optional<uint64_t> seed) { return preset("LecunUniform", 1.0, "fan_in", "uniform", seed); }
InitializerPtr orthogonal(double gain, std::optional<uint64_t> seed) { return std::make_shared<Orthogonal>(gain, seed); }
InitializerPtr zeros() { return std::make_shared<Constant>(0.0, "Zeros"); }
InitializerPtr ones() { return std::make_shared<Constant>(1.0, "Ones"); }
InitializerPtr constant(double value) { return std::make_shared<Constant>(value, "Constant"); }
InitializerPtr identity(double gain) { return std::make_shared<Identity>(gain); }
InitializerPtr random_normal(double mean, double stddev, std::optional<uint64_t> seed) {
  return std::make_shared<RandomNormal>(mean, stddev, false, seed);
}
InitializerPtr random_uniform(double minval, double maxval, std::optional<uint64_t> seed) {
  return std::make_shared<RandomUniform>(minval, maxval, seed);
}
InitializerPtr truncated_normal(double mean, double stddev, std::optional<uint64_t> seed) {
  return std::make_shared<RandomNormal>(mean, stddev, true, seed);
}

namespace {
std::optional<uint64_t> seed_of(KeywordArgs& a) {
  const std::optional<int64_t> seed = a.optional_integer("seed", 0);
  return seed ? std::optional<uint64_t>(static_cast<uint64_t>(*seed)) : std::nullopt;
}

// Keras 3.12+'s axes that count as fan-in and fan-out; null is the default, which cairn computes.
void default_axes(KeywordArgs& a) {
  for (const char* key : {"input_axes", "output_axes"})
    if (!a.numbers(key, {}).empty()) a.fail(key, "is not supported (cairn computes fans from the default axes)");
}

template <InitializerPtr (*Make)(std::optional<uint64_t>)>
std::function<InitializerPtr(KeywordArgs&)> seeded_preset() {
  return [](KeywordArgs& a) {
    default_axes(a);
    return Make(seed_of(a));
  };
}
}  // namespace

const std::vector<InitializerRegistration>& initializer_registry() {
  static const std::vector<InitializerRegistration> registry = {
      {"Constant", {"constant"}, [](KeywordArgs& a) { return constant(a.number("value", 0.0)); }},
      {"GlorotNormal", {"glorot_normal"}, seeded_preset<glorot_normal>()},
      {"GlorotUniform", {"glorot_uniform"}, seeded_preset<glorot_uniform>()},
      {"HeNormal", {"he_normal"}, seeded_preset<he_normal>()},
      {"HeUniform", {"he_uniform"}, seeded_preset<he_uniform>()},
      {"Identity", {"identity", "IdentityInitializer"}, [](KeywordArgs& a) { return identity(a.number("gain", 1.0)); }},
      {"LecunNormal", {"lecun_normal"}, seeded_preset<lecun_normal>()},
      {"LecunUniform", {"lecun_uniform"}, seeded_preset<lecun_uniform>()},
      {"Ones", {"ones", "one"}, [](KeywordArgs&) { return ones(); }},
      {"Orthogonal", {"orthogonal", "OrthogonalInitializer"},
       [](KeywordArgs& a) {
         const double gain = a.number("gain", 1.0);
         return orthogonal(gain, seed_of(a));
       }},
      {"RandomNormal", {"random_normal", "normal"},
       [](KeywordArgs& a) {
         const double mean = a.number("mean", 0.0), stddev = a.number("stddev", 0.05);
         return random_normal(mean, stddev, seed_of(a));
       }},
      {"RandomUniform", {"random_uniform", "uniform"},
       [](KeywordArgs& a) {
         const double minval = a.number("minval", -0.05), maxval = a.number("maxval", 0.05);
         return random_uniform(minval, maxval, seed_of(a));
       }},
      {"TruncatedNormal", {"truncated_normal"},
       [](KeywordArgs& a) {
         const double mean = a.number("mean", 0.0), stddev = a.number("stddev", 0.05);
         return truncated_normal(mean, stddev, seed_of(a));
       }},
      {"VarianceScaling", {"variance_scaling"},
       [](KeywordArgs& a) {
         default_axes(a);
         const double scale = a.number("scale", 1.0);
         std::string mode = a.string("mode", "fan_in"), distribution = a.string("distribution", "truncated_normal");
         if (distribution == "normal") distribution = "truncated_normal";  // Keras's alias
         // Standalone Keras 2 wrote glorot_uniform as this variance scaling: read back as the class it was.
         if (scale == 1.0 && mode == "fan_avg" && distribution == "uniform") return glorot_uniform(seed_of(a));
         return variance_scaling(scale, std::move(mode), std::move(distribution), seed_of(a));
       }},
      {"Zeros", {"zeros", "zero"}, [](KeywordArgs&) { return zeros(); }},
  };
  return registry;
}

namespace {
const InitializerRegistration* find_initializer(const std::string& name) {
  for (const InitializerRegistration& entry : initializer_registry()) {
    if (entry.class_name == name) return &entry;
    for (const std::string& identifier : entry.identifiers)
      if (identifier == name) return &entry;
  }
  return nullptr;
}
}  // namespace

InitializerPtr make_initializer(const std::string& class_name, KeywordArgs& args) {
  const InitializerRegistration* entry = find_initializer(class_name);
  if (!entry) {
    std::string known;
    for (const InitializerRegistration& e : initializer_registry()) known += (known.empty() ? "" : ", ") + e.class_name;
    throw InvalidArgument("Unknown initializer: '" + class_name + "' (cairn has " + known + ")");
  }
  InitializerPtr initializer = entry->make(args);
  args.ignore("dtype");  // Keras 1 and tf.keras 1.x; the config layer checks it is float32
  args.finish();
  return initializer;
}

InitializerPtr get_initializer(const std::string& name) {
  KeywordArgs none(name, {});
  return make_initializer(name, none);
}

}  // namespace cairn
