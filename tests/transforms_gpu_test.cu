// The device side of gpurand's Philox function and of its copies of cuRAND's transforms
// (gpurand/philox.hpp, gpurand/detail/transforms.hpp) against cuRAND's device functions, in one
// kernel: bit for bit, __sincosf / sincospi branch and nvcc's FMA contraction included; and the
// published known answers (tests/data/philox4x32_10_kat.txt) through philox4x32_10 on the device.
// The host side is checked in engine_test.cpp and transforms_test.cpp. Skips, saying why, without
// a GPU (tests/ptx_check compares the device code with cuRAND's without one).

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "gpurand/detail/bulk.hpp"
#include "gpurand/device.cuh"
#include "gpurand/gpurand.hpp"
#include "gpurand/philox.hpp"
#include "philox_kat.hpp"

namespace gpurand::test {
namespace {

// Per input (4 words a, 2 words of key k): words 0..3 Philox, 4..7 philox_draw4 at offset
// a[0], 8 uniform_float(a0), 9..10 uniform_double_hq(a0, a1), 11..12 box_muller_float(a0, a1),
// 13..16 box_muller_double(a0, a1, a2, a3), as raw bits. `mine` from gpurand, `ref` from cuRAND.
constexpr int kWords = 17;

__global__ void compare_kernel(const std::uint32_t* in, std::size_t n, std::uint32_t* mine,
                               std::uint32_t* ref) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  const std::uint32_t* a = in + 6 * i;
  std::uint32_t* m = mine + kWords * i;
  std::uint32_t* r = ref + kWords * i;
  const philox_counter pm =
      philox4x32_10(philox_counter{{a[0], a[1], a[2], a[3]}}, philox_key{{a[4], a[5]}});
  const uint4 pr = curand_Philox4x32_10(make_uint4(a[0], a[1], a[2], a[3]), make_uint2(a[4], a[5]));
  const std::uint64_t seed = a[4] | (std::uint64_t{a[5]} << 32);
  const std::uint64_t sub = a[2] | (std::uint64_t{a[3]} << 32);
  const philox_counter dm = philox_draw4(seed, sub, a[0]);
  curandStatePhilox4_32_10_t s;
  curand_init(seed, sub, a[0], &s);
  const uint4 dr = curand4(&s);
  const float um = detail::uniform_float(a[0]), ur = _curand_uniform(a[0]);
  const double hm = detail::uniform_double_hq(a[0], a[1]);
  const double hr = _curand_uniform_double_hq(a[0], a[1]);
  const detail::float_pair bm = detail::box_muller_float(a[0], a[1]);
  const float2 br = _curand_box_muller(a[0], a[1]);
  const detail::double_pair cm = detail::box_muller_double(a[0], a[1], a[2], a[3]);
  const double2 cr = _curand_box_muller_double(a[0], a[1], a[2], a[3]);
  for (int w = 0; w < 4; ++w) m[w] = pm.v[w], m[4 + w] = dm.v[w];
  r[0] = pr.x, r[1] = pr.y, r[2] = pr.z, r[3] = pr.w;
  r[4] = dr.x, r[5] = dr.y, r[6] = dr.z, r[7] = dr.w;
  memcpy(m + 8, &um, 4), memcpy(r + 8, &ur, 4);
  memcpy(m + 9, &hm, 8), memcpy(r + 9, &hr, 8);
  memcpy(m + 11, &bm.x, 4), memcpy(m + 12, &bm.y, 4);
  memcpy(r + 11, &br.x, 4), memcpy(r + 12, &br.y, 4);
  memcpy(m + 13, &cm.x, 8), memcpy(m + 15, &cm.y, 8);
  memcpy(r + 13, &cr.x, 8), memcpy(r + 15, &cr.y, 8);
}

TEST(TransformsGpu, DeviceCopiesAreBitIdenticalToCurandsDeviceFunctions) {
  if (!gpu_available()) GTEST_SKIP() << "no usable CUDA device on this machine: GPU path not run";
  // Edge words (0, 1, 2^31, 2^32-1, ...) in every position, then random inputs.
  const std::uint32_t edges[] = {0u,          1u,          0x7FFFFFFFu, 0x80000000u,
                                 0xFFFFFFFFu, 0xFFFFFFFEu, 0x01000001u};
  std::vector<std::uint32_t> in;
  std::mt19937 rng(11);
  for (std::uint32_t e : edges)
    for (int pos = 0; pos < 6; ++pos)
      for (std::uint32_t f : edges) {
        std::uint32_t a[6];
        for (std::uint32_t& w : a) w = static_cast<std::uint32_t>(rng());
        a[pos] = e;
        a[(pos + 1) % 6] = f;
        in.insert(in.end(), a, a + 6);
      }
  while (in.size() < 6 * (std::size_t{1} << 20)) in.push_back(static_cast<std::uint32_t>(rng()));
  const std::size_t n = in.size() / 6;
  std::uint32_t *d_in = nullptr, *d_mine = nullptr, *d_ref = nullptr;
  ASSERT_EQ(cudaSuccess, cudaMalloc(&d_in, in.size() * 4));
  ASSERT_EQ(cudaSuccess, cudaMalloc(&d_mine, n * kWords * 4));
  ASSERT_EQ(cudaSuccess, cudaMalloc(&d_ref, n * kWords * 4));
  ASSERT_EQ(cudaSuccess, cudaMemcpy(d_in, in.data(), in.size() * 4, cudaMemcpyHostToDevice));
  compare_kernel<<<static_cast<unsigned>((n + 255) / 256), 256>>>(d_in, n, d_mine, d_ref);
  ASSERT_EQ(cudaSuccess, cudaGetLastError());
  std::vector<std::uint32_t> mine(n * kWords), ref(n * kWords);
  ASSERT_EQ(cudaSuccess, cudaMemcpy(mine.data(), d_mine, mine.size() * 4, cudaMemcpyDeviceToHost));
  ASSERT_EQ(cudaSuccess, cudaMemcpy(ref.data(), d_ref, ref.size() * 4, cudaMemcpyDeviceToHost));
  cudaFree(d_in), cudaFree(d_mine), cudaFree(d_ref);
  const char* what[kWords] = {"philox",      "philox",     "philox",     "philox",    "draw4",
                              "draw4",       "draw4",      "draw4",      "uniform",   "uniform_dbl",
                              "uniform_dbl", "box_muller", "box_muller", "bm_double", "bm_double",
                              "bm_double",   "bm_double"};
  for (std::size_t i = 0; i < n; ++i)
    for (int w = 0; w < kWords; ++w)
      ASSERT_EQ(ref[i * kWords + w], mine[i * kWords + w])
          << what[w] << " differs from cuRAND's device function for input " << i << ": "
          << in[6 * i] << " " << in[6 * i + 1] << " " << in[6 * i + 2] << " " << in[6 * i + 3];
}

__global__ void philox_kernel(const philox_counter* ctr, const philox_key* key, std::size_t n,
                              philox_counter* out) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i < n) out[i] = philox4x32_10(ctr[i], key[i]);
}

