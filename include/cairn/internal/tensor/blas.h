// The BLAS entry points cairn uses, with row-major float32 operands.
#pragma once

#include <cstdint>

namespace cairn::blas {

// C (m,n) = alpha * op(A) @ op(B) + beta * C, where op(A) is (m,k) and op(B) is (k,n).
// lda/ldb/ldc are the row strides of A, B and C as stored.
void sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
// The same on the calling thread alone, for work that is already split over threads (the recurrences).
void sgemm_on_this_thread(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
                          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

}  // namespace cairn::blas
