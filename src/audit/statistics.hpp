#pragma once
// The audit's statistics, for its own use and its tests (not installed; the
// public report carries the numbers a user needs).

#include <cstdint>

#include "gpurand/audit.hpp"

namespace gpurand::audit {

/// Collision moments of a value model: q2 = sum of p_v^2 (two independent
/// values are equal) and q3 = sum of p_v^3 (three are). Exact for u32 and the
/// uniforms (uniform_f32 by an exact walk over every float curand_uniform
/// can return); for normals, of z * stddev + mean rounded as the generator
/// rounds it (in the model's float type) for z a standard normal on the
/// float grid, measured through that rounding piece by piece.
struct collision_moments {
  double q2 = 0.0;
  double q3 = 0.0;
};
collision_moments collision_probabilities(value_model m, double mean = 0.0, double stddev = 1.0);

/// Expected number of equal pairs among n independent values: C(n, 2) * q2.
double expected_equal_pairs(value_model m, std::uint64_t n, double mean = 0.0, double stddev = 1.0);

/// Upper tail P(X >= observed) of a Poisson variable with mean `expected`,
/// stretched to `dispersion` = variance / mean (1: exact Poisson) as a
/// quasi-Poisson: P(Poisson(expected / d) >= observed / d), continuous in
/// observed (Boost.Math's regularized incomplete gamma).
double poisson_upper_tail(double expected, double observed, double dispersion = 1.0);

}  // namespace gpurand::audit
