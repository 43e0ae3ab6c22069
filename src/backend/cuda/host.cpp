// gpurand's host-side CUDA logic over the runtime seam (see host.hpp).

#include "backend/cuda/host.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "backend/cuda/capture.hpp"
#include "backend/cuda/cuda_check.hpp"

namespace gpurand {
namespace detail::cuda {
namespace {

std::string status_text(cuda_runtime& rt, int e) {
  return rt.error_name(e) + ": " + rt.error_string(e);
}

std::string fork_reason(pid_t parent) {
  return "CUDA was initialised in process " + std::to_string(parent) +
         " before this process was forked from it, and a CUDA context does not survive fork(), "
         "so this child cannot use the GPU. Start workers with the 'spawn' or 'forkserver' start "
         "method (or exec a fresh process), or use the CPU backend (backend=cpu, "
         "GPURAND_BACKEND=cpu), which gives the same numbers";
}

/// The pinned and device buffers, streams and events of one device, kept for
/// the life of the process and reused by every staged fill on that device.
struct staging {
  std::mutex m;  // one staged fill at a time per device
  std::size_t bytes = 0;
  void* pinned[2] = {nullptr, nullptr};
  void* dev[2] = {nullptr, nullptr};
  void* stream[2] = {nullptr, nullptr};
  void* event[2] = {nullptr, nullptr};

