// Thrust sort of the audit's 64-bit window keys (see audit_sort.hpp).

#include <cuda_runtime.h>
#include <thrust/execution_policy.h>
#include <thrust/sort.h>

#include <exception>
#include <stdexcept>
#include <string>

#include "audit_sort.hpp"

namespace gpurand::detail {

namespace {

// Releases the device buffer on every path, including a throwing thrust::sort.
struct device_buffer {
  std::uint64_t* ptr = nullptr;
  ~device_buffer() {
    if (ptr != nullptr) cudaFree(ptr);
  }
};

}  // namespace

bool gpu_sort_u64(std::uint64_t* keys, std::size_t n) {
  if (n < 2) return true;
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    cudaGetLastError();  // clear the sticky-free error so later CUDA calls start clean
    return false;
  }
  const std::size_t bytes = n * sizeof(std::uint64_t);
  device_buffer d;
  if (cudaMalloc(reinterpret_cast<void**>(&d.ptr), bytes) != cudaSuccess) {
    cudaGetLastError();
    d.ptr = nullptr;
    return false;
  }
  if (cudaMemcpy(d.ptr, keys, bytes, cudaMemcpyHostToDevice) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  try {
    // thrust::sort on unsigned keys dispatches to CUB's radix sort; its
    // temporary storage may fail to allocate, which Thrust reports by throwing.
    thrust::sort(thrust::device, d.ptr, d.ptr + n);
  } catch (const std::exception&) {
    cudaGetLastError();
    return false;
  }
  if (cudaDeviceSynchronize() != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  const cudaError_t back = cudaMemcpy(keys, d.ptr, bytes, cudaMemcpyDeviceToHost);
  if (back != cudaSuccess) {
    cudaGetLastError();
    // std::runtime_error keeps this file free of gpurand headers (it builds
    // with no include path); src/audit.cpp turns it into Error(cuda_error).
    throw std::runtime_error(std::string("copying sorted keys back from the GPU failed: ") +
                             cudaGetErrorString(back));
  }
  return true;
}

}  // namespace gpurand::detail
