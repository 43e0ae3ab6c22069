// gpurand's host-side CUDA logic driven through a fake CUDA runtime, on any
// machine (no GPU needed): error clearing around launches, the device a fill
// runs and waits on, CPU fills that never start CUDA, fork detection, the
// architecture check, bounded staging, alignment, graph capture. Each test
// names the defect of issue 12 it guards.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backend/cpu/fill.hpp"
#include "backend/cuda/capture.hpp"
#include "backend/cuda/cuda_check.hpp"
#include "backend/cuda/host.hpp"
#include "dispatch.hpp"
#include "expect_error.hpp"
#include "gpurand/gpurand.hpp"
#include "shifted_store.hpp"

namespace gpurand::test {
namespace {

using namespace gpurand::detail::cuda;

/// A CUDA runtime in host memory. "Device" allocations are host memory
/// registered with a device number; every call is logged with the device
/// that was current when it was made.
class fake_runtime final : public cuda_runtime {
 public:
  int devices = 1;
  std::vector<std::pair<int, int>> cc = {{9, 0}, {9, 0}, {9, 0}, {9, 0}};
  int current = 0;
  bool active = true;  // context_active()
  int last_error = 0;
  int fail_next_device_malloc = 0;  // status for the next malloc_device
  std::map<const void*, pointer_info> registered;
  std::vector<void*> capturing;    // streams under an active capture; the stream is its graph
  std::vector<void*> invalidated;  // streams whose capture was invalidated
  int capture_query_status = 0;    // e.g. 906: the legacy stream while another one captures
  unsigned long long capture_id = 42;
  int capture_mode = 0;  // this thread's cudaStreamCaptureMode (0: global)
  std::vector<int> modes_at_pinned_malloc;
  int fail_graph_own = 0;
  struct graph_object {
    void* graph;
    void* object;
    void (*destroy)(void*);
  };
  std::vector<graph_object> graph_objects;

  /// cudaGraphDestroy of the last graph (and exec) holding `graph`'s objects.
  void destroy_graph(void* graph) {
    std::vector<graph_object> keep, drop;
    for (auto& o : graph_objects) (o.graph == graph ? drop : keep).push_back(o);
    graph_objects = keep;
    for (auto& o : drop) o.destroy(o.object);
  }
  std::vector<std::string> log;
  int pointer_queries = 0, device_mallocs = 0, pinned_mallocs = 0, calls = 0;

  ~fake_runtime() override {
    for (auto& o : graph_objects) o.destroy(o.object);
    for (auto& m : owned) std::free(m);
  }

  void* alloc(std::size_t bytes, memory_kind kind, int device) {
    void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
    owned.push_back(p);
    pointer_info i;
    i.kind = kind;
    i.device = kind == memory_kind::device || kind == memory_kind::managed ? device : -1;
    i.device_pointer = kind == memory_kind::pinned ? p : nullptr;
    registered[p] = i;
    return p;
  }

  int fail(int e) {
    last_error = e;
    return e;
  }
  void note(const std::string& what) { log.push_back(what + "@" + std::to_string(current)); }

  int device_count(int* n) override {
    ++calls;
    *n = devices;
    return 0;
  }
  int compute_capability(int d, int* major, int* minor) override {
    ++calls;
    *major = cc[d].first;
    *minor = cc[d].second;
    return 0;
  }
  int device_name(int, std::string* name) override {
    *name = "fake";
    return 0;
  }
  bool context_active() override { return active; }
  int pointer_attributes(const void* p, pointer_info* info) override {
    ++calls;
    ++pointer_queries;
    // cudaPointerGetAttributes knows allocations by any address inside them;
    // the tests only pass base addresses or addresses a few bytes in.
    for (auto& [base, i] : registered) {
      const auto* b = static_cast<const unsigned char*>(base);
      const auto* q = static_cast<const unsigned char*>(p);
      if (q >= b && q < b + 64) {
        *info = i;
        if (info->device_pointer) info->device_pointer = const_cast<void*>(p);
        return 0;
      }
    }
    *info = pointer_info{};
    return 0;
  }
  int get_device(int* d) override {
    ++calls;
    *d = current;
    return 0;
  }
  int set_device(int d) override {
    ++calls;
    if (d < 0 || d >= devices) return fail(101);  // cudaErrorInvalidDevice
    current = d;
    note("set_device");
    return 0;
  }
  int malloc_device(void** p, std::size_t bytes) override {
    ++calls;
    if (fail_next_device_malloc) {
      const int e = fail_next_device_malloc;
      fail_next_device_malloc = 0;
      *p = nullptr;
      return fail(e);
    }
    ++device_mallocs;
    *p = alloc(bytes, memory_kind::device, current);
    return 0;
  }
  int free_device(void*) override { return 0; }
  int malloc_pinned(void** p, std::size_t bytes) override {
    ++calls;
    ++pinned_mallocs;
    modes_at_pinned_malloc.push_back(capture_mode);
    *p = alloc(bytes, memory_kind::pinned, -1);
    return 0;
  }
  int free_pinned(void*) override { return 0; }
  int memcpy_async(void* dst, const void* src, std::size_t bytes, void*) override {
    ++calls;
    std::memcpy(dst, src, bytes);
    note("memcpy");
    return 0;
  }
  int stream_create(void** s) override {
    ++calls;
    *s = reinterpret_cast<void*>(++next_handle);
    return 0;
  }
  int stream_destroy(void*) override { return 0; }
  int stream_synchronize(void*) override {
    ++calls;
    note("stream_synchronize");
    return 0;
  }
  int stream_capture_info(void* s, capture_info* info) override {
    ++calls;
    *info = capture_info{};
    if (capture_query_status) return fail(capture_query_status);
    for (void* x : invalidated)
      if (x == s) info->status = capture_status::invalidated;
    for (void* x : capturing)
      if (x == s) *info = capture_info{capture_status::active, capture_id, s};
    return 0;
  }
  int exchange_capture_mode(int* mode) override {
    std::swap(*mode, capture_mode);
    return 0;
  }
  int graph_own(void* graph, void* object, void (*destroy)(void*)) override {
    ++calls;
    if (fail_graph_own) {
      destroy(object);
      return fail(fail_graph_own);
    }
    graph_objects.push_back({graph, object, destroy});
    return 0;
  }
  int device_synchronize() override {
    ++calls;
    note("device_synchronize");
    return 0;
  }
  int event_create(void** e) override {
    *e = reinterpret_cast<void*>(++next_handle);
    return 0;
  }
  int event_destroy(void*) override { return 0; }
  int event_record(void*, void*) override { return 0; }
  int event_synchronize(void*) override { return 0; }
  int get_last_error() override {
    const int e = last_error;
    last_error = 0;
    return e;
  }
  int peek_last_error() override { return last_error; }
  std::string error_name(int e) override { return "fakeError" + std::to_string(e); }
  std::string error_string(int e) override { return "fake error " + std::to_string(e); }

