#pragma once
// The per-thread writer shared by the GPU kernels (kernels/) and the CPU
// backend (src/), plus (through bulk.hpp) the Philox bulk bodies. The writer
// runs any engine through cuRAND's device API (gpurand/device.cuh), so this
// header needs <curand_kernel.h>; the bulk bodies in bulk.hpp do not.

#include <cstdint>

#include "gpurand/detail/bulk.hpp"
#include "gpurand/detail/grid_layout.hpp"
#include "gpurand/detail/poisson.cuh"
#include "gpurand/detail/variable.hpp"
#include "gpurand/device.cuh"

namespace gpurand::detail {

/// A basic_stream<E> with a budget of draws of its own, for the per-thread writer's
/// variable-draw rows: a call that would draw past the budget returns a filler (0) without
/// drawing and marks the stream exhausted (tested by draws_left), so no number from past the
/// thread's window is ever produced.
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

/// One value of a variable-draw row from a budgeted stream or cursor.
template <dist D, class Stream>
GPURAND_HD GPURAND_FORCEINLINE typename dist_traits<D>::value variable_value(Stream& s,
                                                                             double lambda) {
  static_assert(D == dist::poisson, "a variable-draw row without a body");
  return poisson_value(s, lambda);
}

/// Thread `g` of the per-thread writer: `k` values of its own stream
/// curand_init(seed, g, offset), written to out[0], out[stride], ...
/// (stride 1: thread-major; stride = threads: interleaved). A variable-draw
/// row reads at most `budget` draws (its window, draws_for(E, D, k)) and
/// returns false if it needed more (its values are then invalid); the
/// others always return true.
template <engine E, dist D, class T>
GPURAND_HD GPURAND_FORCEINLINE bool thread_stream_body(std::uint64_t seed, std::uint64_t offset,
                                                       std::uint64_t g, std::uint64_t k,
                                                       std::uint64_t stride, T* out,
                                                       const dist_params& p = {},
                                                       std::uint64_t budget = ~std::uint64_t{0}) {
  if constexpr (dist_traits<D>::variable) {
    budgeted_stream<E> s(seed, g, offset, budget);
    for (std::uint64_t i = 0; i < k && !s.exhausted(); ++i)
      out[i * stride] = variable_value<D>(s, p.lambda);
    return !s.exhausted();
  } else {
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
      else if constexpr (D == dist::log_normal)  // curand_log_normal takes float parameters
        v = s.log_normal(static_cast<float>(p.mean), static_cast<float>(p.stddev));
      else if constexpr (D == dist::log_normal_double)
        v = s.log_normal_double(p.mean, p.stddev);
      else
        v = s.normal_portable_double();
      out[i * stride] = v;
    }
    return true;
  }
}

/// Group `sub` of a variable-draw bulk fill at (seed, offset): the first `count` values (at
/// most per_group) into v, read through a cursor of `budget` draws (bulk_draws, or less).
/// `lambdas`, when per-element, points at the group's first value's lambda. Returns false
/// if the budget ran out (the values are then invalid).
template <dist D, class T>
GPURAND_HD GPURAND_FORCEINLINE bool variable_group(std::uint64_t seed, std::uint64_t offset,
                                                   std::uint64_t sub, std::uint64_t budget,
                                                   double lambda, const double* lambdas,
                                                   unsigned count, T* v) {
  draw_cursor c(seed, sub, offset, budget);
  static_assert(D == dist::poisson, "a variable-draw row without a group body");
  poisson_group(c, poisson_lambdas{lambda, lambdas}, count, v);
  return !c.exhausted();
}

}  // namespace gpurand::detail
