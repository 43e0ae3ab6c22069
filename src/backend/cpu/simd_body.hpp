#pragma once
// The one SIMD implementation of the Philox4x32-10 bulk kernels, a template over
// vector traits `V` (avx2_ops, avx512_ops). Include only from a translation
// unit compiled for V's instruction set (see simd_kernels.hpp).
//
// Vectorisation is across subsequences: one Philox block (one subsequence) per 64-bit lane, each
// of the four 32-bit counter words in its own register, held in the low half of the lane.
// vpmuludq multiplies exactly those low halves into full 64-bit products, so `lo` is the product
// itself and `hi` is one shift or shuffle away. Packing 16 words per ZMM instead would need a
// second multiply for the odd lanes plus two blends per product to split lo and hi, which costs
// the same per subsequence and more when packing the output. The upper halves of the words may
// hold junk: the multiplies ignore them and the last round and the output packing drop them.
// Each loop iteration works on N register sets of independent subsequences so that the 5-cycle
// multiplies overlap: four sets measured ~20% faster than two on AVX-512 and as fast as six; on
// AVX2 (16 YMM registers) four sets spill a little but still beat two.
//
// What V provides (all static, `reg` a vector of 64-bit lanes, `freg` of floats; reg, freg, lanes,
// the broadcasts, iota64 and stream come from the shared base x86_vector_ops):
//   lanes                      64-bit lanes (subsequences) per register
//   set1_64, set1_32, iota64   broadcasts; iota64 = (0, 1, ..., lanes - 1)
//   mul_lo32                   full 64-bit product of the low 32-bit halves
//   hi_shift, hi_shuffle       high half of each lane moved to its low half (two forms, so a
//                              round can spread the moves over two execution ports)
//   swap_rot, swap_shuffle     swap the halves of each lane (likewise two forms)
//   xor3                       a ^ b ^ c (one vpternlogd where there is one)
//   merge_low_xor3(s, b, c)    low halves s ^ b ^ c, high halves from s
//   next_pair(a, b)            per lane: high half of a | low half of b << 32
//   interleave(lo, hi, o)      pairs (x, y), (z, w) of each lane into groups x y z w in order
//   cvt_u32_ps                 uint32 -> float, rounded to nearest
//   stream                     non-temporal store (aligned)
// Plain lane-wise +, ^ and the float * and + are written as operators: GCC and Clang define them
// on the intrinsic vector types (64-bit lanes for __m256i / __m512i) and compile each to the same
// single instruction as the intrinsic; unaligned loads and stores are memcpy (see storeu).

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "backend/cpu/simd_kernels.hpp"
#include "gpurand/config.hpp"
#include "gpurand/detail/transforms.hpp"

