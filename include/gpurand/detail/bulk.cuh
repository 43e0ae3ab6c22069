#pragma once
// The per-thread writer shared by the GPU kernels (kernels/) and the CPU
// backend (src/), plus (through bulk.hpp) the Philox bulk bodies. The CPU
// writer runs Philox through gpurand's toolkit-free stream
// (gpurand/detail/philox_stream.hpp, bit-identical to cuRAND's) and the other
// engines through cuRAND's device API (gpurand/device.cuh). Compiled with
// GPURAND_HAVE_CUDA=0 (a build without the CUDA toolkit) this header includes
// no CUDA header, and the writer offers Philox alone, without Poisson.

#include <cstdint>
#include <type_traits>

#include "gpurand/detail/bulk.hpp"
#include "gpurand/detail/grid_layout.hpp"
#include "gpurand/detail/integers.hpp"
#include "gpurand/detail/philox_stream.hpp"
#include "gpurand/detail/variable.hpp"
#if !defined(GPURAND_HAVE_CUDA) || GPURAND_HAVE_CUDA
#include "gpurand/device.cuh"  // with gpurand/detail/poisson.cuh (basic_stream::poisson)
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

/// The stream the CPU writer runs for engine E and a fixed-draw distribution D: the
/// toolkit-free Philox stream where it has D, else cuRAND's state (basic_stream<E>,
/// gpurand/device.cuh).
template <engine E, dist D>
using writer_stream_t = std::conditional_t<E == engine::philox4_32_10 && plain_philox_has<D>,
                                           plain_philox_stream, basic_stream<E>>;

/// Whether this build has the variable-draw bodies of D: the bounded integers
/// (gpurand/detail/integers.hpp) are plain C++ in every build; Poisson's 64..4000 regime calls
/// cuRAND's own helpers (__cr_pgammainc and the others, gpurand/detail/poisson.cuh), so a build
/// without the CUDA toolkit refuses it (Error(unsupported) from validate_bulk / validate_grid).
template <dist D>
inline constexpr bool has_variable_body =
    !dist_traits<D>::variable || D != dist::poisson || GPURAND_WRITER_HAS_CURAND;

/// Whether this build's CPU writer can run (E, D): a build without the CUDA toolkit has no
/// basic_stream, so Philox alone: the toolkit-free stream's distributions, and the
/// variable-draw rows that have a body (they read a draw_cursor, variable_stream_t).
template <engine E, dist D>
inline constexpr bool has_writer_stream =
    GPURAND_WRITER_HAS_CURAND != 0 ||
    (E == engine::philox4_32_10 &&
     (dist_traits<D>::variable ? has_variable_body<D>
                               : std::is_same_v<writer_stream_t<E, D>, plain_philox_stream>));

/// A basic_stream<E> with a budget of draws of its own, for the per-thread writer's
/// variable-draw rows on XORWOW and MRG32k3a: a call that would draw past the budget returns a
/// filler (0) without drawing and marks the stream exhausted (tested by draws_left), so no
/// number from past the thread's window is ever produced. A build without the CUDA toolkit
/// declares it without a body (it runs those engines nowhere).
template <engine E>
class budgeted_stream;
#if GPURAND_WRITER_HAS_CURAND
template <engine E>
class budgeted_stream {
 public:
  GPURAND_HD budgeted_stream(std::uint64_t seed, std::uint64_t id, std::uint64_t offset,
                             std::uint64_t budget)
      : s_(seed, id, offset), left_(budget) {}
  /// curand()
  GPURAND_HD unsigned next() { return take(1) ? s_.next() : 0u; }
  /// curand_uniform()
  GPURAND_HD float uniform() { return take(1) ? s_.uniform() : 0.0f; }
  /// curand_normal_double() (its cached second value costs nothing)
  GPURAND_HD double normal_double() {
    return take(s_.normal_double_draws()) ? s_.normal_double() : 0.0;
  }
  GPURAND_HD bool exhausted() const { return exhausted_; }

 private:
  GPURAND_HD bool take(std::uint64_t n) {
    if (exhausted_ || n > left_) {
      exhausted_ = true;
      return false;
    }
    left_ -= n;
    return true;
  }
  basic_stream<E> s_;
  std::uint64_t left_;
  bool exhausted_ = false;
};
template <engine E>
GPURAND_HD GPURAND_FORCEINLINE bool draws_left(const budgeted_stream<E>& s) {
  return !s.exhausted();
}
#endif

