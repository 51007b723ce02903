#include "cairn/internal/tensor/gru.h"

#include <algorithm>
#include <cstring>

#include "cairn/parallel.h"
#include "cairn/internal/tensor/blas.h"
#include "cairn/internal/tensor/cpu_dispatch.h"
#include "cairn/internal/tensor/gate_math.h"

namespace cairn::kernels {

namespace {

// One batch row of the cell. xz, xr, xh hold the projected input and receive z, r and c; rz, rr, rh the
// recurrent product with its bias (rh is kept for the backward pass). h_prev is null for the zero state.
CAIRN_DISPATCHED_KERNEL void gru_cell_forward_row(int64_t units, float* __restrict xz, float* __restrict xr,
                                                  float* __restrict xh, const float* __restrict rz,
                                                  const float* __restrict rr, const float* __restrict rh,
                                                  const float* __restrict h_prev, float* __restrict h) {
  for (int64_t j = 0; j < units; ++j) {
    const float z = sigmoid_approx(xz[j] + rz[j]);
    const float r = sigmoid_approx(xr[j] + rr[j]);
    const float c = tanh_approx(xh[j] + r * rh[j]);
    xz[j] = z;
    xr[j] = r;
    xh[j] = c;
    h[j] = (h_prev ? z * h_prev[j] : 0.0f) + (1.0f - z) * c;
  }
}

// The backward of one row, the activations' derivatives in terms of their values. Writes the gradients of
// the projected input (dxz, dxr, dxh) and of the recurrent product (drz, drr, drh), and carry = dh z, the
// part of dL/dh_{t-1} that does not go through recurrent_kernel.
CAIRN_DISPATCHED_KERNEL void gru_cell_backward_row(int64_t units, const float* __restrict z,
                                                   const float* __restrict r, const float* __restrict c,
                                                   const float* __restrict rh, const float* __restrict h_prev,
                                                   const float* __restrict dh, float* __restrict dxz,
                                                   float* __restrict dxr, float* __restrict dxh,
                                                   float* __restrict drz, float* __restrict drr,
                                                   float* __restrict drh, float* __restrict carry) {
  for (int64_t j = 0; j < units; ++j) {
    const float g = dh[j];
    const float dz = g * ((h_prev ? h_prev[j] : 0.0f) - c[j]) * z[j] * (1.0f - z[j]);
    const float dc = g * (1.0f - z[j]) * (1.0f - c[j] * c[j]);
    const float dr = dc * rh[j] * r[j] * (1.0f - r[j]);
    dxz[j] = dz;
    dxr[j] = dr;
    dxh[j] = dc;
    drz[j] = dz;
    drr[j] = dr;
    drh[j] = dc * r[j];
    carry[j] = g * z[j];
  }
}

FloatArray uninitialized(int64_t n) { return make_float_array(static_cast<size_t>(n)); }

// Each of `rows` rows of `width` floats set to `row`, or to zeros when `row` is null.
void fill_rows(float* out, int64_t rows, int64_t width, const float* row) {
  if (!row) {
    std::fill(out, out + rows * width, 0.0f);
    return;
  }
  for (int64_t r = 0; r < rows; ++r) std::memcpy(out + r * width, row, sizeof(float) * width);
}

// sum[j] = the sum of column j over `rows` rows of `width` floats, overwriting sum.
void column_sums(const float* in, int64_t rows, int64_t width, float* sum) {
  std::fill(sum, sum + width, 0.0f);
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict row = in + r * width;
    for (int64_t j = 0; j < width; ++j) sum[j] += row[j];
  }
}

}  // namespace

void gru_forward(const GruDims& dims, const float* x, const float* kernel, const float* recurrent_kernel,
                 const float* input_bias, const float* recurrent_bias, bool return_sequences, float* out,
                 GruTrace* trace) {
  const int64_t B = dims.batch, T = dims.steps, I = dims.input, U = dims.units, G = 3 * U;
  if (trace) {
    *trace = GruTrace{};
    trace->dims = dims;
  }
  if (B == 0 || U == 0) return;
  if (T == 0) {
    if (!return_sequences) std::fill(out, out + B * U, 0.0f);
    return;
  }

  FloatArray x_tm = uninitialized(T * B * I);
  swap_leading_axes(x, B, T, I, x_tm.get());
  // The projected inputs of every step, then, step by step, z, r and c in their place.
  FloatArray gates = uninitialized(T * B * G);
  fill_rows(gates.get(), T * B, G, input_bias);
  if (I > 0)
    blas::sgemm(false, false, T * B, G, I, 1.0f, x_tm.get(), I, kernel, G, 1.0f, gates.get(), G);
  FloatArray product = uninitialized(B * G);  // h_{t-1} recurrent_kernel + recurrent_bias
  const bool all_steps = trace != nullptr || return_sequences;
  FloatArray recurrent_h = trace ? uninitialized(T * B * U) : FloatArray();
  FloatArray h = uninitialized((all_steps ? T : 2) * B * U);
  auto h_at = [&](int64_t t) { return h.get() + (all_steps ? t : t % 2) * B * U; };

  for (int64_t t = 0; t < T; ++t) {
    fill_rows(product.get(), B, G, recurrent_bias);
    if (t > 0) blas::sgemm(false, false, B, G, U, 1.0f, h_at(t - 1), U, recurrent_kernel, G, 1.0f, product.get(), G);
    float* step_gates = gates.get() + t * B * G;
    parallel_for(B, row_grain(U), [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) {
        float* g = step_gates + b * G;
        const float* p = product.get() + b * G;
        gru_cell_forward_row(U, g, g + U, g + 2 * U, p, p + U, p + 2 * U, t > 0 ? h_at(t - 1) + b * U : nullptr,
                             h_at(t) + b * U);
      }
    });
    if (trace)
      for (int64_t b = 0; b < B; ++b)
        std::memcpy(recurrent_h.get() + (t * B + b) * U, product.get() + b * G + 2 * U, sizeof(float) * U);
  }

  if (return_sequences)
    swap_leading_axes(h.get(), T, B, U, out);
  else
    std::memcpy(out, h_at(T - 1), sizeof(float) * B * U);
  if (trace) {
    trace->x = std::move(x_tm);
    trace->gates = std::move(gates);
    trace->recurrent = std::move(recurrent_h);
    trace->h = std::move(h);
  }
}

