// The parameters of the rows of gpurand's own distributions, and their CPU baseline (exponential, bernoulli, discrete), which
// cuRAND's host generator does not have: what a cuRAND user would write instead, a plain loop
// over cuRAND's device functions compiled for the host (gpurand/device.cuh makes cuRAND's
// QUALIFIERS host-callable), with one curandStatePhilox4_32_10_t per task, on the same cores
// and threads as gpurand's CPU fill.

#include <cmath>
#include <cstdint>

#include "backend/cpu/parallel.hpp"
#include "bench.hpp"
#include "gpurand/detail/alias.hpp"
#include "gpurand/device.cuh"  // cuRAND's device functions, host-callable
#include "gpurand/discrete.hpp"

namespace gpurand::bench {

void set_own_params(bulk_request& req) {
  static const discrete_table table{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  req.lambda = 1.0;
  req.p = 0.3;
  req.table = &table;
}

const char* own_params_note(dist d) {
  switch (d) {
    case dist::exponential: return "lambda 1";
    case dist::bernoulli: return "p 0.3";
    default: return "16 categories, weights 1..16";
  }
}

void curand_loop_fill(const bulk_request& req, void* out) {
  const unsigned threads = detail::cpu_threads();
  const std::uint64_t n = req.n;
  const std::uint64_t chunk = (n + threads - 1) / threads;
  // The threshold and the table are computed once per call, as a careful cuRAND user would.
  const std::uint64_t threshold = detail::bernoulli_threshold(req.p);
  const float lambda = static_cast<float>(req.lambda);
  const discrete_view table = req.table != nullptr ? req.table->host_view() : discrete_view{};
  detail::parallel_for(threads, threads, [&](std::uint64_t t) {
    const std::uint64_t begin = t * chunk;
    const std::uint64_t end = begin + chunk < n ? begin + chunk : n;
    curandStatePhilox4_32_10_t s;
    curand_init(req.seed, t, req.offset, &s);
    if (req.kind == dist::exponential) {
      float* o = static_cast<float*>(out);
      for (std::uint64_t i = begin; i < end; ++i) o[i] = -std::log(curand_uniform(&s)) / lambda;
    } else if (req.kind == dist::bernoulli) {
      auto* o = static_cast<std::uint32_t*>(out);
      for (std::uint64_t i = begin; i < end; ++i) o[i] = curand(&s) < threshold ? 1u : 0u;
    } else {
      auto* o = static_cast<std::uint32_t*>(out);
      for (std::uint64_t i = begin; i < end; ++i) {
        const unsigned x1 = curand(&s);
        const unsigned x2 = curand(&s);
        o[i] = detail::alias_sample(table.entries, table.size, x1, x2);
      }
    }
  });
}

}  // namespace gpurand::bench
