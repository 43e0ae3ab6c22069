// The portable normal and exponential AVX-512 loops, portable_normal_simd<512> (compiled with
// -mavx512f -mavx512dq -mavx512bw -mavx512vl -mfma; entered only when simd_active() is avx512).
#if defined(__x86_64__)
// GCC 12's _mm512_sqrt_ps/_pd pass an undefined pass-through vector (__Y) to the masked
// builtin, which -Wuninitialized flags inside the system header once inlined here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "backend/cpu/portable_normal_simd_body.hpp"
template struct gpurand::detail::portable_normal_simd<512>;
#endif
