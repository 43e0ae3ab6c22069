#pragma once
// The vector loops of the portable normal and the exponential: one template over the vector
// width in bits,
// portable_normal_simd<Bits>, instantiated only in the translation unit compiled for that width's
// instruction set (portable_normal_avx2.cpp: 256, portable_normal_avx512.cpp: 512). Every name
// here depends on Bits, so no inline function compiled with wider instructions is shared with
// another unit.

#include <immintrin.h>

#include <cstring>
#include <type_traits>

#include "backend/cpu/portable_normal_simd.hpp"
#include "gpurand/detail/distributions.hpp"
#include "gpurand/detail/portable_math.hpp"

namespace gpurand::detail::pn_simd {

/// The ops policy of portable_math.hpp on Bits-wide GNU vectors of S (float or double): fma and
/// sqrt are the instruction set's, the rest is plain vector arithmetic.
template <int Bits, class S>
struct ops {
  static constexpr bool single = std::is_same_v<S, float>;
  static constexpr bool wide = Bits == 512;
  static constexpr int lanes = Bits / 8 / static_cast<int>(sizeof(S));
  using scalar = S;
  typedef S F __attribute__((vector_size(Bits / 8)));
  typedef std::conditional_t<single, std::uint32_t, std::uint64_t> U
      __attribute__((vector_size(Bits / 8)));
  typedef std::conditional_t<single, std::int32_t, std::int64_t> I  // shuffle indices
      __attribute__((vector_size(Bits / 8)));
  static inline F fma(F a, F b, F c) {
    if constexpr (wide && single)
      return (F)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
    else if constexpr (wide)
      return (F)_mm512_fmadd_pd((__m512d)a, (__m512d)b, (__m512d)c);
    else if constexpr (single)
      return (F)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c);
    else
      return (F)_mm256_fmadd_pd((__m256d)a, (__m256d)b, (__m256d)c);
  }
  static inline F sqrt(F a) {
    if constexpr (wide)
      return single ? (F)_mm512_sqrt_ps((__m512)a) : (F)_mm512_sqrt_pd((__m512d)a);
    else
      return single ? (F)_mm256_sqrt_ps((__m256)a) : (F)_mm256_sqrt_pd((__m256d)a);
  }
  static inline F div(F a, F b) { return a / b; }  // IEEE division, lane by lane
  static inline U bits(F a) { return (U)a; }
  static inline F from_bits(U u) { return (F)u; }
};