namespace gpurand::detail::simd_body {

// Calls that write at least this many bytes to a 16-byte-aligned buffer use non-temporal
// (streaming) stores, unless the caller says the data should stay in cache (may_stream = false:
// the whole fill fits in the last-level cache). A buffer this large does not stay in a core's L2
// anyway, and skipping the read-for-ownership of every line raises single-core store bandwidth
// from ~9.5 to ~25 GB/s on the Sapphire Rapids development machine, which is what bounds large
// fills. Results are identical either way; the fill ends with an sfence.
constexpr std::size_t stream_bytes = std::size_t{8} << 20;

/// The registers of `Lanes` 64-bit lanes: YMM (AVX2) or ZMM (AVX-512).
template <std::size_t Lanes>
struct x86_regs;
template <>
struct x86_regs<4> {
  using reg = __m256i;
  using freg = __m256;
};
template <>
struct x86_regs<8> {
  using reg = __m512i;
  using freg = __m512;
};

/// The base of avx2_ops (Lanes = 4) and avx512_ops (8): their registers, and the operations both
/// instruction sets do alike, the same intrinsic at either width.
template <std::size_t Lanes>
struct x86_vector_ops : x86_regs<Lanes> {
  static constexpr std::size_t lanes = Lanes;
  static constexpr bool zmm = Lanes == 8;
  static auto set1_64(std::uint64_t v) noexcept {
    if constexpr (zmm)
      return _mm512_set1_epi64(static_cast<long long>(v));
    else
      return _mm256_set1_epi64x(static_cast<long long>(v));
  }
  static auto set1_32(std::uint32_t v) noexcept {
    if constexpr (zmm)
      return _mm512_set1_epi32(static_cast<int>(v));
    else
      return _mm256_set1_epi32(static_cast<int>(v));
  }
  static auto iota64() noexcept {
    if constexpr (zmm)
      return _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    else
      return _mm256_set_epi64x(3, 2, 1, 0);
  }
  template <class R>
  static void stream(std::uint32_t* p, const R& v) noexcept {
    if constexpr (zmm)
      _mm512_stream_si512(reinterpret_cast<R*>(p), v);
    else
      _mm256_stream_si256(reinterpret_cast<R*>(p), v);
  }
  template <class R>
  static void stream(float* p, const R& v) noexcept {
    if constexpr (zmm)
      _mm512_stream_ps(p, v);
    else
      _mm256_stream_ps(p, v);
  }
};

/// Philox4x32-10 of the counters (sub[i] << 64) + block, one subsequence per 64-bit lane of
/// sub[i], returned as 64-bit pairs: xy[i] lane = x | y << 32 and zw[i] lane = z | w << 32,
/// i.e. the memory order of (x, y) and (z, w). Round as in philox4x32_10.
template <class V, int N, class R = typename V::reg>
GPURAND_FORCEINLINE void philox(std::uint64_t block, const R (&sub)[N], const key_schedule& ks,
                                R (&xy)[N], R (&zw)[N]) noexcept {
  const R m0 = V::set1_64(philox_m0);
  const R m1 = V::set1_64(philox_m1);
  // Round 1 on its own: x and y (the block index) are the same in every lane, so M0 * x and
  // the terms that only involve x, y and the key are scalars.
  const std::uint64_t p0s = std::uint64_t{philox_m0} * static_cast<std::uint32_t>(block);
  const R x_in = V::set1_32(static_cast<std::uint32_t>(block >> 32) ^ ks.k0[0]);
  const R z_in = V::set1_32(static_cast<std::uint32_t>(p0s >> 32) ^ ks.k1[0]);
  const R w_in = V::set1_64(static_cast<std::uint32_t>(p0s));
  R x[N], y[N], z[N], w[N];
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) {
    const R p1 = V::mul_lo32(sub[i], m1);
    x[i] = V::hi_shift(p1) ^ x_in;
    y[i] = p1;
    z[i] = V::hi_shift(sub[i]) ^ z_in;
    w[i] = w_in;
  }
  // Rounds 2..9. A product p = hi << 32 | lo is both the new y (or w: only its low half counts)
  // and the source of hi for the new x (or z).
#pragma GCC unroll 10
  for (int r = 1; r < philox_rounds - 1; ++r) {
    const R k0 = V::set1_32(ks.k0[r]);
    const R k1 = V::set1_32(ks.k1[r]);
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) {
      const R p0 = V::mul_lo32(x[i], m0);
      const R p1 = V::mul_lo32(z[i], m1);
      x[i] = V::xor3(V::hi_shift(p1), y[i], k0);
      y[i] = p1;
      z[i] = V::xor3(V::hi_shuffle(p0), w[i], k1);
      w[i] = p0;
    }
  }
  // Round 10 builds the pairs for free: swapping the halves of p = hi:lo leaves lo (the new y
  // or w) in the high half and hi in the low half, and an XOR of the low halves only turns hi
  // into the new x (or z) = hi ^ y ^ key.
  const R k0 = V::set1_32(ks.k0[philox_rounds - 1]);
  const R k1 = V::set1_32(ks.k1[philox_rounds - 1]);
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) {
    const R p0 = V::mul_lo32(x[i], m0);
    const R p1 = V::mul_lo32(z[i], m1);
    xy[i] = V::merge_low_xor3(V::swap_rot(p1), y[i], k0);
    zw[i] = V::merge_low_xor3(V::swap_shuffle(p0), w[i], k1);
  }
}

