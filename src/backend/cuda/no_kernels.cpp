// A build without CUDA (GPURAND_ENABLE_CUDA=OFF) has no kernels. The GPU
// backend is never resolved there (gpu_available() is false), so these only
// guard against a routing bug with a clear error instead of a link failure.

#include <tuple>

#include "gpurand/detail/table.hpp"
#include "launch.hpp"

namespace gpurand::detail {

namespace {
[[noreturn]] void no_cuda() {
  throw Error(errc::unsupported,
              "GPU backend: gpurand was built without CUDA "
              "(GPURAND_ENABLE_CUDA=OFF)");
}
}  // namespace

template <dist D>
void gpu_bulk(const bulk_request&, void*, void*, const capture_slot*) {
  no_cuda();
}

void gpu_capture_advance(capture_slot*, void*) { no_cuda(); }

template <engine E, dist D>
void gpu_grid(const grid_request&, void*, void*) {
  no_cuda();
}

// Instantiated for every entry of the table, as kernels/fill.cu does.
extern const auto gpu_launcher_entry_points = table_entry_points(
    [](auto d) { return &gpu_bulk<decltype(d)::value>; },
    [](auto e, auto d) { return &gpu_grid<decltype(e)::value, decltype(d)::value>; });

}  // namespace gpurand::detail
