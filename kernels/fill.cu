// __global__ kernels behind the host API: bulk fills and the per-thread
// writer. The per-element work is the shared __host__ __device__ body in
// gpurand/detail/bulk.cuh, so the CPU backend runs exactly the same code.

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <type_traits>

#include "backend/cuda/cuda_check.hpp"
#include "backend/cuda/host.hpp"
#include "gpurand/detail/bulk.cuh"
#include "gpurand/detail/table.hpp"
#include "gpurand/discrete.hpp"
#include "launch.hpp"
#include "shifted_store.hpp"

namespace gpurand::detail {
namespace {

using cuda::before_launch;

// A 16-byte vector of one group: uint4 / float4 / double2.
template <class T, unsigned N>
struct alignas(16) group_vec {
  T v[N];
};

/// A captured fill's seed and offset for this replay, read once per block
/// from the slot in pinned host memory (volatile: the previous replay's
/// advance kernel wrote it). False: the window is used up, write the poison.
__device__ bool captured_params(const capture_slot* slot, std::uint64_t& seed,
                                std::uint64_t& offset) {
  __shared__ std::uint64_t s[3];
  if (threadIdx.x == 0) {
    const volatile capture_slot* v = slot;
    s[0] = v->seed;
    s[1] = v->next;
    s[2] = v->end;
  }
  __syncthreads();
  seed = s[0];
  offset = s[1];
  return capture_has_room(s[1], s[2]);
}

/// A replay past its capture window: all-one bytes over `out` (NaN for
/// floats and doubles), never the numbers of an earlier replay.
template <class T>
__device__ void write_poison(T* out, std::size_t n) {
  using bits = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;
  static_assert(sizeof(bits) == sizeof(T), "4- or 8-byte values");
  const bits ones = ~bits{0};
  T v;
  memcpy(&v, &ones, sizeof v);
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x; i < n;
       i += stride)
    out[i] = v;
}

/// Grid-strided bulk fill into 16-byte aligned output: full groups go out
/// as one 16-byte store; the tail group (n not a multiple of the group size)
/// stores element by element. Groups that are not 16 bytes (discrete: two
/// 4-byte values) store element by element from any natural alignment.
template <dist D>
__global__ void bulk_kernel(std::uint64_t seed, std::uint64_t offset, std::uint64_t first_group,
                            std::size_t n, fill_params<typename bulk_traits<D>::value> np,
                            typename bulk_traits<D>::value* out, const capture_slot* capture) {
  using T = typename bulk_traits<D>::value;
  if (capture != nullptr && !captured_params(capture, seed, offset)) return write_poison(out, n);
  constexpr unsigned per = bulk_traits<D>::per_group;
  const std::uint64_t groups = (n + per - 1) / per;
  const std::uint64_t full = n / per;
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t g = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x;
       g < groups; g += stride) {
    group_vec<T, per> r;
    bulk_group<D>(seed, offset, first_group + g, np, r.v);
    if (sizeof(T) * per == 16 && g < full) {
      reinterpret_cast<group_vec<T, per>*>(out)[g] = r;
    } else {
      const std::uint64_t base = g * per;
      for (unsigned l = 0; l < per; ++l)
        if (base + l < n) out[base + l] = r.v[l];
    }
  }
}

/// Bulk fill into naturally aligned output whose first 16-byte boundary is
/// `Shift` values in (see shifted_store.hpp): the thread of group g stores
/// the aligned vector g, made of its own group and its right neighbour's
/// (a warp shuffle; lane 31 computes the next group itself), so the body
/// keeps 16-byte stores. The thread of group 0 also stores the head.
/// Needs blockDim.x to be a multiple of 32 (whole warps loop together).
template <dist D, unsigned Shift>
__global__ void bulk_kernel_shifted(std::uint64_t seed, std::uint64_t offset,
                                    std::uint64_t first_group, std::size_t n,
                                    fill_params<typename bulk_traits<D>::value> np,
                                    typename bulk_traits<D>::value* out,
                                    const capture_slot* capture) {
  using T = typename bulk_traits<D>::value;
  if (capture != nullptr && !captured_params(capture, seed, offset)) return write_poison(out, n);
  constexpr unsigned per = bulk_traits<D>::per_group;
  const std::uint64_t groups = (n + per - 1) / per;
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  const unsigned lane = threadIdx.x % 32;
  for (std::uint64_t base =
           blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x - lane;
       base < groups; base += stride) {
    const std::uint64_t g = base + lane;
    T cur[per] = {};
    if (g < groups) bulk_group<D>(seed, offset, first_group + g, np, cur);
    T next[per];
#pragma unroll
    for (unsigned l = 0; l < per; ++l) next[l] = __shfl_down_sync(0xffffffffu, cur[l], 1);
    if (lane == 31 && g + 1 < groups) bulk_group<D>(seed, offset, first_group + g + 1, np, next);
    if (g >= groups) continue;
    if (g == 0)
      for (unsigned l = 0; l < Shift; ++l)
        if (l < n) out[l] = cur[l];
    group_vec<T, per> v;
    shifted_vector<per, Shift>(cur, next, v.v);
    const std::uint64_t i0 = Shift + per * g;
    if (i0 + per <= n) {
      *reinterpret_cast<group_vec<T, per>*>(out + i0) = v;
    } else {
      for (unsigned l = 0; l < per; ++l)
        if (i0 + l < n) out[i0 + l] = v.v[l];
    }
  }
}

