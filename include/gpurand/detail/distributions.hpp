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
/// A template over the Ops policy of portable_math.hpp like the bodies there: the CPU backend
/// runs it on vectors (src/backend/cpu/portable_normal_simd_body.hpp), lane by lane the same
/// operations, so the same bits.
template <class Ops = scalar_ops<float>>
GPURAND_HD GPURAND_FORCEINLINE typename Ops::F exponential_from_u32(typename Ops::U x,
                                                                    typename Ops::F lambda) {
  using F = typename Ops::F;
  const F e = (F{} + 0.0f) - portable_log<Ops>(pm::curand_uniform_u<Ops>(x));
  return Ops::div(e, lambda);  // __fdiv_rn on the GPU
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
