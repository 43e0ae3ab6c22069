#pragma once
/// \file device.cuh
/// gpurand device API: per-thread cuRAND streams for users' own kernels.
///
/// Header-only; every function is `__host__ __device__`, never throws and
/// never allocates. Include it before <curand_kernel.h> (or define
/// QUALIFIERS yourself): gpurand defines cuRAND's QUALIFIERS as
/// `static __forceinline__ __host__ __device__` so that the very same bodies
/// also run on the host, which is how the CPU backend reproduces the GPU bits.
///
/// Usage:
/// \code
///   __global__ void walk(gpurand::launch_handle h, float* x, int n) {
///     const int i = blockIdx.x * blockDim.x + threadIdx.x;
///     if (i >= n) return;
///     auto rng = h.stream(i);            // subsequence i, this launch's window
///     x[i] += rng.normal();
///   }
///   walk<<<blocks, threads>>>(gen.launch(/*draws_per_thread=*/2), x, n);
/// \endcode

#if !defined(QUALIFIERS)
#define QUALIFIERS static __forceinline__ __host__ __device__
#endif
#include <curand_kernel.h>

namespace gpurand::detail {
constexpr bool text_contains(const char* s, const char* word) {
  for (; *s; ++s) {
    const char *a = s, *b = word;
    while (*b && *a == *b) ++a, ++b;
    if (!*b) return true;
  }
  return false;
}
}  // namespace gpurand::detail
#define GPURAND_STRINGIFY_(x) #x
#define GPURAND_STRINGIFY(x) GPURAND_STRINGIFY_(x)
// <curand_kernel.h> included first leaves QUALIFIERS device-only under nvcc:
// host-side streams would then compile and silently do nothing useful.
static_assert(!gpurand::detail::text_contains(GPURAND_STRINGIFY(QUALIFIERS), "device") ||
                  gpurand::detail::text_contains(GPURAND_STRINGIFY(QUALIFIERS), "host"),
              "gpurand/device.cuh: cuRAND's QUALIFIERS is device-only because <curand_kernel.h> "
              "was included before gpurand/device.cuh. Include gpurand/device.cuh first, or "
              "define QUALIFIERS as `static __forceinline__ __host__ __device__` before "
              "including <curand_kernel.h>.");

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "gpurand/detail/normal_cache.hpp"
#include "gpurand/detail/alias.hpp"
#include "gpurand/detail/distributions.hpp"
#include "gpurand/detail/integers.hpp"
#include "gpurand/detail/portable_math.hpp"
#include "gpurand/detail/stream_distributions.hpp"
#include "gpurand/detail/table.hpp"
#include "gpurand/discrete.hpp"
#include "gpurand/gpurand.hpp"

namespace gpurand {
namespace detail {

/// Engine traits: the cuRAND state and how many 32-bit draws each call
/// consumes (read off cuRAND's curand_uniform.h / curand_normal.h).
template <engine E>
struct engine_traits;
/// The draw counts come from the one table (gpurand/detail/table.hpp).
template <engine E, class State>
struct engine_traits_of : engine_traits_base<E> {
  using state = State;
  static constexpr std::uint32_t uniform_double_draws = dist_traits<dist::uniform_double>::draws(E);
  static constexpr std::uint32_t normal_pair_draws = dist_traits<dist::normal>::draws(E);
  static constexpr std::uint32_t normal_double_pair_draws =
      dist_traits<dist::normal_double>::draws(E);
};
template <>
struct engine_traits<engine::philox4_32_10>
    : engine_traits_of<engine::philox4_32_10, curandStatePhilox4_32_10_t> {};
template <>
struct engine_traits<engine::xorwow> : engine_traits_of<engine::xorwow, curandStateXORWOW_t> {};
template <>
struct engine_traits<engine::mrg32k3a> : engine_traits_of<engine::mrg32k3a, curandStateMRG32k3a_t> {
};

/// Called when a stream draws past its launch window (checked builds only).
/// A kernel cannot throw: the device records the subsequence in the
/// handle's host-mapped report words (gpurand's next host call turns it into
/// Error(exhausted)), prints it, and traps so that the thread draws nothing
/// that overlaps the next launch. The host aborts with the message.
GPURAND_HD inline void window_overrun(std::uint64_t id, std::uint64_t* report) {
#if defined(__CUDA_ARCH__)
  if (report != nullptr &&
      atomicCAS(reinterpret_cast<unsigned long long*>(report), 0ull, 1ull) == 0ull) {
    report[1] = id;
    __threadfence_system();  // reach host memory before the trap ends the context
  }
  printf("gpurand: subsequence %llu drew past its launch window\n",
         static_cast<unsigned long long>(id));
  __trap();
#else
  (void)report;
  std::fprintf(stderr,
               "gpurand: subsequence %llu drew past its launch window (reserve more draws in "
               "Generator::launch)\n",
               static_cast<unsigned long long>(id));
  std::abort();
#endif
}

}  // namespace detail

/// One thread's generator: a cuRAND state plus (in checked builds) the number
/// of draws left in its launch window. Draws are exactly cuRAND's: the k-th
/// call returns what the k-th call of the same cuRAND function returns after
/// curand_init(seed, id, offset). Also a <random>-style 32-bit engine.
template <engine E>
class basic_stream : public detail::stream_distributions<basic_stream<E>> {
  using traits = detail::engine_traits<E>;