/// A variable-draw body that ran out of budget (subsequence `id`): recorded in the report
/// words (flag 2: a budget, not a trapped window overrun) for the host to turn into
/// Error(exhausted). No trap: the other threads finish, the call fails as a whole.
__device__ void report_budget(std::uint64_t* report, std::uint64_t id) {
  if (report != nullptr &&
      atomicCAS(reinterpret_cast<unsigned long long*>(report), 0ull, 2ull) == 0ull) {
    report[1] = id;
    __threadfence_system();
  }
}

template <engine E, dist D>
__global__ void grid_kernel(std::uint64_t seed, std::uint64_t offset, grid_layout layout,
                            fill_params<typename bulk_traits<D>::value> p, std::uint64_t budget,
                            std::uint64_t* report, typename bulk_traits<D>::value* out) {
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x;
       i < layout.threads; i += stride) {
    const std::uint64_t g = layout.first_thread + i;
    // cuRAND's device functions for every engine, Philox included (the CPU writer's
    // toolkit-free Philox stream gives the same bits); a variable-draw row reads
    // variable_stream_t<E> on both sides (on Philox a draw_cursor, cuRAND's draws).
    if (!thread_stream_body<E, D, basic_stream<E>>(
            seed, offset, g, layout.per_thread, layout.stride(), out + layout.start(g), p, budget))
      report_budget(report, g);
  }
}

/// A variable-draw bulk fill: one thread per group (grid-strided), element stores.
template <dist D>
__global__ void variable_bulk_kernel(std::uint64_t seed, std::uint64_t offset,
                                     std::uint64_t first_group, std::size_t n,
                                     fill_params<typename bulk_traits<D>::value> p,
                                     std::uint64_t* report, typename bulk_traits<D>::value* out) {
  constexpr unsigned per = bulk_traits<D>::per_group;
  const std::uint64_t groups = (n + per - 1) / per;
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t j = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x;
       j < groups; j += stride) {
    const std::uint64_t i = j * per;
    const unsigned count = static_cast<unsigned>(n - i < per ? n - i : per);
    if (!variable_group<D>(seed, offset, first_group + j, bulk_traits<D>::bulk_draws, p, i, count,
                           out + i))
      report_budget(report, first_group + j);
  }
}

/// The discrete table's view on the current device (copied there on first use); none for the
/// other kinds.
template <dist D, class Request>
discrete_view device_table(const Request& req) {
  if constexpr (D == dist::discrete)
    return req.table->device_view();
  else
    return {};
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
  block =
      std::max(32, s.block / 32 * 32);  // whole warps: the shifted kernel shuffles across a warp
  const std::uint64_t need = (work + block - 1) / block;
  grid = static_cast<int>(std::max<std::uint64_t>(1, std::min<std::uint64_t>(need, s.grid)));
}

template <dist D, unsigned Shift>
void bulk_launch(std::uint64_t seed, std::uint64_t offset, std::uint64_t first_group, std::size_t n,
                 fill_params<typename bulk_traits<D>::value> np,
                 typename bulk_traits<D>::value* out, cudaStream_t s, const capture_slot* capture) {
  const std::uint64_t groups = (n + bulk_traits<D>::per_group - 1) / bulk_traits<D>::per_group;
  int grid = 0, block = 0;
  if constexpr (Shift == 0) {
    launch_shape<bulk_kernel<D>>(groups, grid, block);
    before_launch();
    bulk_kernel<D><<<grid, block, 0, s>>>(seed, offset, first_group, n, np, out, capture);
  } else {
    launch_shape<bulk_kernel_shifted<D, Shift>>(groups, grid, block);
    before_launch();
    bulk_kernel_shifted<D, Shift>
        <<<grid, block, 0, s>>>(seed, offset, first_group, n, np, out, capture);
  }
  GPURAND_CUDA_CHECK_LAUNCH();
}

}  // namespace

