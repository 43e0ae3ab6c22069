// Thrust sort of the audit's 64-bit window keys (see audit_sort.hpp).

#include <cuda_runtime.h>
#include <thrust/execution_policy.h>
#include <thrust/sort.h>

#include <exception>
#include <memory>

#include "audit_sort.hpp"
#include "backend/cuda/cuda_check.hpp"
#include "backend/cuda/host.hpp"

namespace gpurand::detail {

bool gpu_sort_u64(std::uint64_t* keys, std::size_t n) {
  if (n < 2) return true;
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    cudaGetLastError();  // clear the sticky-free error so later CUDA calls start clean
    return false;
  }
  const std::size_t bytes = n * sizeof(std::uint64_t);
  std::unique_ptr<cuda::device_buffer> buffer;
  try {  // the library's one owned device allocation; too large: sort on the CPU
    buffer = std::make_unique<cuda::device_buffer>(bytes);
  } catch (const Error&) {
    return false;  // the checking macro cleared the error it reported
  }
  auto* d_keys = static_cast<std::uint64_t*>(buffer->get());
  if (cudaMemcpy(d_keys, keys, bytes, cudaMemcpyHostToDevice) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  try {
    // thrust::sort on unsigned keys dispatches to CUB's radix sort; its
    // temporary storage may fail to allocate, which Thrust reports by throwing.
    thrust::sort(thrust::device, d_keys, d_keys + n);
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
  GPURAND_CUDA_CHECK(cudaMemcpy(keys, d_keys, bytes, cudaMemcpyDeviceToHost));
  return true;
}

}  // namespace gpurand::detail
