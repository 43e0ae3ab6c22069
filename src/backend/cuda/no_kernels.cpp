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
void gpu_bulk(const bulk_request&, void*, void*) {
  no_cuda();
}

template <engine E, dist D>
void gpu_grid(const grid_request&, void*, void*) {
  no_cuda();
}

namespace {
// Instantiated for every entry of the table, as kernels/fill.cu does.
template <engine E, class... D>
constexpr auto gpu_grid_row(type_list<D...>) {
  return std::make_tuple(&gpu_grid<E, D::value>...);
}
template <class... D, class... E>
constexpr auto gpu_entry_points(type_list<D...>, type_list<E...>) {
  return std::make_tuple(&gpu_bulk<D::value>..., gpu_grid_row<E::value>(dist_list{})...);
}
}  // namespace
extern const auto gpu_launcher_entry_points = gpu_entry_points(dist_list{}, engine_list{});

}  // namespace gpurand::detail
