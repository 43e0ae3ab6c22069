// The host API: seeding, offset bookkeeping, backend choice, spawning,
// fork safety, host threads, and errors on bad input.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "curand_ref.hpp"
#include "entropy.hpp"
#include "expect_error.hpp"
#include "gpurand/discrete.hpp"
#include "gpurand/gpurand.hpp"

namespace gpurand::test {
namespace {

Generator cpu_gen(std::uint64_t seed) {
  options o;
  o.seed = seed;
  o.backend = backend_kind::cpu;
  return Generator(o);
}

TEST(Generator, OsSeededGeneratorsDiffer) {
  Generator a(options{std::nullopt, backend_kind::cpu, 0});
  Generator b(options{std::nullopt, backend_kind::cpu, 0});
  EXPECT_TRUE(a.seeded_from_os());
  EXPECT_NE(a.seed(), b.seed());
  std::vector<std::uint32_t> x(64), y(64);
  a.generate(x.data(), x.size());
  b.generate(y.data(), y.size());
  EXPECT_NE(x, y);
}

TEST(Generator, ExplicitSeedReproducesAndReportsState) {
  auto a = cpu_gen(2024), b = cpu_gen(2024);
  EXPECT_FALSE(a.seeded_from_os());
  EXPECT_EQ(2024u, a.seed());
  EXPECT_EQ(backend_kind::cpu, a.backend());
  std::vector<float> x(1000), y(1000);
  for (int call = 0; call < 3; ++call) {
    a.uniform(x.data(), x.size());
    b.uniform(y.data(), y.size());
    ASSERT_EQ(x, y) << "call " << call;
  }
  EXPECT_EQ(12u, a.offset());
}

TEST(Generator, PortableNormalRejectsBadScaleAndConsumesNothing) {
  auto gen = cpu_gen(8);
  std::vector<float> f(16);
  std::vector<double> d(16);
  const std::uint64_t o = gen.offset();
  for (const float sd : {-1.0f, std::numeric_limits<float>::infinity()}) {
    try {
      gen.normal(f.data(), f.size(), 0.0f, sd, portable);
      ADD_FAILURE() << "stddev " << sd << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("stddev"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(gen.normal(d.data(), d.size(), std::nan(""), 1.0, portable), Error);
  EXPECT_THROW(gen.normal(f.data(), f.size(), 0.0f, 1e38f, portable), Error);  // beyond float
  EXPECT_EQ(o, gen.offset());
}

TEST(Generator, OwnDistributionsRejectBadParametersAndConsumeNothing) {
  auto gen = cpu_gen(8);
  std::vector<float> f(16);
  std::vector<std::uint32_t> u(16);
  const std::uint64_t o = gen.offset();
  const float inf = std::numeric_limits<float>::infinity(), nanf = std::nanf("");
  for (const float lambda : {0.0f, -1.0f, inf, nanf, 1e-37f})
    expect_error(errc::invalid_argument, "lambda", [&] { gen.exponential(f.data(), 16, lambda); });
  expect_error(errc::invalid_argument, "lambda: must be in [2^-120, 3.4e38] (finite and > 0, a "
                                       "float rate) for exponential, got -2",
               [&] { gen.exponential(f.data(), 16, -2.0f); });
  for (const double p : {-0.5, 1.0000001, std::nan(""), -HUGE_VAL})
    expect_error(errc::invalid_argument, "p: must be in [0, 1]",
                 [&] { gen.bernoulli(u.data(), 16, p); });
  expect_error(errc::invalid_argument, "got 1.5", [&] { gen.bernoulli(u.data(), 16, 1.5); });
  // Bad parameters are errors for n = 0 too.
  expect_error(errc::invalid_argument, "p:", [&] { gen.bernoulli(u.data(), 0, 2.0); });
  discrete_table moved{1.0, 2.0};
  discrete_table keep = std::move(moved);
  expect_error(errc::invalid_argument, "table: a discrete_table used after being moved from",
               [&] { gen.discrete(u.data(), 16, moved); });  // NOLINT(bugprone-use-after-move)
  // Bad weights never make a table.
  expect_error(errc::invalid_argument, "weights[2]: -1", [] { discrete_table t{1, 2, -1}; });
  expect_error(errc::invalid_argument, "weights[0]: nan", [] { discrete_table t{std::nan("")}; });
  expect_error(errc::invalid_argument, "all 2 weights are zero", [] { discrete_table t{0, 0}; });
  expect_error(errc::invalid_argument, "weights: empty",
               [] { discrete_table t(std::vector<double>{}); });
  EXPECT_EQ(o, gen.offset()) << "a rejected call consumed offsets";
  // The edges are accepted.
  gen.bernoulli(u.data(), 16, 0.0);
  EXPECT_EQ(std::vector<std::uint32_t>(16, 0u), u);
  gen.bernoulli(u.data(), 16, 1.0);
  EXPECT_EQ(std::vector<std::uint32_t>(16, 1u), u);
  gen.exponential(f.data(), 16, 0x1p-120f);
  gen.exponential(f.data(), 16, std::numeric_limits<float>::max());
  for (const float v : f) EXPECT_TRUE(std::isfinite(v));
  gen.discrete(u.data(), 16, keep);
  for (const std::uint32_t v : u) EXPECT_LT(v, 2u);
}

TEST(Generator, IntegersRejectBadRangesAndConsumeNothing) {
  auto gen = cpu_gen(9);
  std::vector<std::uint32_t> u(16);
  std::vector<std::uint64_t> w(16);
  const std::uint64_t o = gen.offset();
  expect_error(errc::invalid_argument, "high: must be above low = 5 (values in [low, high)), got 5",
               [&] { gen.integers(u.data(), 16, 5, 5); });
  expect_error(errc::invalid_argument, "got 3", [&] { gen.integers(w.data(), 16, 9, 3); });
  expect_error(errc::invalid_argument, "high: integer values are uint32",
               [&] { gen.integers(u.data(), 16, 0, (std::uint64_t{1} << 32) + 1); });
  expect_error(errc::invalid_argument, "high:", [&] { gen.integers(u.data(), 0, 2, 1); });
  expect_error(errc::invalid_argument, "out: null pointer",
               [&] { gen.integers(static_cast<std::uint32_t*>(nullptr), 16, 0, 3); });
  EXPECT_EQ(o, gen.offset()) << "a rejected call consumed offsets";
  // The edges: the whole uint32 range (high = 2^32: the first word itself), a range of one,
  // and the top of uint64.
  gen.integers(u.data(), 16, 0, std::uint64_t{1} << 32);
  gen.integers(u.data(), 16, 41, 42);
  EXPECT_EQ(std::vector<std::uint32_t>(16, 41u), u);
  gen.integers(w.data(), 16, UINT64_MAX - 1, UINT64_MAX);
  EXPECT_EQ(std::vector<std::uint64_t>(16, UINT64_MAX - 1), w);
  gen.integers(w.data(), 16, 0, UINT64_MAX);
  EXPECT_EQ(o + 2 * bulk_draws(dist::integer) + 2 * bulk_draws(dist::integer64), gen.offset());
}

TEST(Generator, BulkCallsFollowTheLayoutAndAdvanceOffsetByTheirBulkDraws) {
  auto gen = cpu_gen(31337);
  for (dist d : all_dists) {
    const std::uint64_t o = gen.offset();
    const std::size_t n = 403;
    std::vector<unsigned char> out(n * value_size(d));
    switch (d) {
      case dist::u32: gen.generate(reinterpret_cast<std::uint32_t*>(out.data()), n); break;
      case dist::uniform: gen.uniform(reinterpret_cast<float*>(out.data()), n); break;
      case dist::normal: gen.normal(reinterpret_cast<float*>(out.data()), n, 2.0f, 3.0f); break;
      case dist::uniform_double: gen.uniform(reinterpret_cast<double*>(out.data()), n); break;
      case dist::normal_double:
        gen.normal(reinterpret_cast<double*>(out.data()), n, -1.0, 0.5);
        break;
      case dist::normal_portable:
        gen.normal(reinterpret_cast<float*>(out.data()), n, 2.0f, 3.0f, portable);
        break;
      case dist::normal_portable_double:
        gen.normal(reinterpret_cast<double*>(out.data()), n, -1.0, 0.5, portable);
        break;
      case dist::log_normal:
        gen.log_normal(reinterpret_cast<float*>(out.data()), n, 2.0f, 3.0f);
        break;
      case dist::log_normal_double:
        gen.log_normal(reinterpret_cast<double*>(out.data()), n, -1.0, 0.5);
        break;
      case dist::poisson: gen.poisson(reinterpret_cast<std::uint32_t*>(out.data()), n, 2.0); break;
      case dist::exponential:
        gen.exponential(reinterpret_cast<float*>(out.data()), n, test_lambda);
        break;
      case dist::bernoulli:
        gen.bernoulli(reinterpret_cast<std::uint32_t*>(out.data()), n, test_p);
        break;
      case dist::discrete:
        gen.discrete(reinterpret_cast<std::uint32_t*>(out.data()), n, test_table());
        break;
      case dist::integer:
        gen.integers(reinterpret_cast<std::uint32_t*>(out.data()), n, test_low, test_high);
        break;
      case dist::integer64:
        gen.integers(reinterpret_cast<std::uint64_t*>(out.data()), n, test_low, test_high);
        break;
      default: FAIL() << "no Generator method for " << to_string(d);
    }
    const bool f = value_size(d) == 4;
    const double mean = f ? 2.0 : -1.0, sd = f ? 3.0 : 0.5;
    EXPECT_EQ(ref_bulk(d, 31337, o, 0, n, mean, sd, 2.0), out) << to_string(d);
    // One Philox block of every subsequence; a variable-draw row's cap (poisson: 1024,
    // integer: 16, integer64: 8).
    EXPECT_EQ(o + bulk_draws(d), gen.offset()) << to_string(d);
  }
}

TEST(Generator, ConsecutiveCallsAndLaunchesNeverShareABlock) {
  auto gen = cpu_gen(5);
  // Record each call's offset window; windows must be disjoint and together
  // cover [0, end) in order, so no (subsequence, counter) pair repeats.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> windows;
  std::vector<float> buf(4096);
  for (int i = 0; i < 5; ++i) {
    const std::uint64_t o = gen.offset();
    gen.uniform(buf.data(), buf.size());
    windows.push_back({o, gen.offset()});
    const launch_handle h = gen.launch(7 + i);
    EXPECT_EQ(0u, h.offset % 4) << "windows are whole Philox blocks";
    EXPECT_GE(h.draws, 7u + i);
    EXPECT_EQ(5u, h.seed);
    windows.push_back({h.offset, h.offset + h.draws});
    const std::uint64_t t = gen.thread_streams(dist::normal, 8, 5, buf.data());
    windows.push_back({t, gen.offset()});
  }
  for (std::size_t i = 1; i < windows.size(); ++i) {
    EXPECT_LT(windows[i - 1].first, windows[i - 1].second);
    EXPECT_EQ(windows[i - 1].second, windows[i].first) << "window " << i;
  }
}

TEST(Generator, ThreadStreamsEqualCurandPerThread) {
  auto gen = cpu_gen(17);
  gen.launch(10);  // move the offset first
  std::vector<float> out(16 * 9);
  const std::uint64_t o = gen.thread_streams(dist::normal, 16, 9, out.data());
  EXPECT_EQ(12u, o);
  for (std::uint64_t g = 0; g < 16; ++g) {
    const auto want = ref_stream(engine::philox4_32_10, dist::normal, 17, g, o, 9);
    EXPECT_EQ(0, std::memcmp(out.data() + g * 9, want.data(), want.size())) << "thread " << g;
  }
}

TEST(Generator, HostThreadsSharingOneGeneratorGetDisjointWindows) {
  auto gen = cpu_gen(99);
  constexpr int threads = 8, calls = 200;
  std::vector<std::vector<std::uint64_t>> offsets(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      std::uint32_t buf[8];
      for (int c = 0; c < calls; ++c) {
        offsets[t].push_back(gen.launch(4).offset);
        gen.generate(buf, 8);
      }
    });
  for (auto& t : pool) t.join();
  std::set<std::uint64_t> all;
  for (auto& v : offsets) all.insert(v.begin(), v.end());
  EXPECT_EQ(static_cast<std::size_t>(threads * calls), all.size()) << "a launch window was reused";
  EXPECT_EQ(static_cast<std::uint64_t>(threads * calls * 8), gen.offset());
}

TEST(Generator, SpawnGivesDisjointReproducibleWindows) {
  auto parent = cpu_gen(7);
  auto c0 = parent.spawn(0), c1 = parent.spawn(1), c1b = parent.spawn(1);
  auto last = parent.spawn(65535);
  EXPECT_EQ(parent.seed(), c0.seed());
  EXPECT_EQ(c1.offset(), c1b.offset()) << "spawn is reproducible";
  EXPECT_LE(parent.window_end(), c0.offset()) << "children start past the parent's window";
  EXPECT_LE(c0.window_end(), c1.offset());
  EXPECT_LT(c1.offset(), last.offset());
  EXPECT_GT(c0.window_end() - c0.offset(), std::uint64_t{1} << 40);
  // Grandchildren stay inside their parent's slot.
  auto g = c0.spawn(3);
  EXPECT_LT(c0.offset(), g.offset());
  EXPECT_LT(g.window_end(), c1.offset());
  // Different children draw different numbers from the same seed.
  std::uint32_t a[16], b[16];
  c0.generate(a, 16);
  c1.generate(b, 16);
  EXPECT_NE(0, std::memcmp(a, b, sizeof a));
  expect_error(errc::invalid_argument, "65536", [&] { (void)parent.spawn(65536); });
  // Nesting shrinks windows by 2^17 a level: the fourth level is refused.
  expect_error(errc::exhausted, "spawn", [&] { (void)g.spawn(0).spawn(0); });
}

TEST(Generator, ExhaustingTheOffsetSpaceIsAnError) {
  options o;
  o.seed = 1;
  o.backend = backend_kind::cpu;
  o.offset = ~std::uint64_t{0} - 20;  // own window: 10 draws
  Generator gen(o);
  std::uint32_t buf[4];
  gen.generate(buf, 4);
  gen.generate(buf, 4);
  const std::uint64_t before = gen.offset();
  expect_error(errc::exhausted, "exhausted", [&] { gen.generate(buf, 4); });
  EXPECT_EQ(before, gen.offset()) << "a failed call consumes nothing";
  expect_error(errc::exhausted, "exhausted", [&] { (void)gen.launch(100); });
  // The raw API refuses a window that runs past 2^64 instead of wrapping.
  bulk_request r;
  r.offset = ~std::uint64_t{0} - 2;
  r.n = 4;
  r.backend = backend_kind::cpu;
  expect_error(errc::exhausted, "offset", [&] { fill(r, buf); });
  grid_request q;
  q.offset = ~std::uint64_t{0} - 5;
  q.threads = 1;
  q.per_thread = 10;
  q.backend = backend_kind::cpu;
  expect_error(errc::exhausted, "offset", [&] { write_thread_streams(q, buf); });
}

TEST(Generator, BadArgumentsAreNamedErrors) {
  auto gen = cpu_gen(3);
  std::vector<float> f(8);
  std::vector<double> d(8);
  expect_error(errc::invalid_argument, "out: null pointer", [&] { gen.generate(nullptr, 5); });
  expect_error(errc::invalid_argument, "out: null pointer",
               [&] { gen.uniform(static_cast<float*>(nullptr), 1); });
  expect_error(errc::invalid_argument, "stddev", [&] { gen.normal(f.data(), 8, 0.0f, -1.0f); });
  expect_error(errc::invalid_argument, "stddev", [&] { gen.normal(d.data(), 8, 0.0, NAN); });
  expect_error(errc::invalid_argument, "mean", [&] { gen.normal(d.data(), 8, INFINITY, 1.0); });
  expect_error(errc::invalid_argument, "draws_per_thread", [&] { (void)gen.launch(0); });
  expect_error(errc::exhausted, "draws_per_thread", [&] { (void)gen.launch(~std::uint64_t{0}); });
  expect_error(errc::invalid_argument, "threads",
               [&] { gen.thread_streams(dist::u32, 0, 4, f.data()); });
  expect_error(errc::invalid_argument, "per_thread",
               [&] { gen.thread_streams(dist::u32, 4, 0, f.data()); });
  expect_error(errc::invalid_argument, "host pointer",
               [&] { gen.uniform_async(f.data(), 8, nullptr); });
  EXPECT_EQ(0u, gen.offset()) << "rejected calls consume no offsets";
  gen.generate(nullptr, 0);  // n = 0 is a no-op, not an error
  EXPECT_EQ(0u, gen.offset());
  expect_error(errc::invalid_argument, "backend", [] { (void)parse_backend("tpu"); });
  expect_error(errc::invalid_argument, "'pcg'", [] { (void)parse_engine("pcg"); });
  expect_error(errc::invalid_argument, "'gauss'", [] { (void)parse_dist("gauss"); });
  expect_error(errc::invalid_argument, "cpu_settings.threads", [] { set_cpu_settings({5000, 0}); });
  Generator moved = cpu_gen(1);
  Generator into = std::move(moved);
  expect_error(errc::invalid_argument, "moved from", [&] { (void)moved.seed(); });  // NOLINT
}

TEST(Generator, BackendSelection) {
  if (!gpu_available()) {
    expect_error(errc::unsupported, "backend=gpu", [] {
      Generator g(options{1, backend_kind::gpu, 0});
    });
    Generator a(options{1, backend_kind::automatic, 0});
    EXPECT_EQ(backend_kind::cpu, a.backend()) << "auto falls back to the CPU without a GPU";
  }
  ASSERT_EQ(0, setenv("GPURAND_BACKEND", "cpu", 1));
  EXPECT_EQ(backend_kind::cpu, Generator(5).backend());
  ASSERT_EQ(0, setenv("GPURAND_BACKEND", "quantum", 1));
  expect_error(errc::invalid_argument, "GPURAND_BACKEND", [] { Generator g(5); });
  ASSERT_EQ(0, unsetenv("GPURAND_BACKEND"));
  EXPECT_EQ(gpu_available() ? backend_kind::gpu : backend_kind::cpu, Generator(5).backend());
}

TEST(Generator, CpuThreadsFromEnvironmentAreValidated) {
  std::uint32_t buf[4];
  ASSERT_EQ(0, setenv("GPURAND_CPU_THREADS", "zero", 1));
  expect_error(errc::invalid_argument, "GPURAND_CPU_THREADS", [&] { cpu_gen(1).generate(buf, 4); });
  ASSERT_EQ(0, setenv("GPURAND_CPU_THREADS", "3", 1));
  cpu_gen(1).generate(buf, 4);
  ASSERT_EQ(0, unsetenv("GPURAND_CPU_THREADS"));
}

// ---- fork safety -----------------------------------------------------------

/// Runs `child` in a forked process with a time limit; returns its exit code
/// (or 100 + signal, or 200 on timeout) so a hang fails the test instead of
/// hanging it.
template <class F>
int in_child(F&& child, unsigned timeout_s = 20) {
  const pid_t pid = fork();
  if (pid == 0) {
    alarm(timeout_s);
    int rc = 1;
    try {
      rc = child();
    } catch (...) {
      rc = 3;
    }
    _exit(rc);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return WTERMSIG(status) == SIGALRM ? 200 : 100 + WTERMSIG(status);
  return 1;
}

TEST(Generator, ExplicitSeedThrowsInForkedChild) {
  auto gen = cpu_gen(123);
  std::uint32_t buf[4];
  gen.generate(buf, 4);
  const int rc = in_child([&] {
    try {
      gen.generate(buf, 4);
      return 1;  // silently repeated the parent's stream
    } catch (const Error& e) {
      const bool ok = e.code() == errc::forked && std::strstr(e.what(), "spawn(") != nullptr;
      if (!ok) return 2;
      // The documented way out works in the child.
      auto child = gen.spawn(0);
      child.generate(buf, 4);
      return 0;
    }
  });
  EXPECT_EQ(0, rc);
  gen.generate(buf, 4);  // the parent is unaffected
}

TEST(Generator, OsSeededGeneratorReseedsInForkedChild) {
  Generator gen(options{std::nullopt, backend_kind::cpu, 0});
  std::uint32_t parent_next[8];
  int fds[2];
  ASSERT_EQ(0, pipe(fds));
  std::uint32_t warm[4];
  gen.generate(warm, 4);  // the parent has used it (and its CPU workers) before fork
  const int rc = in_child([&] {
    std::uint32_t out[8];
    gen.generate(out, 8);
    const std::uint64_t s = gen.seed();
    return (write(fds[1], out, sizeof out) == sizeof out && write(fds[1], &s, sizeof s) == sizeof s)
               ? 0
               : 1;
  });
  ASSERT_EQ(0, rc);
  std::uint32_t child_out[8];
  std::uint64_t child_seed = 0;
  ASSERT_EQ(static_cast<ssize_t>(sizeof child_out), read(fds[0], child_out, sizeof child_out));
  ASSERT_EQ(static_cast<ssize_t>(sizeof child_seed), read(fds[0], &child_seed, sizeof child_seed));
  close(fds[0]);
  close(fds[1]);
  gen.generate(parent_next, 8);
  EXPECT_NE(gen.seed(), child_seed) << "the child must reseed from the OS";
  EXPECT_NE(0, std::memcmp(parent_next, child_out, sizeof child_out));
}

TEST(Generator, CpuBackendWorksInForkedChildAfterParentUsedWorkers) {
  scoped_cpu_settings cfg(4, 64);
  auto gen = cpu_gen(8);
  std::vector<float> big(1 << 16);
  gen.uniform(big.data(), big.size());  // parent runs the multi-threaded path
  const int rc = in_child([&] {
    auto child = gen.spawn(1);
    std::vector<float> out(1 << 16);
    child.uniform(out.data(), out.size());  // the child runs it too
    return out[0] > 0.0f ? 0 : 1;
  });
  EXPECT_EQ(0, rc) << "200 means the child hung in the CPU backend after fork";
}

// ---- issue 7: holes of the guarantee, each reproduced on the old code -------

/// Shared memory that forked children write their results into.
template <class T>
struct shared_array {
  explicit shared_array(std::size_t n) : n_(n) {
    void* p =
        mmap(nullptr, n * sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
    p_ = static_cast<T*>(p);
  }
  ~shared_array() { munmap(p_, n_ * sizeof(T)); }
  T* data() { return p_; }
  T& operator[](std::size_t i) { return p_[i]; }

 private:
  T* p_;
  std::size_t n_;
};

/// Hole 1: spawn() in forked workers used to return the parent's child: 17
/// identical streams. Each process's spawn(0) must be its own stream now.
TEST(Generator, SpawnInForkedWorkersOfAnOsSeededGeneratorGivesDistinctStreams) {
  Generator gen(options{std::nullopt, backend_kind::cpu, 0});
  std::uint32_t warm[4];
  gen.generate(warm, 4);
  constexpr int workers = 16, k = 32;
  shared_array<std::uint32_t> out((workers + 1) * k);
  shared_array<std::uint64_t> seeds(workers + 1);
  std::vector<pid_t> pids;
  for (int w = 0; w < workers; ++w) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int rc = 0;
      try {
        Generator child = gen.spawn(0);  // what every worker of a pool would write
        seeds[w] = child.seed();
        child.generate(out.data() + w * k, k);
      } catch (...) {
        rc = 3;
      }
      _exit(rc);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  Generator mine = gen.spawn(0);
  seeds[workers] = mine.seed();
  mine.generate(out.data() + workers * k, k);
  std::set<std::vector<std::uint32_t>> streams;
  std::set<std::uint64_t> distinct_seeds;
  for (int w = 0; w <= workers; ++w) {
    streams.insert(std::vector<std::uint32_t>(out.data() + w * k, out.data() + (w + 1) * k));
    distinct_seeds.insert(seeds[w]);
  }
  EXPECT_EQ(static_cast<std::size_t>(workers + 1), streams.size()) << "spawn(0) repeated a stream";
  EXPECT_EQ(static_cast<std::size_t>(workers + 1), distinct_seeds.size());
}

/// Hole 3: validation used to run after the reservation.
TEST(Generator, RejectedCallsConsumeNothing) {
  auto gen = cpu_gen(11);
  std::vector<std::uint32_t> buf(64);
  expect_error(errc::invalid_argument, "threads x per_thread",
               [&] { gen.thread_streams(dist::u32, std::uint64_t{1} << 62, 4, buf.data()); });
  EXPECT_EQ(0u, gen.offset());
  ASSERT_EQ(0, setenv("GPURAND_CPU_THREADS", "many", 1));
  expect_error(errc::invalid_argument, "GPURAND_CPU_THREADS",
               [&] { gen.thread_streams(dist::u32, 4, 4, buf.data()); });
  expect_error(errc::invalid_argument, "GPURAND_CPU_THREADS", [&] { gen.generate(buf.data(), 8); });
  ASSERT_EQ(0, unsetenv("GPURAND_CPU_THREADS"));
  EXPECT_EQ(0u, gen.offset()) << "a bad environment consumed offsets";
  std::vector<float> f(8);
  expect_error(errc::invalid_argument, "mean", [&] { gen.normal(f.data(), 8, 1e38f, 1e38f); });
  expect_error(errc::exhausted, "draws_per_thread", [&] { (void)gen.launch(~std::uint64_t{0}); });
  EXPECT_EQ(0u, gen.offset());
  gen.generate(buf.data(), 8);
  EXPECT_EQ(4u, gen.offset()) << "and a good call still works";
}

/// Hole 4: a float normal fill with mean 1e39 returned inf; the scaling must
/// stay finite in the value type or be refused.
TEST(Generator, NormalParametersOutsideTheValueTypeAreRefused) {
  std::vector<float> f(64);
  std::vector<double> d(64);
  bulk_request r;
  r.kind = dist::normal;
  r.n = f.size();
  r.backend = backend_kind::cpu;
  r.mean = 1e39;  // beyond FLT_MAX: used to come back as inf
  expect_error(errc::invalid_argument, "mean: 1e+39", [&] { fill(r, f.data()); });
  r.mean = 3e38;
  r.stddev = 1e38;  // finite parameters, but mean + 6.7 * stddev overflows
  expect_error(errc::invalid_argument, "stddev", [&] { fill(r, f.data()); });
  r.mean = 1e30;
  r.stddev = 1e30;  // fine: every value is finite
  fill(r, f.data());
  for (float v : f) EXPECT_TRUE(std::isfinite(v)) << v;
  r.kind = dist::normal_double;
  r.mean = 1e39;
  r.stddev = 1e30;  // fine for doubles
  fill(r, d.data());
  for (double v : d) EXPECT_TRUE(std::isfinite(v)) << v;
  r.mean = 1e308;
  r.stddev = 1e308;
  expect_error(errc::invalid_argument, "stddev", [&] { fill(r, d.data()); });
}

/// Hole 4: set_cpu_settings({1, UINT64_MAX}) made the task count overflow to
/// 0, and fills returned normally having written nothing.
TEST(Generator, HugeCpuBlockStillFillsEverything) {
  const auto want_bulk = ref_bulk(dist::u32, 77, 8, 0, 1001, 0, 1);
  for (std::uint64_t block : {~std::uint64_t{0}, ~std::uint64_t{0} / 2 + 1, std::uint64_t{3}}) {
    scoped_cpu_settings cfg(2, block);
    std::vector<std::uint32_t> out(1001, 0);
    bulk_request r;
    r.seed = 77;
    r.offset = 8;
    r.n = out.size();
    r.backend = backend_kind::cpu;
    fill(r, out.data());
    std::vector<unsigned char> got(out.size() * 4);
    std::memcpy(got.data(), out.data(), got.size());
    EXPECT_EQ(want_bulk, got) << "block " << block;
    grid_request q;
    q.seed = 77;
    q.threads = 5;
    q.per_thread = 3;
    q.backend = backend_kind::cpu;
    std::vector<std::uint32_t> g(15, 0);
    write_thread_streams(q, g.data());
    for (std::uint64_t t = 0; t < 5; ++t) {
      const auto want = ref_stream(engine::philox4_32_10, dist::u32, 77, t, 0, 3);
      EXPECT_EQ(0, std::memcmp(g.data() + t * 3, want.data(), want.size()))
          << "block " << block << " thread " << t;
    }
  }
}

/// Hole 12: a raw clone()/SYS_fork child skips pthread_atfork; the pid
/// check at the choke point catches it.
TEST(Generator, RawForkChildIsDetectedByPid) {
  auto explicit_gen = cpu_gen(5);
  Generator os_gen(options{std::nullopt, backend_kind::cpu, 0});
  std::uint32_t buf[4];
  explicit_gen.generate(buf, 4);
  os_gen.generate(buf, 4);
  shared_array<std::uint64_t> res(3);
  const long pid = syscall(SYS_fork);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int rc = 0;
    try {
      explicit_gen.generate(buf, 4);
      rc = 1;  // repeated the parent's numbers
    } catch (const Error& e) {
      rc = e.code() == errc::forked ? 0 : 2;
    } catch (...) {
      rc = 3;
    }
    try {
      res[0] = os_gen.seed();
      res[1] = os_gen.offset();
    } catch (...) {
      rc = 4;
    }
    _exit(rc);
  }
  int status = 0;
  waitpid(static_cast<pid_t>(pid), &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(0, WEXITSTATUS(status)) << "1: an explicit seed repeated the parent in a raw child";
  EXPECT_NE(os_gen.seed(), res[0]) << "the raw child kept the parent's OS seed";
  EXPECT_EQ(0u, res[1]) << "the reseeded child starts its window afresh";
}

/// Hole 12: seed() in a forked child, before first use, returned the
/// parent's seed although the child's first draw reseeds.
TEST(Generator, SeedInForkedChildIsTheSeedTheChildUses) {
  Generator gen(options{std::nullopt, backend_kind::cpu, 0});
  shared_array<std::uint64_t> res(1);
  shared_array<std::uint32_t> out(8);
  const int rc = in_child([&] {
    res[0] = gen.seed();          // before any draw in the child
    gen.generate(out.data(), 8);  // must use that seed
    return 0;
  });
  ASSERT_EQ(0, rc);
  EXPECT_NE(gen.seed(), res[0]);
  auto replay = cpu_gen(res[0]);
  std::uint32_t want[8];
  replay.generate(want, 8);
  EXPECT_EQ(0, std::memcmp(want, out.data(), sizeof want))
      << "seed() in the child did not reproduce the child's draws";
}

/// Hole 12: a regular file at the fallback path used to become every seed;
/// and errors must name the real cause.
TEST(Generator, EntropyFallbackNeedsACharacterDevice) {
  char dir[] = "/tmp/gpurand-entropy-XXXXXX";
  ASSERT_NE(nullptr, mkdtemp(dir));
  const std::string file = std::string(dir) + "/urandom";
  {
    FILE* f = std::fopen(file.c_str(), "wb");
    ASSERT_NE(nullptr, f);
    std::fputs("0123456789abcdef", f);
    std::fclose(f);
  }
  expect_error(errc::entropy, "not a character device",
               [&] { (void)detail::os_entropy64_from(false, file.c_str()); });
  const std::string missing = std::string(dir) + "/missing";
  expect_error(errc::entropy, std::strerror(ENOENT),
               [&] { (void)detail::os_entropy64_from(false, missing.c_str()); });
  // A character device of our own with urandom's numbers (1, 9) works.
  const std::string dev = std::string(dir) + "/dev-urandom";
  if (mknod(dev.c_str(), S_IFCHR | 0600, makedev(1, 9)) == 0) {
    const std::uint64_t a = detail::os_entropy64_from(false, dev.c_str());
    const std::uint64_t b = detail::os_entropy64_from(false, dev.c_str());
    EXPECT_NE(a, b);
    unlink(dev.c_str());
  } else {
    std::printf("note: mknod is not permitted here (%s); the device case was not run\n",
                std::strerror(errno));
  }
  EXPECT_NE(os_entropy64(), os_entropy64());
  unlink(file.c_str());
  rmdir(dir);
}

/// One bulk fill of `d` through the Generator's own entry point for it.
void generator_fill(Generator& g, dist d, void* out, std::size_t n, double mean, double stddev) {
  switch (d) {
    case dist::u32: return g.generate(static_cast<std::uint32_t*>(out), n);
    case dist::uniform: return g.uniform(static_cast<float*>(out), n);
    case dist::uniform_double: return g.uniform(static_cast<double*>(out), n);
    case dist::normal:
      return g.normal(static_cast<float*>(out), n, static_cast<float>(mean),
                      static_cast<float>(stddev));
    case dist::normal_double: return g.normal(static_cast<double*>(out), n, mean, stddev);
    case dist::normal_portable:
      return g.normal(static_cast<float*>(out), n, static_cast<float>(mean),
                      static_cast<float>(stddev), portable);
    case dist::normal_portable_double:
      return g.normal(static_cast<double*>(out), n, mean, stddev, portable);
    case dist::log_normal:
      return g.log_normal(static_cast<float*>(out), n, static_cast<float>(mean),
                          static_cast<float>(stddev));
    case dist::log_normal_double: return g.log_normal(static_cast<double*>(out), n, mean, stddev);
    case dist::poisson: return g.poisson(static_cast<std::uint32_t*>(out), n, test_lambda);
    case dist::exponential:
      return g.exponential(static_cast<float*>(out), n, static_cast<float>(test_lambda));
    case dist::bernoulli: return g.bernoulli(static_cast<std::uint32_t*>(out), n, test_p);
    case dist::discrete: return g.discrete(static_cast<std::uint32_t*>(out), n, test_table());
    case dist::integer: return g.integers(static_cast<std::uint32_t*>(out), n, test_low, test_high);
    case dist::integer64:
      return g.integers(static_cast<std::uint64_t*>(out), n, test_low, test_high);
    default: break;
  }
  FAIL() << "no Generator entry point for " << to_string(d);
}

/// A fill split over several pieces (devices, ranks) equals one fill, for
/// every distribution (issue 10: "a multi-range fill equals the single fill").
TEST(Generator, SplitFillEqualsOneFill) {
  for (dist d : all_dists) {
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{1001}}) {
      auto a = cpu_gen(404), b = cpu_gen(404);
      const std::size_t size = value_size(d);
      std::vector<unsigned char> whole(n * size + 1), pieces(n * size + 1);
      generator_fill(a, d, whole.data(), n, 1.0, 2.0);
      bulk_request want;
      want.kind = d;
      want.n = n;
      want.mean = 1.0;
      want.stddev = 2.0;
      set_test_params(want);
      const bulk_request req = b.reserve_fill(want);
      EXPECT_EQ(a.offset(), b.offset());
      for (std::uint64_t parts : {1u, 2u, 3u, 5u, 7u, 600u}) {
        std::size_t at = 0;
        for (std::uint64_t i = 0; i < parts; ++i) {
          const bulk_request piece = split(req, i, parts);
          if (piece.n) fill(piece, pieces.data() + at * size);
          at += piece.n;
        }
        EXPECT_EQ(n, at);
        EXPECT_EQ(0, std::memcmp(whole.data(), pieces.data(), n * size))
            << to_string(d) << " n=" << n << " parts=" << parts;
      }
    }
  }
  bulk_request r;
  expect_error(errc::invalid_argument, "parts", [&] { (void)split(r, 0, 0); });
  expect_error(errc::invalid_argument, "part:", [&] { (void)split(r, 3, 3); });
}

}  // namespace
}  // namespace gpurand::test
