#include "cairn/internal/tensor/lstm.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "cairn/parallel.h"
#include "cairn/internal/tensor/blas.h"
#include "cairn/internal/tensor/buffer_cache.h"
#include "cairn/internal/tensor/cpu_dispatch.h"
#include "cairn/internal/tensor/gate_math.h"

namespace cairn::kernels {

namespace {

// One batch row of the cell, as its own function so that the restrict-qualified rows vectorize.
// c_prev is null for the zero initial state.
// `bias` (4 units) is added to the pre-activations here rather than copied into every row before the
// products (a pass over the whole gates array less).
CAIRN_DISPATCHED_KERNEL void cell_forward_row(int64_t units, float* __restrict zi, float* __restrict zf,
                                              float* __restrict zg, float* __restrict zo,
                                              const float* __restrict bias, const float* __restrict c_prev,
                                              float* __restrict c, float* __restrict tanh_c,
                                              float* __restrict h) {
  for (int64_t j = 0; j < units; ++j) {
    const float i = sigmoid_approx(zi[j] + bias[j]);
    const float f = sigmoid_approx(zf[j] + bias[units + j]);
    const float g = tanh_approx(zg[j] + bias[2 * units + j]);
    const float o = sigmoid_approx(zo[j] + bias[3 * units + j]);
    const float cell = (c_prev ? f * c_prev[j] : 0.0f) + i * g;
    const float tc = tanh_approx(cell);
    zi[j] = i;
    zf[j] = f;
    zg[j] = g;
    zo[j] = o;
    c[j] = cell;
    tanh_c[j] = tc;
    h[j] = o * tc;
  }
}

// The activations' derivatives in terms of their values: h = o tanh(c), c = f c_prev + i g.
CAIRN_DISPATCHED_KERNEL void cell_backward_row(int64_t units, const float* __restrict i,
                                               const float* __restrict f, const float* __restrict g,
                                               const float* __restrict o, const float* __restrict c_prev,
                                               const float* __restrict tanh_c, const float* __restrict dh,
                                               float* __restrict dc, float* __restrict di, float* __restrict df,
                                               float* __restrict dg, float* __restrict d_o) {
  for (int64_t j = 0; j < units; ++j) {
    const float tc = tanh_c[j];
    const float dcell = dc[j] + dh[j] * o[j] * (1.0f - tc * tc);
    di[j] = dcell * g[j] * i[j] * (1.0f - i[j]);
    df[j] = c_prev ? dcell * c_prev[j] * f[j] * (1.0f - f[j]) : 0.0f;
    dg[j] = dcell * i[j] * (1.0f - g[j] * g[j]);
    d_o[j] = dh[j] * tc * o[j] * (1.0f - o[j]);
    dc[j] = dcell * f[j];
  }
}

// sum[i] += x[i].
CAIRN_DISPATCHED_KERNEL void accumulate(int64_t n, const float* __restrict x, float* __restrict sum) {
  for (int64_t i = 0; i < n; ++i) sum[i] += x[i];
}

FloatArray uninitialized(int64_t n) { return make_float_array(static_cast<size_t>(n)); }

// Without a trace, x @ kernel is computed for this many floats' worth of steps at a time, so that
// inference on long sequences or large batches does not hold the gates of every step.
constexpr int64_t kInferenceGateFloats = int64_t{1} << 22;

}  // namespace

int64_t row_grain(int64_t units) { return std::max<int64_t>(1, 4096 / std::max<int64_t>(units, 1)); }

void swap_leading_axes(const float* src, int64_t outer, int64_t inner, int64_t width, float* dst) {
  for (int64_t a = 0; a < outer; ++a)
    for (int64_t b = 0; b < inner; ++b)
      std::memcpy(dst + (b * outer + a) * width, src + (a * inner + b) * width, sizeof(float) * width);
}

FloatArray make_float_array(size_t n) {
  return FloatArray(static_cast<float*>(allocate_buffer(n * sizeof(float))), RecycleArray{n});
}

void RecycleArray::operator()(float* p) const { release_buffer(p, capacity * sizeof(float)); }

void lstm_cell_forward(int64_t rows, int64_t units, float* gates, const float* bias, const float* c_prev, float* c,
                       float* tanh_c, float* h) {
  for (int64_t b = 0; b < rows; ++b) {
    float* z = gates + b * 4 * units;
    const int64_t row = b * units;
    cell_forward_row(units, z, z + units, z + 2 * units, z + 3 * units, bias, c_prev ? c_prev + row : nullptr,
                     c + row, tanh_c + row, h + row);
  }
}

void lstm_cell_backward(int64_t rows, int64_t units, const float* gates, const float* c_prev, const float* tanh_c,
                        const float* dh, float* dc, float* dgates) {
  for (int64_t b = 0; b < rows; ++b) {
    const float* a = gates + b * 4 * units;
    float* d = dgates + b * 4 * units;
    const int64_t row = b * units;
    cell_backward_row(units, a, a + units, a + 2 * units, a + 3 * units, c_prev ? c_prev + row : nullptr,
                      tanh_c + row, dh + row, dc + row, d, d + units, d + 2 * units, d + 3 * units);
  }
}

// Batch rows per thread through a recurrence: each row's state depends only on its own past, so every
// thread takes a fixed share of the rows for all steps, and the steps need no synchronization (the
// split per step cost two barriers per step). At least 8 rows a share, for the products' efficiency.
template <class Body>
void for_row_shares(int64_t batch, Body body) {
  parallel_for(batch, 8, body);
}

void lstm_forward(const LstmDims& dims, const float* x, const float* kernel, const float* recurrent_kernel,
                  const float* bias, bool return_sequences, float* out, LstmTrace* trace) {
  const int64_t B = dims.batch, T = dims.steps, I = dims.input, U = dims.units, G = 4 * U;
  if (trace) {
    *trace = LstmTrace{};
    trace->dims = dims;
  }
  if (B == 0 || U == 0) return;
  if (T == 0) {
    if (!return_sequences) std::fill(out, out + B * U, 0.0f);
    return;
  }

  FloatArray x_tm = uninitialized(T * B * I);
  swap_leading_axes(x, B, T, I, x_tm.get());
  const int64_t block = trace ? T : std::clamp<int64_t>(kInferenceGateFloats / (B * G), 1, T);
  FloatArray gates = uninitialized(block * B * G);
  // Per-step state: every step's with a trace; otherwise two alternating buffers, and every step's h
  // only when it is the output.
  const bool all_steps = trace != nullptr;
  FloatArray c = uninitialized((all_steps ? T : 2) * B * U);
  FloatArray tanh_c = uninitialized((all_steps ? T : 1) * B * U);
  FloatArray h = uninitialized((all_steps || return_sequences ? T : 2) * B * U);
  auto c_at = [&](int64_t t) { return c.get() + (all_steps ? t : t % 2) * B * U; };
  auto tanh_c_at = [&](int64_t t) { return tanh_c.get() + (all_steps ? t * B * U : 0); };
  auto h_at = [&](int64_t t) { return h.get() + (all_steps || return_sequences ? t : t % 2) * B * U; };

  std::vector<float> no_bias;
  if (!bias) {
    no_bias.assign(static_cast<size_t>(G), 0.0f);
    bias = no_bias.data();
  }
  for (int64_t t0 = 0; t0 < T; t0 += block) {
    const int64_t t1 = std::min(T, t0 + block), rows = (t1 - t0) * B;
    if (I > 0)
      blas::sgemm(false, false, rows, G, I, 1.0f, x_tm.get() + t0 * B * I, I, kernel, G, 0.0f, gates.get(), G);
    else
      std::fill(gates.get(), gates.get() + rows * G, 0.0f);
    for_row_shares(B, [&](int64_t b0, int64_t b1) {
      for (int64_t t = t0; t < t1; ++t) {
        float* z = gates.get() + ((t - t0) * B + b0) * G;
        if (t > 0)
          blas::sgemm_on_this_thread(false, false, b1 - b0, G, U, 1.0f, h_at(t - 1) + b0 * U, U, recurrent_kernel,
                                     G, 1.0f, z, G);
        lstm_cell_forward(b1 - b0, U, z, bias, t > 0 ? c_at(t - 1) + b0 * U : nullptr, c_at(t) + b0 * U,
                          tanh_c_at(t) + b0 * U, h_at(t) + b0 * U);
      }
    });
  }

  if (return_sequences)
    swap_leading_axes(h.get(), T, B, U, out);
  else
    std::memcpy(out, h_at(T - 1), sizeof(float) * B * U);
  if (trace) {
    trace->x = std::move(x_tm);
    trace->gates = std::move(gates);
    trace->c = std::move(c);
    trace->tanh_c = std::move(tanh_c);
    trace->h = std::move(h);
  }
}

void lstm_backward(const LstmTrace& trace, const float* kernel, const float* recurrent_kernel,
                   const float* dout, bool return_sequences, float* dx, float* dkernel,
                   float* drecurrent_kernel, float* dbias) {
  const LstmDims& dims = trace.dims;
  const int64_t B = dims.batch, T = dims.steps, I = dims.input, U = dims.units, G = 4 * U;
  if (B == 0 || T == 0 || U == 0) {
    if (dx) std::fill(dx, dx + B * T * I, 0.0f);
    if (dkernel) std::fill(dkernel, dkernel + I * G, 0.0f);
    if (drecurrent_kernel) std::fill(drecurrent_kernel, drecurrent_kernel + U * G, 0.0f);
    if (dbias) std::fill(dbias, dbias + G, 0.0f);
    return;
  }

  FloatArray dgates = uninitialized(T * B * G);
  FloatArray dh = uninitialized(B * U);
  FloatArray dc = uninitialized(B * U);
  std::fill(dc.get(), dc.get() + B * U, 0.0f);  // nothing flows into c_T
  // dbias per batch row, summed over the steps while each step's gate gradients are in the cache (a
  // pass over all of them afterwards cost as much again); the rows' sums are added in order at the end.
  FloatArray dbias_rows = dbias ? uninitialized(B * G) : nullptr;
  if (dbias) std::fill(dbias_rows.get(), dbias_rows.get() + B * G, 0.0f);
  for_row_shares(B, [&](int64_t b0, int64_t b1) {
    const int64_t rows = b1 - b0;
    float* dh_rows = dh.get() + b0 * U;
    for (int64_t t = T - 1; t >= 0; --t) {
      // dL/dh_t: from the output at this step, plus from the gates of step t+1 through recurrent_kernel.
      if (return_sequences) {
        for (int64_t b = b0; b < b1; ++b)
          std::memcpy(dh.get() + b * U, dout + (b * T + t) * U, sizeof(float) * U);
      } else if (t == T - 1) {
        std::memcpy(dh_rows, dout + b0 * U, sizeof(float) * rows * U);
      } else {
        std::fill(dh_rows, dh_rows + rows * U, 0.0f);
      }
      if (t + 1 < T)
        blas::sgemm_on_this_thread(false, true, rows, U, G, 1.0f, dgates.get() + ((t + 1) * B + b0) * G, G,
                                   recurrent_kernel, G, 1.0f, dh_rows, U);
      const int64_t at = (t * B + b0) * U;
      lstm_cell_backward(rows, U, trace.gates.get() + (t * B + b0) * G,
                         t > 0 ? trace.c.get() + at - B * U : nullptr, trace.tanh_c.get() + at, dh_rows,
                         dc.get() + b0 * U, dgates.get() + (t * B + b0) * G);
      if (dbias) accumulate(rows * G, dgates.get() + (t * B + b0) * G, dbias_rows.get() + b0 * G);
    }
  });

  // Over all steps at once: dR = sum_t h_{t-1}^T dz_t (h_{-1} = 0), dK = sum_t x_t^T dz_t.
  if (drecurrent_kernel) {
    if (T > 1)
      blas::sgemm(true, false, U, G, (T - 1) * B, 1.0f, trace.h.get(), U, dgates.get() + B * G, G, 0.0f,
                  drecurrent_kernel, G);
    else
      std::fill(drecurrent_kernel, drecurrent_kernel + U * G, 0.0f);
  }
  if (dkernel)
    blas::sgemm(true, false, I, G, T * B, 1.0f, trace.x.get(), I, dgates.get(), G, 0.0f, dkernel, G);
  if (dbias) {
    std::fill(dbias, dbias + G, 0.0f);
    for (int64_t b = 0; b < B; ++b) accumulate(G, dbias_rows.get() + b * G, dbias);
  }
  if (dx) {
    FloatArray dx_tm = uninitialized(T * B * I);
    blas::sgemm(false, true, T * B, I, G, 1.0f, dgates.get(), G, kernel, G, 0.0f, dx_tm.get(), I);
    swap_leading_axes(dx_tm.get(), T, B, I, dx);
  }
}

}  // namespace cairn::kernels
