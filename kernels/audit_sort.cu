// Thrust sort of the audit's 64-bit window keys (see audit_sort.hpp).

#include <cuda_runtime.h>
#include <thrust/execution_policy.h>
#include <thrust/sort.h>

#include <exception>

#include "audit_sort.hpp"
#include "backend/cuda/cuda_check.hpp"

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
  // `keys` may be partly overwritten once the copy back starts, so a failure
  // here cannot fall back to the CPU: Error(cuda_error) with the CUDA text.
  GPURAND_CUDA_CHECK(cudaMemcpy(keys, d.ptr, bytes, cudaMemcpyDeviceToHost));
  return true;
}

}  // namespace gpurand::detail
