#pragma once
// The per-thread writer shared by the GPU kernels (kernels/) and the CPU
// backend (src/), plus (through bulk.hpp) the Philox bulk bodies. The writer
// runs any engine through cuRAND's device API (gpurand/device.cuh), so this
// header needs <curand_kernel.h>; the bulk bodies in bulk.hpp do not.

#include <cstdint>

#include "gpurand/detail/bulk.hpp"
#include "gpurand/detail/grid_layout.hpp"
#include "gpurand/device.cuh"

namespace gpurand::detail {

/// Thread `g` of the per-thread writer: `k` values of its own stream
/// curand_init(seed, g, offset), written to out[0], out[stride], ...
/// (stride 1: thread-major; stride = threads: interleaved). `p`: the distribution's
/// parameters (make_params of the grid_request).
template <engine E, dist D, class T>
GPURAND_HD GPURAND_FORCEINLINE void thread_stream_body(std::uint64_t seed, std::uint64_t offset,
                                                       std::uint64_t g, std::uint64_t k,
                                                       std::uint64_t stride, T* out,
                                                       const fill_params<T>& p) {
  basic_stream<E> s(seed, g, offset);
  for (std::uint64_t i = 0; i < k; ++i) {
    T v;
    if constexpr (D == dist::u32)
      v = s.next();
    else if constexpr (D == dist::uniform)
      v = s.uniform();
    else if constexpr (D == dist::normal)
      v = s.normal();
    else if constexpr (D == dist::uniform_double)
      v = s.uniform_double();
    else if constexpr (D == dist::normal_double)
      v = s.normal_double();
    else if constexpr (D == dist::normal_portable)
      v = s.normal_portable();
    else if constexpr (D == dist::normal_portable_double)
      v = s.normal_portable_double();
    else if constexpr (D == dist::exponential)
      v = s.exponential(p.lambda);
    else if constexpr (D == dist::bernoulli)
      v = s.bernoulli(bernoulli_param::from_threshold(p.threshold));
    else {
      static_assert(D == dist::discrete);
      v = s.discrete(p.table);
    }
    out[i * stride] = v;
  }
}

}  // namespace gpurand::detail
