#pragma once
// The host component's view of the CUDA runtime: device presence, pointer
// kinds, and owned device buffers. Plain C++ (g++ with cuda_runtime_api.h).

#include <cstddef>

namespace gpurand::detail {

enum class memory_kind { host, device, managed };

/// Where `p` lives. Without a usable GPU every pointer is host memory.
memory_kind classify(const void* p);

/// An owning device allocation (cudaMalloc / cudaFree).
class device_buffer {
 public:
  explicit device_buffer(std::size_t bytes);
  ~device_buffer();
  device_buffer(const device_buffer&) = delete;
  device_buffer& operator=(const device_buffer&) = delete;
  void* get() const { return p_; }

 private:
  void* p_ = nullptr;
};

void copy_to_host(void* dst, const void* src, std::size_t bytes);
void copy_to_device(void* dst, const void* src, std::size_t bytes);
void synchronize(void* stream);

}  // namespace gpurand::detail
