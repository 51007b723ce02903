// What Keras 3 computed for the activations, losses, optimizers, schedules and metrics, as
// tests/conformance/generate_vocabulary.py wrote it into tests/conformance/vocabulary/<group>.npz.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>

#include "cairn/npy.h"
#include "cairn/tensor.h"

namespace cairn::testing {

// The largest error the vocabulary tests accept: max|got - want| / max(1, max|want|) per array.
inline constexpr double kKerasTolerance = 1e-5;

class KerasVocabulary {
 public:
  explicit KerasVocabulary(const std::string& group) : group_(group) {
    for (NamedTensor& array :
         load_npz(std::string(CAIRN_SOURCE_DIR) + "/tests/conformance/vocabulary/" + group + ".npz"))
      arrays_.emplace(array.name, std::move(array.tensor));
  }
  bool has(const std::string& key) const { return arrays_.count(key) != 0; }
  const Tensor& at(const std::string& key) const {
    auto it = arrays_.find(key);
    if (it == arrays_.end()) throw std::out_of_range(group_ + ".npz has no array '" + key + "'");
    return it->second;
  }
  const std::map<std::string, Tensor>& arrays() const { return arrays_; }

 private:
  std::string group_;
  std::map<std::string, Tensor> arrays_;
};

// max|got - want| / max(1, max|want|); infinite for different shapes or a NaN.
inline double keras_error(const Tensor& got, const Tensor& want) {
  if (got.numel() != want.numel()) return INFINITY;
  const Tensor a = got.to(DType::Float64), b = want.to(DType::Float64);
  double diff = 0, scale = 1;
  for (int64_t i = 0; i < b.numel(); ++i) {
    const double d = std::abs(a.data<double>()[i] - b.data<double>()[i]);
    if (std::isnan(d)) return INFINITY;
    diff = std::max(diff, d);
    scale = std::max(scale, std::abs(b.data<double>()[i]));
  }
  return diff / scale;
}

inline void expect_keras_close(const Tensor& got, const Tensor& want, const std::string& what) {
  EXPECT_LE(keras_error(got, want), kKerasTolerance) << what;
}

}  // namespace cairn::testing
