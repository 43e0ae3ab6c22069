#pragma once
/// \file distributions.hpp
/// Exponential and Bernoulli bodies (GPURAND_HD, plain C++17 or nvcc): portable, i.e. the same
/// bits on every CPU and GPU, built from integer operations and portable_math.hpp.

#include <cstdint>

#include "gpurand/config.hpp"
#include "gpurand/detail/portable_math.hpp"

namespace gpurand::detail {

/// Exponential with rate lambda > 0 from one 32-bit draw x:
///   u = float(x) * 2^-32 + 2^-33 (cuRAND's curand_uniform value, in (0, 1]),
///   value = (0 - portable_log(u)) / lambda   (IEEE division; +0 when u = 1).
/// Resolution: u takes 2^24-ish distinct values near 1 (the smallest positive value is about
/// 2^-25 / lambda) and the largest value is -log(2^-33) / lambda = 22.87 / lambda.
GPURAND_HD GPURAND_FORCEINLINE float exponential_from_u32(std::uint32_t x, float lambda) {
  using ops = scalar_ops<float>;
  const float u = pm::u32_to_float_rn<ops>(x) * 0x1p-32f + 0x1p-33f;
  const float e = 0.0f - portable_log<ops>(u);
#if defined(__CUDA_ARCH__)
  return __fdiv_rn(e, lambda);
#else
  return e / lambda;
#endif
}

/// The 33-bit threshold of a Bernoulli(p) draw, p in [0, 1]: round(p * 2^32) (p * 2^32 is exact
/// in double; the rounding is to nearest, ties to even). Total: p <= 0 or NaN gives 0 (never 1),
/// p >= 1 gives 2^32 (always 1); the host API refuses such p before it gets here. Cost: one
/// double multiply, a conversion and a few integer operations (on a GPU with a low FP64 rate,
/// compute it once and pass the threshold: gpurand::bernoulli_param).
GPURAND_HD GPURAND_FORCEINLINE std::uint64_t bernoulli_threshold(double p) {
  if (!(p > 0.0)) return 0;
  if (p >= 1.0) return std::uint64_t{1} << 32;
  const double t = p * 4294967296.0;
  const std::uint64_t lo = static_cast<std::uint64_t>(t);  // floor, t >= 0
  const double frac = t - static_cast<double>(lo);
  return lo + ((frac > 0.5 || (frac == 0.5 && (lo & 1u))) ? 1u : 0u);
}

/// Bernoulli from one 32-bit draw x: 1 if x < threshold (= bernoulli_threshold(p)), else 0.
/// So P(1) = threshold / 2^32 exactly: p quantised to a multiple of 2^-32 (p = 0 never gives 1,
/// p = 1 always does).
GPURAND_HD GPURAND_FORCEINLINE std::uint32_t bernoulli_from_u32(std::uint32_t x,
                                                                std::uint64_t threshold) {
  return static_cast<std::uint64_t>(x) < threshold ? 1u : 0u;
}

}  // namespace gpurand::detail

namespace gpurand {

/// A Bernoulli probability converted once into the 33-bit threshold the draw is compared with
/// (round(p * 2^32); p <= 0 or NaN: never 1, p >= 1: always 1), for rng.bernoulli(param) in a
/// loop or a kernel that reuses one p.
struct bernoulli_param {
  std::uint64_t threshold = 0;
  bernoulli_param() = default;
  GPURAND_HD explicit bernoulli_param(double p) : threshold(detail::bernoulli_threshold(p)) {}
  GPURAND_HD static bernoulli_param from_threshold(std::uint64_t t) {
    bernoulli_param b;
    b.threshold = t;
    return b;
  }
};

}  // namespace gpurand