template <class V>
inline V load(const void* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class V>
inline void store(void* p, V v) {
  std::memcpy(p, &v, sizeof v);
}

// Index vectors for the (de)interleaving shuffles.
template <class IV, int N>
constexpr IV iota_step(int start, int step) {
  IV v{};
  for (int i = 0; i < N; ++i) v[i] = start + step * i;
  return v;
}
template <class IV, int N>
constexpr IV interleave_idx(int half) {
  IV v{};
  for (int i = 0; i < N; ++i) v[i] = (i % 2 == 0 ? 0 : N) + half * (N / 2) + i / 2;
  return v;
}

/// Lane i of the result is lane idx[i] of the concatenation (a, b): GCC's
/// __builtin_shuffle, which clang lacks (clang builds the fuzz preset), where
/// a lane loop moves the same data.
template <class V, class IV>
inline V shuffle2(V a, V b, IV idx) {
#if defined(__clang__)
  constexpr int n = static_cast<int>(sizeof(V) / sizeof(a[0]));
  V r{};
  for (int i = 0; i < n; ++i) {
    const int k = static_cast<int>(idx[i]);
    r[i] = k < n ? a[k] : b[k - n];
  }
  return r;
#else
  return __builtin_shuffle(a, b, idx);
#endif
}

/// The loops for one vector width (see portable_normal_simd.hpp for the contracts).
template <int Bits>
struct loops {
  /// One register of outputs: float, `lanes` pairs of draws (x, y) from in[0 .. 2 * lanes);
  /// double, `lanes` groups of four draws (x0, x1, y0, y1) from in[0 .. 4 * lanes).
  template <class T, class O = ops<Bits, T>>
  static void block(const std::uint32_t* in, T* out, typename O::F mean, typename O::F stddev) {
    using U = typename O::U;
    using I = typename O::I;
    constexpr int n = O::lanes;
    const U a = load<U>(in), b = load<U>(in + Bits / 32);
    const U even = shuffle2(a, b, iota_step<I, n>(0, 2));  // x, or x0 | x1 << 32
    const U odd = shuffle2(a, b, iota_step<I, n>(1, 2));   // y, or y0 | y1 << 32
    typename O::F s, c;
    if constexpr (std::is_same_v<T, float>) {
      portable_box_muller<O>(even, odd, &s, &c);
    } else {  // cuRAND's 53-bit draws lo ^ (hi << 21)
      const U zx = (even & 0xFFFFFFFFu) ^ ((even >> 32) << 21);
      const U zy = (odd & 0xFFFFFFFFu) ^ ((odd >> 32) << 21);
      portable_box_muller_double_z<O>(zx, zy, &s, &c);
    }
    s = O::fma(s, stddev, mean);
    c = O::fma(c, stddev, mean);
    store(out, shuffle2(s, c, interleave_idx<I, n>(0)));
    store(out + n, shuffle2(s, c, interleave_idx<I, n>(1)));
  }

  /// Exponentials: one register of outputs from `lanes` draws in[0 .. lanes).
  static void exponential_block(const std::uint32_t* in, float* out,
                                typename ops<Bits, float>::F lambda) {
    using O = ops<Bits, float>;
    store(out, exponential_from_u32<O>(load<typename O::U>(in), lambda));
  }

  /// block(in + Draws * j, out + Values * j) for the units j = 0, Lanes, 2 * Lanes, ... of
  /// `units` (a unit: Draws draws in, Values values out; a block: Lanes units); the tail goes
  /// through a zero-padded block: the same vector code, no scalar path here.
  template <std::size_t Draws, std::size_t Values, std::size_t Lanes, class T, class Block>
  static void blocks(const std::uint32_t* in, std::size_t units, T* out, Block block) {
    std::size_t j = 0;
    for (; j + Lanes <= units; j += Lanes) block(in + Draws * j, out + Values * j);
    if (j < units) {
      std::uint32_t tin[Draws * Lanes] = {};
      T tout[Values * Lanes];
      std::memcpy(tin, in + Draws * j, (units - j) * Draws * sizeof(std::uint32_t));
      block(tin, tout);
      std::memcpy(out + Values * j, tout, (units - j) * Values * sizeof(T));
    }
  }

  /// `units` pairs (float: 2 draws each) or groups (double: 4 draws each), `lanes` per block.
  template <class T>
  static void run(const std::uint32_t* in, std::size_t units, T* out, T mean, T stddev) {
    using O = ops<Bits, T>;
    constexpr std::size_t draws = 2 * sizeof(T) / 4;  // per unit: 2 (float) or 4 (double)
    // x - (+0) is x for every x, -0 included (F{} + x would turn -0 into +0).
    const typename O::F m = mean - typename O::F{}, sd = stddev - typename O::F{};
    blocks<draws, 2, O::lanes>(in, units, out, [&](const std::uint32_t* i, T* o) {
      block<T>(i, o, m, sd);
    });
  }

  /// `n` exponentials, one draw each.
  static void exponential(const std::uint32_t* in, std::size_t n, float* out, float lambda) {
    using O = ops<Bits, float>;
    const typename O::F l = lambda - typename O::F{};
    blocks<1, 1, O::lanes>(in, n, out,
                           [&](const std::uint32_t* i, float* o) { exponential_block(i, o, l); });
  }
};

}  // namespace gpurand::detail::pn_simd

namespace gpurand::detail {
template <int Bits>
void portable_normal_simd<Bits>::run(const std::uint32_t* in, std::size_t pairs, float* out,
                                     float mean, float stddev) noexcept {
  pn_simd::loops<Bits>::run(in, pairs, out, mean, stddev);
}
template <int Bits>
void portable_normal_simd<Bits>::run(const std::uint32_t* in, std::size_t groups, double* out,
                                     double mean, double stddev) noexcept {
  pn_simd::loops<Bits>::run(in, groups, out, mean, stddev);
}
template <int Bits>
void portable_normal_simd<Bits>::exponential(const std::uint32_t* in, std::size_t n, float* out,
                                             float lambda) noexcept {
  pn_simd::loops<Bits>::exponential(in, n, out, lambda);
}
}  // namespace gpurand::detail
