// The GRU cell of Keras 3 (reset_after = true: gate order z, r, h; sigmoid gates, tanh candidate) over a
// whole sequence, designed as the LSTM's (lstm.h): time-major inside, the input projection for every step
// as one sgemm, per step one sgemm with recurrent_kernel and one fused loop, and a backward pass that
// runs one sgemm per step and takes the weights' gradients as one sgemm each over all steps. Raw float32
// kernels without autodiff: ops::gru validates shapes and records the gradient.
//
//   z = sigmoid(x_z + h_{t-1} R_z + b'_z)     r = sigmoid(x_r + h_{t-1} R_r + b'_r)
//   c = tanh(x_h + r (h_{t-1} R_h + b'_h))    h_t = z h_{t-1} + (1 - z) c
// where x = x_t kernel + b (the bias's input row) and b' is its recurrent row.
#pragma once

#include <cstdint>

#include "cairn/internal/tensor/lstm.h"

namespace cairn::kernels {

struct GruDims {
  int64_t batch = 0, steps = 0, input = 0, units = 0;
};

// What a forward pass keeps for its backward pass, time-major.
struct GruTrace {
  GruDims dims;
  FloatArray x;          // (T, B, I)
  FloatArray gates;      // (T, B, 3U): z, r and c, activated
  FloatArray recurrent;  // (T, B, U): h_{t-1} R_h + b'_h, which r multiplies
  FloatArray h;          // (T, B, U)
};

// x (B, T, I), kernel (I, 3U), recurrent_kernel (U, 3U); input_bias and recurrent_bias (3U) or null;
// zero initial state. Writes `out`: (B, T, U) with return_sequences, else the last h (B, U). Fills
// `trace` when given.
void gru_forward(const GruDims& dims, const float* x, const float* kernel, const float* recurrent_kernel,
                 const float* input_bias, const float* recurrent_bias, bool return_sequences, float* out,
                 GruTrace* trace);

// Backpropagation through time. dout is shaped like forward's `out`. Each of dx (B, T, I), dkernel,
// drecurrent_kernel, dinput_bias and drecurrent_bias may be null when not wanted; the others are
// overwritten.
void gru_backward(const GruTrace& trace, const float* kernel, const float* recurrent_kernel, const float* dout,
                  bool return_sequences, float* dx, float* dkernel, float* drecurrent_kernel, float* dinput_bias,
                  float* drecurrent_bias);

}  // namespace cairn::kernels
