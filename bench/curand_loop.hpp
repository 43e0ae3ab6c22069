#pragma once
// The baseline of gpurand's own distributions (bench.hpp's own_dists), which cuRAND's
// generators do not have: what a cuRAND user writes instead, one value at a time from cuRAND's
// device functions on a curandStatePhilox4_32_10_t. One body for both baselines: the CPU loop
// (curand_loop.cpp, the device functions compiled for the host through gpurand/device.cuh) and
// the GPU loop kernel (gpu_cases.cu). Include after gpurand/device.cuh.

#include <cmath>
#include <cstdint>
#include <string>

#include "gpurand/detail/alias.hpp"
#include "gpurand/detail/distributions.hpp"
#include "gpurand/detail/table.hpp"
#include "gpurand/discrete.hpp"
#include "gpurand/gpurand.hpp"

namespace gpurand::bench {

/// A loop's parameters, computed once per call as a careful cuRAND user would.
struct loop_params {
  float lambda = 1.0f;              ///< exponential
  std::uint64_t threshold = 0;      ///< bernoulli: round(p * 2^32)
  discrete_view table{};            ///< discrete: readable where the loop runs
  std::uint64_t low = 0, range = 1; ///< integer, integer64: low + draw % range
};

/// req's parameters for a loop on the host, or on the current CUDA device (`on_device`: the
/// discrete table's device copy).
inline loop_params make_loop_params(const bulk_request& req, bool on_device) {
  loop_params p;
  p.lambda = static_cast<float>(req.lambda);
  p.threshold = detail::bernoulli_threshold(req.p);
  if (req.kind == dist::discrete)
    p.table = on_device ? req.table->device_view() : req.table->host_view();
  p.low = req.low;
  p.range = req.high - req.low;
  return p;
}

/// One value of the baseline of D:
///   exponential  -logf(curand_uniform(&s)) / lambda
///   bernoulli    curand(&s) < round(p * 2^32)
///   discrete     two curand(&s) into gpurand's alias table (the same table and lookup)
///   integer      low + curand(&s) % range                      (biased: see the README)
///   integer64    low + ((hi << 32) | lo) % range, hi and lo two curand(&s) (biased as well)
template <dist D>
GPURAND_HD GPURAND_FORCEINLINE typename detail::dist_traits<D>::value loop_value(
    curandStatePhilox4_32_10_t& s, const loop_params& p) {
  if constexpr (D == dist::exponential) {
    return -logf(curand_uniform(&s)) / p.lambda;
  } else if constexpr (D == dist::bernoulli) {
    return curand(&s) < p.threshold ? 1u : 0u;
  } else if constexpr (D == dist::discrete) {
    const unsigned x1 = curand(&s);
    const unsigned x2 = curand(&s);
    return detail::alias_sample(p.table.entries, p.table.size, x1, x2);
  } else if constexpr (D == dist::integer) {
    return static_cast<std::uint32_t>(p.low) + curand(&s) % static_cast<std::uint32_t>(p.range);
  } else {
    static_assert(D == dist::integer64, "a distribution without a device-function baseline");
    const std::uint64_t hi = curand(&s);
    const std::uint64_t lo = curand(&s);
    return p.low + ((hi << 32) | lo) % p.range;
  }
}

/// Runs fn(dist_c<D>{}) for the D of `d` if it has a loop_value body, else throws
/// Error(unsupported) naming it (the callers only pass own_dists).
template <class Fn>
void visit_loop(dist d, Fn&& fn) {
  detail::visit(d, [&](auto c) {
    constexpr dist D = decltype(c)::value;
    if constexpr (D == dist::exponential || D == dist::bernoulli || D == dist::discrete ||
                  D == dist::integer || D == dist::integer64)
      fn(c);
    else
      throw Error(errc::unsupported,
                  std::string("gpurand-bench: no device-function loop for ") + to_string(d));
  });
}

}  // namespace gpurand::bench