 private:
  std::vector<void*> owned;
  std::uintptr_t next_handle = 0x1000;
};

class CudaRuntime : public ::testing::Test {
 protected:
  void SetUp() override {
    install_runtime_for_testing(&fake);
    set_architectures_for_testing("90");  // what the default build carries, with or without CUDA
  }
  void TearDown() override { install_runtime_for_testing(nullptr); }
  fake_runtime fake;
};

/// The CPU backend's bulk fill with explicit numbers (a u32 fill unless `D` says otherwise).
template <dist D = dist::u32>
void cpu_fill(std::uint64_t seed, std::uint64_t offset, std::uint64_t first_group, std::size_t n,
              void* out) {
  bulk_request r;
  r.kind = D;
  r.seed = seed;
  r.offset = offset;
  r.first_group = first_group;
  r.n = n;
  detail::cpu_bulk<D>(r, out);
}

/// The CPU backend's writer for threads [first, first + threads).
void cpu_writer(const grid_request& base, std::uint64_t first, std::uint64_t threads, void* out) {
  grid_request r = base;
  r.first_thread = first;
  r.threads = threads;
  detail::cpu_grid<engine::philox4_32_10, dist::u32>(r, out);
}

/// A bulk fill of u32 as dispatch.cpp describes it, with the "kernel" run by
/// the CPU backend into the fake's device memory, checked like fill.cu checks
/// a launch. `launched_on` records the current device at each launch.
fill_ops bulk_ops(std::size_t n, std::uint64_t seed, std::vector<int>* launched_on,
                  fake_runtime* fake) {
  fill_ops ops;
  ops.units = n;
  ops.unit_bytes = 4;
  ops.granularity = 4;
  ops.gpu = [=](std::size_t first, std::size_t count, void* dst, void*) {
    before_launch();
    cpu_fill(seed, 8, first / 4, count, dst);
    if (launched_on) launched_on->push_back(fake->current);
    GPURAND_CUDA_CHECK_LAUNCH();
  };
  ops.cpu = [=](std::size_t first, std::size_t count, void* dst) {
    cpu_fill(seed, 8, first / 4, count, dst);
  };
  return ops;
}

std::vector<std::uint32_t> reference_u32(std::size_t n, std::uint64_t seed) {
  std::vector<std::uint32_t> v(n);
  cpu_fill(seed, 8, 0, n, v.data());
  return v;
}

// Defect 1: the checking macro consumes the error it reports.
TEST_F(CudaRuntime, CheckThrowsAndLeavesNoStaleError) {
  fake.last_error = status_memory_allocation;  // as a failed cudaMalloc leaves it
  try {
    GPURAND_CUDA_CHECK(fake.last_error);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(errc::cuda_error, e.code());
    EXPECT_NE(std::string(e.what()).find("fakeError2: fake error 2"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("cuda_runtime_test.cpp"), std::string::npos);
  }
  EXPECT_EQ(0, fake.peek_last_error()) << "the reported error stayed behind";
}

// Defect 1: an earlier, unrelated failure (the user's own) is not the launch's.
TEST_F(CudaRuntime, StaleErrorBeforeALaunchIsNotTheLaunchs) {
  fake.last_error = 999;
  before_launch();
  EXPECT_NO_THROW(GPURAND_CUDA_CHECK_LAUNCH());
  fake.last_error = 98;  // the launch's own failure still surfaces
  EXPECT_THROW(GPURAND_CUDA_CHECK_LAUNCH(), Error);
}

// Defect 1: a failed allocation, caught, then a retry: the retry succeeds.
TEST_F(CudaRuntime, RetryAfterAFailedAllocationSucceeds) {
  std::vector<std::uint32_t> out(1000);
  fake.fail_next_device_malloc = status_memory_allocation;
  try {
    route(backend_kind::gpu, out.data(), bulk_ops(out.size(), 3, nullptr, &fake));
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(errc::cuda_error, e.code());
  }
  ASSERT_NO_THROW(route(backend_kind::gpu, out.data(), bulk_ops(out.size(), 3, nullptr, &fake)));
  EXPECT_EQ(reference_u32(out.size(), 3), out);
}

// Defect 2: memory of device 1 is filled and awaited on device 1, and the
// caller's current device is restored.
TEST_F(CudaRuntime, MemoryOfAnotherDeviceIsFilledOnThatDevice) {
  fake.devices = 2;
  auto* p = static_cast<std::uint32_t*>(fake.alloc(64 * 4, memory_kind::device, 1));
  std::vector<int> launched_on;
  route(backend_kind::gpu, p, bulk_ops(64, 4, &launched_on, &fake));
  EXPECT_EQ(std::vector<int>{1}, launched_on);
  EXPECT_NE(std::find(fake.log.begin(), fake.log.end(), "stream_synchronize@1"), fake.log.end());
  EXPECT_EQ(0, fake.current) << "current device not restored";
  EXPECT_EQ(0, std::memcmp(reference_u32(64, 4).data(), p, 64 * 4));
}

// Defect 2: an async fill cannot switch devices under the user's stream: refused.
TEST_F(CudaRuntime, AsyncFillOfAnotherDevicesMemoryIsRefused) {
  fake.devices = 2;
  void* p = fake.alloc(64 * 4, memory_kind::device, 1);
  bulk_request r;
  r.n = 64;
  r.backend = backend_kind::gpu;
  try {
    detail::validate_bulk(r, p, true);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(errc::invalid_argument, e.code());
    EXPECT_NE(std::string(e.what()).find("device 1"), std::string::npos) << e.what();
  }
  fake.current = 1;
  EXPECT_NO_THROW(detail::validate_bulk(r, p, true));
}

// Defect 5: a CPU fill of host memory in a process that does not use CUDA
// makes no CUDA call at all (no context on device 0).
TEST_F(CudaRuntime, CpuFillDoesNotStartCuda) {
  fake.active = false;
  std::vector<std::uint32_t> out(100);
  route(backend_kind::cpu, out.data(), bulk_ops(out.size(), 5, nullptr, &fake));
  EXPECT_EQ(0, fake.calls) << "the CPU backend called into CUDA";
  EXPECT_EQ(reference_u32(out.size(), 5), out);
  // The public entry on the CPU backend, too.
  bulk_request r;
  r.n = out.size();
  r.backend = backend_kind::cpu;
  fill(r, out.data());
  EXPECT_EQ(0, fake.calls);
}

// Defect 7: managed memory filled by the CPU waits for in-flight GPU work first.
TEST_F(CudaRuntime, CpuFillOfManagedMemoryWaitsForTheDevice) {
  fake.devices = 2;
  auto* p = static_cast<std::uint32_t*>(fake.alloc(64 * 4, memory_kind::managed, 1));
  fill_ops ops = bulk_ops(64, 6, nullptr, &fake);
  auto cpu = ops.cpu;
  ops.cpu = [&, cpu](std::size_t f, std::size_t c, void* d) {
    fake.note("cpu_writes");
    cpu(f, c, d);
  };
  route(backend_kind::cpu, p, ops);
  const std::vector<std::string> want = {"set_device@1", "device_synchronize@1", "cpu_writes@1",
                                         "set_device@0"};
  EXPECT_EQ(want, fake.log);
  EXPECT_EQ(0, std::memcmp(reference_u32(64, 6).data(), p, 64 * 4));
}

// Defect 5: after fork(), CUDA used in the parent is a clear error in the
// child, which still fills on the CPU without touching CUDA.
TEST_F(CudaRuntime, ForkedChildOfACudaParentGetsAClearError) {
  ASSERT_TRUE(probe().usable);  // the parent initialised CUDA
  ASSERT_TRUE(gpu_available());
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int bad = 0;
    fake.calls = 0;
    if (gpu_available()) bad |= 1;
    const std::string reason = gpu_unavailable_reason();
    if (reason.find("fork") == std::string::npos || reason.find("spawn") == std::string::npos ||
        reason.find("CPU backend") == std::string::npos)
      bad |= 2;
    try {
      route(backend_kind::gpu, &bad, bulk_ops(1, 1, nullptr, &fake));
      bad |= 4;
    } catch (const Error& e) {
      if (e.code() != errc::cuda_error || std::string(e.what()).find("forked") == std::string::npos)
        bad |= 8;
    }
    if (detail::resolve_backend(backend_kind::automatic) != backend_kind::cpu) bad |= 16;
    std::vector<std::uint32_t> out(8);
    route(backend_kind::cpu, out.data(), bulk_ops(8, 1, nullptr, &fake));
    if (out != reference_u32(8, 1)) bad |= 32;
    if (fake.calls != 0) bad |= 64;
    _exit(bad);
  }
  int status = 0;
  ASSERT_EQ(child, waitpid(child, &status, 0));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(0, WEXITSTATUS(status)) << "failed checks, bit mask";
  EXPECT_TRUE(gpu_available()) << "the parent keeps its GPU";
}

// Defect 6: the built architectures decide, with the rules of SASS and PTX.
TEST(CudaArchitectures, SassAndPtxCompatibility) {
  EXPECT_TRUE(architectures_run_on("90", 9, 0));
  EXPECT_TRUE(architectures_run_on("90", 10, 0)) << "'90' embeds compute_90 PTX";
  EXPECT_FALSE(architectures_run_on("90", 8, 0));
  EXPECT_FALSE(architectures_run_on("90-real", 10, 0));
  EXPECT_TRUE(architectures_run_on("90-real", 9, 1));
  EXPECT_TRUE(architectures_run_on("80-real,90-virtual", 8, 6));
  EXPECT_FALSE(architectures_run_on("80-real;90-virtual", 7, 5));
  EXPECT_TRUE(architectures_run_on("80-real;90-virtual", 12, 0));
  EXPECT_TRUE(architectures_run_on("90a", 9, 0));
  EXPECT_FALSE(architectures_run_on("90a", 10, 0));
  EXPECT_FALSE(architectures_run_on("", 9, 0));
  EXPECT_TRUE(architectures_run_on("native", 7, 0));
}

// Defect 6: a device the build has no code for: auto falls back to the CPU
// and says why; backend=gpu refuses with that reason.
TEST_F(CudaRuntime, DeviceWithoutBuiltCodeFallsBackWithAReason) {
  fake.cc[0] = {8, 0};
  EXPECT_FALSE(gpu_available());
  const std::string reason = gpu_unavailable_reason();
  EXPECT_NE(reason.find("compute capability 8.0"), std::string::npos) << reason;
  EXPECT_NE(reason.find("'90'"), std::string::npos) << reason;
  EXPECT_EQ(backend_kind::cpu, detail::resolve_backend(backend_kind::automatic));
  try {
    (void)detail::resolve_backend(backend_kind::gpu);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(errc::unsupported, e.code());
    EXPECT_NE(std::string(e.what()).find("compute capability 8.0"), std::string::npos);
  }
}

TEST_F(CudaRuntime, NoDeviceReasonIsReadable) {
  fake.devices = 0;
  EXPECT_FALSE(gpu_available());
  EXPECT_EQ("no CUDA device found", gpu_unavailable_reason());
}

// Defect 7: host fills go through two small reused buffers, in many chunks,
// with the same bits as one piece; nothing is allocated per call.
TEST_F(CudaRuntime, HostFillsStageThroughABoundedReusedBuffer) {
  set_staging_bytes_for_testing(64);  // 16 values a chunk
  for (std::size_t n :
       {std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{17}, std::size_t{1001}}) {
    std::vector<std::uint32_t> out(n);
    std::vector<int> launches;
    route(backend_kind::gpu, out.data(), bulk_ops(n, 7, &launches, &fake));
    EXPECT_EQ(reference_u32(n, 7), out) << n;
    EXPECT_EQ((n + 15) / 16, launches.size()) << n;
  }
  EXPECT_EQ(2, fake.device_mallocs) << "staging is allocated once and reused";
  EXPECT_EQ(2, fake.pinned_mallocs);
}

// Defect 7: the interleaved writer, chunked by threads, lands in place.
TEST_F(CudaRuntime, InterleavedGridIsPlacedChunkByChunk) {
  set_staging_bytes_for_testing(3 * 5 * 4);  // 3 threads of 5 values
  grid_request r;
  r.seed = 11;
  r.threads = 10;
  r.per_thread = 5;
  r.first_thread = 7;
  r.interleave = true;
  std::vector<std::uint32_t> want(50), got(50);
  cpu_writer(r, 7, 10, want.data());
  fill_ops ops;
  ops.units = 10;
  ops.unit_bytes = 20;
  ops.gpu = [&](std::size_t first, std::size_t count, void* dst, void*) {
    cpu_writer(r, 7 + first, count, dst);
  };
  ops.place = [&](std::size_t first, std::size_t count, const void* src, void* out) {
    for (std::size_t k = 0; k < 5; ++k)
      std::memcpy(static_cast<std::uint32_t*>(out) + k * 10 + first,
                  static_cast<const std::uint32_t*>(src) + k * count, count * 4);
  };
  route(backend_kind::gpu, got.data(), ops);
  EXPECT_EQ(want, got);
}

// Defect 7: the CPU backend writing device memory stages through pinned chunks.
TEST_F(CudaRuntime, CpuFillOfDeviceMemoryStagesInChunks) {
  set_staging_bytes_for_testing(32);
  auto* p = static_cast<std::uint32_t*>(fake.alloc(4 * 50, memory_kind::device, 0));
  route(backend_kind::cpu, p, bulk_ops(50, 8, nullptr, &fake));
  EXPECT_EQ(0, std::memcmp(reference_u32(50, 8).data(), p, 200));
  EXPECT_EQ(7, std::count(fake.log.begin(), fake.log.end(), "memcpy@0"));
}

// Pinned host memory is written by the kernel directly, without staging.
TEST_F(CudaRuntime, PinnedHostMemoryIsWrittenDirectly) {
  auto* p = static_cast<std::uint32_t*>(fake.alloc(4 * 12, memory_kind::pinned, -1));
  route(backend_kind::gpu, p, bulk_ops(12, 9, nullptr, &fake));
  EXPECT_EQ(0, std::memcmp(reference_u32(12, 9).data(), p, 48));
  EXPECT_EQ(0, fake.device_mallocs);
}

// Defect 4: misaligned output is refused on every backend, before anything
// is consumed; naturally aligned output at any 16-byte phase is accepted.
TEST(Alignment, MisalignedOutputIsRefusedEverywhere) {
  alignas(16) unsigned char buf[256] = {};
  Generator gen(options{1, backend_kind::cpu, 0});
  try {
    gen.uniform(reinterpret_cast<double*>(buf + 4), 3);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(errc::invalid_argument, e.code());
    const std::string w = e.what();
    EXPECT_NE(w.find("out: address"), std::string::npos) << w;
    EXPECT_NE(w.find("not aligned to 8 bytes"), std::string::npos) << w;
  }
  EXPECT_EQ(0u, gen.offset()) << "a rejected call consumed offsets";
  EXPECT_THROW(gen.generate(reinterpret_cast<std::uint32_t*>(buf + 2), 3), Error);
  grid_request g;
  g.kind = dist::uniform_double;
  g.threads = 1;
  g.per_thread = 1;
  g.backend = backend_kind::cpu;
  EXPECT_THROW(write_thread_streams(g, buf + 4), Error);
  EXPECT_NO_THROW(gen.uniform(reinterpret_cast<float*>(buf + 4), 3));
  EXPECT_NO_THROW(gen.uniform(reinterpret_cast<double*>(buf + 8), 3));
}

// Defect 4: the GPU's misaligned-head path, replayed on the CPU with the
// kernel's own index helper, gives the values of the aligned layout.
template <dist D, unsigned P, unsigned S>
void replay_shifted(std::size_t n) {
  using T =
      std::conditional_t<P == 2, double, std::conditional_t<D == dist::u32, std::uint32_t, float>>;
  std::vector<T> want(n);
  cpu_fill<D>(21, 4, 3, n, want.data());
  std::vector<T> got(n + P);
  const std::size_t groups = (n + P - 1) / P;
  std::vector<T> group((groups + 1) * P);
  cpu_fill<D>(21, 4, 3, groups * P + P, group.data());
  for (std::size_t g = 0; g < groups; ++g) {  // one "thread" per group
    if (g == 0)
      for (unsigned l = 0; l < S && l < n; ++l) got[l] = group[l];
    T v[P];
    detail::shifted_vector<P, S>(&group[g * P], &group[(g + 1) * P], v);
    for (unsigned l = 0; l < P; ++l)
      if (S + P * g + l < n) got[S + P * g + l] = v[l];
  }
  got.resize(n);
  ASSERT_EQ(0, std::memcmp(want.data(), got.data(), n * sizeof(T))) << "n=" << n << " S=" << S;
}

TEST(Alignment, ShiftedStorePlanGivesTheAlignedLayout) {
  for (std::size_t n : {1, 2, 3, 4, 5, 7, 8, 9, 63, 64, 65}) {
    replay_shifted<dist::u32, 4, 1>(n);
    replay_shifted<dist::u32, 4, 2>(n);
    replay_shifted<dist::uniform, 4, 3>(n);
    replay_shifted<dist::uniform_double, 2, 1>(n);
  }
  EXPECT_EQ(3u, detail::values_to_alignment(0x1004, 4));
  EXPECT_EQ(1u, detail::values_to_alignment(0x1008, 8));
  EXPECT_EQ(0u, detail::values_to_alignment(0x1010, 8));
}

}  // namespace
}  // namespace gpurand::test

