// The portable normal's AVX2 loops (this file is compiled with -mavx2 -mfma;
// entered only when simd_active() is avx2 or better).
#if defined(__x86_64__)

#include <immintrin.h>

#define GPURAND_PN_BITS 256
#define GPURAND_PN_FMAF(a, b, c) (vf)(_mm256_fmadd_ps((__m256)(a), (__m256)(b), (__m256)(c)))
#define GPURAND_PN_SQRTF(a) (vf)(_mm256_sqrt_ps((__m256)(a)))
#define GPURAND_PN_FMAD(a, b, c) (vd)(_mm256_fmadd_pd((__m256d)(a), (__m256d)(b), (__m256d)(c)))
#define GPURAND_PN_SQRTD(a) (vd)(_mm256_sqrt_pd((__m256d)(a)))
#include "backend/cpu/portable_normal_simd_body.hpp"

namespace gpurand::detail::simd_impl {
void portable_normal_avx2(const std::uint32_t* in, std::size_t pairs, float* out, float mean,
                          float stddev) noexcept {
  run_f(in, pairs, out, mean, stddev);
}
void portable_normal_double_avx2(const std::uint32_t* in, std::size_t groups, double* out,
                                 double mean, double stddev) noexcept {
  run_d(in, groups, out, mean, stddev);
}
}  // namespace gpurand::detail::simd_impl

#endif  // defined(__x86_64__)
