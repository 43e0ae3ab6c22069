// AVX-512 vector traits of the SIMD Philox kernels (simd_body.hpp): 8 subsequences per ZMM.
// Compiled with -mavx512f -mavx512dq -mavx512bw -mavx512vl (CMakeLists.txt); entered only after
// simd.cpp has checked that the CPU supports them.
//
// Per round and 8 subsequences: 2 vpmuludq, 2 moves of `hi` to the low half and 2 vpternlogd
// (a ^ b ^ c), all 512-bit uops that share ports 0 and 5 on Intel cores. The two `hi` moves use
// a shift (port 0) and a shuffle (port 5) so neither port is oversubscribed.

#if defined(__x86_64__)

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_epi32(), written as `__m512i __Y = __Y;`,
// which -Wmaybe-uninitialized reports once the intrinsics are inlined (GCC bug 105593, fixed in
// GCC 13). The warning is spurious: the undefined value is never read (all-ones masks).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "backend/cpu/simd_body.hpp"

namespace gpurand::detail {

struct avx512_ops : simd_body::x86_vector_ops<8> {
  static reg mul_lo32(const reg& a, const reg& b) noexcept { return _mm512_mul_epu32(a, b); }
  static reg hi_shift(const reg& a) noexcept { return _mm512_srli_epi64(a, 32); }
  static reg hi_shuffle(const reg& a) noexcept { return _mm512_shuffle_epi32(a, _MM_PERM_DDBB); }
  static reg swap_rot(const reg& a) noexcept { return _mm512_ror_epi64(a, 32); }
  static reg swap_shuffle(const reg& a) noexcept { return _mm512_shuffle_epi32(a, _MM_PERM_CDAB); }
  static reg xor3(const reg& a, const reg& b, const reg& c) noexcept {
    return _mm512_ternarylogic_epi32(a, b, c, 0x96);
  }
  static reg merge_low_xor3(const reg& s, const reg& b, const reg& c) noexcept {
    return _mm512_mask_ternarylogic_epi32(s, 0x5555, b, c, 0x96);  // 0x5555: even dwords
  }
  static reg next_pair(const reg& a, const reg& b) noexcept {
    const reg idx = _mm512_set_epi32(30, 15, 28, 13, 26, 11, 24, 9, 22, 7, 20, 5, 18, 3, 16, 1);
    return _mm512_permutex2var_epi32(a, idx, b);
  }
  static void interleave(const reg& lo, const reg& hi, reg (&o)[2]) noexcept {
    o[0] = _mm512_permutex2var_epi64(lo, _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0), hi);
    o[1] = _mm512_permutex2var_epi64(lo, _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4), hi);
  }
  // vcvtudq2ps rounds to nearest under the default MXCSR, as cuRAND's conversion does.
  static freg cvt_u32_ps(const reg& x) noexcept { return _mm512_cvtepu32_ps(x); }
};

template struct simd_kernels<avx512_ops>;

}  // namespace gpurand::detail

#endif  // defined(__x86_64__)
