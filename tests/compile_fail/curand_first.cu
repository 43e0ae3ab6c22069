// Must NOT compile (CTest DeviceApi.CurandKernelIncludedFirstIsACompileError):
// <curand_kernel.h> before gpurand/device.cuh leaves cuRAND device-only, so
// host-side gpurand streams would silently fail. With
// GPURAND_TEST_QUALIFIERS_FIRST the user defines QUALIFIERS host-callable
// first, and the file compiles (the control).
#if defined(GPURAND_TEST_QUALIFIERS_FIRST)
#define QUALIFIERS static __forceinline__ __host__ __device__
#endif
#include <curand_kernel.h>

#include "gpurand/device.cuh"

int main() {
  gpurand::philox_stream s(1, 2, 3);
  return s.next() == 0 ? 1 : 0;
}
