// The LSTM cell (Keras gate order i, f, c, o; sigmoid gates, tanh cell) and the whole-sequence passes
// built on it. Raw float32 kernels without autodiff: ops::lstm validates shapes and records the gradient.
//
// Inside, everything is time-major, (T, B, ...), so that one time step is a contiguous (B, ...) block:
// x @ kernel for all steps is one big sgemm before the recurrence, and in the backward pass the
// gradients of kernel and recurrent_kernel are one big sgemm each over all steps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace cairn::kernels {

struct LstmDims {
  int64_t batch = 0, steps = 0, input = 0, units = 0;
};

// One time step for `rows` batch rows, in place, on the calling thread. `gates` (rows, 4U) holds
// x_t K + h_{t-1} R, to which bias (4U) is added, and receives the activations (sigmoid for i, f, o; tanh
// for c~). Writes c (rows, U), tanh(c) (rows, U) and h (rows, U). c_prev may be null for the zero initial state.
void lstm_cell_forward(int64_t rows, int64_t units, float* gates, const float* bias, const float* c_prev, float* c,
                       float* tanh_c, float* h);

// The backward of one step for `rows` batch rows, on the calling thread. `gates` holds the step's
// activations, dh the total dL/dh_t; writes dgates = dL/d(pre-activations) (rows, 4U). dc holds dL/dc_t
// from later steps and receives dL/dc_{t-1}. c_prev may be null for the zero initial state.
void lstm_cell_backward(int64_t rows, int64_t units, const float* gates, const float* c_prev, const float* tanh_c,
                        const float* dh, float* dc, float* dgates);

// A float array from the buffer cache (buffer_cache.h), shared with tensors: large per-call buffers are
// recycled rather than returned to the system, because faulting fresh pages in costs about 0.5 ms per MB
// (as much as the arithmetic of a training step on imdb_lstm).
struct RecycleArray {
  size_t capacity = 0;
  void operator()(float* p) const;
};
using FloatArray = std::unique_ptr<float[], RecycleArray>;
FloatArray make_float_array(size_t n);  // uninitialized

// Shared with the GRU (gru.h): rows of the batch per parallel chunk of a cell loop, enough elements to
// pay for waking a thread; and (outer, inner, width) -> (inner, outer, width), between batch-major and
// time-major.
int64_t row_grain(int64_t units);
void swap_leading_axes(const float* src, int64_t outer, int64_t inner, int64_t width, float* dst);

// What a forward pass over a sequence keeps for its backward pass, time-major.
struct LstmTrace {
  LstmDims dims;
  FloatArray x;       // (T, B, I)
  FloatArray gates;   // (T, B, 4U), activated
  FloatArray c;       // (T, B, U)
  FloatArray tanh_c;  // (T, B, U)
  FloatArray h;       // (T, B, U)
};

// x (B, T, I), kernel (I, 4U), recurrent_kernel (U, 4U), bias (4U) or null; zero initial state.
// Writes `out`: (B, T, U) with return_sequences, else the last h (B, U). Fills `trace` when given.
void lstm_forward(const LstmDims& dims, const float* x, const float* kernel, const float* recurrent_kernel,
                  const float* bias, bool return_sequences, float* out, LstmTrace* trace);

// Backpropagation through time. dout is shaped like forward's `out`. Each of dx (B, T, I), dkernel,
// drecurrent_kernel and dbias may be null when not wanted; the others are overwritten.
void lstm_backward(const LstmTrace& trace, const float* kernel, const float* recurrent_kernel,
                   const float* dout, bool return_sequences, float* dx, float* dkernel,
                   float* drecurrent_kernel, float* dbias);

}  // namespace cairn::kernels
