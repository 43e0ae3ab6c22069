#pragma once
// The CPU backend: the same per-group and per-thread bodies as the GPU
// kernels (gpurand/detail/bulk.cuh), run over an emulated grid on all cores.
// Synchronous; `out` is host memory. Arguments are already validated.

#include <cstddef>
#include <cstdint>

#include "../kernels/launch.hpp"
#include "gpurand/gpurand.hpp"

namespace gpurand::detail {

void cpu_bulk(dist kind, std::uint64_t seed, std::uint64_t offset, std::uint64_t first_group,
              std::size_t n, double mean, double stddev, void* out);

void cpu_grid(engine eng, dist kind, std::uint64_t seed, std::uint64_t offset,
              const grid_layout& layout, void* out);

}  // namespace gpurand::detail
