#include "cairn/internal/tensor/blas.h"

#include <cblas.h>

#include <algorithm>

#include "cairn/parallel.h"

namespace cairn::blas {

namespace {
void sgemm_one_thread(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                      const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta, c,
              static_cast<int>(ldc));
}
}  // namespace

// OpenBLAS always runs single-threaded (see parallel.cc); cairn splits a product over its own threads,
// by rows of C or, when C has few rows, by columns, so that only one thread pool ever spins.
void sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  const int threads = num_threads();
  constexpr double kMinFlopsPerThread = 2e5;
  if (threads <= 1 || 2.0 * m * n * k < 2 * kMinFlopsPerThread) {
    sgemm_one_thread(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  if (m >= n || m >= 4 * threads) {
    // Rows i of C and of op(A): row i of A, or column i of A when transposed.
    parallel_for(m, std::max<int64_t>(1, m / threads), [&](int64_t begin, int64_t end) {
      const float* a_rows = transpose_a ? a + begin : a + begin * lda;
      sgemm_one_thread(transpose_a, transpose_b, end - begin, n, k, alpha, a_rows, lda, b, ldb, beta, c + begin * ldc, ldc);
    });
  } else {
    // Columns j of C and of op(B): column j of B, or row j of B when transposed.
    parallel_for(n, std::max<int64_t>(1, n / threads), [&](int64_t begin, int64_t end) {
      const float* b_cols = transpose_b ? b + begin * ldb : b + begin;
      sgemm_one_thread(transpose_a, transpose_b, m, end - begin, k, alpha, a, lda, b_cols, ldb, beta, c + begin, ldc);
    });
  }
}

}  // namespace cairn::blas
