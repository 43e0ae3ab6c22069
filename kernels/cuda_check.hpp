#pragma once
// The one checking macro every CUDA runtime call in gpurand goes through: a
// failure becomes gpurand::Error(errc::cuda_error) carrying file:line, the
// call's text and cudaGetErrorString.

#include <cuda_runtime_api.h>

#include <string>

#include "gpurand/gpurand.hpp"

namespace gpurand::detail {

[[noreturn]] inline void throw_cuda(cudaError_t e, const char* call, const char* file, int line) {
  throw Error(errc::cuda_error, std::string("CUDA error at ") + file + ":" + std::to_string(line) +
                                    ": " + call + " failed: " + cudaGetErrorName(e) + ": " +
                                    cudaGetErrorString(e));
}

}  // namespace gpurand::detail

#define GPURAND_CUDA_CHECK(call)                                              \
  do {                                                                        \
    const cudaError_t gpurand_err_ = (call);                                  \
    if (gpurand_err_ != cudaSuccess)                                          \
      ::gpurand::detail::throw_cuda(gpurand_err_, #call, __FILE__, __LINE__); \
  } while (0)

/// After every kernel launch: launch-configuration errors surface here.
#define GPURAND_CUDA_CHECK_LAUNCH() GPURAND_CUDA_CHECK(cudaGetLastError())
