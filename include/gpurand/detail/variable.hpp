#pragma once
/// \file variable.hpp
/// Variable draws: the budgeted cursor through which a variable-draw row (Poisson, bounded
/// integers with rejection) reads a subsequence: a bulk group's, or a Philox thread's of the
/// per-thread writer (variable_stream_t, bulk.cuh). Plain C++17; __host__ __device__ under nvcc.
///
/// A variable row of the table (gpurand/detail/table.hpp, flag `variable`) reserves
/// bulk_draws draws of every subsequence per bulk call, and its group j reads them through
/// draw_cursor(seed, j, offset, bulk_draws): the draws of cuRAND's curand_init(seed, j, offset)
/// stream, in order, never past the budget. A body that asks for more gets a deterministic
/// filler (0) instead of a draw past its window, and the cursor remembers it: the caller
/// checks exhausted() after the group and fails the call (Error(exhausted) on the CPU, the
/// report words on the GPU). Bodies with loops also test draws_left(cursor) in their loop
/// conditions, so that a spent budget ends them.
///
/// The cursor also offers cuRAND's scalar Philox transforms of its draws (uniform(),
/// normal_double() with curand_normal_double's cached second value), so a body written once
/// over "a stream with uniform() / normal_double() / next()" runs on a basic_stream (device
/// API, exact window accounting) and on the cursor (bulk fills, Philox writer) with the same bits.

#include <cstdint>

#include "gpurand/config.hpp"
#include "gpurand/detail/transforms.hpp"
#include "gpurand/philox.hpp"

namespace gpurand::detail {

/// The draws of the Philox stream (seed, subsequence) from `offset` on, at most `budget` of
/// them. Trivially copyable; one Philox evaluation per 4 draws.
class draw_cursor {
 public:
  GPURAND_HD draw_cursor(std::uint64_t seed, std::uint64_t subsequence, std::uint64_t offset,
                         std::uint64_t budget)
      : seed_(seed), sub_(subsequence), pos_(offset), left_(budget) {}

  /// The next 32-bit draw (curand()), or 0 once the budget is spent (then exhausted()).
  GPURAND_HD std::uint32_t next() {
    if (left_ == 0) {
      exhausted_ = true;
      return 0;
    }
    --left_;
    const unsigned lane = static_cast<unsigned>(pos_ & 3);
    if (lane == 0 || !have_) {
      block_ = philox_block(seed_, sub_, pos_ >> 2);
      have_ = true;
    }
    ++pos_;
    // Explicit selections: a run-time index into block_.v would put it in local memory on the GPU.
    return lane == 0   ? block_.v[0]
           : lane == 1 ? block_.v[1]
           : lane == 2 ? block_.v[2]
                       : block_.v[3];
  }
  /// curand_uniform(): (0, 1].
  GPURAND_HD float uniform() { return uniform_float(next()); }
  /// curand_normal_double() of a Philox state: a Box-Muller pair from 4 draws, the second
  /// value kept for the next call.
  GPURAND_HD double normal_double() {
    if (have_normal_) {
      have_normal_ = false;
      return normal_extra_;
    }
    const std::uint32_t x0 = next(), x1 = next(), y0 = next(), y1 = next();
    const double_pair p = box_muller_double(x0, x1, y0, y1);
    normal_extra_ = p.y;
    have_normal_ = true;
    return p.x;
  }

  /// True once a body asked for a draw past the budget: the group's values are invalid.
  GPURAND_HD bool exhausted() const { return exhausted_; }
  /// Draws left in the budget.
  GPURAND_HD std::uint64_t left() const { return left_; }

 private:
  std::uint64_t seed_, sub_, pos_, left_;
  philox_counter block_{};
  double normal_extra_ = 0.0;
  bool have_ = false;
  bool have_normal_ = false;
  bool exhausted_ = false;
};

/// Whether a stream may still draw: loops of variable-draw bodies test it so that a spent
/// budget ends them. A stream without a budget of its own (gpurand::basic_stream, whose window
/// check traps) always may; budgeted streams overload this.
template <class Stream>
GPURAND_HD GPURAND_FORCEINLINE constexpr bool draws_left(const Stream&) {
  return true;
}
GPURAND_HD GPURAND_FORCEINLINE bool draws_left(const draw_cursor& c) { return !c.exhausted(); }

}  // namespace gpurand::detail
