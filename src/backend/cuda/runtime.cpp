// The built-in CUDA runtime behind the seam (runtime.hpp): cudart when the
// build has CUDA, a runtime without devices when it does not; the checking
// macro's helpers; the architecture check.

#include "backend/cuda/runtime.hpp"

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "backend/cuda/cuda_check.hpp"

#if GPURAND_HAVE_CUDA
#include <cuda_runtime_api.h>
#include <dlfcn.h>
#include <link.h>

#include <atomic>
#include <cstddef>
#endif

#if !defined(GPURAND_CUDA_ARCHITECTURES)
#define GPURAND_CUDA_ARCHITECTURES ""
#endif

namespace gpurand::detail::cuda {

void reset_process_state_for_testing();  // backend/cuda/host.cpp

namespace {

#if GPURAND_HAVE_CUDA

int st(cudaError_t e) { return static_cast<int>(e); }
cudaStream_t as_stream(void* s) { return static_cast<cudaStream_t>(s); }
cudaEvent_t as_event(void* e) { return static_cast<cudaEvent_t>(e); }

/// Objects loaded into the process so far (glibc's dl_phdr_info::dlpi_adds, read from the first
/// entry alone); 0 where the C library does not report it.
unsigned long long objects_loaded() {
  unsigned long long adds = 0;
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t size, void* out) {
        if (size >= offsetof(dl_phdr_info, dlpi_adds) + sizeof info->dlpi_adds)
          *static_cast<unsigned long long*>(out) = info->dlpi_adds;
        return 1;
      },
      &adds);
  return adds;
}

/// objects_loaded() when context_active() last found no libcuda mapped: until another object
/// is loaded, libcuda cannot have appeared, and the CPU backend's per-call check costs no dlopen.
std::atomic<unsigned long long> g_no_driver_at{0};

