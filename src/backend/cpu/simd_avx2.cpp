// AVX2 vector traits of the SIMD Philox kernels (simd_body.hpp): 4 subsequences per YMM,
// with two XORs in place of each vpternlogd and blends in place of masking. Compiled with -mavx2
// (CMakeLists.txt); entered only after simd.cpp has checked that the CPU supports it.

#if defined(__x86_64__)

#include "backend/cpu/simd_body.hpp"

namespace gpurand::detail {

struct avx2_ops : simd_body::x86_vector_ops<4> {
  static reg mul_lo32(const reg& a, const reg& b) noexcept { return _mm256_mul_epu32(a, b); }
  // No AVX2 shuffle runs on another port than the shift here: both forms are the shift.
  static reg hi_shift(const reg& a) noexcept { return _mm256_srli_epi64(a, 32); }
  static reg hi_shuffle(const reg& a) noexcept { return _mm256_srli_epi64(a, 32); }
  static reg swap_rot(const reg& a) noexcept { return _mm256_shuffle_epi32(a, 0xB1); }
  static reg swap_shuffle(const reg& a) noexcept { return _mm256_shuffle_epi32(a, 0xB1); }
  static reg xor3(const reg& a, const reg& b, const reg& c) noexcept { return a ^ b ^ c; }
  static reg merge_low_xor3(const reg& s, const reg& b, const reg& c) noexcept {
    return _mm256_blend_epi32(xor3(s, b, c), s, 0xAA);  // 0xAA: odd dwords from s
  }
  static reg next_pair(const reg& a, const reg& b) noexcept {
    return _mm256_blend_epi32(_mm256_srli_epi64(a, 32), _mm256_slli_epi64(b, 32), 0xAA);
  }
  static void interleave(const reg& lo, const reg& hi, reg (&o)[2]) noexcept {
    const reg even = _mm256_unpacklo_epi64(lo, hi);     // subsequences 0 | 2
    const reg odd = _mm256_unpackhi_epi64(lo, hi);      // subsequences 1 | 3
    o[0] = _mm256_permute2x128_si256(even, odd, 0x20);  // 0, 1
    o[1] = _mm256_permute2x128_si256(even, odd, 0x31);  // 2, 3
  }
  /// Exact uint32 -> float (round to nearest) without an unsigned convert: both 16-bit halves
  /// convert exactly through the signed vcvtdq2ps, hi * 2^16 is exact, and the single rounding
  /// happens in the final add of two exact values, i.e. it rounds the exact x once.
  static freg cvt_u32_ps(const reg& x) noexcept {
    const reg hi = _mm256_srli_epi32(x, 16);
    const reg lo = _mm256_blend_epi16(x, _mm256_setzero_si256(), 0xAA);
    const freg fhi = _mm256_mul_ps(_mm256_cvtepi32_ps(hi), _mm256_set1_ps(65536.0f));
    return _mm256_add_ps(fhi, _mm256_cvtepi32_ps(lo));
  }
};

template struct simd_kernels<avx2_ops>;

}  // namespace gpurand::detail

#endif  // defined(__x86_64__)
