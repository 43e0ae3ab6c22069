#pragma once
// cuRAND's transforms from raw 32-bit draws to uniform and normal values, written here from
// their definitions so that the Philox bulk bodies need no CUDA header (gpurand/detail/bulk.hpp)
// while giving cuRAND's bits:
//
//   uniform_float      = _curand_uniform          (curand_uniform.h)
//   uniform_double_hq  = _curand_uniform_double_hq (curand_uniform.h)
//   uniform_double_u32 = _curand_uniform_double(unsigned int) (curand_uniform.h)
//   box_muller_float   = _curand_box_muller       (curand_normal.h)
//   box_muller_double  = _curand_box_muller_double (curand_normal.h)
//
// Same constants, same operations in the same order, one expression where cuRAND writes one
// (so that nvcc contracts a multiply-add into an FMA exactly where it does in cuRAND's code), and
// the same host/device split: the device evaluates sin and cos with __sincosf (float) and
// sincospi (double), the host with sinf/cosf and sin/cos of v * pi. tests/transforms_test.cpp
// compares every function with cuRAND's on edge and random inputs.
//
// Plain C++17; __host__ __device__ under nvcc.

#include <cmath>
#include <cstdint>

#include "gpurand/config.hpp"

namespace gpurand::detail {

// Constants of curand_globals.h, as exact values.
/// CURAND_2POW32_INV (2.3283064e-10f) is exactly 2^-32 as a float.
inline constexpr float two_pow_m32 = 0x1p-32f;
/// CURAND_2POW32_INV / 2, written so in cuRAND: exactly 2^-33.
inline constexpr float two_pow_m33 = two_pow_m32 / 2;
/// CURAND_2POW32_INV_2PI = 2.3283064e-10f * 6.2831855f: the float 2pi (6.2831855f, i.e.
/// 0x1.921fb6p+2) times 2^-32; the product is exact, so this is that float scaled by 2^-32.
inline constexpr float two_pow_m32_2pi = two_pow_m32 * 6.2831855f;
/// CURAND_2POW53_INV_DOUBLE (1.1102230246251565e-16) is exactly 2^-53.
inline constexpr double two_pow_m53 = 0x1p-53;
/// CURAND_2POW32_INV_DOUBLE (2.3283064365386963e-10) is exactly 2^-32.
inline constexpr double two_pow_m32_double = 0x1p-32;
/// CURAND_PI_DOUBLE (3.1415926535897932): the double nearest pi.
inline constexpr double pi_double = 3.1415926535897932;

/// Two floats of one Box-Muller pair (cuRAND's float2 .x, .y).
struct float_pair {
  float x;
  float y;
};

/// Two doubles of one Box-Muller pair (cuRAND's double2 .x, .y).
struct double_pair {
  double x;
  double y;
};

/// cuRAND's _curand_uniform: a float in (0, 1], float(x) * 2^-32 + 2^-33, float(x) rounded to
/// nearest. The product is exact, so an FMA gives the same bits.
GPURAND_HD GPURAND_FORCEINLINE float uniform_float(std::uint32_t x) {
  return static_cast<float>(x) * two_pow_m32 + two_pow_m32 / 2.0f;
}

/// cuRAND's _curand_uniform_double_hq: 53 bits z = x ^ (y << 21), then z * 2^-53 + 2^-54, a
/// double in (0, 1). The product is exact, so an FMA gives the same bits.
GPURAND_HD GPURAND_FORCEINLINE double uniform_double_hq(std::uint32_t x, std::uint32_t y) {
  const std::uint64_t z = static_cast<std::uint64_t>(x) ^ (static_cast<std::uint64_t>(y) << 21);
  return static_cast<double>(z) * two_pow_m53 + two_pow_m53 / 2.0;
}

/// cuRAND's _curand_uniform_double of one 32-bit draw (what curand_uniform_double returns for
/// Philox): x * 2^-32 + 2^-32, a double in (0, 1] with 32 random bits. Exact in double (x has 32
/// bits), so an FMA gives the same bits.
GPURAND_HD GPURAND_FORCEINLINE double uniform_double_u32(std::uint32_t x) {
  return static_cast<double>(x) * two_pow_m32_double + two_pow_m32_double;
}

/// cuRAND's _curand_box_muller: two normal floats from two draws. u = uniform_float(x) gives the
/// radius sqrt(-2 log u); y gives the angle v in (0, 2pi) (up to float rounding).
GPURAND_HD GPURAND_FORCEINLINE float_pair box_muller_float(std::uint32_t x, std::uint32_t y) {
  const float u = static_cast<float>(x) * two_pow_m32 + two_pow_m32 / 2;
  // Not exact (the constant is not a power of two): nvcc contracts this into an FMA on the
  // device, as it does cuRAND's identical expression; the host build keeps ISO semantics.
  const float v = static_cast<float>(y) * two_pow_m32_2pi + two_pow_m32_2pi / 2;
  const float s = sqrtf(-2.0f * logf(u));
  float_pair r;
#if defined(__CUDA_ARCH__)
  __sincosf(v, &r.x, &r.y);
#else
  r.x = sinf(v);
  r.y = cosf(v);
#endif
  r.x *= s;
  r.y *= s;
  return r;
}

/// cuRAND's _curand_box_muller_double: two normal doubles from four draws. (x0, x1) give u in
/// (0, 1) as uniform_double_hq does, (y0, y1) give v in (0, 2), the angle in units of pi.
GPURAND_HD GPURAND_FORCEINLINE double_pair box_muller_double(std::uint32_t x0, std::uint32_t x1,
                                                             std::uint32_t y0, std::uint32_t y1) {
  const std::uint64_t zx =
      static_cast<std::uint64_t>(x0) ^ (static_cast<std::uint64_t>(x1) << (53 - 32));
  const double u = static_cast<double>(zx) * two_pow_m53 + two_pow_m53 / 2.0;
  const std::uint64_t zy =
      static_cast<std::uint64_t>(y0) ^ (static_cast<std::uint64_t>(y1) << (53 - 32));
  const double v = static_cast<double>(zy) * (two_pow_m53 * 2.0) + two_pow_m53;
  const double s = sqrt(-2.0 * log(u));
  double_pair r;
#if defined(__CUDA_ARCH__)
  sincospi(v, &r.x, &r.y);
#else
  r.x = sin(v * pi_double);
  r.y = cos(v * pi_double);
#endif
  r.x *= s;
  r.y *= s;
  return r;
}

}  // namespace gpurand::detail
