#pragma once
// The one checking macro every CUDA runtime call in gpurand goes through
// (cudart calls in kernels/ and bench/, and calls through the runtime seam in
// src/): a failure becomes gpurand::Error(errc::cuda_error) carrying
// file:line, the call's text, the error's name and cudaGetErrorString.
//
// It also consumes the failure from the runtime's last-error slot: a
// non-sticky error (a failed cudaMalloc, say) that a caller catches and
// recovers from must not resurface as the error of the next, good launch.

#include <string>

#include "gpurand/gpurand.hpp"

namespace gpurand::detail::cuda {

/// Clears the last error, then throws Error(cuda_error) describing `status`.
[[noreturn]] void throw_status(int status, const char* call, const char* file, int line);

/// Call right before a kernel launch: discards a stale non-sticky error left
/// by an earlier, unrelated CUDA call (gpurand's or the user's), so that the
/// check after the launch reports the launch's own error only.
void before_launch();

/// Call right after a kernel launch: throws the launch's error, if any.
void after_launch(const char* what, const char* file, int line);

}  // namespace gpurand::detail::cuda

#define GPURAND_CUDA_CHECK(call)                                                         \
  do {                                                                                   \
    const int gpurand_status_ = static_cast<int>(call);                                  \
    if (gpurand_status_ != 0)                                                            \
      ::gpurand::detail::cuda::throw_status(gpurand_status_, #call, __FILE__, __LINE__); \
  } while (0)

/// After every kernel launch (see before_launch()).
#define GPURAND_CUDA_CHECK_LAUNCH() \
  ::gpurand::detail::cuda::after_launch("kernel launch", __FILE__, __LINE__)
