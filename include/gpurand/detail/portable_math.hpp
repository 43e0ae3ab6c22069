#pragma once
/// \file portable_math.hpp
/// log, sqrt and sincos-of-a-turn that give the same bits on every CPU and GPU, and the portable
/// Box-Muller built from them (plain C++17 or nvcc; no libm call, no CUDA header).
///
/// Why: cuRAND's Box-Muller calls the platform's logf/sinf/cosf (libm on the host, __sincosf and
/// the device logf on the GPU), so its normals differ between CPU and GPU in the last bits. These
/// bodies use only +, -, *, explicit fused multiply-add, IEEE sqrt and (double log only) IEEE
/// division, plus integer and bit operations: every step is correctly rounded by IEEE 754, so a
/// g++ build with -ffp-contract=off and an nvcc build (which calls __fmaf_rn / __fsqrt_rn /
/// __ddiv_rn) compute identical results. Integer-to-float conversions are done with exact
/// bit tricks (magic-number adds) so that no rounding mode or conversion instruction matters.
///
/// Every body is a template over an `Ops` policy: `scalar_ops<float>` / `scalar_ops<double>`
/// here, and SIMD policies (GCC vector types) in src/backend/cpu/portable_normal_simd_body.hpp,
/// which instantiate the same templates (these and exponential_from_u32 in distributions.hpp) so
/// the vector code runs the same operation sequence lane by lane.
///
/// Polynomial coefficients: scripts/fit_portable_math.py (Chebyshev fits, 60 digits, rounded to
/// the target precision). Accuracy (measured by tests/portable_math_test.cpp, see README.md):
/// the figures in the README table; the tests assert the bounds.

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "gpurand/config.hpp"

#if !defined(__CUDA_ARCH__)
#include <cmath>
#endif

namespace gpurand::detail {

namespace pm {
#if defined(__CUDA_ARCH__)
// The device intrinsics with their rounding spelled out, so that no -use_fast_math changes them.
__device__ __forceinline__ float rn_fma(float a, float b, float c) { return __fmaf_rn(a, b, c); }
__device__ __forceinline__ double rn_fma(double a, double b, double c) { return __fma_rn(a, b, c); }
__device__ __forceinline__ float rn_sqrt(float a) { return __fsqrt_rn(a); }
__device__ __forceinline__ double rn_sqrt(double a) { return __dsqrt_rn(a); }
__device__ __forceinline__ float rn_div(float a, float b) { return __fdiv_rn(a, b); }
__device__ __forceinline__ double rn_div(double a, double b) { return __ddiv_rn(a, b); }
#else
template <class T>
GPURAND_FORCEINLINE T rn_fma(T a, T b, T c) {
  return std::fma(a, b, c);
}
template <class T>
GPURAND_FORCEINLINE T rn_sqrt(T a) {
  return std::sqrt(a);
}
template <class T>
GPURAND_FORCEINLINE T rn_div(T a, T b) {
  return a / b;
}
#endif
}  // namespace pm

/// Scalar operations policy for T = float or double: F = T, U the unsigned integer of the same
/// width. fma, sqrt and div are IEEE (correctly rounded) on the host and on the GPU.
template <class T>
struct scalar_ops {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "float or double");
  using scalar = T;
  using F = T;
  using U = std::conditional_t<std::is_same_v<T, float>, std::uint32_t, std::uint64_t>;
  static GPURAND_HD GPURAND_FORCEINLINE F fma(F a, F b, F c) { return pm::rn_fma(a, b, c); }
  static GPURAND_HD GPURAND_FORCEINLINE F sqrt(F a) { return pm::rn_sqrt(a); }
  static GPURAND_HD GPURAND_FORCEINLINE F div(F a, F b) { return pm::rn_div(a, b); }
  // memcpy is the bit cast on both sides (nvcc, like g++, turns it into a register move).
  static GPURAND_HD GPURAND_FORCEINLINE U bits(F a) {
    U u;
    std::memcpy(&u, &a, sizeof u);
    return u;
  }
  static GPURAND_HD GPURAND_FORCEINLINE F from_bits(U u) {
    F a;
    std::memcpy(&a, &u, sizeof a);
    return a;
  }
};

