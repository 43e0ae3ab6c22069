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

/// The distributions the toolkit-free Philox stream (philox_stream.hpp) has, one line each:
/// for these the CPU writer runs Philox through it in every build, so CI tests that one path
/// against cuRAND. A distribution added to basic_stream alone runs on cuRAND's Philox state
/// (in builds with the CUDA toolkit) until it joins this list.
// clang-format off
template <dist D>
inline constexpr bool plain_philox_has =
    D == dist::u32 ||
    D == dist::uniform ||
    D == dist::normal ||
    D == dist::uniform_double ||
    D == dist::normal_double ||
    D == dist::normal_portable ||
    D == dist::normal_portable_double ||
    D == dist::exponential ||
    D == dist::bernoulli ||
    D == dist::discrete;
// clang-format on

/// The stream the CPU writer runs for engine E and distribution D: the toolkit-free Philox
/// stream where it has D, else cuRAND's state (basic_stream<E>, gpurand/device.cuh).
template <engine E, dist D>
using writer_stream_t = std::conditional_t<E == engine::philox4_32_10 && plain_philox_has<D>,
                                           plain_philox_stream, basic_stream<E>>;
/// Whether this build's CPU writer can run (E, D): a build without the CUDA toolkit has no
/// basic_stream, so only the toolkit-free stream's pairs.
template <engine E, dist D>
inline constexpr bool has_writer_stream =
    GPURAND_WRITER_HAS_CURAND != 0 || std::is_same_v<writer_stream_t<E, D>, plain_philox_stream>;

/// Thread `g` of the per-thread writer: `k` values of its own stream
/// curand_init(seed, g, offset), written to out[0], out[stride], ...
/// (stride 1: thread-major; stride = threads: interleaved). `Stream` runs the
/// draws: the CPU writer's writer_stream_t<E, D>; the GPU kernels pass basic_stream<E>.
/// `p`: the distribution's parameters (make_params of the grid_request).
template <engine E, dist D, class Stream = writer_stream_t<E, D>, class T>
GPURAND_HD GPURAND_FORCEINLINE void thread_stream_body(std::uint64_t seed, std::uint64_t offset,
                                                       std::uint64_t g, std::uint64_t k,
                                                       std::uint64_t stride, T* out,
                                                       const fill_params<T>& p) {
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