/// The output of curand4 after curand_init(seed, first + lane, 4 * block + S) for the
/// N * V::lanes subsequences first + [0, N * V::lanes), as pairs: lo[i] = (lane 0, lane 1),
/// hi[i] = (lane 2, lane 3). For S > 0 that is words S..3 of `block` followed by words 0..S-1
/// of block + 1 (offset / 4 < 2^62, so block + 1 never carries into the subsequence words).
template <class V, int S, int N, class R = typename V::reg>
GPURAND_FORCEINLINE void output_pairs(std::uint64_t block, std::uint64_t first,
                                      const key_schedule& ks, R (&lo)[N], R (&hi)[N]) noexcept {
  R sub[N];
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) {
    // 64-bit lane adds: the subsequence wraps mod 2^64 exactly like first_sub + j.
    sub[i] = V::set1_64(first + V::lanes * i) + V::iota64();
  }
  if constexpr (S == 0) {
    philox<V, N>(block, sub, ks, lo, hi);
  } else {
    R a_xy[N], a_zw[N], b_xy[N], b_zw[N];
    philox<V, N>(block, sub, ks, a_xy, a_zw);
    philox<V, N>(block + 1, sub, ks, b_xy, b_zw);
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) {
      if constexpr (S == 1) {  // (A.y, A.z), (A.w, B.x)
        lo[i] = V::next_pair(a_xy[i], a_zw[i]);
        hi[i] = V::next_pair(a_zw[i], b_xy[i]);
      } else if constexpr (S == 2) {  // (A.z, A.w), (B.x, B.y)
        lo[i] = a_zw[i];
        hi[i] = b_xy[i];
      } else {  // (A.w, B.x), (B.y, B.z)
        lo[i] = V::next_pair(a_zw[i], b_xy[i]);
        hi[i] = V::next_pair(b_xy[i], b_zw[i]);
      }
    }
  }
}

/// Unaligned store of a whole register (integer or float): GCC and Clang turn the fixed-size
/// memcpy into one vmovdqu / vmovups, the same instruction as the storeu intrinsics.
/// (A template on V like everything here, so that no symbol is shared between the instruction-set
/// units.)
template <class V, class T, class Reg>
GPURAND_FORCEINLINE void storeu(T* dst, const Reg& v) noexcept {
  std::memcpy(dst, &v, sizeof v);
}

/// uniform_float (cuRAND's _curand_uniform) of every 32-bit word: float(x) * 2^-32 + 2^-33, a
/// multiply then an add as cuRAND writes it (the product is exact, so only the conversion and
/// the add round).
template <class V>
GPURAND_FORCEINLINE typename V::freg uniform(const typename V::reg& x) noexcept {
  return V::cvt_u32_ps(x) * two_pow_m32 + two_pow_m33;
}

/// Interleaves the pairs of V::lanes subsequences into the output layout (x0 y0 z0 w0 x1 ...)
/// and stores them, converted to uniform floats if OutT is float, at dst[0, 4 * V::lanes).
/// Stream: dst is aligned to the register size and non-temporal stores are used.
template <class V, class OutT, bool Stream, class R = typename V::reg>
GPURAND_FORCEINLINE void store_groups(const R& lo, const R& hi, OutT* dst) noexcept {
  constexpr std::size_t words = 2 * V::lanes;  // 32-bit words per register
  R o[2];
  V::interleave(lo, hi, o);
#pragma GCC unroll 2
  for (int h = 0; h < 2; ++h) {
    if constexpr (std::is_same_v<OutT, float>) {
      if constexpr (Stream) {
        V::stream(dst + words * h, uniform<V>(o[h]));
      } else {
        storeu<V>(dst + words * h, uniform<V>(o[h]));
      }
    } else if constexpr (Stream) {
      V::stream(dst + words * h, o[h]);
    } else {
      storeu<V>(dst + words * h, o[h]);
    }
  }
}

template <class V, int S, int N, class OutT, bool Stream>
GPURAND_FORCEINLINE void run_block(std::uint64_t block, std::uint64_t first, const key_schedule& ks,
                                   OutT* dst) noexcept {
  typename V::reg lo[N], hi[N];
  output_pairs<V, S, N>(block, first, ks, lo, hi);
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) store_groups<V, OutT, Stream>(lo[i], hi[i], dst + 4 * V::lanes * i);
}

