#pragma once
// The per-thread writer shared by the GPU kernels (kernels/) and the CPU
// backend (src/), plus (through bulk.hpp) the Philox bulk bodies. The CPU
// writer runs Philox through gpurand's toolkit-free stream
// (gpurand/detail/philox_stream.hpp, bit-identical to cuRAND's) and the other
// engines through cuRAND's device API (gpurand/device.cuh). Compiled with
// GPURAND_HAVE_CUDA=0 (a build without the CUDA toolkit) this header includes
// no CUDA header, and the writer offers Philox alone.

#include <cstdint>
#include <type_traits>

#include "gpurand/detail/bulk.hpp"
#include "gpurand/detail/grid_layout.hpp"
#include "gpurand/detail/philox_stream.hpp"
#if !defined(GPURAND_HAVE_CUDA) || GPURAND_HAVE_CUDA
#include "gpurand/device.cuh"
#define GPURAND_WRITER_HAS_CURAND 1
#else
#define GPURAND_WRITER_HAS_CURAND 0
#endif

namespace gpurand::detail {

/// The stream the CPU writer runs for engine E: cuRAND's state (basic_stream),
/// or void where this build has no cuRAND (no CUDA toolkit).
template <engine E>
struct writer_stream {
#if GPURAND_WRITER_HAS_CURAND
  using type = basic_stream<E>;
#else
  using type = void;
#endif
};
/// Philox: the toolkit-free stream in every build, so CI tests the one path
/// against cuRAND (tests/philox_stream_test.cpp).
template <>
struct writer_stream<engine::philox4_32_10> {
  using type = plain_philox_stream;
};
template <engine E>
using writer_stream_t = typename writer_stream<E>::type;
/// Whether this build's CPU writer can run engine E.
template <engine E>
inline constexpr bool has_writer_stream = !std::is_void_v<writer_stream_t<E>>;

/// Thread `g` of the per-thread writer: `k` values of its own stream
/// curand_init(seed, g, offset), written to out[0], out[stride], ...
/// (stride 1: thread-major; stride = threads: interleaved). `Stream` runs the
/// draws: the CPU writer's writer_stream_t<E>; the GPU kernels pass basic_stream<E>.
template <engine E, dist D, class Stream = writer_stream_t<E>, class T>
GPURAND_HD GPURAND_FORCEINLINE void thread_stream_body(std::uint64_t seed, std::uint64_t offset,
                                                       std::uint64_t g, std::uint64_t k,
                                                       std::uint64_t stride, T* out) {
  Stream s(seed, g, offset);
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
    else
      v = s.normal_portable_double();
    out[i * stride] = v;
  }
}

}  // namespace gpurand::detail
