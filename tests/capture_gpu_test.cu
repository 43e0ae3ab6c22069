// GPU tests of issue 10: asynchronous fills captured into CUDA graphs (each
// replay draws its own numbers, audited together), and options::device.
// They skip, saying why, where no GPU is present; the host-side bookkeeping
// is tested on any machine in cuda_runtime_test.cpp.

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "expect_error.hpp"
#include "gpu_test_util.cuh"
#include "gpurand/audit.hpp"
#include "gpurand/device.cuh"
#include "gpurand/gpurand.hpp"

namespace gpurand::test {
namespace {

/// A non-blocking stream (no implicit order with the legacy stream), destroyed at scope end.
struct nonblocking_stream {
  cudaStream_t s = nullptr;
  nonblocking_stream() {
    EXPECT_EQ(cudaSuccess, cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  }
  ~nonblocking_stream() { EXPECT_EQ(cudaSuccess, cudaStreamDestroy(s)); }
};

/// The 1,000-replay audits: replays of a fill of audit_n u32 (not a multiple of
/// 4: a partial group too), on a stream of their own.
constexpr std::size_t audit_n = 4099, audit_replays = 1000;
struct replay_setup {
  nonblocking_stream stream;
  device_mem<std::uint32_t> out{audit_n};
};

/// A graph captured from `stream` by `enqueue`, instantiated.
template <class F>
cudaGraphExec_t capture(cudaStream_t stream, cudaStreamCaptureMode mode, F&& enqueue) {
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  EXPECT_EQ(cudaSuccess, cudaStreamBeginCapture(stream, mode));
  enqueue();
  EXPECT_EQ(cudaSuccess, cudaStreamEndCapture(stream, &graph));
  EXPECT_EQ(cudaSuccess, cudaGraphInstantiate(&exec, graph, 0));
  EXPECT_EQ(cudaSuccess, cudaGraphDestroy(graph));  // the exec keeps what it needs
  return exec;
}

/// Replays `exec` `replays` times on `stream`, copying `n` values of `out`
/// after each replay into row k of the result.
template <class T>
std::vector<T> replay_rows(cudaGraphExec_t exec, cudaStream_t stream, const T* out, std::size_t n,
                           std::size_t replays) {
  device_mem<T> rows(replays * n);
  for (std::size_t k = 0; k < replays; ++k) {
    EXPECT_EQ(cudaSuccess, cudaGraphLaunch(exec, stream));
    EXPECT_EQ(cudaSuccess, cudaMemcpyAsync(rows.p + k * n, out, n * sizeof(T),
                                           cudaMemcpyDeviceToDevice, stream));
  }
  std::vector<T> host(replays * n);
  EXPECT_EQ(cudaSuccess, cudaStreamSynchronize(stream));
  EXPECT_EQ(cudaSuccess,
            cudaMemcpy(host.data(), rows.p, host.size() * sizeof(T), cudaMemcpyDeviceToHost));
  return host;
}

/// The rows as audited streams: one "thread" per replay.
audit::report audit_rows(const std::vector<std::uint32_t>& rows, std::size_t n) {
  audit::layout shape;
  shape.blocks = rows.size() / n;
  shape.threads_per_block = 1;
  shape.per_thread = n;
  shape.type = audit::dtype::u32;
  return audit::run(rows.data(), shape);
}

/// The CPU backend's fill of n u32 at (seed, offset).
std::vector<std::uint32_t> cpu_u32(std::uint64_t seed, std::uint64_t offset, std::size_t n) {
  bulk_request r;
  r.seed = seed;
  r.offset = offset;
  r.n = n;
  r.backend = backend_kind::cpu;
  std::vector<std::uint32_t> v(n);
  fill(r, v.data());
  return v;
}

// One captured fill replayed 1,000 times: every replay draws the next 4
// offsets of the window (the bulk layout at offset o + 4k, bit for bit), and
// the audit of all replays together is clean. The generator dies before the
// replays: the graph owns what they need. Captured in global mode, the
// strictest (gpurand allocates in relaxed mode for the call).
TEST(Gpu, CapturedFillReplayedAThousandTimesAuditsClean) {
  REQUIRE_GPU();
  replay_setup setup;
  std::uint64_t first = 0;
  cudaGraphExec_t exec = nullptr;
  {
    options o{2026, backend_kind::gpu, 0};
    o.capture_replays = audit_replays;
    Generator gen(o);
    first = gen.offset();
    exec = capture(setup.stream.s, cudaStreamCaptureModeGlobal,
                   [&] { gen.generate_async(setup.out.p, audit_n, setup.stream.s); });
    EXPECT_EQ(first + 4 * audit_replays, gen.offset())
        << "the capture reserves every replay's window";
  }
  const std::vector<std::uint32_t> rows =
      replay_rows(exec, setup.stream.s, setup.out.p, audit_n, audit_replays);
  for (std::size_t k : {std::size_t{0}, std::size_t{1}, audit_replays - 1}) {
    const std::vector<std::uint32_t> want = cpu_u32(2026, first + 4 * k, audit_n);
    ASSERT_EQ(0, std::memcmp(want.data(), rows.data() + k * audit_n, audit_n * 4))
        << "replay " << k;
  }
  const audit::report r = audit_rows(rows, audit_n);
  EXPECT_TRUE(r.clean()) << audit::format(r);
  EXPECT_EQ(cudaSuccess, cudaGraphExecDestroy(exec));
}

// Negative control: today's pitfall, a window taken once on the host and
// baked into the captured kernel (a launch handle, or a fill at a fixed
// offset). Every replay repeats the same numbers, and the audit says so.
__global__ void baked_fill(launch_handle h, std::uint32_t* out, std::size_t n) {
  const std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i < n) out[i] = h.stream(i).next();
}

TEST(Gpu, NegativeControlAWindowBakedIntoAGraphRepeatsAndIsCaught) {
  REQUIRE_GPU();
  replay_setup setup;
  Generator gen(options{2026, backend_kind::gpu, 0});
  const launch_handle h = gen.launch(1);  // once, on the host: baked into the graph
  cudaGraphExec_t exec = capture(setup.stream.s, cudaStreamCaptureModeGlobal, [&] {
    baked_fill<<<static_cast<unsigned>((audit_n + 255) / 256), 256, 0, setup.stream.s>>>(
        h, setup.out.p, audit_n);
  });
  const audit::report r =
      audit_rows(replay_rows(exec, setup.stream.s, setup.out.p, audit_n, audit_replays), audit_n);
  EXPECT_FALSE(r.clean()) << "the audit missed replays that repeat each other";
  EXPECT_EQ(audit_replays - 1, r.duplicate_threads) << audit::format(r);
  EXPECT_EQ(cudaSuccess, cudaGraphExecDestroy(exec));
}

// Past its window a replay writes no numbers (all-one bytes: NaN), never
// another replay's; the generator's next call raises it once, naming the
// capture. Two execs of one graph share its window (run one after another).
TEST(Gpu, CapturedFillPastItsWindowWritesNoNumbersAndIsReported) {
  REQUIRE_GPU();
  const std::size_t n = 1001;
  const nonblocking_stream stream;
  const cudaStream_t s = stream.s;
  device_mem<float> out(n + 1);
  options o{77, backend_kind::gpu, 0};
  o.capture_replays = 3;
  Generator gen(o), cpu(options{77, backend_kind::cpu, 0});
  cudaGraph_t graph = nullptr;
  ASSERT_EQ(cudaSuccess, cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed));
  gen.uniform_async(out.p + 1, n, s);  // an unaligned head too
  ASSERT_EQ(cudaSuccess, cudaStreamEndCapture(s, &graph));
  cudaGraphExec_t a = nullptr, b = nullptr;
  ASSERT_EQ(cudaSuccess, cudaGraphInstantiate(&a, graph, 0));
  ASSERT_EQ(cudaSuccess, cudaGraphInstantiate(&b, graph, 0));
  ASSERT_EQ(cudaSuccess, cudaGraphDestroy(graph));
  std::vector<float> rows = replay_rows(a, s, out.p + 1, n, 2);
  const std::vector<float> more = replay_rows(b, s, out.p + 1, n, 3);
  rows.insert(rows.end(), more.begin(), more.end());
  for (std::size_t k = 0; k < 3; ++k) {  // the CPU's fills at the same offsets
    std::vector<float> want(n);
    cpu.uniform(want.data(), n);
    EXPECT_EQ(0, std::memcmp(want.data(), rows.data() + k * n, n * 4)) << "replay " << k;
  }
  for (std::size_t k = 3; k < 5; ++k)
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t bits = 0;
      std::memcpy(&bits, &rows[k * n + i], 4);
      ASSERT_EQ(0xffffffffu, bits) << "replay " << k << " index " << i;
    }
  expect_error(errc::exhausted, "2 more replay(s)", [&] { (void)gen.offset(); });
  EXPECT_EQ(12u, gen.offset()) << "raised once; nothing consumed";
  EXPECT_EQ(cudaSuccess, cudaGraphExecDestroy(a));
  EXPECT_EQ(cudaSuccess, cudaGraphExecDestroy(b));
}

