// The regularization layers that draw random numbers in training and are the identity in inference, as
// keras.layers' GaussianNoise (x + N(0, stddev)), GaussianDropout (x * N(1, sqrt(rate / (1 - rate))))
// SpatialDropout1D/2D (Dropout of whole channels: one draw per sample and channel) and AlphaDropout
// (SELU's dropout: dropped elements take SELU's negative saturation value, then an affine map keeps the
// mean and variance of normalized inputs). Each draws from
// its own seeded stream, whose state checkpoints keep.
#pragma once

#include "cairn/layers/layer.h"

namespace cairn {

class NoiseLayer : public Layer {
 public:
  std::optional<uint64_t> seed() const { return seed_; }
  bool draws_random_numbers() const override { return true; }
  Shape compute_output_shape(const Shape& input_shape) const override { return input_shape; }
  bool supports_masking() const override { return true; }  // the mask passes through, as Keras

 protected:
  NoiseLayer(std::string class_name, std::string name, std::optional<uint64_t> seed)
      : Layer(std::move(class_name), std::move(name), seed), seed_(seed) {}

 private:
  std::optional<uint64_t> seed_;
};

class GaussianNoise : public NoiseLayer {
 public:
  explicit GaussianNoise(double stddev, std::optional<uint64_t> seed = {}, std::string name = "");
  double stddev() const { return stddev_; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  double stddev_;
};

class GaussianDropout : public NoiseLayer {
 public:
  explicit GaussianDropout(double rate, std::optional<uint64_t> seed = {}, std::string name = "");
  double rate() const { return rate_; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  double rate_;
};

class AlphaDropout : public NoiseLayer {
 public:
  explicit AlphaDropout(double rate, std::optional<uint64_t> seed = {}, std::string name = "");
  double rate() const { return rate_; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  double rate_;
};

// SpatialDropout1D (input (batch, steps, channels)) and SpatialDropout2D (batch, rows, cols, channels).
class SpatialDropout : public NoiseLayer {
 public:
  double rate() const { return rate_; }

 protected:
  SpatialDropout(std::string class_name, int spatial_axes, double rate, std::optional<uint64_t> seed, std::string name);
  Tensor call(const Tensor& x, bool training) override;
  void check_input(const Shape& input_shape) const override;

 private:
  int spatial_axes_;
  double rate_;
};

class SpatialDropout1D : public SpatialDropout {
 public:
  explicit SpatialDropout1D(double rate, std::optional<uint64_t> seed = {}, std::string name = "")
      : SpatialDropout("SpatialDropout1D", 1, rate, seed, std::move(name)) {}
};

class SpatialDropout2D : public SpatialDropout {
 public:
  explicit SpatialDropout2D(double rate, std::optional<uint64_t> seed = {}, std::string name = "")
      : SpatialDropout("SpatialDropout2D", 2, rate, seed, std::move(name)) {}
};

}  // namespace cairn
