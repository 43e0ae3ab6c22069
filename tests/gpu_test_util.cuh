#pragma once
// Helpers shared by the GPU suites (gpu_test.cu, capture_gpu_test.cu).

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cstddef>

#include "gpurand/gpurand.hpp"

/// Skips the test, saying why, where the GPU backend cannot run.
#define REQUIRE_GPU()                                                                              \
  if (!::gpurand::gpu_available())                                                                 \
  GTEST_SKIP() << "no usable CUDA device on this machine (" << ::gpurand::gpu_unavailable_reason() \
               << "): GPU path not run"

namespace gpurand::test {

/// n values of device memory (and 64 bytes of slack for offset views), freed at scope end.
template <class T>
struct device_mem {
  T* p = nullptr;
  explicit device_mem(std::size_t n) { EXPECT_EQ(cudaSuccess, cudaMalloc(&p, n * sizeof(T) + 64)); }
  ~device_mem() { cudaFree(p); }
  device_mem(const device_mem&) = delete;
  device_mem& operator=(const device_mem&) = delete;
};

}  // namespace gpurand::test