 public:
  using state_type = typename traits::state;
  using result_type = unsigned int;
  static constexpr result_type min() { return 0u; }
  static constexpr result_type max() { return 0xffffffffu; }

  basic_stream() = default;

  /// curand_init(seed, id, offset) with `window` draws allowed.
  GPURAND_HD basic_stream(std::uint64_t seed, std::uint64_t id, std::uint64_t offset,
                          std::uint64_t window = ~std::uint64_t{0}) {
    curand_init(seed, id, offset, &s_);
    id_ = id;
    remaining_ = window;
  }
  GPURAND_HD basic_stream(const launch_handle& h, std::uint64_t id)
      : basic_stream(h.seed, id, h.offset, h.draws) {
    report_ = h.report;
  }

  GPURAND_HD result_type operator()() { return next(); }
  /// curand()
  GPURAND_HD unsigned int next() {
    consume(1);
    return curand(&s_);
  }
  /// curand_uniform(): (0, 1]
  GPURAND_HD float uniform() {
    consume(1);
    return curand_uniform(&s_);
  }
  /// curand_normal(): Box-Muller, the second value of each pair is cached
  GPURAND_HD float normal() {
    if (s_.boxmuller_flag != EXTRA_FLAG_NORMAL) consume(traits::normal_pair_draws);
    return curand_normal(&s_);
  }
  /// curand_uniform_double()
  GPURAND_HD double uniform_double() {
    consume(traits::uniform_double_draws);
    return curand_uniform_double(&s_);
  }
  /// curand_normal_double()
  GPURAND_HD double normal_double() {
    consume(normal_double_draws());
    return curand_normal_double(&s_);
  }
  /// Draws the next normal_double() takes: 0 when it returns the cached second value of a pair.
  GPURAND_HD std::uint32_t normal_double_draws() const {
    return s_.boxmuller_flag_double == EXTRA_FLAG_NORMAL ? 0u : traits::normal_double_pair_draws;
  }
  /// curand_log_normal(&s, mean, stddev): exp(mean + stddev * z) over a Box-Muller pair, the
  /// second value cached. The cache is the one normal() uses (cuRAND's boxmuller_flag):
  /// normal() after log_normal() (or the reverse) starts a fresh pair and drops the cached value.
  GPURAND_HD float log_normal(float mean, float stddev) {
    if (s_.boxmuller_flag != EXTRA_FLAG_LOG_NORMAL) consume(traits::normal_pair_draws);
    return curand_log_normal(&s_, mean, stddev);
  }
  /// curand_log_normal_double(&s, mean, stddev); its cache is normal_double()'s.
  GPURAND_HD double log_normal_double(double mean, double stddev) {
    if (s_.boxmuller_flag_double != EXTRA_FLAG_LOG_NORMAL)
      consume(traits::normal_double_pair_draws);
    return curand_log_normal_double(&s_, mean, stddev);
  }
  /// curand_poisson(&s, lambda), bit for bit, any engine; each draw counted against the window
  /// (Knuth: k + 1 curand_uniform draws for the value k; gammainc: 2 per round; lambda > 4000:
  /// one normal_double()). lambda in (0, 4e9]. Defined in gpurand/detail/poisson.cuh.
  GPURAND_HD unsigned poisson(double lambda);
  /// curand_normal2()
  GPURAND_HD float2 normal2() {
    consume(traits::normal_pair_draws);
    return curand_normal2(&s_);
  }

  /// The 4-wide forms: cuRAND's curand4(), curand_uniform4(), curand_normal4(),
  /// curand_uniform2_double() and curand_normal2_double(), which exist for Philox only (on another
  /// engine these do not compile). Each takes the four draws of one curand4.
  /// @{
  GPURAND_HD uint4 next4() { return four(curand4); }
  GPURAND_HD float4 uniform4() { return four(curand_uniform4); }
  GPURAND_HD float4 normal4() { return four(curand_normal4); }
  GPURAND_HD double2 uniform2_double() { return four(curand_uniform2_double); }
  GPURAND_HD double2 normal2_double() { return four(curand_normal2_double); }
  /// @}

