#pragma once
// The seam between gpurand's host-side CUDA logic and the CUDA runtime.
//
// Every CUDA runtime call the host component makes goes through one
// `cuda_runtime` object: the real one forwards to cudart, the null one (a
// build with GPURAND_ENABLE_CUDA=OFF) reports "no device", and a unit test
// installs a fake to drive the logic in backend/cuda/host.cpp (device
// choice, fork detection, staging, error clearing) on a machine without a
// GPU. Plain C++: no CUDA header. Statuses are cudaError_t values as int.

#include <cstddef>
#include <string>

namespace gpurand::detail::cuda {

// cudaError_t values the host logic tells apart (stable across CUDA versions).
inline constexpr int status_success = 0;
inline constexpr int status_memory_allocation = 2;
inline constexpr int status_initialization = 3;
inline constexpr int status_insufficient_driver = 35;
inline constexpr int status_no_device = 100;
inline constexpr int status_not_supported = 801;
inline constexpr int status_invalid_device = 101;
inline constexpr int status_stream_capture_implicit = 906;

/// cudaStreamCaptureModeRelaxed, for exchange_capture_mode().
inline constexpr int capture_mode_relaxed = 2;

/// A stream's capture state (cudaStreamGetCaptureInfo).
enum class capture_status { none, active, invalidated };
struct capture_info {
  capture_status status = capture_status::none;
  unsigned long long id = 0;  ///< the capture sequence's id (active only)
  void* graph = nullptr;      ///< the cudaGraph_t being captured into (active only)
};

/// Where a pointer lives, as far as the CUDA runtime knows.
enum class memory_kind {
  host,     ///< pageable host memory (or unknown to CUDA)
  pinned,   ///< page-locked host memory (cudaMallocHost / cudaHostRegister)
  device,   ///< cudaMalloc memory of `pointer_info::device`
  managed,  ///< cudaMallocManaged memory
};

struct pointer_info {
  memory_kind kind = memory_kind::host;
  int device = -1;                 ///< owning device (device/managed), else -1
  void* device_pointer = nullptr;  ///< pinned memory: the device-side address
};

/// The handful of runtime calls gpurand's host component makes. Streams and
/// events are opaque (cudaStream_t / cudaEvent_t); nullptr stream = legacy default.
class cuda_runtime {
 public:
  virtual ~cuda_runtime() = default;
  virtual int device_count(int* n) = 0;
  virtual int compute_capability(int device, int* major, int* minor) = 0;
  virtual int device_name(int device, std::string* name) = 0;
  /// True if this process already uses CUDA (the driver is loaded and some
  /// device's primary context is active). Must not create a context.
  virtual bool context_active() = 0;
  /// cudaPointerGetAttributes. Creates a context: call only when CUDA is in use.
  virtual int pointer_attributes(const void* p, pointer_info* info) = 0;
  virtual int get_device(int* device) = 0;
  virtual int set_device(int device) = 0;
  virtual int malloc_device(void** p, std::size_t bytes) = 0;
  virtual int free_device(void* p) = 0;
  virtual int malloc_pinned(void** p, std::size_t bytes) = 0;
  virtual int free_pinned(void* p) = 0;
  /// cudaMemcpyAsync with cudaMemcpyDefault (UVA decides the direction).
  virtual int memcpy_async(void* dst, const void* src, std::size_t bytes, void* stream) = 0;
  virtual int stream_create(void** stream) = 0;
  virtual int stream_destroy(void* stream) = 0;
  virtual int stream_synchronize(void* stream) = 0;
  /// cudaStreamGetCaptureInfo: whether `stream` is being captured, and into which graph.
  virtual int stream_capture_info(void* stream, capture_info* info) = 0;
  /// cudaThreadExchangeStreamCaptureMode: sets this thread's mode to *mode, returns the old one
  /// there.
  virtual int exchange_capture_mode(int* mode) = 0;
  /// Gives `graph` (a cudaGraph_t being captured) ownership of `object`, the
  /// CUDA-native way (cudaUserObjectCreate + cudaGraphRetainUserObject):
  /// destroy(object) runs once the graph and every graph exec made from it
  /// are gone, on a CUDA-internal thread where it must make no CUDA call. It
  /// takes `object` in every case: on failure destroy(object) runs too.
  virtual int graph_own(void* graph, void* object, void (*destroy)(void*)) = 0;
  virtual int device_synchronize() = 0;
  virtual int event_create(void** event) = 0;
  virtual int event_destroy(void* event) = 0;
  virtual int event_record(void* event, void* stream) = 0;
  virtual int event_synchronize(void* event) = 0;
  /// cudaGetLastError: returns and clears the last non-sticky error.
  virtual int get_last_error() = 0;
  /// cudaPeekAtLastError: returns it without clearing.
  virtual int peek_last_error() = 0;
  virtual std::string error_name(int status) = 0;
  virtual std::string error_string(int status) = 0;
};

/// The runtime in use: the real one unless a test installed another.
cuda_runtime& runtime();

/// Test hook: install `r` (nullptr restores the built-in runtime) and reset
/// gpurand's per-process CUDA state (probe cache, staging buffers, the pid
/// that initialised CUDA). Returns the previous runtime. Not thread-safe.
cuda_runtime* install_runtime_for_testing(cuda_runtime* r);

/// The built-in runtime (cudart, or the null runtime without CUDA).
cuda_runtime& builtin_runtime();

/// The CUDA architectures this build carries code for (CMAKE_CUDA_ARCHITECTURES,
/// e.g. "90" = sm_90 SASS + compute_90 PTX); empty without CUDA.
const char* built_architectures() noexcept;

/// Whether code built for `archs` (CMake syntax: "90", "90-real",
/// "90-virtual", "90a", lists separated by ';' or ',') runs on a device of
/// compute capability major.minor: SASS sm_XY runs on X.Z for Z >= Y (an
/// arch-specific "XYa" only on X.Y), PTX compute_XY JIT-compiles for any
/// capability >= X.Y.
bool architectures_run_on(const std::string& archs, int major, int minor);

}  // namespace gpurand::detail::cuda
