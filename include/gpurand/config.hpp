#pragma once
// Macros shared by the host API (plain C++17) and the device API (nvcc or the
// host-side cuRAND build). Nothing here includes a CUDA header.

#if defined(__CUDACC__)
#define GPURAND_HD __host__ __device__
#define GPURAND_FORCEINLINE __forceinline__
#else
#define GPURAND_HD
#define GPURAND_FORCEINLINE inline __attribute__((always_inline))
#endif

// Window checking in the device API: on in debug builds (no NDEBUG), off in
// release builds; a user may force it either way with -DGPURAND_CHECK_WINDOW=0/1.
#if !defined(GPURAND_CHECK_WINDOW)
#if defined(NDEBUG)
#define GPURAND_CHECK_WINDOW 0
#else
#define GPURAND_CHECK_WINDOW 1
#endif
#endif
