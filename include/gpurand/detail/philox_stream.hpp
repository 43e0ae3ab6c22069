#pragma once
// A per-thread Philox4x32-10 stream that needs no CUDA header: cuRAND's
// curandStatePhilox4_32_10_t and its device functions (curand_init, curand, curand4,
// curand_uniform, curand_normal, curand_uniform_double, curand_normal_double, the 2-wide forms,
// skipahead, skipahead_sequence) rebuilt on the pure engine (gpurand/philox.hpp) and cuRAND's
// transforms (gpurand/detail/transforms.hpp), bit for bit, including the cached second value of
// each Box-Muller pair. tests/philox_stream_test.cpp compares every method with cuRAND's own
// functions.
//
// The CPU backend's per-thread writer runs Philox through this class in every build (see
// writer_stream in gpurand/detail/bulk.cuh), so a build without the CUDA toolkit still writes
// cuRAND's Philox streams. Its members have gpurand::basic_stream's names, so the writer's body
// takes either. Plain C++17; __host__ __device__ under nvcc.
//
// The state, as cuRAND keeps it: a 128-bit counter (block: the low 64 bits, counting 4-word
// Philox blocks; subsequence: the high 64 bits), the key (the seed), the current block's output
// and the position (0..3) of the next draw in it. cuRAND's counter arithmetic wraps the whole
// 128 bits, so a block count that overflows carries into the subsequence words; this class does
// the same.

#include <cstdint>

#include "gpurand/config.hpp"
#include "gpurand/detail/normal_cache.hpp"
#include "gpurand/detail/transforms.hpp"
#include "gpurand/philox.hpp"

namespace gpurand::detail {

/// cuRAND's curandStatePhilox4_32_10_t with its device API, in plain C++. Also a
/// <random>-style 32-bit engine.
class plain_philox_stream {
 public:
  using result_type = unsigned int;
  static constexpr result_type min() { return 0u; }
  static constexpr result_type max() { return 0xffffffffu; }

  plain_philox_stream() = default;

  /// curand_init(seed, subsequence, offset): subsequence `subsequence` of the stream keyed by
  /// `seed`, `offset` draws in (any offset: one not a multiple of 4 starts inside a block).
  GPURAND_HD plain_philox_stream(std::uint64_t seed, std::uint64_t subsequence,
                                 std::uint64_t offset)
      : key_(philox_seed_key(seed)) {
    skipahead_sequence(subsequence);
    skipahead(offset);
  }

  GPURAND_HD result_type operator()() { return next(); }

  /// curand(): the next 32-bit draw.
  GPURAND_HD unsigned int next() {
    const unsigned int r = word(out_, pos_);
    if (++pos_ == 4) {
      step();
      pos_ = 0;
    }
    return r;
  }

  /// curand4(): the next four draws, in order (the position inside a block is kept).
  GPURAND_HD philox_counter next4() {
    const philox_counter a = out_;
    step();
    const philox_counter& b = out_;
    switch (pos_) {
      case 1: return philox_counter{{a.v[1], a.v[2], a.v[3], b.v[0]}};
      case 2: return philox_counter{{a.v[2], a.v[3], b.v[0], b.v[1]}};
      case 3: return philox_counter{{a.v[3], b.v[0], b.v[1], b.v[2]}};
      default: return a;
    }
  }

  /// curand_uniform(): a float in (0, 1] from one draw.
  GPURAND_HD float uniform() { return uniform_float(next()); }

  /// curand_uniform_double(): a double in (0, 1] from one draw (32 random bits, as cuRAND's
  /// Philox gives; uniform2_double has 53).
  GPURAND_HD double uniform_double() { return uniform_double_u32(next()); }

  /// curand_normal(): Box-Muller over two draws; the second value of each pair is returned by
  /// the next call (which draws nothing).
  GPURAND_HD float normal() {
    return normal_.take([&] { return normal2(); });
  }

  /// curand_normal_double(): Box-Muller over one next4(); the second value is cached apart
  /// from normal()'s.
  GPURAND_HD double normal_double() {
    return normal_double_.take([&] { return normal2_double(); });
  }

  /// curand_normal2(): both values of one Box-Muller pair over two draws (the cache untouched).
  GPURAND_HD float_pair normal2() {
    const unsigned int x = next();
    const unsigned int y = next();
    return box_muller_float(x, y);
  }

  /// curand_uniform2_double(): two 53-bit doubles in (0, 1) from one next4().
  GPURAND_HD double_pair uniform2_double() {
    const philox_counter x = next4();
    return double_pair{uniform_double_hq(x.v[0], x.v[1]), uniform_double_hq(x.v[2], x.v[3])};
  }

  /// curand_normal2_double(): both values of one double Box-Muller pair over one next4().
  GPURAND_HD double_pair normal2_double() {
    const philox_counter x = next4();
    return box_muller_double(x.v[0], x.v[1], x.v[2], x.v[3]);
  }

  /// gpurand's portable normal (basic_stream::normal_portable).
  GPURAND_HD float normal_portable() { return portable_.normal(*this); }
  /// gpurand's portable double normal (basic_stream::normal_portable_double).
  GPURAND_HD double normal_portable_double() { return portable_.normal_double(*this); }

  /// skipahead(n): the position n calls of next() would reach. The Box-Muller caches are kept,
  /// as cuRAND keeps them.
  GPURAND_HD void skipahead(std::uint64_t n) {
    pos_ += static_cast<unsigned>(n & 3);
    n >>= 2;
    if (pos_ > 3) {
      ++n;
      pos_ -= 4;
    }
    block_ += n;
    if (block_ < n) ++subsequence_;  // the 128-bit counter carries
    out_ = current_block();
  }
  /// skipahead(n), under the <random> name.
  GPURAND_HD void discard(unsigned long long n) { skipahead(n); }

  /// skipahead_sequence(n): n subsequences (2^66 draws each) further on.
  GPURAND_HD void skipahead_sequence(std::uint64_t n) {
    subsequence_ += n;
    out_ = current_block();
  }

 private:
  GPURAND_HD static unsigned int word(const philox_counter& c, unsigned i) {
    // A switch, not c.v[i]: on the GPU a run-time index would put the block in local memory.
    switch (i) {
      case 1: return c.v[1];
      case 2: return c.v[2];
      case 3: return c.v[3];
      default: return c.v[0];
    }
  }
  GPURAND_HD philox_counter current_block() const {
    const philox_counter ctr{
        {static_cast<std::uint32_t>(block_), static_cast<std::uint32_t>(block_ >> 32),
         static_cast<std::uint32_t>(subsequence_), static_cast<std::uint32_t>(subsequence_ >> 32)}};
    return philox4x32_10(ctr, key_);
  }
  /// The next block: the 128-bit counter plus one.
  GPURAND_HD void step() {
    if (++block_ == 0) ++subsequence_;
    out_ = current_block();
  }

  std::uint64_t block_ = 0;        // counter words 0, 1
  std::uint64_t subsequence_ = 0;  // counter words 2, 3
  philox_key key_{};
  philox_counter out_{};      // the block the next draw comes from
  unsigned pos_ = 0;          // cuRAND's STATE: the next draw is out_.v[pos_]
  pair_cache<float> normal_;  // curand_normal's and curand_normal_double's second values
  pair_cache<double> normal_double_;
  portable_normal_cache portable_;
};

}  // namespace gpurand::detail