template <class V, int S, class OutT, bool Stream>
void fill_range(const key_schedule& ks, std::uint64_t block, std::uint64_t first_sub,
                std::size_t groups, OutT* out) noexcept {
  // A nonzero shift computes two blocks per subsequence, so two register sets give the same
  // amount of independent work as four.
  constexpr int N = S == 0 ? 4 : 2;
  constexpr std::size_t lanes = V::lanes;
  std::size_t j = 0;
  for (; groups - j >= lanes * N; j += lanes * N) {
    run_block<V, S, N, OutT, Stream>(block, first_sub + j, ks, out + 4 * j);
  }
  for (; groups - j >= lanes; j += lanes) {
    run_block<V, S, 1, OutT, Stream>(block, first_sub + j, ks, out + 4 * j);
  }
  if (j < groups) {
    // Fewer than V::lanes left: compute a full register set into a stack buffer, copy what is
    // needed.
    alignas(64) OutT tmp[4 * lanes];
    run_block<V, S, 1, OutT, false>(block, first_sub + j, ks, tmp);
    std::memcpy(out + 4 * j, tmp, 4 * (groups - j) * sizeof(OutT));
  }
}

/// Number of leading groups to write with ordinary stores so that out + 4 * head is 64-byte
/// aligned, or `groups` when streaming stores cannot be used (see stream_bytes). A template on
/// V like everything here, so that no symbol is shared between the instruction-set units.
template <class V, class OutT>
std::size_t stream_head(std::size_t groups, const OutT* out, bool may_stream) noexcept {
  const auto addr = reinterpret_cast<std::uintptr_t>(out);
  if (!may_stream || groups * 4 * sizeof(OutT) < stream_bytes || addr % 16 != 0) return groups;
  const std::size_t head = ((64 - addr % 64) % 64) / 16;  // a group is 16 bytes
  return head < groups ? head : groups;
}

template <class V, int S, class OutT>
void fill_shifted(const key_schedule& ks, std::uint64_t block, std::uint64_t first_sub,
                  std::size_t groups, OutT* out, bool may_stream) noexcept {
  const std::size_t head = stream_head<V>(groups, out, may_stream);
  fill_range<V, S, OutT, false>(ks, block, first_sub, head, out);
  if (head < groups) {
    fill_range<V, S, OutT, true>(ks, block, first_sub + head, groups - head, out + 4 * head);
    _mm_sfence();  // order the weakly-ordered streaming stores before any later release
  }
}

template <class V, class OutT>
void fill(const key_schedule& ks, std::uint64_t offset, std::uint64_t first_sub, std::size_t groups,
          OutT* out, bool may_stream) noexcept {
  const std::uint64_t block = offset >> 2;
  switch (offset & 3) {
    case 0: return fill_shifted<V, 0>(ks, block, first_sub, groups, out, may_stream);
    case 1: return fill_shifted<V, 1>(ks, block, first_sub, groups, out, may_stream);
    case 2: return fill_shifted<V, 2>(ks, block, first_sub, groups, out, may_stream);
    default: return fill_shifted<V, 3>(ks, block, first_sub, groups, out, may_stream);
  }
}

}  // namespace gpurand::detail::simd_body

namespace gpurand::detail {

template <class Ops>
void simd_kernels<Ops>::fill(const key_schedule& ks, std::uint64_t offset, std::uint64_t first_sub,
                             std::size_t groups, std::uint32_t* out, bool may_stream) noexcept {
  simd_body::fill<Ops>(ks, offset, first_sub, groups, out, may_stream);
}

template <class Ops>
void simd_kernels<Ops>::fill(const key_schedule& ks, std::uint64_t offset, std::uint64_t first_sub,
                             std::size_t groups, float* out, bool may_stream) noexcept {
  simd_body::fill<Ops>(ks, offset, first_sub, groups, out, may_stream);
}

template <class Ops>
std::size_t simd_kernels<Ops>::uniform_from_u32(const std::uint32_t* in, std::size_t n,
                                                float* out) noexcept {
  constexpr std::size_t words = 2 * Ops::lanes;
  std::size_t i = 0;
  for (; n - i >= words; i += words) {
    typename Ops::reg x;
    std::memcpy(&x, in + i, sizeof x);  // an unaligned load (vmovdqu)
    simd_body::storeu<Ops>(out + i, simd_body::uniform<Ops>(x));
  }
  return i;
}

}  // namespace gpurand::detail
