// __global__ kernels behind the host API: bulk fills and the per-thread
// writer. The per-element work is the shared __host__ __device__ body in
// gpurand/detail/bulk.cuh, so the CPU backend runs exactly the same code.

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <tuple>

#include "cuda_check.hpp"
#include "gpurand/detail/bulk.cuh"
#include "gpurand/detail/table.hpp"
#include "launch.hpp"

namespace gpurand::detail {
namespace {

// A 16-byte vector of one group: uint4 / float4 / double2.
template <class T, unsigned N>
struct alignas(16) group_vec {
  T v[N];
};

/// Grid-strided bulk fill. Full groups go out as one 16-byte store when the
/// output is 16-byte aligned; the tail group (n not a multiple of the group
/// size) stores element by element.
template <dist D, bool Aligned>
__global__ void bulk_kernel(std::uint64_t seed, std::uint64_t offset, std::uint64_t first_group,
                            std::size_t n, normal_params<typename bulk_traits<D>::value> np,
                            typename bulk_traits<D>::value* out) {
  using T = typename bulk_traits<D>::value;
  constexpr unsigned per = bulk_traits<D>::per_group;
  const std::uint64_t groups = (n + per - 1) / per;
  const std::uint64_t full = n / per;
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t g = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x;
       g < groups; g += stride) {
    group_vec<T, per> r;
    bulk_group<D>(seed, offset, first_group + g, np, r.v);
    if (Aligned && g < full) {
      reinterpret_cast<group_vec<T, per>*>(out)[g] = r;
    } else {
      const std::uint64_t base = g * per;
      for (unsigned l = 0; l < per; ++l)
        if (base + l < n) out[base + l] = r.v[l];
    }
  }
}

template <engine E, dist D>
__global__ void grid_kernel(std::uint64_t seed, std::uint64_t offset, grid_layout layout,
                            typename bulk_traits<D>::value* out) {
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x;
       i < layout.threads; i += stride) {
    const std::uint64_t g = layout.first_thread + i;
    thread_stream_body<E, D>(seed, offset, g, layout.per_thread, layout.stride(),
                             out + layout.start(g));
  }
}

/// Block size from the occupancy calculator, grid capped at what the device
/// keeps resident (the loops are grid-strided); computed once per kernel.
template <auto Kernel>
void launch_shape(std::uint64_t work, int& grid, int& block) {
  struct shape {
    int grid, block;
  };
  static const shape s = [] {
    shape r{0, 0};
    GPURAND_CUDA_CHECK(cudaOccupancyMaxPotentialBlockSize(&r.grid, &r.block, Kernel, 0, 0));
    return r;
  }();
  block = s.block;
  const std::uint64_t need = (work + block - 1) / block;
  grid = static_cast<int>(std::max<std::uint64_t>(1, std::min<std::uint64_t>(need, s.grid)));
}

}  // namespace

template <dist D>
void gpu_bulk(const bulk_request& req, void* out, void* stream) {
  using T = typename bulk_traits<D>::value;
  const auto s = static_cast<cudaStream_t>(stream);
  const normal_params<T> np{static_cast<T>(req.mean), static_cast<T>(req.stddev)};
  const std::uint64_t groups = (req.n + bulk_traits<D>::per_group - 1) / bulk_traits<D>::per_group;
  int grid = 0, block = 0;
  T* o = static_cast<T*>(out);
  if (reinterpret_cast<std::uintptr_t>(out) % 16 == 0) {
    launch_shape<bulk_kernel<D, true>>(groups, grid, block);
    bulk_kernel<D, true>
        <<<grid, block, 0, s>>>(req.seed, req.offset, req.first_group, req.n, np, o);
  } else {
    launch_shape<bulk_kernel<D, false>>(groups, grid, block);
    bulk_kernel<D, false>
        <<<grid, block, 0, s>>>(req.seed, req.offset, req.first_group, req.n, np, o);
  }
  GPURAND_CUDA_CHECK_LAUNCH();
}

template <engine E, dist D>
void gpu_grid(const grid_request& req, void* out, void* stream) {
  const grid_layout layout{req.first_thread, req.threads, req.per_thread, req.interleave};
  int grid = 0, block = 0;
  launch_shape<grid_kernel<E, D>>(layout.threads, grid, block);
  grid_kernel<E, D><<<grid, block, 0, static_cast<cudaStream_t>(stream)>>>(
      req.seed, req.offset, layout, static_cast<typename bulk_traits<D>::value*>(out));
  GPURAND_CUDA_CHECK_LAUNCH();
}

namespace {
// The launchers of every engine and distribution of the table, referenced
// from an object with external linkage so that they are instantiated and
// emitted here, where they are defined (the host dispatch calls them by type).
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