namespace pm {

/// Horner's rule: c0 x^n + c1 x^(n-1) + ... + cn, one fused multiply-add per coefficient after c0.
template <class Ops, class... C>
GPURAND_HD GPURAND_FORCEINLINE typename Ops::F horner(typename Ops::F x, typename Ops::scalar c0,
                                                      C... c) {
  using F = typename Ops::F;
  F p = F{} + c0;
  ((p = Ops::fma(p, x, F{} + static_cast<typename Ops::scalar>(c))), ...);
  return p;
}

/// Exact conversion of an integer v < 2^23 (float) to F: 2^23 + v has v as its mantissa.
template <class Ops>
GPURAND_HD GPURAND_FORCEINLINE typename Ops::F small_to_float(typename Ops::U v) {
  using F = typename Ops::F;
  using U = typename Ops::U;
  if constexpr (std::is_same_v<typename Ops::scalar, float>) {
    return Ops::from_bits(v | (U{} + 0x4B000000u)) - (F{} + 8388608.0f);
  } else {
    // double, v < 2^52: 2^52 + v.
    return Ops::from_bits(v | (U{} + 0x4330000000000000ull)) - (F{} + 4503599627370496.0);
  }
}

/// F of an integer v < 2^(2 * Shift) from its two halves v >> Shift and v mod 2^Shift: each half
/// and hi * 2^Shift are exact, so the one addition rounds v once (to nearest).
template <class Ops, int Shift>
GPURAND_HD GPURAND_FORCEINLINE typename Ops::F halves_to_float(typename Ops::U v) {
  using F = typename Ops::F;
  using U = typename Ops::U;
  const U one = U{} + 1u;
  const F hi = small_to_float<Ops>(v >> Shift) *
               (F{} + static_cast<typename Ops::scalar>(std::uint64_t{1} << Shift));
  const F lo = small_to_float<Ops>(v & ((one << Shift) - one));
  return hi + lo;
}

/// float(x) rounded to nearest for any 32-bit x (what `(float)x` does in C and CUDA).
template <class Ops>
GPURAND_HD GPURAND_FORCEINLINE typename Ops::F u32_to_float_rn(typename Ops::U x) {
  return halves_to_float<Ops, 16>(x);
}

/// cuRAND's curand_uniform value of a 32-bit draw x: float(x) * 2^-32 + 2^-33, in (0, 1] (the
/// product is exact, so contracting it into an fma changes nothing).
template <class Ops>
GPURAND_HD GPURAND_FORCEINLINE typename Ops::F curand_uniform_u(typename Ops::U x) {
  using F = typename Ops::F;
  return u32_to_float_rn<Ops>(x) * (F{} + 0x1p-32f) + (F{} + 0x1p-33f);
}

/// Exact double of an integer z < 2^53 (26-bit halves).
template <class Ops>
GPURAND_HD GPURAND_FORCEINLINE typename Ops::F u53_to_double(typename Ops::U z) {
  return halves_to_float<Ops, 26>(z);
}

/// sin and cos of the full angle from those of the reduced argument r (its
/// polynomials sin_r, cos_r): angle = j * pi/2 + (odd ? -r : r) with
/// j = ((octant + 1) >> 1) & 3, by sign flips and a swap on the bits only.
template <class Ops, int SignShift>
GPURAND_HD GPURAND_FORCEINLINE void place_octant(typename Ops::U octant, typename Ops::U odd_mask,
                                                 typename Ops::F sin_r, typename Ops::F cos_r,
                                                 typename Ops::F* s_out, typename Ops::F* c_out) {
  using U = typename Ops::U;
  constexpr int sign_shift = SignShift;  // 31 for float, 63 for double
  const U j = ((octant + 1u) >> 1) & 3u;
  const U sr = Ops::bits(sin_r) ^ (odd_mask & ((U{} + 1u) << sign_shift));
  const U cr = Ops::bits(cos_r);
  const U swap = U{} - (j & 1u);
  const U so = (cr & swap) | (sr & ~swap);
  const U co = (sr & swap) | (cr & ~swap);
  const U s_neg = (j >> 1) << sign_shift;
  const U c_neg = ((j ^ (j >> 1)) & 1u) << sign_shift;
  *s_out = Ops::from_bits(so ^ s_neg);
  *c_out = Ops::from_bits(co ^ c_neg);
}

}  // namespace pm

