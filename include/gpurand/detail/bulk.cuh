#pragma once
// The per-group bodies shared by the GPU kernels (kernels/) and the CPU
// backend (src/): one __host__ __device__ function per distribution, so both
// sides run the same code and give the same bits.
//
// Bulk layout (the contract in gpurand.hpp): group j of a fill at offset o is
// the first draw of curand_init(seed, j, o): a curand4 / curand_uniform4 /
// curand_normal4 for 32-bit values (4 per group), a curand_uniform2_double /
// curand_normal2_double for doubles (2 per group).

#include <cstdint>
#include <type_traits>

#include "gpurand/detail/grid_layout.hpp"
#include "gpurand/detail/table.hpp"
#include "gpurand/device.cuh"

namespace gpurand::detail {

/// The four draws of curand4() right after curand_init(seed, sub, offset),
/// computed directly: curand_init + curand4 would evaluate Philox three times
/// (skipahead_sequence, skipahead and the look-ahead in curand4), this
/// evaluates it once, or twice when offset % 4 != 0 straddles two blocks.
GPURAND_HD GPURAND_FORCEINLINE uint4 philox_first4(std::uint64_t seed, std::uint64_t sub,
                                                   std::uint64_t offset) {
  const std::uint64_t block = offset >> 2;  // < 2^62: block + 1 never carries into sub
  uint2 key;
  key.x = static_cast<unsigned>(seed);
  key.y = static_cast<unsigned>(seed >> 32);
  uint4 ctr;
  ctr.x = static_cast<unsigned>(block);
  ctr.y = static_cast<unsigned>(block >> 32);
  ctr.z = static_cast<unsigned>(sub);
  ctr.w = static_cast<unsigned>(sub >> 32);
  const uint4 a = curand_Philox4x32_10(ctr, key);
  const unsigned shift = static_cast<unsigned>(offset & 3);
  if (shift == 0) return a;
  const std::uint64_t next = block + 1;
  ctr.x = static_cast<unsigned>(next);
  ctr.y = static_cast<unsigned>(next >> 32);
  const uint4 b = curand_Philox4x32_10(ctr, key);
  // Same lane selection as curand4() with STATE = shift.
  uint4 r;
  if (shift == 1) {
    r.x = a.y;
    r.y = a.z;
    r.z = a.w;
    r.w = b.x;
  } else if (shift == 2) {
    r.x = a.z;
    r.y = a.w;
    r.z = b.x;
    r.w = b.y;
  } else {
    r.x = a.w;
    r.y = b.x;
    r.z = b.y;
    r.w = b.z;
  }
  return r;
}

/// Value type and values per group of a bulk fill (four 32-bit values from
/// one 4-wide call, or two doubles from one 2-wide call): the table's entry.
template <dist D>
using bulk_traits = dist_traits<D>;

/// Scale parameters of a normal fill, in the value type (cuRAND's host
/// generator computes normal * stddev + mean in that type).
template <class T>
struct normal_params {
  T mean;
  T stddev;
};

/// Turns the four draws `x` of one group into its stored values: 32-bit
/// kinds fill v[0..3], doubles fill v[0..1]. Split from bulk_group so the CPU
/// backend can feed it draws computed with SIMD.
template <dist D, class T = typename bulk_traits<D>::value>
GPURAND_HD GPURAND_FORCEINLINE void bulk_transform(uint4 x, normal_params<T> np, T* v) {
  if constexpr (D == dist::u32) {
    v[0] = x.x;
    v[1] = x.y;
    v[2] = x.z;
    v[3] = x.w;
  } else if constexpr (D == dist::uniform) {
    const float4 f = _curand_uniform4(x);
    v[0] = f.x;
    v[1] = f.y;
    v[2] = f.z;
    v[3] = f.w;
  } else if constexpr (D == dist::normal) {
    const float2 a = _curand_box_muller(x.x, x.y);  // as curand_box_muller4
    const float2 b = _curand_box_muller(x.z, x.w);
    v[0] = a.x * np.stddev + np.mean;
    v[1] = a.y * np.stddev + np.mean;
    v[2] = b.x * np.stddev + np.mean;
    v[3] = b.y * np.stddev + np.mean;
  } else if constexpr (D == dist::uniform_double) {
    v[0] = _curand_uniform_double_hq(x.x, x.y);  // as curand_uniform2_double
    v[1] = _curand_uniform_double_hq(x.z, x.w);
  } else {
    const double2 a = _curand_box_muller_double(x.x, x.y, x.z, x.w);  // curand_normal2_double
    v[0] = a.x * np.stddev + np.mean;
    v[1] = a.y * np.stddev + np.mean;
  }
}

/// The values of group `sub` of a bulk fill at (seed, offset).
template <dist D, class T = typename bulk_traits<D>::value>
GPURAND_HD GPURAND_FORCEINLINE void bulk_group(std::uint64_t seed, std::uint64_t offset,
                                               std::uint64_t sub, normal_params<T> np, T* v) {
  bulk_transform<D>(philox_first4(seed, sub, offset), np, v);
}

/// Thread `g` of the per-thread writer: `k` values of its own stream
/// curand_init(seed, g, offset), written to out[0], out[stride], ...
/// (stride 1: thread-major; stride = threads: interleaved).
template <engine E, dist D, class T>
GPURAND_HD GPURAND_FORCEINLINE void thread_stream_body(std::uint64_t seed, std::uint64_t offset,
                                                       std::uint64_t g, std::uint64_t k,
                                                       std::uint64_t stride, T* out) {
  basic_stream<E> s(seed, g, offset);
  for (std::uint64_t i = 0; i < k; ++i) {
    T v;
    if constexpr (D == dist::u32)
      v = s.next();
    else if constexpr (D == dist::uniform)
      v = s.uniform();
    else if constexpr (D == dist::normal)
      v = s.normal();
    else if constexpr (D == dist::uniform_double)
      v = s.uniform_double();
    else
      v = s.normal_double();
    out[i * stride] = v;
  }
}

}  // namespace gpurand::detail
