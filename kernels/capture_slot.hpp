#pragma once
// The state of one asynchronous fill captured into a CUDA graph, shared by
// the host (src/backend/cuda/capture.cpp, which reserves the window and
// writes the slot once) and the device (kernels/fill.cu reads it at every
// replay, kernels/capture.cu advances it after the fill). Plain C++ with
// __host__ __device__ arithmetic, so the CPU tests run the device's rules.
//
// One replay = the fill kernel, then the advance kernel, in stream order:
//  - the fill takes (seed, next) from the slot if [next, next + 4) lies in
//    the window, else it writes all-one bytes over `out` (NaN for floats and
//    doubles, 0xffffffff for u32): never numbers of an earlier replay;
//  - the advance moves `next` by 4, or, at the end of the window, counts one
//    more overrun; it never wraps and never moves `next` past `end`.
// The host turns a new overrun into Error(exhausted) at its next call.

#include <cstdint>

#include "gpurand/config.hpp"

namespace gpurand::detail {

/// Offsets one captured fill takes per replay: one Philox block per
/// subsequence, as every bulk fill.
inline constexpr std::uint64_t capture_step = 4;

/// Lives in host-mapped pinned memory (cudaMallocHost): the host writes it
/// once before the first replay and reads `overruns` without a CUDA call;
/// the kernels read and write it through UVA.
struct capture_slot {
  std::uint64_t seed = 0;
  std::uint64_t next = 0;      ///< offset of the next replay's fill
  std::uint64_t end = 0;       ///< end of the window reserved on the host
  std::uint64_t overruns = 0;  ///< replays refused at the end of the window
};

/// Whether a replay at `next` has a whole fill's offsets left before `end`.
GPURAND_HD GPURAND_FORCEINLINE bool capture_has_room(std::uint64_t next, std::uint64_t end) {
  return next <= end && end - next >= capture_step;
}

/// The slot after one replay: `next` moves by one fill, or, when the window
/// had no room, `overruns` counts the refused replay (saturating: never wraps).
GPURAND_HD GPURAND_FORCEINLINE capture_slot capture_advanced(capture_slot s) {
  if (capture_has_room(s.next, s.end))
    s.next += capture_step;
  else if (s.overruns != UINT64_MAX)
    ++s.overruns;
  return s;
}

}  // namespace gpurand::detail