/// Natural logarithm of a positive normal float (FLT_MIN <= a <= FLT_MAX; other inputs give
/// unspecified values). a = 2^e * m with m in [sqrt(1/2), sqrt(2)), f = m - 1 (exact),
/// log a = e*ln2 + f - f^2/2 + f^3 * P(f), P of degree 9. log(1) = 0 exactly.
template <class Ops = scalar_ops<float>>
GPURAND_HD GPURAND_FORCEINLINE typename Ops::F portable_log(typename Ops::F a) {
  using F = typename Ops::F;
  using U = typename Ops::U;
  // Shift the exponent field so that mantissas >= sqrt(1/2) (0x3F3504F3) count one binade up.
  const U t = Ops::bits(a) + (U{} + (0x3F800000u - 0x3F3504F3u));
  const U e_biased = t >> 23;  // e + 127, in [1, 254]
  const F m = Ops::from_bits((t & 0x007FFFFFu) + 0x3F3504F3u);
  const F f = m - (F{} + 1.0f);  // exact (Sterbenz)
  // e as a float: (e + 127) exactly, minus 127 exactly.
  const F e = pm::small_to_float<Ops>(e_biased) - (F{} + 127.0f);
  const F p =
      pm::horner<Ops>(f, -0.06201500119018334327f, 0.1053086473893834465f, -0.1064619163819963397f,
                      0.1103778335905502028f, -0.1245074332091172550f, 0.1428652454778664245f,
                      -0.1666800152307192753f, 0.2000001003968497203f, -0.2499999027504218506f,
                      0.3333333328119924437f);
  const F z = f * f;
  // ln2 = 0.693359375 (9 bits: e * hi is exact) + lo.
  const F lo = Ops::fma(e, F{} + -2.121944400546905827678785e-4f, (F{} + -0.5f) * z);
  const F y = Ops::fma(z * f, p, lo);
  return Ops::fma(e, F{} + 0.693359375f, f + y);
}

/// Natural logarithm of a positive normal double. a = 2^e * m, m in [sqrt(1/2), sqrt(2)),
/// f = m - 1, s = f / (2 + f) (IEEE division), log(1+f) = f - (f^2/2 - s*(f^2/2 + s^2*Q(s^2))),
/// Q of degree 6. log(1) = 0 exactly.
template <class Ops = scalar_ops<double>>
GPURAND_HD GPURAND_FORCEINLINE typename Ops::F portable_log_double(typename Ops::F a) {
  using F = typename Ops::F;
  using U = typename Ops::U;
  const U t = Ops::bits(a) + (U{} + (0x3FF0000000000000ull - 0x3FE6A09E667F3BCDull));
  const U e_biased = t >> 52;  // e + 1023
  const F m = Ops::from_bits((t & 0x000FFFFFFFFFFFFFull) + 0x3FE6A09E667F3BCDull);
  const F f = m - (F{} + 1.0);
  const F e = pm::small_to_float<Ops>(e_biased) - (F{} + 1023.0);
  const F s = Ops::div(f, (F{} + 2.0) + f);
  const F w = s * s;
  const F q = pm::horner<Ops>(w, 0.1461644968504340586, 0.1533172160055604127,
                              0.1818288912526172208, 0.2222221113479507986, 0.2857142862597548492,
                              0.3999999999989950449, 0.6666666666666669686);
  const F h = (F{} + 0.5) * (f * f);
  // ln2 = hi (42 bits: e * hi is exact for |e| < 2^11) + lo.
  const F inner = Ops::fma(s, Ops::fma(w, q, h), e * (F{} + 5.497923018708371174712472e-14));
  return Ops::fma(e, F{} + 0.6931471805598903, f - (h - inner));
}