  void release() {
    cuda_runtime& rt = runtime();
    for (int k = 0; k < 2; ++k) {
      if (event[k]) (void)rt.event_destroy(event[k]);
      if (stream[k]) (void)rt.stream_destroy(stream[k]);
      if (dev[k]) (void)rt.free_device(dev[k]);
      if (pinned[k]) (void)rt.free_pinned(pinned[k]);
      event[k] = stream[k] = dev[k] = pinned[k] = nullptr;
    }
    bytes = 0;
    (void)rt.get_last_error();
  }
  /// Allocates on the current device; on failure frees what it got and throws.
  void acquire(std::size_t want) {
    if (bytes == want) return;
    release();
    cuda_runtime& rt = runtime();
    try {
      for (int k = 0; k < 2; ++k) {
        GPURAND_CUDA_CHECK(rt.malloc_pinned(&pinned[k], want));
        GPURAND_CUDA_CHECK(rt.malloc_device(&dev[k], want));
        GPURAND_CUDA_CHECK(rt.stream_create(&stream[k]));
        GPURAND_CUDA_CHECK(rt.event_create(&event[k]));
      }
    } catch (...) {
      release();
      throw;
    }
    bytes = want;
  }
};

struct process_state {
  std::mutex m;
  pid_t probed_pid = 0;  // the process the cached probe result belongs to
  availability cached;
  pid_t cuda_pid = 0;  // the process in which gpurand first initialised CUDA
  std::size_t staging_bytes = std::size_t{8} << 20;
  std::map<int, std::unique_ptr<staging>> staging_by_device;
  std::uint64_t* report = nullptr;  // launch_handle::report, pinned and mapped
  std::string archs = built_architectures();
};

process_state& state() {
  static process_state* s = new process_state;  // never destroyed: no CUDA calls at exit
  return *s;
}

/// The staging set of the current device (allocated on first use).
staging& staging_for_current_device(std::size_t bytes) {
  int dev = 0;
  GPURAND_CUDA_CHECK(runtime().get_device(&dev));
  process_state& s = state();
  std::lock_guard<std::mutex> lock(s.m);
  auto& slot = s.staging_by_device[dev];
  if (!slot) slot = std::make_unique<staging>();
  (void)bytes;
  return *slot;
}

std::size_t chunk_units(const fill_ops& ops, std::size_t bytes) {
  const std::size_t per_chunk = bytes / ops.unit_bytes;
  return per_chunk / ops.granularity * ops.granularity;
}

void place(const fill_ops& ops, std::size_t first, std::size_t count, const void* src, void* out) {
  if (ops.place)
    ops.place(first, count, src, out);
  else
    std::memcpy(static_cast<unsigned char*>(out) + first * ops.unit_bytes, src,
                count * ops.unit_bytes);
}

/// On an error mid-pipeline: let queued work finish before the buffers are
/// reused, and leave no stale error behind.
void drain(staging& st) {
  for (void* s : st.stream) (void)runtime().stream_synchronize(s);
  (void)runtime().get_last_error();
}

/// GPU -> pageable host memory, through two slots: while the host places
/// chunk j-2, chunks j-1 and j are generated and copied on their own streams.
void stage_to_host(void* out, const fill_ops& ops) {
  const std::size_t bytes = staging_bytes();
  const std::size_t per = chunk_units(ops, bytes);
  cuda_runtime& rt = runtime();
  if (per == 0) {  // one unit is bigger than a staging buffer: a one-off device buffer
    device_buffer tmp(ops.units * ops.unit_bytes);
    ops.gpu(0, ops.units, tmp.get(), nullptr);
    std::vector<unsigned char> host(ops.place ? ops.units * ops.unit_bytes : 0);
    void* dst = ops.place ? static_cast<void*>(host.data()) : out;
    GPURAND_CUDA_CHECK(rt.memcpy_async(dst, tmp.get(), ops.units * ops.unit_bytes, nullptr));
    GPURAND_CUDA_CHECK(rt.stream_synchronize(nullptr));
    if (ops.place) ops.place(0, ops.units, host.data(), out);
    return;
  }
  staging& st = staging_for_current_device(bytes);
  std::lock_guard<std::mutex> lock(st.m);
  st.acquire(bytes);
  struct pending {
    std::size_t first = 0, count = 0;
  } slot[2];
  try {
    std::size_t j = 0;
    for (std::size_t first = 0; first < ops.units; first += per, ++j) {
      const int k = static_cast<int>(j % 2);
      if (slot[k].count) {
        GPURAND_CUDA_CHECK(rt.event_synchronize(st.event[k]));
        place(ops, slot[k].first, slot[k].count, st.pinned[k], out);
      }
      const std::size_t count = std::min(per, ops.units - first);
      ops.gpu(first, count, st.dev[k], st.stream[k]);
      GPURAND_CUDA_CHECK(
          rt.memcpy_async(st.pinned[k], st.dev[k], count * ops.unit_bytes, st.stream[k]));
      GPURAND_CUDA_CHECK(rt.event_record(st.event[k], st.stream[k]));
      slot[k] = {first, count};
    }
    // The older outstanding chunk first, so `place` sees chunks in order.
    for (std::size_t i = 0; i < 2; ++i) {
      const int k = static_cast<int>((j + i) % 2);
      if (!slot[k].count) continue;
      GPURAND_CUDA_CHECK(rt.event_synchronize(st.event[k]));
      place(ops, slot[k].first, slot[k].count, st.pinned[k], out);
      slot[k].count = 0;
    }
  } catch (...) {
    drain(st);
    throw;
  }
}

/// CPU -> device memory: the CPU fills one pinned slot while the other is
/// being copied to the device.
void stage_to_device(void* out, const fill_ops& ops) {
  const std::size_t bytes = staging_bytes();
  const std::size_t per = chunk_units(ops, bytes);
  cuda_runtime& rt = runtime();
  if (per == 0 || ops.place) {  // not contiguous, or too big a unit: one host buffer
    std::vector<unsigned char> host(ops.units * ops.unit_bytes);
    ops.cpu(0, ops.units, host.data());
    GPURAND_CUDA_CHECK(rt.memcpy_async(out, host.data(), host.size(), nullptr));
    GPURAND_CUDA_CHECK(rt.stream_synchronize(nullptr));
    return;
  }
  staging& st = staging_for_current_device(bytes);
  std::lock_guard<std::mutex> lock(st.m);
  st.acquire(bytes);
  bool used[2] = {false, false};
  try {
    std::size_t j = 0;
    for (std::size_t first = 0; first < ops.units; first += per, ++j) {
      const int k = static_cast<int>(j % 2);
      if (used[k]) GPURAND_CUDA_CHECK(rt.event_synchronize(st.event[k]));
      const std::size_t count = std::min(per, ops.units - first);
      ops.cpu(first, count, st.pinned[k]);
      GPURAND_CUDA_CHECK(rt.memcpy_async(static_cast<unsigned char*>(out) + first * ops.unit_bytes,
                                         st.pinned[k], count * ops.unit_bytes, st.stream[k]));
      GPURAND_CUDA_CHECK(rt.event_record(st.event[k], st.stream[k]));
      used[k] = true;
    }
    for (int k = 0; k < 2; ++k)
      if (used[k]) GPURAND_CUDA_CHECK(rt.event_synchronize(st.event[k]));
  } catch (...) {
    drain(st);
    throw;
  }
}

}  // namespace

availability probe() {
  process_state& s = state();
  std::lock_guard<std::mutex> lock(s.m);
  const pid_t pid = getpid();
  if (s.probed_pid == pid) return s.cached;
  s.probed_pid = pid;
  availability a;
  if (s.cuda_pid != 0 && s.cuda_pid != pid) {
    a.forked = true;
    a.reason = fork_reason(s.cuda_pid);
    return s.cached = a;
  }
  cuda_runtime& rt = runtime();
  s.cuda_pid = pid;  // the probe itself initialises the driver in this process
  int n = 0;
  const int e = rt.device_count(&n);
  if (e != status_success) {
    (void)rt.get_last_error();
    a.reason = "no usable CUDA device: cudaGetDeviceCount failed: " + status_text(rt, e);
    if (e == status_initialization)
      a.reason +=
          " (if this process was forked from one that had used CUDA: a CUDA context "
          "does not survive fork(); use the 'spawn' or 'forkserver' start method, or the "
          "CPU backend)";
    return s.cached = a;
  }
  if (n <= 0) {
    a.reason = "no CUDA device found";
    return s.cached = a;
  }
  int dev = 0, major = 0, minor = 0;
  int q = rt.get_device(&dev);
  if (q == status_success) q = rt.compute_capability(dev, &major, &minor);
  if (q != status_success) {
    (void)rt.get_last_error();
    a.reason = "querying the current CUDA device failed: " + status_text(rt, q);
    return s.cached = a;
  }
  const std::string archs = s.archs;
  if (!architectures_run_on(archs, major, minor)) {
    a.reason = "CUDA device " + std::to_string(dev) + " has compute capability " +
               std::to_string(major) + "." + std::to_string(minor) +
               ", but this gpurand carries GPU code only for CUDA architectures '" + archs +
               "' (rebuild with -DCMAKE_CUDA_ARCHITECTURES including " + std::to_string(major) +
               std::to_string(minor) + ")";
    return s.cached = a;
  }
  a.usable = true;
  return s.cached = a;
}

void require_usable(const std::string& what) {
  const availability a = probe();
  if (a.usable) return;
  throw Error(a.forked ? errc::cuda_error : errc::unsupported, what + ": " + a.reason);
}

pointer_info classify(const void* p, bool may_start_cuda) {
  if (p == nullptr) return {};
  cuda_runtime& rt = runtime();
  if (may_start_cuda) {
    require_usable("GPU fill");
  } else {
    // The CPU backend: a process that never used CUDA has no CUDA memory, and
    // asking would create a context on device 0. A forked child of a CUDA
    // process cannot reach its parent's CUDA memory either.
    process_state& s = state();
    {
      std::lock_guard<std::mutex> lock(s.m);
      if (s.cuda_pid != 0 && s.cuda_pid != getpid()) return {};
    }
    if (!rt.context_active()) return {};
  }
  pointer_info info;
  if (rt.pointer_attributes(p, &info) != status_success) {
    (void)rt.get_last_error();  // memory CUDA does not know: pageable host memory
    return {};
  }
  return info;
}

device_guard::device_guard(int device) {
  if (device < 0) return;
  int current = 0;
  GPURAND_CUDA_CHECK(runtime().get_device(&current));
  if (current == device) return;
  GPURAND_CUDA_CHECK(runtime().set_device(device));
  previous_ = current;
}
device_guard::~device_guard() {
  if (previous_ >= 0 && runtime().set_device(previous_) != status_success)
    (void)runtime().get_last_error();
}

device_buffer::device_buffer(std::size_t bytes) {
  if (bytes) GPURAND_CUDA_CHECK(runtime().malloc_device(&p_, bytes));
}
device_buffer::~device_buffer() {
  if (p_) (void)runtime().free_device(p_);
}

std::size_t staging_bytes() {
  std::lock_guard<std::mutex> lock(state().m);
  return state().staging_bytes;
}
void set_staging_bytes_for_testing(std::size_t bytes) {
  std::lock_guard<std::mutex> lock(state().m);
  state().staging_bytes = bytes;
}

void route(backend_kind resolved, void* out, const fill_ops& ops) {
  if (ops.units == 0) return;
  cuda_runtime& rt = runtime();
  if (resolved == backend_kind::gpu) {
    const pointer_info info = classify(out, true);
    switch (info.kind) {
      case memory_kind::device:
      case memory_kind::managed: {
        device_guard on(info.device);  // launch and wait on the memory's own device
        ops.gpu(0, ops.units, out, nullptr);
        GPURAND_CUDA_CHECK(rt.stream_synchronize(nullptr));
        return;
      }
      case memory_kind::pinned:
        if (info.device_pointer && !ops.place) {  // mapped: the kernel writes it directly
          ops.gpu(0, ops.units, info.device_pointer, nullptr);
          GPURAND_CUDA_CHECK(rt.stream_synchronize(nullptr));
          return;
        }
        return stage_to_host(out, ops);
      case memory_kind::host: return stage_to_host(out, ops);
    }
    return;
  }
  const pointer_info info = classify(out, false);
  switch (info.kind) {
    case memory_kind::device: {
      device_guard on(info.device);
      return stage_to_device(out, ops);
    }
    case memory_kind::managed: {
      // Kernels still writing or reading this memory must finish before the CPU writes it.
      device_guard on(info.device);
      GPURAND_CUDA_CHECK(rt.device_synchronize());
      return ops.cpu(0, ops.units, out);
    }
    case memory_kind::pinned:
    case memory_kind::host: return ops.cpu(0, ops.units, out);
  }
}

std::uint64_t* window_report_slot() {
  if (!probe().usable) return nullptr;
  process_state& s = state();
  std::lock_guard<std::mutex> lock(s.m);
  if (s.report == nullptr) {
    void* p = nullptr;
    // cudaMallocHost memory is mapped into every device's address space at
    // the same address (UVA), so the kernel writes it through this pointer.
    GPURAND_CUDA_CHECK(runtime().malloc_pinned(&p, 2 * sizeof(std::uint64_t)));
    s.report = static_cast<std::uint64_t*>(p);
    s.report[0] = s.report[1] = 0;
  }
  return s.report;
}

void check_window_report() {
  process_state& s = state();
  std::uint64_t id = 0, flag = 0;
  {
    std::lock_guard<std::mutex> lock(s.m);
    if (s.report == nullptr) return;
    flag = __atomic_load_n(&s.report[0], __ATOMIC_ACQUIRE);
    if (flag == 0) return;
    id = s.report[1];
    s.report[1] = 0;
    __atomic_store_n(&s.report[0], 0, __ATOMIC_RELEASE);
  }
  if (flag == 2)  // a variable-draw body (kernels/fill.cu, report_budget): no trap
    throw Error(errc::exhausted,
                "a fill's variable-draw body for subsequence " + std::to_string(id) +
                    " needed more than its reserved draws; the output of that fill is "
                    "incomplete");
  throw Error(errc::exhausted,
              "a kernel's stream for subsequence " + std::to_string(id) +
                  " drew past its launch window, and the kernel was stopped: reserve more draws "
                  "per thread in Generator::launch (the CUDA context is unusable after the trap)");
}

std::string checked_architectures() {
  std::lock_guard<std::mutex> lock(state().m);
  return state().archs;
}
void set_architectures_for_testing(const std::string& archs) {
  std::lock_guard<std::mutex> lock(state().m);
  state().archs = archs;
  state().probed_pid = 0;
}

void check_device(int device) {
  const int n = gpurand::device_count();
  if (device < 0 || device >= n)
    throw Error(errc::invalid_argument,
                "device: " + std::to_string(device) + " is not a CUDA device index: this process " +
                    "sees " + std::to_string(n) + " device(s) (gpurand::device_count())");
  int major = 0, minor = 0;
  GPURAND_CUDA_CHECK(runtime().compute_capability(device, &major, &minor));
  const std::string archs = checked_architectures();
  if (!architectures_run_on(archs, major, minor))
    throw Error(errc::unsupported, "device: CUDA device " + std::to_string(device) +
                                       " has compute capability " + std::to_string(major) + "." +
                                       std::to_string(minor) +
                                       ", but this gpurand carries GPU code only for CUDA "
                                       "architectures '" +
                                       archs + "'");
}

void reset_process_state_for_testing() {
  release_capture_slots_for_testing();
  process_state& s = state();
  std::lock_guard<std::mutex> lock(s.m);
  for (auto& [dev, st] : s.staging_by_device) {
    (void)dev;
    st->release();
  }
  s.staging_by_device.clear();
  if (s.report) (void)runtime().free_pinned(s.report);
  s.report = nullptr;
  s.probed_pid = 0;
  s.cuda_pid = 0;
  s.cached = availability{};
  s.staging_bytes = std::size_t{8} << 20;
  s.archs = built_architectures();
}

}  // namespace detail::cuda

bool gpu_available() noexcept {
  try {
    return detail::cuda::probe().usable;
  } catch (...) {
    return false;
  }
}

std::string gpu_unavailable_reason() { return detail::cuda::probe().reason; }

int device_count() noexcept {
  try {
    if (detail::cuda::probe().forked) return 0;  // the parent's devices are out of reach
    detail::cuda::cuda_runtime& rt = detail::cuda::runtime();
    int n = 0;
    if (rt.device_count(&n) != detail::cuda::status_success) {
      (void)rt.get_last_error();
      return 0;
    }
    return n > 0 ? n : 0;
  } catch (...) {
    return 0;
  }
}

}  // namespace gpurand