void gru_backward(const GruTrace& trace, const float* kernel, const float* recurrent_kernel, const float* dout,
                  bool return_sequences, float* dx, float* dkernel, float* drecurrent_kernel, float* dinput_bias,
                  float* drecurrent_bias) {
  const GruDims& dims = trace.dims;
  const int64_t B = dims.batch, T = dims.steps, I = dims.input, U = dims.units, G = 3 * U;
  if (B == 0 || T == 0 || U == 0) {
    if (dx) std::fill(dx, dx + B * T * I, 0.0f);
    if (dkernel) std::fill(dkernel, dkernel + I * G, 0.0f);
    if (drecurrent_kernel) std::fill(drecurrent_kernel, drecurrent_kernel + U * G, 0.0f);
    if (dinput_bias) std::fill(dinput_bias, dinput_bias + G, 0.0f);
    if (drecurrent_bias) std::fill(drecurrent_bias, drecurrent_bias + G, 0.0f);
    return;
  }

  // Per step, the gradients of the projected input and of the recurrent product.
  FloatArray dinput = uninitialized(T * B * G);
  FloatArray dproduct = uninitialized(T * B * G);
  FloatArray dh = uninitialized(B * U);
  FloatArray carry = uninitialized(B * U);  // dL/dh_t from step t+1
  std::fill(carry.get(), carry.get() + B * U, 0.0f);
  for (int64_t t = T - 1; t >= 0; --t) {
    // dL/dh_t: from the output at this step, plus from step t+1.
    for (int64_t b = 0; b < B; ++b) {
      float* __restrict d = dh.get() + b * U;
      const float* __restrict from_next = carry.get() + b * U;
      const float* __restrict from_output =
          return_sequences ? dout + (b * T + t) * U : (t == T - 1 ? dout + b * U : nullptr);
      for (int64_t j = 0; j < U; ++j) d[j] = from_next[j] + (from_output ? from_output[j] : 0.0f);
    }
    const float* step_gates = trace.gates.get() + t * B * G;
    const float* step_recurrent = trace.recurrent.get() + t * B * U;
    const float* h_prev = t > 0 ? trace.h.get() + (t - 1) * B * U : nullptr;
    float* di = dinput.get() + t * B * G;
    float* dp = dproduct.get() + t * B * G;
    parallel_for(B, row_grain(U), [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) {
        const float* g = step_gates + b * G;
        float* dib = di + b * G;
        float* dpb = dp + b * G;
        gru_cell_backward_row(U, g, g + U, g + 2 * U, step_recurrent + b * U, h_prev ? h_prev + b * U : nullptr,
                              dh.get() + b * U, dib, dib + U, dib + 2 * U, dpb, dpb + U, dpb + 2 * U,
                              carry.get() + b * U);
      }
    });
    if (t > 0) blas::sgemm(false, true, B, U, G, 1.0f, dp, G, recurrent_kernel, G, 1.0f, carry.get(), U);
  }

  // Over all steps at once: dR = sum_t h_{t-1}^T dproduct_t (h_{-1} = 0), dK = sum_t x_t^T dinput_t.
  if (drecurrent_kernel) {
    if (T > 1)
      blas::sgemm(true, false, U, G, (T - 1) * B, 1.0f, trace.h.get(), U, dproduct.get() + B * G, G, 0.0f,
                  drecurrent_kernel, G);
    else
      std::fill(drecurrent_kernel, drecurrent_kernel + U * G, 0.0f);
  }
  if (dkernel && I > 0)
    blas::sgemm(true, false, I, G, T * B, 1.0f, trace.x.get(), I, dinput.get(), G, 0.0f, dkernel, G);
  if (dinput_bias) column_sums(dinput.get(), T * B, G, dinput_bias);
  if (drecurrent_bias) column_sums(dproduct.get(), T * B, G, drecurrent_bias);
  if (dx && I > 0) {
    FloatArray dx_tm = uninitialized(T * B * I);
    blas::sgemm(false, true, T * B, I, G, 1.0f, dinput.get(), G, kernel, G, 0.0f, dx_tm.get(), I);
    swap_leading_axes(dx_tm.get(), T, B, I, dx);
  }
}

}  // namespace cairn::kernels
