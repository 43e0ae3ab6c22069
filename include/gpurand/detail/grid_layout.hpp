#pragma once
// The per-thread writer's output shape, shared by the kernels, the CPU
// backend and the launch boundary (plain C++, no CUDA header).

#include <cstdint>

#include "gpurand/config.hpp"

namespace gpurand::detail {

/// Threads [first_thread, first_thread + threads), per_thread values each,
/// thread-major or (interleave) draw-major.
struct grid_layout {
  std::uint64_t first_thread;
  std::uint64_t threads;
  std::uint64_t per_thread;
  bool interleave;

  /// Index of thread g's first value in the output.
  GPURAND_HD std::uint64_t start(std::uint64_t g) const {
    return interleave ? g - first_thread : (g - first_thread) * per_thread;
  }
  /// Distance between consecutive values of one thread.
  GPURAND_HD std::uint64_t stride() const { return interleave ? threads : 1; }
};

}  // namespace gpurand::detail
