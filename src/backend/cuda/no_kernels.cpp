// A build without CUDA (GPURAND_ENABLE_CUDA=OFF) has no kernels. The GPU
// backend is never resolved there (gpu_available() is false), so these only
// guard against a routing bug with a clear error instead of a link failure.

#include "launch.hpp"

namespace gpurand::detail {

namespace {
[[noreturn]] void no_cuda() {
  throw Error(errc::unsupported,
              "GPU backend: gpurand was built without CUDA "
              "(GPURAND_ENABLE_CUDA=OFF)");
}
}  // namespace

void gpu_bulk(dist, std::uint64_t, std::uint64_t, std::uint64_t, std::size_t, double, double, void*,
              void*) {
  no_cuda();
}

void gpu_grid(engine, dist, std::uint64_t, std::uint64_t, const grid_layout&, void*, void*) {
  no_cuda();
}

}  // namespace gpurand::detail
