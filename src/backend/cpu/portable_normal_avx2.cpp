// The portable normal and exponential AVX2 loops, portable_normal_simd<256> (compiled with -mavx2
// -mfma; entered only when simd_active() is avx2 or better).
#if defined(__x86_64__)
#include "backend/cpu/portable_normal_simd_body.hpp"
template struct gpurand::detail::portable_normal_simd<256>;
#endif