template <dist D>
void gpu_bulk(const bulk_request& req, void* out, void* stream, const capture_slot* capture) {
  using T = typename bulk_traits<D>::value;
  const auto s = static_cast<cudaStream_t>(stream);
  if constexpr (bulk_traits<D>::variable) {
    (void)capture;  // Generator::bulk refuses to capture a variable-draw fill
    const std::uint64_t groups =
        (req.n + bulk_traits<D>::per_group - 1) / bulk_traits<D>::per_group;
    int grid = 0, block = 0;
    launch_shape<variable_bulk_kernel<D>>(groups, grid, block);
    before_launch();
    variable_bulk_kernel<D><<<grid, block, 0, s>>>(req.seed, req.offset, req.first_group, req.n,
                                                   make_params<D>(req), cuda::window_report_slot(),
                                                   static_cast<T*>(out));
    GPURAND_CUDA_CHECK_LAUNCH();
    return;
  } else {
    const fill_params<T> np = make_params<D>(req, device_table<D>(req));
    T* o = static_cast<T*>(out);
    const std::uint64_t seed = req.seed, offset = req.offset, first_group = req.first_group;
    const std::size_t n = req.n;
    // dispatch.cpp refused output that is not aligned to sizeof(T).
    if constexpr (sizeof(T) * bulk_traits<D>::per_group != 16) {  // element stores: any alignment
      bulk_launch<D, 0>(seed, offset, first_group, n, np, o, s, capture);
    } else {
      switch (values_to_alignment(reinterpret_cast<std::uintptr_t>(out), sizeof(T))) {
        case 0: return bulk_launch<D, 0>(seed, offset, first_group, n, np, o, s, capture);
        case 1: return bulk_launch<D, 1>(seed, offset, first_group, n, np, o, s, capture);
        default:
          if constexpr (bulk_traits<D>::per_group == 4) {
            if (values_to_alignment(reinterpret_cast<std::uintptr_t>(out), sizeof(T)) == 2)
              return bulk_launch<D, 2>(seed, offset, first_group, n, np, o, s, capture);
            return bulk_launch<D, 3>(seed, offset, first_group, n, np, o, s, capture);
          }
      }
    }
  }
}

template <engine E, dist D>
void gpu_grid(const grid_request& req, void* out, void* stream) {
  const grid_layout layout{req.first_thread, req.threads, req.per_thread, req.interleave};
  int grid = 0, block = 0;
  launch_shape<grid_kernel<E, D>>(layout.threads, grid, block);
  before_launch();
  const std::uint64_t budget =
      bulk_traits<D>::variable ? draws_for(E, D, req.per_thread) : ~std::uint64_t{0};
  grid_kernel<E, D><<<grid, block, 0, static_cast<cudaStream_t>(stream)>>>(
      req.seed, req.offset, layout, make_params<D>(req, device_table<D>(req)), budget,
      cuda::window_report_slot(), static_cast<typename bulk_traits<D>::value*>(out));
  GPURAND_CUDA_CHECK_LAUNCH();
}

__global__ void capture_advance_kernel(capture_slot* slot) {
  volatile capture_slot* v = slot;
  capture_slot s;
  s.seed = v->seed;
  s.next = v->next;
  s.end = v->end;
  s.overruns = v->overruns;
  s = capture_advanced(s);
  v->next = s.next;
  v->overruns = s.overruns;
  __threadfence_system();  // the host polls `overruns` without a CUDA call
}

void gpu_capture_advance(capture_slot* slot, void* stream) {
  before_launch();
  capture_advance_kernel<<<1, 1, 0, static_cast<cudaStream_t>(stream)>>>(slot);
  GPURAND_CUDA_CHECK_LAUNCH();
}

// The launchers of every table entry, instantiated and emitted here.
extern const auto gpu_launcher_entry_points = table_entry_points(
    [](auto d) { return &gpu_bulk<decltype(d)::value>; },
    [](auto e, auto d) { return &gpu_grid<decltype(e)::value, decltype(d)::value>; });

}  // namespace gpurand::detail
