#pragma once
// GPU key sort for the audit (src/audit/sort.cpp). Plain C++ header: the
// definition lives in audit_sort.cu and is compiled by nvcc.

#include <cstddef>
#include <cstdint>

namespace gpurand::detail {

/// Sort `n` 64-bit keys in host memory ascending with thrust::sort on the
/// current CUDA device (copy in, sort, copy back); synchronous. Returns false,
/// leaving `keys` unchanged, when no device is usable or device memory cannot
/// be had, so that the caller sorts on the CPU instead. Throws
/// gpurand::Error(cuda_error) (with file:line and cudaGetErrorString) only if
/// copying the sorted keys back fails, since `keys` may then be partly
/// overwritten.
bool gpu_sort_u64(std::uint64_t* keys, std::size_t n);

}  // namespace gpurand::detail
