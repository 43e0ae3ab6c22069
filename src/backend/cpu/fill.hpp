#pragma once
// The CPU backend: the same per-group and per-thread bodies as the GPU
// kernels (gpurand/detail/bulk.cuh), run over an emulated grid on all cores.
// Synchronous; `out` is host memory. Arguments are already validated. Typed
// like the GPU launchers (kernels/launch.hpp) and instantiated in
// fill.cpp for every entry of the table.

#include <cstddef>
#include <cstdint>

#include "gpurand/gpurand.hpp"

namespace gpurand::detail {

/// Error(unsupported) naming the engine or the distribution where this build's
/// per-thread writer cannot run (e, d): a build without the CUDA toolkit
/// (GPURAND_ENABLE_CUDA=OFF) runs Philox alone (XORWOW and MRG32k3a need
/// cuRAND's device functions), without Poisson (require_bulk_body's reason).
void require_writer(engine e, dist d);
/// Error(unsupported) naming the distribution where this build has no bulk body for it:
/// Poisson in a build without the CUDA toolkit (its 64..4000 regime calls cuRAND's helpers).
/// The bounded integers, the other variable-draw rows, have a body in every build.
void require_bulk_body(dist d);

template <dist D>
void cpu_bulk(const bulk_request& req, void* out);

template <engine E, dist D>
void cpu_grid(const grid_request& req, void* out);

/// Tests only: caps the draw budget of the CPU backend's variable-draw bodies (bulk groups and
/// grid threads) at `draws` when that is below their reservation (0: no cap), so that a test can
/// force Error(exhausted). A lower budget never overlaps anything.
void set_cpu_draw_budget_for_testing(std::uint64_t draws);

}  // namespace gpurand::detail