/// The budgeted stream a variable-draw row of the per-thread writer reads on engine E,
/// constructed as (seed, thread, offset, budget): on Philox a draw_cursor, which is
/// curand_init(seed, thread, offset)'s stream with a budget (toolkit-free: every build has
/// it), on the other engines a budgeted_stream<E> over cuRAND's state.
template <engine E>
using variable_stream_t =
    std::conditional_t<E == engine::philox4_32_10, draw_cursor, budgeted_stream<E>>;

/// One value of a variable-draw row from a budgeted stream (the per-thread writer): the same
/// body as the device API's rng.poisson / rng.integer / rng.integer64.
template <dist D, class Stream, class T>
GPURAND_HD GPURAND_FORCEINLINE typename dist_traits<D>::value variable_value(
    Stream& s, const fill_params<T>& p) {
  if constexpr (D == dist::poisson) {
#if GPURAND_WRITER_HAS_CURAND
    return poisson_value(s, p.lambda);
#else
    static_assert(has_variable_body<D>, "Poisson needs cuRAND's helpers (has_variable_body)");
#endif
  } else {
    auto draw = [&s] { return s.next(); };
    auto more = [&s] { return !s.exhausted(); };
    if constexpr (D == dist::integer) {
      return integer_value(draw, p.low, p.high, more);
    } else {
      static_assert(D == dist::integer64, "a variable-draw row without a body");
      return integer64_value(draw, p.low, p.high, more);
    }
  }
}

/// Group `sub` of a variable-draw bulk fill at (seed, offset): the first `count` values (at
/// most per_group) into v, read through a cursor of `budget` draws (bulk_draws, or less).
/// `first` is the index in the request of the group's first value (p.lambdas[first] is its
/// lambda when per-element). Returns false if the budget ran out (the values are then invalid).
template <dist D, class T>
GPURAND_HD GPURAND_FORCEINLINE bool variable_group(std::uint64_t seed, std::uint64_t offset,
                                                   std::uint64_t sub, std::uint64_t budget,
                                                   const fill_params<T>& p, std::uint64_t first,
                                                   unsigned count, T* v) {
  draw_cursor c(seed, sub, offset, budget);
  if constexpr (D == dist::poisson) {
#if GPURAND_WRITER_HAS_CURAND
    poisson_group(c, poisson_lambdas{p.lambda, p.lambdas ? p.lambdas + first : nullptr}, count, v);
#else
    static_assert(has_variable_body<D>, "Poisson needs cuRAND's helpers (has_variable_body)");
#endif
  } else {
    static_assert(D == dist::integer || D == dist::integer64,
                  "a variable-draw row without a group body");
    (void)first;  // read by Poisson's per-element lambdas only
    integer_group<D == dist::integer64>(c, p.low, p.high, count, v);
  }
  return !c.exhausted();
}

/// Thread `g` of the per-thread writer: `k` values of its own stream
/// curand_init(seed, g, offset), written to out[0], out[stride], ...
/// (stride 1: thread-major; stride = threads: interleaved). `Stream` runs the
/// draws: the CPU writer's writer_stream_t<E, D>; the GPU kernels pass basic_stream<E>.
/// `p`: the distribution's parameters (make_params of the grid_request).
/// A variable-draw row reads at most `budget` draws (its window, draws_for(E, D, k)) through
/// its variable_stream_t<E> (the same draws on the CPU and the GPU) and returns false if it
/// needed more (its values are then invalid); the others always return true.
template <engine E, dist D, class Stream = writer_stream_t<E, D>, class T>
GPURAND_HD GPURAND_FORCEINLINE bool thread_stream_body(std::uint64_t seed, std::uint64_t offset,
                                                       std::uint64_t g, std::uint64_t k,
                                                       std::uint64_t stride, T* out,
                                                       const fill_params<T>& p = {},
                                                       std::uint64_t budget = ~std::uint64_t{0}) {
  if constexpr (dist_traits<D>::variable) {
    variable_stream_t<E> s(seed, g, offset, budget);
    for (std::uint64_t i = 0; i < k && !s.exhausted(); ++i)
      out[i * stride] = variable_value<D>(s, p);
    return !s.exhausted();
  } else {
    (void)budget;  // read by the variable-draw rows only
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
      else if constexpr (D == dist::log_normal)  // curand_log_normal takes float parameters
        v = s.log_normal(p.mean, p.stddev);
      else if constexpr (D == dist::log_normal_double)
        v = s.log_normal_double(p.mean, p.stddev);
      else if constexpr (D == dist::exponential)
        v = s.exponential(static_cast<float>(p.lambda));
      else if constexpr (D == dist::bernoulli)
        v = s.bernoulli(bernoulli_param::from_threshold(p.threshold));
      else {
        static_assert(D == dist::discrete);
        v = s.discrete(p.table);
      }
      out[i * stride] = v;
    }
    return true;
  }
}

}  // namespace gpurand::detail
