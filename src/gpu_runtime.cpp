#include "gpu_runtime.hpp"

#include <cuda_runtime_api.h>

#include "cuda_check.hpp"
#include "gpurand/gpurand.hpp"

namespace gpurand {

bool gpu_available() noexcept {
  // Cached: the answer cannot change for the life of the process, and
  // without a driver every probe would fail the same way.
  static const bool available = [] {
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
      (void)cudaGetLastError();  // clear the sticky-free error state
      return false;
    }
    return count > 0;
  }();
  return available;
}

namespace detail {

memory_kind classify(const void* p) {
  if (!gpu_available() || p == nullptr) return memory_kind::host;
  cudaPointerAttributes a{};
  const cudaError_t e = cudaPointerGetAttributes(&a, p);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    return memory_kind::host;
  }
  switch (a.type) {
    case cudaMemoryTypeDevice: return memory_kind::device;
    case cudaMemoryTypeManaged: return memory_kind::managed;
    default: return memory_kind::host;  // unregistered or pinned host memory
  }
}

device_buffer::device_buffer(std::size_t bytes) {
  if (bytes) GPURAND_CUDA_CHECK(cudaMalloc(&p_, bytes));
}
device_buffer::~device_buffer() {
  if (p_) (void)cudaFree(p_);
}

void copy_to_host(void* dst, const void* src, std::size_t bytes) {
  GPURAND_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
}
void copy_to_device(void* dst, const void* src, std::size_t bytes) {
  GPURAND_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
}
void synchronize(void* stream) {
  GPURAND_CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)));
}

}  // namespace detail
}  // namespace gpurand
