#include "cairn/internal/tensor/blas.h"

#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <string>

#include "cairn/error.h"
#include "cairn/parallel.h"

namespace cairn::blas {

// oneDNN's sgemm (row-major) rather than OpenBLAS's: Debian's OpenBLAS 0.3.21 does not recognize this
// project's AVX-512 CPUs and runs its Haswell (AVX2) kernels, while oneDNN picks its AVX-512 ones at run
// time. Measured on the shapes of the seed workloads (bench in docs/performance.md), one thread: 1.3-2.2x
// faster on every one (e.g. the LSTM's per-step 64x100 @ 100x400: 52 -> 25 us).
void sgemm_on_this_thread(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // no products: C = beta C (oneDNN's handling of K = 0 is not documented)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  // oneDNN sizes its threads by the calling thread's OpenMP setting; inside a parallel region it runs on
  // one thread by itself, outside it is told to.
  const int outer_threads = omp_in_parallel() ? 0 : omp_get_max_threads();
  if (outer_threads > 1) omp_set_num_threads(1);
  const dnnl_status_t status = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  if (outer_threads > 1) omp_set_num_threads(outer_threads);
  if (status != dnnl_success)
    throw Error("sgemm of (" + std::to_string(m) + ", " + std::to_string(k) + ") @ (" + std::to_string(k) + ", " +
                std::to_string(n) + "): oneDNN failed with status " + std::to_string(static_cast<int>(status)));
}

// Each product runs single-threaded in the BLAS; cairn splits it over its own threads, by rows of C or,
// when C has few rows, by columns, so that only one thread pool ever spins.
void sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  const int threads = num_threads();
  constexpr double kMinFlopsPerThread = 2e5;
  if (threads <= 1 || 2.0 * m * n * k < 2 * kMinFlopsPerThread) {
    sgemm_on_this_thread(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  if (m >= n || m >= 4 * threads) {
    // Rows i of C and of op(A): row i of A, or column i of A when transposed.
    parallel_for(m, std::max<int64_t>(1, m / threads), [&](int64_t begin, int64_t end) {
      const float* a_rows = transpose_a ? a + begin : a + begin * lda;
      sgemm_on_this_thread(transpose_a, transpose_b, end - begin, n, k, alpha, a_rows, lda, b, ldb, beta, c + begin * ldc, ldc);
    });
  } else {
    // Columns j of C and of op(B): column j of B, or row j of B when transposed.
    parallel_for(n, std::max<int64_t>(1, n / threads), [&](int64_t begin, int64_t end) {
      const float* b_cols = transpose_b ? b + begin * ldb : b + begin;
      sgemm_on_this_thread(transpose_a, transpose_b, m, end - begin, k, alpha, a, lda, b_cols, ldb, beta, c + begin, ldc);
    });
  }
}

}  // namespace cairn::blas
