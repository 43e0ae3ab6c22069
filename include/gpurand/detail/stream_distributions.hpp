#pragma once
// gpurand's own distributions on a per-thread stream, written once for both streams that have
// them: gpurand::basic_stream (gpurand/device.cuh, over cuRAND's state, with window checks) and
// the toolkit-free Philox stream (gpurand/detail/philox_stream.hpp). Each body takes its draws
// through the stream's next() alone, so basic_stream's window accounting stays next()'s (one
// count per draw), and both streams give the same bits from the same draws. Plain C++17;
// __host__ __device__ under nvcc.

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "gpurand/config.hpp"
#include "gpurand/detail/alias.hpp"
#include "gpurand/detail/distributions.hpp"
#include "gpurand/discrete.hpp"

namespace gpurand {

namespace detail {

/// Called when rng.discrete(view) gets a view it cannot read here (a host view in device code,
/// a device view on the host, an empty view): it would read the wrong memory, so it stops the
/// thread like a window overrun (no report word: the message says what happened).
GPURAND_HD inline void unreadable_discrete_view(std::uint64_t id, memory_space space) {
#if defined(__CUDA_ARCH__)
  printf("gpurand: subsequence %llu: rng.discrete() got %s view in device code (pass "
         "table.device_view())\n",
         static_cast<unsigned long long>(id),
         space == memory_space::host ? "a host" : "an empty");
  __trap();
#else
  std::fprintf(stderr,
               "gpurand: subsequence %llu: rng.discrete() got %s view in host code (pass "
               "table.host_view())\n",
               static_cast<unsigned long long>(id),
               space == memory_space::device ? "a device" : "an empty");
  std::abort();
#endif
}

/// The distributions a stream gets from its next() draws: a base of `Stream` (CRTP), which
/// must have next() and id() (the subsequence named in error messages). Empty: adds nothing
/// to the stream's layout.
template <class Stream>
class stream_distributions {
 public:
  /// Exponential(lambda): exponential_from_u32(next(), lambda) = -log(u) / lambda with u the
  /// curand_uniform value of the draw, through gpurand's portable log. Cost: 1 draw. lambda
  /// must be finite and > 0 (not checked here; the host API refuses other values).
  GPURAND_HD float exponential(float lambda) { return exponential_from_u32(self().next(), lambda); }
  /// Bernoulli(p): 1 if next() < round(p * 2^32), else 0 (p quantised to a multiple of 2^-32;
  /// p <= 0 or NaN never gives 1, p >= 1 always does). Cost: 1 draw, plus computing the
  /// threshold from p on every call (a double multiply and conversion: slow on GPUs with a low
  /// FP64 rate; pass a bernoulli_param made once instead).
  GPURAND_HD std::uint32_t bernoulli(double p) { return bernoulli(bernoulli_param(p)); }
  /// Bernoulli with a threshold computed once. Cost: 1 draw and one compare.
  GPURAND_HD std::uint32_t bernoulli(bernoulli_param b) {
    return bernoulli_from_u32(self().next(), b.threshold);
  }
  /// A category of a discrete_table: x1 = next(), x2 = next(), then the alias method
  /// (gpurand/discrete.hpp). Cost: 2 draws and one 8-byte table read. `table` must be readable
  /// where this runs (table.device_view() in kernels, host_view() on the host): otherwise the
  /// thread traps (device) or the process aborts (host) with a message, before any draw.
  GPURAND_HD std::uint32_t discrete(const discrete_view& table) {
    if (!table.readable_here()) unreadable_discrete_view(self().id(), table.space);
    const unsigned x1 = self().next();
    const unsigned x2 = self().next();
    return alias_sample(table.entries, table.size, x1, x2);
  }

 private:
  GPURAND_HD Stream& self() { return static_cast<Stream&>(*this); }
};

}  // namespace detail
}  // namespace gpurand