  /// gpurand's portable normal (the same bits on every CPU and GPU): pairs of
  /// portable_box_muller(x, y) over two consecutive next() draws x, y, the sin-side value first;
  /// the second value of a pair is kept for the next call (as curand_normal does).
  GPURAND_HD float normal_portable() { return portable_.normal(*this); }
  /// The double portable normal: pairs of portable_box_muller_double over four consecutive
  /// next() draws, the second value kept for the next call.
  GPURAND_HD double normal_portable_double() { return portable_.normal_double(*this); }

  // gpurand's own distributions (exponential, bernoulli, discrete): detail::stream_distributions,
  // portable (the same bits on every CPU and GPU), built from next() draws, so the window
  // accounting is next()'s, one count per draw.

  /// An unbiased integer in [low, high), as uint32: Lemire's multiply-shift with rejection in
  /// its wide form (gpurand/detail/integers.hpp): a try takes two next() draws x_hi, x_lo, the
  /// value is low + ((x_hi * 2^32 + x_lo) * r) >> 64 with r = high - low, and the try is
  /// rejected (two more draws) with probability < r / 2^64 <= 2^-32. r = 2^32 takes x_hi
  /// itself (never rejected). Cost: 2 draws per try, every draw counted in the window, so a
  /// launch should reserve 2 per value plus a margin for the rare rejection. Preconditions
  /// (the host API checks them, the device does not): low < high <= 2^32.
  GPURAND_HD std::uint32_t integer(std::uint64_t low, std::uint64_t high) {
    return detail::integer_value([this] { return next(); }, low, high);
  }
  /// An unbiased integer in [low, high), as uint64: the wide form on 64-bit words, a try takes
  /// four next() draws (two 64-bit words, high word first, each word high half first), rejected
  /// with probability < 2^-64. Cost: 4 draws per try, all counted. Precondition: low < high.
  GPURAND_HD std::uint64_t integer64(std::uint64_t low, std::uint64_t high) {
    return detail::integer64_value([this] { return next(); }, low, high);
  }

  /// skipahead(n): the same position as n calls of next().
  GPURAND_HD void discard(unsigned long long n) {
    consume(n);
    skipahead(n, &s_);
  }

  /// The subsequence this stream was created for (named in its error messages).
  GPURAND_HD std::uint64_t id() const { return id_; }

  /// The underlying cuRAND state, for cuRAND functions gpurand does not wrap.
  /// Draws taken through it bypass the window check.
  GPURAND_HD state_type& state() { return s_; }

 private:
  GPURAND_HD void consume(std::uint64_t n) {
#if GPURAND_CHECK_WINDOW
    if (n > remaining_) detail::window_overrun(id_, report_);
    remaining_ -= n;
#else
    (void)n;
#endif
  }
  template <class R>
  GPURAND_HD R four(R (*fn)(curandStatePhilox4_32_10_t*)) {
    static_assert(E == engine::philox4_32_10, "cuRAND has the 4-wide forms for Philox only");
    consume(4);
    return fn(&s_);
  }

  // The window fields exist in every build mode: one layout whatever
  // NDEBUG / GPURAND_CHECK_WINDOW say, so translation units built both ways
  // (a debug user file, the release library) agree on the type.
  state_type s_;
  detail::portable_normal_cache portable_;  // the portable normals' cached second values
  std::uint64_t id_ = 0;
  std::uint64_t remaining_ = ~std::uint64_t{0};
  std::uint64_t* report_ = nullptr;
};

template <engine E>
GPURAND_HD basic_stream<E> launch_handle::stream(std::uint64_t id) const {
  return basic_stream<E>(*this, id);
}

/// The global linear thread index across blocks (1-D, 2-D or 3-D launches),
/// the default subsequence id for h.stream().
#if defined(__CUDACC__)
__device__ inline std::uint64_t global_thread_id() {
  const std::uint64_t block =
      blockIdx.x + static_cast<std::uint64_t>(gridDim.x) *
                       (blockIdx.y + static_cast<std::uint64_t>(gridDim.y) * blockIdx.z);
  const std::uint64_t per_block = static_cast<std::uint64_t>(blockDim.x) * blockDim.y * blockDim.z;
  const std::uint64_t thread = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  return block * per_block + thread;
}

template <engine E>
__device__ basic_stream<E> launch_handle::stream() const {
  return basic_stream<E>(*this, global_thread_id());
}
#endif

}  // namespace gpurand

#include "gpurand/detail/poisson.cuh"  // basic_stream::poisson