namespace gpurand::test {
namespace {

// Defect 8: a kernel's window overrun, recorded in the report words, turns
// the next host call of gpurand into Error(exhausted) naming the subsequence.
TEST_F(CudaRuntime, KernelWindowOverrunReachesTheNextHostCall) {
  std::uint64_t* report = window_report_slot();
  ASSERT_NE(nullptr, report);
  EXPECT_EQ(report, window_report_slot()) << "one report slot per process";
  report[1] = 77;  // what window_overrun() does on the device
  report[0] = 1;
  bulk_request r;
  r.n = 4;
  r.backend = backend_kind::cpu;
  std::uint32_t out[4];
  try {
    fill(r, out);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(errc::exhausted, e.code());
    EXPECT_NE(std::string(e.what()).find("subsequence 77"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(fill(r, out)) << "reported once";
}

// Defect 8 through the host API: a GPU generator's launch handle carries the
// report words, and an overrun reported by an earlier kernel stops the next
// launch before it reserves anything.
TEST_F(CudaRuntime, LaunchHandlesCarryTheReportAndLaunchChecksIt) {
  Generator gen(options{1, backend_kind::gpu, 0});
  const launch_handle h = gen.launch(8);
  ASSERT_NE(nullptr, h.report);
  EXPECT_EQ(window_report_slot(), h.report);
  h.report[1] = 12345;  // what the device does on an overrun
  h.report[0] = 1;
  const std::uint64_t before = gen.offset();
  try {
    (void)gen.launch(8);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(errc::exhausted, e.code());
    EXPECT_NE(std::string(e.what()).find("12345"), std::string::npos) << e.what();
  }
  EXPECT_EQ(before, gen.offset());
  EXPECT_EQ(before, gen.launch(8).offset) << "the report is cleared once raised";
  Generator cpu(options{1, backend_kind::cpu, 0});
  EXPECT_EQ(nullptr, cpu.launch(8).report);
}

}  // namespace
}  // namespace gpurand::test

// ---- Issue 10: fills captured into CUDA graphs, and options::device ----------

namespace gpurand::test {
namespace {

using namespace gpurand::detail::cuda;
using detail::capture_advanced;
using detail::capture_has_room;
using detail::capture_slot;
using detail::capture_step;

// The device's rules for one captured fill, run on the CPU: R replays take
// R disjoint fills' offsets of the window, in order; later replays take
// nothing (no wrap, `next` never passes the end) and are counted.
TEST(CaptureSlot, ReplaysTakeDisjointOffsetsAndStopAtTheWindowEnd) {
  for (const std::uint64_t begin : {std::uint64_t{0}, std::uint64_t{1000}, UINT64_MAX - 20}) {
    const std::uint64_t replays = 5;
    capture_slot s{7, begin, begin + replays * capture_step, 0};
    std::vector<std::uint64_t> used;
    for (int k = 0; k < 8; ++k) {
      if (capture_has_room(s.next, s.end)) used.push_back(s.next);
      s = capture_advanced(s);
      ASSERT_LE(s.next, s.end) << "moved past the window";
    }
    ASSERT_EQ(replays, used.size()) << begin;
    for (std::size_t k = 0; k < used.size(); ++k) EXPECT_EQ(begin + 4 * k, used[k]);
    EXPECT_EQ(s.end, s.next);
    EXPECT_EQ(3u, s.overruns);
  }
  EXPECT_FALSE(capture_has_room(UINT64_MAX - 3, UINT64_MAX)) << "3 offsets are not a fill";
  EXPECT_TRUE(capture_has_room(UINT64_MAX - 4, UINT64_MAX));
  EXPECT_FALSE(capture_has_room(9, 8)) << "a slot past its end never has room";
  capture_slot full{0, 8, 8, UINT64_MAX};
  EXPECT_EQ(UINT64_MAX, capture_advanced(full).overruns) << "the count saturates, never wraps";
}

// The ledger raises each new overrun once, naming the capture, and forgets a
// fill once its graph is gone and nothing is left to raise.
TEST(CaptureLedger, RaisesEachOverrunOnceAndForgetsFillsWhoseGraphIsGone) {
  capture_slot slot;
  auto fill = std::make_shared<captured_fill>(&slot, 99, "asynchronous fill of 8 u32 values");
  fill->arm(5, 400, 10);
  EXPECT_EQ(5u, slot.seed);
  EXPECT_EQ(400u, slot.next);
  EXPECT_EQ(440u, slot.end);
  std::shared_ptr<captured_fill> graph_ref = fill;  // the graph's reference
  capture_ledger ledger;
  ledger.add(fill);
  fill.reset();
  EXPECT_NO_THROW(ledger.check());
  slot.overruns = 2;  // what the advance kernel does at replays 11 and 12
  expect_error(errc::exhausted, "capture id 99", [&] { ledger.check(); });
  EXPECT_NO_THROW(ledger.check()) << "raised once";
  slot.overruns = 3;
  expect_error(errc::exhausted, "1 more replay(s)", [&] { ledger.check(); });
  graph_ref.reset();  // the graph and its execs are gone
  EXPECT_NO_THROW(ledger.check());
  EXPECT_EQ(0u, ledger.size()) << "a fill without a graph is forgotten";
}

TEST(CaptureLedger, AFillWhoseGraphIsGoneIsRaisedBeforeItIsForgotten) {
  capture_slot slot;
  capture_ledger ledger;
  ledger.add(std::make_shared<captured_fill>(&slot, 5, "fill"));  // the graph already died
  slot.overruns = 1;                                              // its last replay overran first
  expect_error(errc::exhausted, "capture id 5", [&] { ledger.check(); });
  EXPECT_NO_THROW(ledger.check());
  EXPECT_EQ(0u, ledger.size());
}

// A forked child cannot replay the parent's graphs (nor read its pinned
// memory, which need not survive fork()): it forgets them unread.
TEST(CaptureLedger, AForkedChildForgetsTheParentsCaptures) {
  capture_slot slot;
  capture_ledger ledger;
  auto graph_ref = std::make_shared<captured_fill>(&slot, 6, "fill");
  ledger.add(graph_ref);
  slot.overruns = 1;
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int bad = 0;
    try {
      ledger.check();
    } catch (...) {
      bad |= 1;
    }
    if (ledger.size() != 0) bad |= 2;
    _exit(bad);
  }
  int status = 0;
  ASSERT_EQ(child, waitpid(child, &status, 0));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(0, WEXITSTATUS(status)) << "failed checks, bit mask";
  expect_error(errc::exhausted, "capture id 6", [&] { ledger.check(); });
}

/// Runs a fill that reaches the kernel launcher: there is no GPU here and
/// the launchers call cudart directly (kernels/, outside the seam), so the
/// launch itself fails, after the host-side bookkeeping under test.
template <class F>
void launch_fails_here(F&& f) {
  try {
    f();
    ADD_FAILURE() << "the kernel launch succeeded without a GPU";
  } catch (const Error& e) {
    EXPECT_TRUE(e.code() == errc::cuda_error || e.code() == errc::unsupported) << e.what();
  }
}

/// Stream `id` of the fake, under capture (a stream is also its graph there).
void* capturing_stream(fake_runtime& fake, std::uintptr_t id) {
  void* s = reinterpret_cast<void*>(id);
  fake.capturing.push_back(s);
  return s;
}

/// A GPU generator (seed 3) at `offset` whose captured fills may run `replays` replays.
Generator capturing_generator(std::uint64_t offset, std::uint64_t replays) {
  options o{3, backend_kind::gpu, offset};
  o.capture_replays = replays;
  return Generator(o);
}

/// The fill the fake graph `graph` owns (the reference handed to graph_own).
captured_fill* owned_fill(fake_runtime& fake, void* graph) {
  for (auto& o : fake.graph_objects)
    if (o.graph == graph) return static_cast<std::shared_ptr<captured_fill>*>(o.object)->get();
  return nullptr;
}

// An async fill on a capturing stream reserves capture_replays fills'
// offsets, arms a slot with them, and hands the slot to the capture's graph;
// the slot is allocated in relaxed capture mode, the thread's mode restored.
TEST_F(CudaRuntime, CapturedFillReservesAWindowAndTheGraphOwnsItsSlot) {
  void* p = fake.alloc(64, memory_kind::device, 0);
  void* stream = capturing_stream(fake, 0x77);
  Generator gen = capturing_generator(100, 10);
  launch_fails_here([&] { gen.uniform_async(static_cast<float*>(p), 4, stream); });
  EXPECT_EQ(100u + 40u, gen.offset()) << "10 replays x 4 offsets";
  ASSERT_EQ(1u, fake.graph_objects.size());
  captured_fill* fill = owned_fill(fake, stream);
  ASSERT_NE(nullptr, fill);
  EXPECT_EQ(3u, fill->slot()->seed);
  EXPECT_EQ(100u, fill->slot()->next);
  EXPECT_EQ(140u, fill->slot()->end);
  EXPECT_EQ(std::vector<int>{capture_mode_relaxed}, fake.modes_at_pinned_malloc);
  EXPECT_EQ(0, fake.capture_mode) << "the thread's capture mode was not restored";
  // Without a capture the fill takes 4 offsets, as before, and no slot.
  fake.capturing.clear();
  launch_fails_here([&] { gen.uniform_async(static_cast<float*>(p), 4, stream); });
  EXPECT_EQ(144u, gen.offset());
  EXPECT_EQ(1u, fake.graph_objects.size());
  EXPECT_EQ(1, fake.pinned_mallocs);
}

// A replay past the window, reported in the slot, is Error(exhausted) at the
// generator's next call, once; a refused call consumes nothing. seed() stays
// readable (a run must stay reproducible).
TEST_F(CudaRuntime, ReplaysPastTheWindowAreRaisedAtTheNextCall) {
  void* p = fake.alloc(64, memory_kind::device, 0);
  void* stream = capturing_stream(fake, 0x78);
  Generator gen = capturing_generator(0, 2);
  launch_fails_here([&] { gen.generate_async(static_cast<std::uint32_t*>(p), 16, stream); });
  captured_fill* fill = owned_fill(fake, stream);
  ASSERT_NE(nullptr, fill);
  fill->slot()->overruns = 1;  // the third replay, as the advance kernel counts it
  EXPECT_EQ(3u, gen.seed());
  expect_error(errc::exhausted, "capture id 42", [&] { (void)gen.launch(4); });
  EXPECT_EQ(8u, gen.offset()) << "the refused launch consumed offsets";
  fill->slot()->overruns = 4;
  expect_error(errc::exhausted, "3 more replay(s)", [&] { (void)gen.state(); });
  EXPECT_NO_THROW((void)gen.launch(4));
  fill->slot()->overruns = 5;
  expect_error(errc::exhausted, "16 u32 values", [&] { (void)gen.spawn(1); });
}

// The graph owns the slot: the generator may die first; the slot goes back
// to the pool only when the graph is gone too, and the next capture reuses it.
TEST_F(CudaRuntime, TheSlotLivesAsLongAsTheGraphAndIsReused) {
  void* p = fake.alloc(64, memory_kind::device, 0);
  void* a = reinterpret_cast<void*>(0x81);
  void* b = reinterpret_cast<void*>(0x82);
  fake.capturing = {a, b};
  capture_slot* first = nullptr;
  {
    Generator gen(options{3, backend_kind::gpu, 0});
    launch_fails_here([&] { gen.uniform_async(static_cast<float*>(p), 4, a); });
    first = owned_fill(fake, a)->slot();
  }
  ASSERT_NE(nullptr, owned_fill(fake, a)) << "the graph lost its slot with the generator";
  EXPECT_EQ(3u, first->seed);
  Generator gen(options{4, backend_kind::gpu, 0});
  launch_fails_here([&] { gen.uniform_async(static_cast<float*>(p), 4, b); });
  EXPECT_NE(first, owned_fill(fake, b)->slot()) << "a live graph's slot was handed out again";
  fake.destroy_graph(a);
  fake.capture_id = 43;
  launch_fails_here([&] { gen.uniform_async(static_cast<float*>(p), 4, b); });
  EXPECT_EQ(2, fake.pinned_mallocs) << "the dead graph's slot was not reused";
  fake.destroy_graph(b);
  EXPECT_NO_THROW((void)gen.offset()) << "the generator forgets fills whose graph is gone";
}

// Where a fill cannot be made capture-safe it is refused with a clear
// error, before anything is reserved.
TEST_F(CudaRuntime, FillsThatCannotBeCapturedAreRefusedAndConsumeNothing) {
  void* p = fake.alloc(64, memory_kind::device, 0);
  void* stream = reinterpret_cast<void*>(0x79);
  Generator cpu(options{1, backend_kind::cpu, 0});
  fake.capturing.push_back(stream);
  expect_error(errc::unsupported, "CPU backend",
               [&] { cpu.uniform_async(static_cast<float*>(p), 4, stream); });
  EXPECT_EQ(0u, cpu.offset());
  Generator gpu(options{1, backend_kind::gpu, 0});
  fake.capturing.clear();
  fake.invalidated.push_back(stream);
  expect_error(errc::unsupported, "invalidated",
               [&] { gpu.uniform_async(static_cast<float*>(p), 4, stream); });
  fake.capture_query_status = status_stream_capture_implicit;
  expect_error(errc::unsupported, "legacy default stream",
               [&] { gpu.uniform_async(static_cast<float*>(p), 4, nullptr); });
  EXPECT_EQ(0, fake.peek_last_error()) << "the refused query's error stayed behind";
  fake.capture_query_status = 999;
  expect_error(errc::cuda_error, "cudaStreamGetCaptureInfo",
               [&] { gpu.uniform_async(static_cast<float*>(p), 4, stream); });
  fake.capture_query_status = 0;
  EXPECT_EQ(0u, gpu.offset());
  EXPECT_EQ(0, fake.pinned_mallocs);
  // A window that does not fit what is left of the generator's: exhausted,
  // nothing reserved.
  fake.invalidated.clear();
  fake.capturing.push_back(stream);
  options tight{1, backend_kind::gpu, UINT64_MAX - 100};  // a window of its own of 50 offsets
  tight.capture_replays = 13;
  Generator small(tight);
  const std::uint64_t before = small.offset();
  expect_error(errc::exhausted, "window exhausted",
               [&] { small.uniform_async(static_cast<float*>(p), 4, stream); });
  EXPECT_EQ(before, small.offset());
  // A failed hand-over to the graph is a CUDA error; nothing reserved.
  fake.fail_graph_own = 1;
  expect_error(errc::cuda_error, "graph_own",
               [&] { gpu.uniform_async(static_cast<float*>(p), 4, stream); });
  EXPECT_EQ(0u, gpu.offset());
}

TEST(CaptureOptions, ReplaysMustBePositiveAndFitTheOffsetSpace) {
  options o{1, backend_kind::cpu, 0};
  o.capture_replays = 0;
  expect_error(errc::invalid_argument, "capture_replays", [&] { Generator g(o); });
  o.capture_replays = (std::uint64_t{1} << 62) + 1;
  expect_error(errc::invalid_argument, "capture_replays", [&] { Generator g(o); });
  o.capture_replays = std::uint64_t{1} << 62;
  EXPECT_NO_THROW(Generator{o});
}

TEST_F(CudaRuntime, DeviceCountComesFromTheRuntime) {
  fake.devices = 3;
  EXPECT_EQ(3, device_count());
  install_runtime_for_testing(&fake);  // forget the probe
  fake.devices = 0;
  EXPECT_EQ(0, device_count());
}

// options::device: checked at construction on the GPU backend, ignored by
// the CPU backend; a negative index is never a device.
TEST_F(CudaRuntime, BadDeviceIndexIsRefusedAtConstruction) {
  fake.devices = 2;
  options o{1, backend_kind::gpu, 0};
  o.device = 2;
  expect_error(errc::invalid_argument, "device: 2", [&] { Generator g(o); });
  o.device = -1;
  expect_error(errc::invalid_argument, "device: must be a CUDA device index >= 0, got -1",
               [&] { Generator g(o); });
  fake.cc[1] = {8, 0};
  o.device = 1;
  expect_error(errc::unsupported, "compute capability 8.0", [&] { Generator g(o); });
  o.backend = backend_kind::cpu;
  o.device = 7;
  EXPECT_NO_THROW(Generator{o}) << "the CPU backend ignores the device";
  EXPECT_EQ(0, fake.current);
}

// A generator's GPU work runs on its device, made current for the call
// through the seam and the caller's device restored after, also when the
// call fails; spawned and restored generators keep the device.
TEST_F(CudaRuntime, FillsRunOnTheGeneratorsDeviceAndRestoreTheCurrentOne) {
  fake.devices = 2;
  void* mem1 = fake.alloc(64, memory_kind::device, 1);
  void* pinned = fake.alloc(64, memory_kind::pinned, -1);
  options o{1, backend_kind::gpu, 0};
  o.device = 1;
  Generator gen(o);
  launch_fails_here([&] { gen.generate(static_cast<std::uint32_t*>(pinned), 16); });
  EXPECT_EQ("set_device@1", fake.log.front());
  EXPECT_EQ("set_device@0", fake.log.back());
  EXPECT_EQ(0, fake.current);
  fake.log.clear();
  launch_fails_here([&] { gen.uniform_async(static_cast<float*>(mem1), 16, nullptr); });
  EXPECT_EQ((std::vector<std::string>{"set_device@1", "set_device@0"}), fake.log)
      << "the async fill's memory check ran on device 1";
  fake.log.clear();
  Generator child = gen.spawn(3, 4);
  launch_fails_here([&] { child.generate(static_cast<std::uint32_t*>(pinned), 16); });
  EXPECT_EQ("set_device@1", fake.log.front()) << "a spawned child left its parent's device";
  options machine;
  machine.backend = backend_kind::gpu;
  machine.device = 1;
  Generator again = Generator::restore(gen.state(), machine);
  fake.log.clear();
  launch_fails_here([&] { again.generate(static_cast<std::uint32_t*>(pinned), 16); });
  EXPECT_EQ("set_device@1", fake.log.front());
  EXPECT_EQ(0, fake.current);
}

// Device memory of another device is refused, not filled there; nothing consumed.
TEST_F(CudaRuntime, MemoryOfAnotherDeviceThanTheGeneratorsIsRefused) {
  fake.devices = 2;
  void* mem0 = fake.alloc(64, memory_kind::device, 0);
  options o{1, backend_kind::gpu, 0};
  o.device = 1;
  Generator gen(o);
  expect_error(errc::invalid_argument,
               "memory of CUDA device 0, but this generator runs on device 1",
               [&] { gen.generate(static_cast<std::uint32_t*>(mem0), 16); });
  expect_error(errc::invalid_argument, "memory of CUDA device 0",
               [&] { (void)gen.thread_streams(dist::u32, 2, 2, mem0); });
  expect_error(errc::invalid_argument, "device 0",
               [&] { gen.generate_async(static_cast<std::uint32_t*>(mem0), 16, nullptr); });
  EXPECT_EQ(0u, gen.offset());
  EXPECT_EQ(0, fake.current);
}

TEST(Restore, OptionsCarryTheMachineNotTheState) {
  Generator gen(options{9, backend_kind::cpu, 0});
  options o;
  o.seed = 1;
  expect_error(errc::invalid_argument, "opts.seed",
               [&] { (void)Generator::restore(gen.state(), o); });
  o.seed.reset();
  o.offset = 4;
  expect_error(errc::invalid_argument, "opts.offset",
               [&] { (void)Generator::restore(gen.state(), o); });
  o.offset = 0;
  o.backend = backend_kind::cpu;
  o.capture_replays = 0;
  expect_error(errc::invalid_argument, "capture_replays",
               [&] { (void)Generator::restore(gen.state(), o); });
  o.capture_replays = 8;
  EXPECT_EQ(gen.state(), Generator::restore(gen.state(), o).state());
}

}  // namespace
}  // namespace gpurand::test
