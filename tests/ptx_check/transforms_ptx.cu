// Device code of gpurand's Philox function and transform copies next to cuRAND's originals, one
// kernel each, compiled to PTX only (no GPU needed). compare_ptx.cmake checks that each
// `mine_X` kernel is the same PTX as `ref_X` up to register names, labels and the placement of
// address conversions: then the GPU computes the same bits as cuRAND's device functions,
// __sincosf / sincospi and nvcc's FMA contraction included.

#include "gpurand/detail/bulk.hpp"
#include "gpurand/device.cuh"

namespace {
using gpurand::detail::box_muller_double;
using gpurand::detail::box_muller_float;
using gpurand::detail::double_pair;
using gpurand::detail::float_pair;
}  // namespace

extern "C" __global__ void mine_uniform(const unsigned* in, float* out) {
  out[threadIdx.x] = gpurand::detail::uniform_float(in[threadIdx.x]);
}
extern "C" __global__ void ref_uniform(const unsigned* in, float* out) {
  out[threadIdx.x] = _curand_uniform(in[threadIdx.x]);
}

extern "C" __global__ void mine_uniform_double(const uint2* in, double* out) {
  const uint2 x = in[threadIdx.x];
  out[threadIdx.x] = gpurand::detail::uniform_double_hq(x.x, x.y);
}
extern "C" __global__ void ref_uniform_double(const uint2* in, double* out) {
  const uint2 x = in[threadIdx.x];
  out[threadIdx.x] = _curand_uniform_double_hq(x.x, x.y);
}

extern "C" __global__ void mine_box_muller(const uint2* in, float2* out) {
  const uint2 x = in[threadIdx.x];
  const float_pair r = box_muller_float(x.x, x.y);
  out[threadIdx.x] = make_float2(r.x, r.y);
}
extern "C" __global__ void ref_box_muller(const uint2* in, float2* out) {
  const uint2 x = in[threadIdx.x];
  out[threadIdx.x] = _curand_box_muller(x.x, x.y);
}

extern "C" __global__ void mine_box_muller_double(const uint4* in, double2* out) {
  const uint4 x = in[threadIdx.x];
  const double_pair r = box_muller_double(x.x, x.y, x.z, x.w);
  out[threadIdx.x] = make_double2(r.x, r.y);
}
extern "C" __global__ void ref_box_muller_double(const uint4* in, double2* out) {
  const uint4 x = in[threadIdx.x];
  out[threadIdx.x] = _curand_box_muller_double(x.x, x.y, x.z, x.w);
}

extern "C" __global__ void mine_philox(const uint4* ctr, const uint2* key, uint4* out) {
  const uint4 c = ctr[threadIdx.x];
  const uint2 k = key[threadIdx.x];
  const gpurand::philox_counter r = gpurand::philox4x32_10(
      gpurand::philox_counter{{c.x, c.y, c.z, c.w}}, gpurand::philox_key{{k.x, k.y}});
  out[threadIdx.x] = make_uint4(r.v[0], r.v[1], r.v[2], r.v[3]);
}
extern "C" __global__ void ref_philox(const uint4* ctr, const uint2* key, uint4* out) {
  out[threadIdx.x] = curand_Philox4x32_10(ctr[threadIdx.x], key[threadIdx.x]);
}
