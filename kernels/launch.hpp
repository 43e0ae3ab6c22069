#pragma once
// Launch helpers for the kernels in kernels/*.cu, declared in plain C++ so
// that the host component (compiled by g++) can call them. Every function
// enqueues on `stream` (a cudaStream_t, nullptr = default stream), checks the
// launch, and does not synchronise. Pointers are device-accessible memory.

#include <cstddef>
#include <cstdint>

#include "gpurand/detail/grid_layout.hpp"
#include "gpurand/gpurand.hpp"

namespace gpurand::detail {

/// Bulk fill of n values of `kind` at (seed, offset) in the contract layout.
/// Values [first_group * per_group, + n) of the layout go to out[0..n).
void gpu_bulk(dist kind, std::uint64_t seed, std::uint64_t offset, std::uint64_t first_group,
              std::size_t n, double mean, double stddev, void* out, void* stream);

/// Per-thread writer (see grid_request): threads [first, first + count).
void gpu_grid(engine eng, dist kind, std::uint64_t seed, std::uint64_t offset,
              const grid_layout& layout, void* out, void* stream);

}  // namespace gpurand::detail