// options::device: fills run on the generator's device, the caller's current
// device is restored; a bad index is refused at construction.
TEST(Gpu, GeneratorsRunOnTheirDeviceAndRestoreTheCurrentOne) {
  REQUIRE_GPU();
  const int count = device_count();
  ASSERT_GE(count, 1);
  options bad{1, backend_kind::gpu, 0};
  bad.device = count;
  expect_error(errc::invalid_argument, "device: " + std::to_string(count),
               [&] { Generator g(bad); });
  const int d = count - 1;  // the second device where there are two
  ASSERT_EQ(cudaSuccess, cudaSetDevice(d));
  device_mem<std::uint32_t> mem(4096);
  ASSERT_EQ(cudaSuccess, cudaSetDevice(0));
  options o{31, backend_kind::gpu, 0};
  o.device = d;
  Generator gen(o);
  gen.generate(mem.p, 4096);
  int current = -1;
  ASSERT_EQ(cudaSuccess, cudaGetDevice(&current));
  EXPECT_EQ(0, current) << "the current device was not restored";
  std::vector<std::uint32_t> got(4096);
  ASSERT_EQ(cudaSuccess, cudaMemcpy(got.data(), mem.p, 4096 * 4, cudaMemcpyDefault));
  EXPECT_EQ(cpu_u32(31, 0, 4096), got);
}

}  // namespace
}  // namespace gpurand::test
