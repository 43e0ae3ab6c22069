#pragma once
/// \file poisson.cuh
/// curand_poisson, written once over any stream with uniform() and normal_double(): a
/// gpurand::basic_stream (the device API and the per-thread writer, whose counted draws keep
/// the windows exact) or a detail::draw_cursor (bulk fills, budgeted). Bit for bit the values
/// of cuRAND's curand_poisson / curand_poisson4 (curand_poisson.h) on the same draws, on the
/// host and on the device: the gammainc regime calls cuRAND's own helpers (__cr_log,
/// __cr_pgammainc, __cr_pgammaincinv, __cr_exp, __cr_lgamma_integer), whose device versions use
/// approximate PTX instructions, so the CPU matches cuRAND's host path and the GPU its device
/// path, and the two differ in that regime as cuRAND's do.
///
/// Needs <curand_kernel.h> (through gpurand/device.cuh), so it is not part of the toolkit-free
/// gpurand/detail/bulk.hpp.
///
/// Regimes (cuRAND's thresholds, on the double lambda):
///   lambda < 64:          Knuth's product: p = expf((float)lambda), multiplied by curand_uniform
///                         draws until p <= 1; the value is the number of draws - 1;
///   64 <= lambda <= 4000: rejection from cuRAND's gammainc approximation, 2 draws a round;
///   lambda > 4000:        (unsigned)(sqrt(lambda) * curand_normal_double + lambda + 0.5).
/// curand_poisson4 is four consecutive curand_poisson calls, except that its normal regime
/// takes curand_normal4_double, which consumes the same draws in the same order as four
/// curand_normal_double calls: so poisson_group (four consecutive poisson_value) is
/// curand_poisson4.

#include <cmath>
#include <cstdint>

#include "gpurand/detail/variable.hpp"
#include "gpurand/device.cuh"

namespace gpurand::detail {

/// curand_poisson_knuth(state, lambda).
template <class Stream>
GPURAND_HD GPURAND_FORCEINLINE unsigned poisson_knuth(Stream& s, float lambda) {
  unsigned k = 0;
  float p = expf(lambda);  // e^lambda * u_1 * ... * u_k <= 1 <=> u_1 * ... * u_k <= e^-lambda
  do {
    ++k;
    p *= s.uniform();
  } while (p > 1.0 && draws_left(s));
  return k - 1;
}

/// curand_poisson_gammainc(state, lambda): one candidate x from the inverse of cuRAND's
/// gammainc approximation per round, accepted against the Poisson pmf (hat 1.3).
template <class Stream>
GPURAND_HD GPURAND_FORCEINLINE unsigned poisson_gammainc(Stream& s, float lambda) {
  const float logl = __cr_log(lambda);
  float x;
  do {
    x = floorf(__cr_pgammaincinv(lambda, s.uniform()));
    const float z = s.uniform();
    const float v = (__cr_pgammainc(lambda, x + 1.0f) - __cr_pgammainc(lambda, x)) * 1.3f;
    // x = +inf (a uniform of exactly 1) gives v = 0, a rejection whatever the pmf says: skip
    // the int conversion cuRAND does there (undefined behaviour) with a harmless argument.
    const int n = x < 2147483520.0f ? static_cast<int>(1.0f + x) : 1;
    // One expression, as cuRAND writes it, so nvcc contracts the same multiply-add.
    const float t = (float)__cr_exp(-lambda + x * logl - (float)__cr_lgamma_integer(n));
    if ((z * v < t) && (v >= 1e-20)) break;
  } while (draws_left(s));
  return static_cast<unsigned>(x);
}

/// The normal regime's rounding: (unsigned)(sqrt(lambda) * z + lambda + 0.5), one expression
/// as in cuRAND (nvcc contracts it the same way).
GPURAND_HD GPURAND_FORCEINLINE unsigned poisson_from_normal(double z, double lambda) {
  return (unsigned int)((sqrt(lambda) * z) + lambda + 0.5);
}

/// curand_poisson(state, lambda) on `s` (lambda in (0, 4e9], checked by the caller).
template <class Stream>
GPURAND_HD GPURAND_FORCEINLINE unsigned poisson_value(Stream& s, double lambda) {
  if (lambda < 64) return poisson_knuth(s, static_cast<float>(lambda));
  if (lambda > 4000) return poisson_from_normal(s.normal_double(), lambda);
  return poisson_gammainc(s, static_cast<float>(lambda));
}

/// Where a Poisson group takes its lambdas: one for every value, or one per element.
struct poisson_lambdas {
  double lambda;
  const double* per_element;  ///< nullptr: `lambda` for every value
  GPURAND_HD double operator[](std::uint64_t i) const {
    return per_element ? per_element[i] : lambda;
  }
};

/// A group of a Poisson bulk fill: the first `count` (<= 4) of four consecutive poisson_value
/// calls on the group's cursor, value l with lambdas[l] (the caller points per_element at the
/// group's first lambda). With one lambda this is curand_poisson4.
GPURAND_HD GPURAND_FORCEINLINE void poisson_group(draw_cursor& c, poisson_lambdas lambdas,
                                                  unsigned count, std::uint32_t* v) {
  for (unsigned l = 0; l < count; ++l) v[l] = poisson_value(c, lambdas[l]);
}

}  // namespace gpurand::detail

namespace gpurand {
template <engine E>
GPURAND_HD unsigned basic_stream<E>::poisson(double lambda) {
  return detail::poisson_value(*this, lambda);
}
}  // namespace gpurand