TEST(TransformsGpu, PhiloxKnownAnswersOnTheDevice) {
  if (!gpu_available()) GTEST_SKIP() << "no usable CUDA device on this machine: GPU path not run";
  std::vector<philox_counter> ctr, want;
  std::vector<philox_key> key;
  for (const philox_kat& k : read_philox_kats()) {
    ctr.push_back(k.ctr);
    key.push_back(k.key);
    want.push_back(k.out);
  }
  ASSERT_EQ(3u, ctr.size());
  const std::size_t n = ctr.size();
  philox_counter *d_ctr = nullptr, *d_out = nullptr;
  philox_key* d_key = nullptr;
  ASSERT_EQ(cudaSuccess, cudaMalloc(&d_ctr, n * sizeof(philox_counter)));
  ASSERT_EQ(cudaSuccess, cudaMalloc(&d_out, n * sizeof(philox_counter)));
  ASSERT_EQ(cudaSuccess, cudaMalloc(&d_key, n * sizeof(philox_key)));
  ASSERT_EQ(cudaSuccess,
            cudaMemcpy(d_ctr, ctr.data(), n * sizeof(philox_counter), cudaMemcpyHostToDevice));
  ASSERT_EQ(cudaSuccess,
            cudaMemcpy(d_key, key.data(), n * sizeof(philox_key), cudaMemcpyHostToDevice));
  philox_kernel<<<1, 32>>>(d_ctr, d_key, n, d_out);
  ASSERT_EQ(cudaSuccess, cudaGetLastError());
  std::vector<philox_counter> got(n);
  ASSERT_EQ(cudaSuccess,
            cudaMemcpy(got.data(), d_out, n * sizeof(philox_counter), cudaMemcpyDeviceToHost));
  cudaFree(d_ctr), cudaFree(d_out), cudaFree(d_key);
  for (std::size_t i = 0; i < n; ++i)
    EXPECT_EQ(0, std::memcmp(got[i].v, want[i].v, 16)) << "known answer " << i;
}

}  // namespace
}  // namespace gpurand::test
