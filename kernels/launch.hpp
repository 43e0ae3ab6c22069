#pragma once
// Launch helpers for the kernels in kernels/*.cu, declared in plain C++ so
// that the host component (compiled by g++) can call them. Every function
// enqueues on `stream` (a cudaStream_t, nullptr = default stream), checks the
// launch, and does not synchronise. Pointers are device-accessible memory.
// The host dispatch (src/dispatch.cpp) turns the run-time engine and
// distribution into these template arguments once (detail::visit); fill.cu
// instantiates them for every entry of the table (gpurand/detail/table.hpp).

#include <cstddef>
#include <cstdint>

#include "capture_slot.hpp"
#include "gpurand/detail/grid_layout.hpp"
#include "gpurand/gpurand.hpp"

namespace gpurand::detail {

/// Bulk fill of req.n values of D at (req.seed, req.offset) in the contract
/// layout. Values [first_group * per_group, + n) of the layout go to out[0..n).
/// Only the request's numbers are read (kind and backend are the caller's).
/// With `capture` (a fill being captured into a CUDA graph) the kernel takes
/// its seed and offset from the slot at each replay instead of req.seed and
/// req.offset (see capture_slot.hpp); nullptr: the plain fill, unchanged.
template <dist D>
void gpu_bulk(const bulk_request& req, void* out, void* stream,
              const capture_slot* capture = nullptr);

/// The replay step after a captured fill: advances `slot` on `stream`.
void gpu_capture_advance(capture_slot* slot, void* stream);

/// Per-thread writer (see grid_request): threads [first_thread, + threads).
template <engine E, dist D>
void gpu_grid(const grid_request& req, void* out, void* stream);

}  // namespace gpurand::detail
