// The parameters of the rows of gpurand's own distributions, and their CPU baseline, which
// cuRAND's host generator does not have: what a cuRAND user would write instead, a plain loop
// over cuRAND's device functions compiled for the host (gpurand/device.cuh makes cuRAND's
// QUALIFIERS host-callable), with one curandStatePhilox4_32_10_t per task, on the same cores
// and threads as gpurand's CPU fill. The per-value bodies are curand_loop.hpp's, shared with
// the GPU's loop kernel.

#include <cstdint>

#include "backend/cpu/parallel.hpp"
#include "bench.hpp"
#include "gpurand/device.cuh"  // cuRAND's device functions, host-callable
#include "curand_loop.hpp"

namespace gpurand::bench {

void set_own_params(bulk_request& req) {
  static const discrete_table table{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  req.lambda = 1.0;
  req.p = 0.3;
  req.table = &table;
  req.low = 0;
  req.high = req.kind == dist::integer64 ? own_integer64_high : own_integer_high;
}

const char* own_params_note(dist d) {
  switch (d) {
    case dist::exponential: return "lambda 1";
    case dist::bernoulli: return "p 0.3";
    case dist::integer: return "[0, 1000); baseline curand() % 1000 (biased)";
    case dist::integer64: return "[0, 10^12); baseline 64-bit draw % 10^12 (biased)";
    default: return "16 categories, weights 1..16";
  }
}

namespace {
template <dist D>
void cpu_loop(const bulk_request& req, void* out_v) {
  using T = typename detail::dist_traits<D>::value;
  const unsigned threads = detail::cpu_threads();
  const std::uint64_t n = req.n;
  const std::uint64_t chunk = (n + threads - 1) / threads;
  const loop_params p = make_loop_params(req, /*on_device=*/false);
  T* out = static_cast<T*>(out_v);
  detail::parallel_for(threads, threads, [&](std::uint64_t t) {
    const std::uint64_t begin = t * chunk;
    const std::uint64_t end = begin + chunk < n ? begin + chunk : n;
    curandStatePhilox4_32_10_t s;
    curand_init(req.seed, t, req.offset, &s);
    for (std::uint64_t i = begin; i < end; ++i) out[i] = loop_value<D>(s, p);
  });
}
}  // namespace

void curand_loop_fill(const bulk_request& req, void* out) {
  visit_loop(req.kind, [&](auto c) { cpu_loop<decltype(c)::value>(req, out); });
}

}  // namespace gpurand::bench
