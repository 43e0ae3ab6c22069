// GPU tests: the kernels against the CPU backend, and the device API from a
// user-style kernel against the CLI's grid output. They skip, saying why,
// where no GPU is present.

#include <cuda_runtime.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gpurand/device.cuh"
#include "gpurand/gpurand.hpp"

namespace gpurand::test {
namespace {

#define REQUIRE_GPU() \
  if (!gpu_available()) GTEST_SKIP() << "no usable CUDA device on this machine: GPU path not run"

template <class T>
std::vector<T> fill_on(backend_kind b, dist d, std::uint64_t seed, std::uint64_t offset,
                       std::size_t n, bool device_memory) {
  bulk_request r;
  r.kind = d;
  r.seed = seed;
  r.offset = offset;
  r.n = n;
  r.mean = 1.0;
  r.stddev = 2.0;
  r.backend = b;
  std::vector<T> host(n);
  if (!device_memory) {
    fill(r, host.data());
    return host;
  }
  T* dev = nullptr;
  EXPECT_EQ(cudaSuccess, cudaMalloc(&dev, n * sizeof(T)));
  fill(r, dev);
  EXPECT_EQ(cudaSuccess, cudaMemcpy(host.data(), dev, n * sizeof(T), cudaMemcpyDeviceToHost));
  cudaFree(dev);
  return host;
}

TEST(Gpu, BulkU32AndUniformEqualTheCpuBitForBit) {
  REQUIRE_GPU();
  for (std::uint64_t offset : {0ull, 3ull, 4000ull})
    for (std::size_t n : {std::size_t{1}, std::size_t{1023}, std::size_t{1} << 22})
      for (bool device : {true, false}) {
        auto a = fill_on<std::uint32_t>(backend_kind::gpu, dist::u32, 5, offset, n, device);
        auto b = fill_on<std::uint32_t>(backend_kind::cpu, dist::u32, 5, offset, n, false);
        ASSERT_EQ(a, b) << "u32 n=" << n << " offset=" << offset;
        auto f = fill_on<float>(backend_kind::gpu, dist::uniform, 5, offset, n, device);
        auto g = fill_on<float>(backend_kind::cpu, dist::uniform, 5, offset, n, false);
        ASSERT_EQ(0, std::memcmp(f.data(), g.data(), n * 4)) << "uniform n=" << n;
        auto x = fill_on<double>(backend_kind::gpu, dist::uniform_double, 5, offset, n, device);
        auto y = fill_on<double>(backend_kind::cpu, dist::uniform_double, 5, offset, n, false);
        ASSERT_EQ(0, std::memcmp(x.data(), y.data(), n * 8)) << "uniform-double n=" << n;
      }
}

// The device computes Box-Muller with __logf and __sincosf (fast intrinsics,
// absolute error about 2^-21 on their reduced ranges); the host uses libm.
// Stated tolerance, float normals: every value within 2e-3 absolute, and
// 99.9% within 1e-5 * (1 + |x|). Double normals use full-precision log and
// sincospi on the device: within 1e-12 * (1 + |x|).
TEST(Gpu, NormalsAgreeWithTheCpuWithinTheStatedTolerance) {
  REQUIRE_GPU();
  const std::size_t n = std::size_t{1} << 22;
  auto a = fill_on<float>(backend_kind::gpu, dist::normal, 9, 8, n, true);
  auto b = fill_on<float>(backend_kind::cpu, dist::normal, 9, 8, n, false);
  std::size_t loose = 0;
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = std::fabs(double(a[i]) - double(b[i]));
    worst = std::max(worst, d);
    if (d > 1e-5 * (1.0 + std::fabs(b[i]))) ++loose;
  }
  EXPECT_LE(worst, 2e-3);
  EXPECT_LE(loose, n / 1000) << "values outside 1e-5 relative";
  std::printf("float normals: max |gpu-cpu| = %.3g, %zu of %zu beyond 1e-5 relative\n", worst,
              loose, n);
  auto x = fill_on<double>(backend_kind::gpu, dist::normal_double, 9, 8, n, true);
  auto y = fill_on<double>(backend_kind::cpu, dist::normal_double, 9, 8, n, false);
  for (std::size_t i = 0; i < n; ++i)
    ASSERT_LE(std::fabs(x[i] - y[i]), 1e-12 * (1.0 + std::fabs(y[i]))) << "index " << i;
}

TEST(Gpu, GridWriterEqualsTheCpuForEveryEngine) {
  REQUIRE_GPU();
  for (engine e : {engine::philox4_32_10, engine::xorwow, engine::mrg32k3a})
    for (dist d : {dist::u32, dist::uniform, dist::uniform_double}) {
      grid_request r;
      r.eng = e;
      r.kind = d;
      r.seed = 123;
      r.offset = 2;
      r.threads = 4096;
      r.per_thread = 33;
      const std::size_t bytes = r.threads * r.per_thread * value_size(d);
      std::vector<unsigned char> gpu(bytes), cpu(bytes);
      r.backend = backend_kind::gpu;
      write_thread_streams(r, gpu.data());
      r.backend = backend_kind::cpu;
      write_thread_streams(r, cpu.data());
      ASSERT_EQ(gpu, cpu) << to_string(e) << "/" << to_string(d);
    }
}

// A user's kernel, written as the README shows.
__global__ void user_kernel(launch_handle h, std::uint32_t* u, float* f, int k) {
  const std::uint64_t g = global_thread_id();
  auto rng = h.stream(g);
  for (int i = 0; i < k; ++i) u[g * k + i] = rng.next();
  for (int i = 0; i < k; ++i) f[g * k + i] = rng.uniform();
}

TEST(Gpu, DeviceApiKernelEqualsTheCliGridOutput) {
  REQUIRE_GPU();
  const int blocks = 8, threads = 128, k = 6;
  const std::size_t n = std::size_t(blocks) * threads * k;
  Generator gen(options{4242, backend_kind::gpu, 0});
  const launch_handle h = gen.launch(2 * k);
  std::uint32_t* u = nullptr;
  float* f = nullptr;
  ASSERT_EQ(cudaSuccess, cudaMalloc(&u, n * 4));
  ASSERT_EQ(cudaSuccess, cudaMalloc(&f, n * 4));
  user_kernel<<<blocks, threads>>>(h, u, f, k);
  ASSERT_EQ(cudaSuccess, cudaGetLastError());
  std::vector<std::uint32_t> hu(n);
  ASSERT_EQ(cudaSuccess, cudaMemcpy(hu.data(), u, n * 4, cudaMemcpyDeviceToHost));
  cudaFree(u);
  cudaFree(f);
  // The CLI writes each thread's first k draws: they must be the kernel's.
  const std::string out = ::testing::TempDir() + "gpurand_gpu_grid.bin";
  const std::string cmd =
      std::string(GPURAND_CLI) + " generate --backend cpu --seed 4242 --offset " +
      std::to_string(h.offset) + " --blocks " + std::to_string(blocks) + " --threads " +
      std::to_string(threads) + " --per-thread " + std::to_string(k) + " --output " + out;
  ASSERT_EQ(0, std::system(cmd.c_str()));
  std::ifstream in(out, std::ios::binary);
  const std::string cli((std::istreambuf_iterator<char>(in)), {});
  ASSERT_EQ(n * 4, cli.size());
  EXPECT_EQ(0, std::memcmp(cli.data(), hu.data(), n * 4));
  std::remove(out.c_str());
}

}  // namespace
}  // namespace gpurand::test