class cudart_runtime final : public cuda_runtime {
 public:
  int device_count(int* n) override { return st(cudaGetDeviceCount(n)); }
  int compute_capability(int device, int* major, int* minor) override {
    // Attribute queries need no context (cudaGetDeviceProperties may make one).
    const int e = st(cudaDeviceGetAttribute(major, cudaDevAttrComputeCapabilityMajor, device));
    if (e != 0) return e;
    return st(cudaDeviceGetAttribute(minor, cudaDevAttrComputeCapabilityMinor, device));
  }
  int device_name(int device, std::string* name) override {
    cudaDeviceProp p{};
    const int e = st(cudaGetDeviceProperties(&p, device));
    if (e == 0) *name = p.name;
    return e;
  }
  bool context_active() override {
    // cudart loads the driver on its first call, so a process in which
    // nothing touched CUDA has no libcuda mapped: answer without any call.
    const unsigned long long loaded = objects_loaded();
    if (loaded != 0 && loaded == g_no_driver_at.load(std::memory_order_relaxed)) return false;
    void* driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (driver == nullptr) {
      g_no_driver_at.store(loaded, std::memory_order_relaxed);
      return false;
    }
    using get_state_fn = int (*)(int, unsigned*, int*);  // cuDevicePrimaryCtxGetState
    using init_fn = int (*)(unsigned);                   // cuInit
    auto get_state = reinterpret_cast<get_state_fn>(dlsym(driver, "cuDevicePrimaryCtxGetState"));
    auto init = reinterpret_cast<init_fn>(dlsym(driver, "cuInit"));
    bool active = false;
    int n = 0;
    // cuInit creates no context; it fails in a forked child of a CUDA parent.
    if (get_state && init && init(0) == 0 && cudaGetDeviceCount(&n) == cudaSuccess) {
      for (int d = 0; d < n && !active; ++d) {
        unsigned flags = 0;
        int on = 0;
        active = get_state(d, &flags, &on) == 0 && on != 0;
      }
    }
    (void)cudaGetLastError();
    dlclose(driver);
    return active;
  }
  int pointer_attributes(const void* p, pointer_info* info) override {
    cudaPointerAttributes a{};
    const int e = st(cudaPointerGetAttributes(&a, p));
    if (e != 0) return e;
    info->device = -1;
    info->device_pointer = nullptr;
    switch (a.type) {
      case cudaMemoryTypeDevice:
        info->kind = memory_kind::device;
        info->device = a.device;
        break;
      case cudaMemoryTypeManaged:
        info->kind = memory_kind::managed;
        info->device = a.device;
        break;
      case cudaMemoryTypeHost:
        info->kind = memory_kind::pinned;
        info->device_pointer = a.devicePointer;
        break;
      default: info->kind = memory_kind::host;
    }
    return 0;
  }
  int get_device(int* device) override { return st(cudaGetDevice(device)); }
  int set_device(int device) override { return st(cudaSetDevice(device)); }
  int malloc_device(void** p, std::size_t bytes) override { return st(cudaMalloc(p, bytes)); }
  int free_device(void* p) override { return st(cudaFree(p)); }
  int malloc_pinned(void** p, std::size_t bytes) override { return st(cudaMallocHost(p, bytes)); }
  int free_pinned(void* p) override { return st(cudaFreeHost(p)); }
  int memcpy_async(void* dst, const void* src, std::size_t bytes, void* stream) override {
    return st(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, as_stream(stream)));
  }
  int stream_create(void** stream) override {
    cudaStream_t s = nullptr;
    const int e = st(cudaStreamCreate(&s));
    *stream = s;
    return e;
  }
  int stream_destroy(void* stream) override { return st(cudaStreamDestroy(as_stream(stream))); }
  int stream_synchronize(void* stream) override {
    return st(cudaStreamSynchronize(as_stream(stream)));
  }
  int stream_capture_info(void* stream, capture_info* info) override {
    cudaStreamCaptureStatus s = cudaStreamCaptureStatusNone;
    unsigned long long id = 0;
    cudaGraph_t graph = nullptr;
    const int e = st(cudaStreamGetCaptureInfo(as_stream(stream), &s, &id, &graph));
    *info = capture_info{};
    if (e != 0) return e;
    if (s == cudaStreamCaptureStatusActive) {
      info->status = capture_status::active;
      info->id = id;
      info->graph = graph;
    } else if (s == cudaStreamCaptureStatusInvalidated) {
      info->status = capture_status::invalidated;
    }
    return e;
  }
  int exchange_capture_mode(int* mode) override {
    auto m = static_cast<cudaStreamCaptureMode>(*mode);
    const int e = st(cudaThreadExchangeStreamCaptureMode(&m));
    *mode = static_cast<int>(m);
    return e;
  }
  int graph_own(void* graph, void* object, void (*destroy)(void*)) override {
    cudaUserObject_t u = nullptr;
    int e = st(cudaUserObjectCreate(&u, object, destroy, 1, cudaUserObjectNoDestructorSync));
    if (e != 0) {
      destroy(object);
      return e;
    }
    // Moves our one reference to the graph; instantiated execs take their own.
    e = st(
        cudaGraphRetainUserObject(static_cast<cudaGraph_t>(graph), u, 1, cudaGraphUserObjectMove));
    if (e != 0) (void)cudaUserObjectRelease(u, 1);  // runs destroy(object)
    return e;
  }
  int device_synchronize() override { return st(cudaDeviceSynchronize()); }
  int event_create(void** event) override {
    cudaEvent_t e = nullptr;
    const int r = st(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
    *event = e;
    return r;
  }
  int event_destroy(void* event) override { return st(cudaEventDestroy(as_event(event))); }
  int event_record(void* event, void* stream) override {
    return st(cudaEventRecord(as_event(event), as_stream(stream)));
  }
  int event_synchronize(void* event) override { return st(cudaEventSynchronize(as_event(event))); }
  int get_last_error() override { return st(cudaGetLastError()); }
  int peek_last_error() override { return st(cudaPeekAtLastError()); }
  std::string error_name(int status) override {
    return cudaGetErrorName(static_cast<cudaError_t>(status));
  }
  std::string error_string(int status) override {
    return cudaGetErrorString(static_cast<cudaError_t>(status));
  }
};

#else  // GPURAND_HAVE_CUDA

