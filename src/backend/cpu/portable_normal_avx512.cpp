// The portable normal's AVX-512 loops (this file is compiled with -mavx512f -mavx512dq
// -mavx512vl -mavx512bw; entered only when simd_active() is avx512).
#if defined(__x86_64__)

// GCC 12's _mm512_sqrt_ps/_pd pass an undefined pass-through vector (__Y) to the masked
// builtin, which -Wuninitialized flags inside the system header once inlined here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#define GPURAND_PN_BITS 512
#define GPURAND_PN_FMAF(a, b, c) (vf)(_mm512_fmadd_ps((__m512)(a), (__m512)(b), (__m512)(c)))
#define GPURAND_PN_SQRTF(a) (vf)(_mm512_sqrt_ps((__m512)(a)))
#define GPURAND_PN_FMAD(a, b, c) (vd)(_mm512_fmadd_pd((__m512d)(a), (__m512d)(b), (__m512d)(c)))
#define GPURAND_PN_SQRTD(a) (vd)(_mm512_sqrt_pd((__m512d)(a)))
#include "backend/cpu/portable_normal_simd_body.hpp"

namespace gpurand::detail::simd_impl {
void portable_normal_avx512(const std::uint32_t* in, std::size_t pairs, float* out, float mean,
                            float stddev) noexcept {
  run_f(in, pairs, out, mean, stddev);
}
void portable_normal_double_avx512(const std::uint32_t* in, std::size_t groups, double* out,
                                   double mean, double stddev) noexcept {
  run_d(in, groups, out, mean, stddev);
}
}  // namespace gpurand::detail::simd_impl

#endif  // defined(__x86_64__)