/// sin and cos of 2*pi*(y + 1/2) / 2^32 for a 32-bit y, i.e. of the angle cuRAND's float
/// Box-Muller forms from its second draw, but exact in the turn: the octant is y's top three
/// bits, the reduced argument (y's other 29 bits, reflected in odd octants by a bit inversion)
/// is an exact odd multiple of 2^-33 turn in (0, 1/8), and the polynomials (degree 9 for sin,
/// 8 for cos) run on it in float with 2*pi and the argument split in two parts.
template <class Ops = scalar_ops<float>>
GPURAND_HD GPURAND_FORCEINLINE void portable_sincos_turn(typename Ops::U y, typename Ops::F* s_out,
                                                         typename Ops::F* c_out) {
  using F = typename Ops::F;
  using U = typename Ops::U;
  const U octant = y >> 29;
  const U odd_mask = U{} - (octant & 1u);  // all ones in odd octants
  const U q = (y ^ odd_mask) & 0x1FFFFFFFu;
  const U n = q * 2u + 1u;  // reduced argument = n * 2^-33 turn, n odd, < 2^30
  // n = a * 2^15 + b; nh = float(n) rounded once; nl = n - nh exactly (fast two-sum).
  const F fa = pm::small_to_float<Ops>(n >> 15) * (F{} + 32768.0f);
  const F fb = pm::small_to_float<Ops>(n & 0x7FFFu);
  const F nh = fa + fb;
  const F nl = fb - (nh - fa);
  const F rh = nh * (F{} + 0x1p-33f);
  const F rl = nl * (F{} + 0x1p-33f);
  const F w = Ops::fma(rh, rh, (F{} + 2.0f) * (rh * rl));
  const F sp = pm::horner<Ops>(w, 41.58954214873335700f, -76.70128589489537586f,
                               81.60523499231861280f, -41.34170223342613325f);
  // 2*pi = 6.28318548202514648 + -1.74845553146951720e-07.
  const F tail = Ops::fma(F{} + -1.7484555314695172e-07f, rh, (rh * w) * sp);
  const F sin_r =
      Ops::fma(F{} + 6.2831854820251465f, rh, Ops::fma(F{} + 6.2831854820251465f, rl, tail));
  const F cp = pm::horner<Ops>(w, 59.42410598175647391f, -85.44882008965107130f,
                               64.93936905141977570f, -19.73920878998750972f);
  const F cos_r = Ops::fma(w, cp, F{} + 1.0f);
  pm::place_octant<Ops, 31>(octant, odd_mask, sin_r, cos_r, s_out, c_out);
}

/// sin and cos of 2*pi*(z + 1/2) / 2^53 for z < 2^53 (the angle of cuRAND's double
/// Box-Muller, sincospi(z * 2^-52 + 2^-53), exact in the turn): octant = z's top three bits, the
/// reduced argument an exact odd multiple of 2^-54 turn, sin of degree 15, cos of degree 14.
template <class Ops = scalar_ops<double>>
GPURAND_HD GPURAND_FORCEINLINE void portable_sincos_turn_double(typename Ops::U z,
                                                                typename Ops::F* s_out,
                                                                typename Ops::F* c_out) {
  using F = typename Ops::F;
  using U = typename Ops::U;
  const U octant = z >> 50;
  const U odd_mask = U{} - (octant & 1u);
  const U q = (z ^ odd_mask) & 0x3FFFFFFFFFFFFull;
  const F r = pm::small_to_float<Ops>(q * 2u + 1u) * (F{} + 0x1p-54);  // exact, n < 2^51
  const F w = r * r;
  const F sp = pm::horner<Ops>(w, -0.7124440626783192904941602, 3.819830743980016104592009,
                               -15.094641279579798915669, 42.05869393780570248562633,
                               -76.70585975304292069352696, 81.6052492760750361727292,
                               -41.34170224039976023109369);
  // 2*pi = 6.283185307179586 + 2.4492935982947064e-16.
  const F sin_r =
      Ops::fma(F{} + 6.283185307179586, r, Ops::fma(F{} + 2.4492935982947064e-16, r, (r * w) * sp));
  const F cp = pm::horner<Ops>(w, -1.699034394066063635610575, 7.903206911569678429141398,
                               -26.42625327585472136356136, 60.24464135270200893307981,
                               -85.45681720664380424577319, 64.93939402266824274269792,
                               -19.73920880217871722989678);
  const F cos_r = Ops::fma(w, cp, F{} + 1.0);
  pm::place_octant<Ops, 63>(octant, odd_mask, sin_r, cos_r, s_out, c_out);
}