/// A build without CUDA: no devices, every other call unsupported.
class null_runtime final : public cuda_runtime {
 public:
  int device_count(int* n) override {
    *n = 0;
    return status_no_device;
  }
  int compute_capability(int, int*, int*) override { return status_no_device; }
  int device_name(int, std::string*) override { return status_no_device; }
  bool context_active() override { return false; }
  int pointer_attributes(const void*, pointer_info* info) override {
    *info = pointer_info{};
    return 0;
  }
  int get_device(int*) override { return status_no_device; }
  int set_device(int) override { return status_no_device; }
  int malloc_device(void**, std::size_t) override { return status_no_device; }
  int free_device(void*) override { return status_no_device; }
  int malloc_pinned(void**, std::size_t) override { return status_no_device; }
  int free_pinned(void*) override { return status_no_device; }
  int memcpy_async(void*, const void*, std::size_t, void*) override { return status_no_device; }
  int stream_create(void**) override { return status_no_device; }
  int stream_destroy(void*) override { return status_no_device; }
  int stream_synchronize(void*) override { return status_no_device; }
  int stream_capture_info(void*, capture_info* info) override {
    *info = capture_info{};
    return status_no_device;
  }
  int exchange_capture_mode(int*) override { return status_no_device; }
  int graph_own(void*, void* object, void (*destroy)(void*)) override {
    destroy(object);
    return status_no_device;
  }
  int device_synchronize() override { return status_no_device; }
  int event_create(void**) override { return status_no_device; }
  int event_destroy(void*) override { return status_no_device; }
  int event_record(void*, void*) override { return status_no_device; }
  int event_synchronize(void*) override { return status_no_device; }
  int get_last_error() override { return 0; }
  int peek_last_error() override { return 0; }
  std::string error_name(int status) override {
    return status == status_no_device ? "cudaErrorNoDevice" : "cudaError " + std::to_string(status);
  }
  std::string error_string(int) override {
    return "gpurand was built without CUDA (GPURAND_ENABLE_CUDA=OFF)";
  }
};

#endif  // GPURAND_HAVE_CUDA

cuda_runtime* installed = nullptr;

}  // namespace

cuda_runtime& builtin_runtime() {
#if GPURAND_HAVE_CUDA
  static cudart_runtime r;
#else
  static null_runtime r;
#endif
  return r;
}

cuda_runtime& runtime() { return installed ? *installed : builtin_runtime(); }

cuda_runtime* install_runtime_for_testing(cuda_runtime* r) {
  cuda_runtime* previous = installed;
  reset_process_state_for_testing();  // releases staging through the runtime that made it
  installed = r;
  return previous;
}

const char* built_architectures() noexcept { return GPURAND_CUDA_ARCHITECTURES; }

bool architectures_run_on(const std::string& archs, int major, int minor) {
  const int cc = major * 10 + minor;
  std::string item;
  std::stringstream in(archs);
  while (std::getline(in, item, ';')) {
    std::stringstream parts(item);
    std::string a;
    while (std::getline(parts, a, ',')) {
      if (a.empty()) continue;
      if (a == "all" || a == "all-major" || a == "native") return true;
      std::size_t used = 0;
      int arch = 0;
      try {
        arch = std::stoi(a, &used);
      } catch (const std::exception&) {
        continue;
      }
      std::string rest = a.substr(used);
      bool specific = false;  // "90a" / "100f": arch-specific SASS, no forward compatibility
      if (!rest.empty() && (rest[0] == 'a' || rest[0] == 'f')) {
        specific = rest[0] == 'a';
        rest = rest.substr(1);
      }
      const bool real = rest.empty() || rest == "-real";
      const bool virt = rest.empty() || rest == "-virtual";
      if (real) {
        if (specific ? cc == arch : (major == arch / 10 && minor >= arch % 10)) return true;
      }
      if (virt && !specific && cc >= arch) return true;
    }
  }
  return false;
}

void throw_status(int status, const char* call, const char* file, int line) {
  cuda_runtime& rt = runtime();
  // A non-sticky error also sits in the last-error slot: consume it, so the
  // next launch's check reports that launch's own outcome.
  (void)rt.get_last_error();
  throw Error(errc::cuda_error, std::string("CUDA error at ") + file + ":" + std::to_string(line) +
                                    ": " + call + " failed: " + rt.error_name(status) + ": " +
                                    rt.error_string(status));
}

void before_launch() { (void)runtime().get_last_error(); }

void after_launch(const char* what, const char* file, int line) {
  const int e = runtime().get_last_error();
  if (e != 0) throw_status(e, what, file, line);
}

}  // namespace gpurand::detail::cuda
