#pragma once
// gpurand's host-side CUDA logic, written against the runtime seam
// (runtime.hpp) so that a CPU-only unit test can drive every branch:
// whether the GPU backend is usable here and why not, fork detection, where
// a pointer lives (without starting CUDA for the CPU backend), running on
// the pointer's device, and staging fills of host memory through a bounded,
// reused pinned buffer.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "backend/cuda/runtime.hpp"
#include "gpurand/gpurand.hpp"

namespace gpurand::detail::cuda {

/// Whether the GPU backend can run in this process, and if not, why.
struct availability {
  bool usable = false;
  bool forked = false;  ///< unusable because CUDA was initialised before fork()
  std::string reason;   ///< empty when usable
};

/// Probes once per process (a forked child probes again): device count,
/// the current device's compute capability against the built
/// architectures, and whether this is a forked child of a process in which
/// gpurand had initialised CUDA.
availability probe();

/// Throws Error unless the GPU backend is usable here: errc::cuda_error
/// naming fork() and the remedies in a forked child, errc::unsupported with
/// probe()'s reason otherwise. `what` prefixes the message.
void require_usable(const std::string& what);

/// Where `p` lives. With `may_start_cuda` false (the CPU backend) CUDA is
/// asked only if this process already uses it, so a CPU fill never creates
/// a context; otherwise every pointer is pageable host memory.
pointer_info classify(const void* p, bool may_start_cuda);

/// Throws Error(invalid_argument) naming `device` and its value unless it
/// indexes a CUDA device of this process, Error(unsupported) if this build
/// has no code for that device's compute capability.
void check_device(int device);

/// Makes `device` current for its lifetime (no-op for device < 0 or the
/// current device) and restores the previous device.
class device_guard {
 public:
  explicit device_guard(int device);
  ~device_guard();
  device_guard(const device_guard&) = delete;
  device_guard& operator=(const device_guard&) = delete;

 private:
  int previous_ = -1;
};

/// One owned cudaMalloc allocation of the current device.
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

/// Bytes of each of the two pinned (and two device) staging buffers per
/// device. Default 8 MiB; a test may make it small to force many chunks.
std::size_t staging_bytes();
void set_staging_bytes_for_testing(std::size_t bytes);

/// One fill, described in units (values of a bulk fill, threads of the
/// per-thread writer) so that it can be produced in chunks.
struct fill_ops {
  std::size_t units = 0;        ///< total units
  std::size_t unit_bytes = 0;   ///< bytes of one unit's output
  std::size_t granularity = 1;  ///< chunks start at multiples of this many units
  /// Produce units [first, first + count) on the current device into `dst`
  /// (device-accessible), enqueued on `stream`, in the chunk's own layout.
  std::function<void(std::size_t first, std::size_t count, void* dst, void* stream)> gpu;
  /// Produce units [first, first + count) on the CPU into host memory `dst`,
  /// in the chunk's own layout (synchronous).
  std::function<void(std::size_t first, std::size_t count, void* dst)> cpu;
  /// Where a chunk's output goes in `out`; empty: contiguously at
  /// out + first * unit_bytes. A non-contiguous layout (the interleaved
  /// writer) sets it; such fills are not staged to device memory.
  std::function<void(std::size_t first, std::size_t count, const void* src, void* out)> place;
};

/// Runs a validated fill on a resolved backend so that the result lands in
/// `out` wherever it lives, synchronously:
///  - GPU backend: device and managed memory are written by a kernel on
///    the memory's own device (the current device is restored after);
///    pinned host memory directly; pageable host memory through the
///    bounded staging buffers, generation of one chunk overlapping the copy
///    of the previous one (any size works, nothing allocated per call).
///  - CPU backend: host memory directly, without touching CUDA; managed
///    memory after its device finished in-flight work; device memory
///    through the staging buffers.
void route(backend_kind resolved, void* out, const fill_ops& ops);

/// The report words for launch_handle::report (host-mapped pinned memory,
/// allocated once per process; nullptr where the GPU is unusable). A checked
/// kernel whose stream overruns its window sets them (flag 1) before
/// trapping; a fill kernel's variable-draw body over its budget sets flag 2
/// and does not trap.
std::uint64_t* window_report_slot();

/// Throws Error(exhausted) naming the subsequence if a kernel reported a
/// window overrun or an exhausted variable-draw budget since the last check (then clears the
/// report). No CUDA call: the words are read from host memory. Call at every host entry.
void check_window_report();

/// The architectures probe() checks devices against: built_architectures()
/// unless a test sets others (a fake runtime in a build without CUDA).
std::string checked_architectures();
void set_architectures_for_testing(const std::string& archs);

/// Releases staging buffers and forgets probe results (install_runtime_for_testing).
void reset_process_state_for_testing();

}  // namespace gpurand::detail::cuda
