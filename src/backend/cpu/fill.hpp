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
/// cuRAND's device functions).
void require_writer(engine e, dist d);

template <dist D>
void cpu_bulk(const bulk_request& req, void* out);

template <engine E, dist D>
void cpu_grid(const grid_request& req, void* out);

}  // namespace gpurand::detail
