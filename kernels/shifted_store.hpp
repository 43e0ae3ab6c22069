#pragma once
// Index arithmetic of the bulk fill's misaligned-output path, shared by the
// kernel (fill.cu) and a CPU test that replays it (tests/cuda_runtime_test.cpp).
//
// Value i of a fill is lane i % P of group i / P (P values per 16-byte
// group). When `out` is naturally aligned but not 16-byte aligned, the first
// 16-byte boundary is S values in (0 < S < P). Then the aligned vector j
// covers values S + P*j .. S + P*j + P-1, which are lanes S..P-1 of group j
// followed by lanes 0..S-1 of group j+1; the head, values 0..S-1, is lanes
// 0..S-1 of group 0. The thread of group j gets group j+1 from its neighbour.

#include <cstddef>
#include <cstdint>

#include "gpurand/config.hpp"

namespace gpurand::detail {

/// Values from `out` to its next 16-byte boundary (0 when aligned);
/// `value_bytes` must divide the address (checked before any launch).
GPURAND_HD inline unsigned values_to_alignment(std::uintptr_t out, unsigned value_bytes) {
  return static_cast<unsigned>((16 - out % 16) % 16) / value_bytes;
}

/// The aligned vector j, from group j (`cur`) and group j+1 (`next`).
template <unsigned P, unsigned S, class T>
GPURAND_HD GPURAND_FORCEINLINE void shifted_vector(const T* cur, const T* next, T* v) {
  static_assert(S > 0 && S < P, "a shift of 0 is the aligned path");
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (unsigned l = 0; l < P; ++l) v[l] = l + S < P ? cur[l + S] : next[l + S - P];
}

}  // namespace gpurand::detail