/// The portable float Box-Muller pair from two 32-bit draws x, y: the same draws and the same
/// u as cuRAND's _curand_box_muller (u = float(x) * 2^-32 + 2^-33 in float, in (0, 1]),
/// radius sqrt(-2 * portable_log(u)), angle 2*pi*(y + 1/2)/2^32 exactly in the turn.
/// Returns (radius * sin, radius * cos) in *a, *b, like cuRAND's (result.x, result.y).
template <class Ops = scalar_ops<float>>
GPURAND_HD GPURAND_FORCEINLINE void portable_box_muller(typename Ops::U x, typename Ops::U y,
                                                        typename Ops::F* a, typename Ops::F* b) {
  using F = typename Ops::F;
  const F radius = Ops::sqrt((F{} + -2.0f) * portable_log<Ops>(pm::curand_uniform_u<Ops>(x)));
  F s, c;
  portable_sincos_turn<Ops>(y, &s, &c);
  *a = s * radius;
  *b = c * radius;
}

/// The portable double Box-Muller pair from four 32-bit draws, as cuRAND's
/// _curand_box_muller_double(x0, x1, y0, y1): zx = x0 ^ (x1 << 21), zy = y0 ^ (y1 << 21) (53
/// bits each), u = zx * 2^-53 + 2^-54 in double, radius sqrt(-2 * portable_log_double(u)),
/// angle 2*pi*(zy + 1/2)/2^53 exactly in the turn. The draws come as zx, zy (see
/// box_muller_double_z).
template <class Ops = scalar_ops<double>>
GPURAND_HD GPURAND_FORCEINLINE void portable_box_muller_double_z(typename Ops::U zx,
                                                                 typename Ops::U zy,
                                                                 typename Ops::F* a,
                                                                 typename Ops::F* b) {
  using F = typename Ops::F;
  const F u = pm::u53_to_double<Ops>(zx) * (F{} + 0x1p-53) + (F{} + 0x1p-54);
  const F radius = Ops::sqrt((F{} + -2.0) * portable_log_double<Ops>(u));
  F s, c;
  portable_sincos_turn_double<Ops>(zy, &s, &c);
  *a = s * radius;
  *b = c * radius;
}

/// cuRAND's 53-bit draw from two 32-bit draws: lo ^ (hi << 21).
GPURAND_HD GPURAND_FORCEINLINE std::uint64_t box_muller_double_z(std::uint32_t lo,
                                                                 std::uint32_t hi) {
  return static_cast<std::uint64_t>(lo) ^ (static_cast<std::uint64_t>(hi) << 21);
}

/// Scalar convenience forms: (sin-side, cos-side) of the pair.
struct portable_pair_f {
  float x, y;
};
struct portable_pair_d {
  double x, y;
};
GPURAND_HD GPURAND_FORCEINLINE portable_pair_f portable_box_muller_pair(std::uint32_t x,
                                                                        std::uint32_t y) {
  portable_pair_f r;
  portable_box_muller<>(x, y, &r.x, &r.y);
  return r;
}
GPURAND_HD GPURAND_FORCEINLINE portable_pair_d portable_box_muller_double(std::uint32_t x0,
                                                                          std::uint32_t x1,
                                                                          std::uint32_t y0,
                                                                          std::uint32_t y1) {
  portable_pair_d r;
  portable_box_muller_double_z<>(box_muller_double_z(x0, x1), box_muller_double_z(y0, y1), &r.x,
                                 &r.y);
  return r;
}

}  // namespace gpurand::detail
