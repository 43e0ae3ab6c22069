// Parallel workers never share numbers, proven with the audit on real output:
// a process pool after fork(), host threads sharing a Generator, and
// consecutive launches through the device API. Each case keeps a negative
// control: the same workers with the defect planted must be caught.

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>
#include <vector>

#include "curand_ref.hpp"
#include "gpurand/audit.hpp"
#include "gpurand/device.cuh"
#include "gpurand/gpurand.hpp"

namespace gpurand::test {
namespace {

constexpr std::uint64_t per_worker_threads = 64, draws = 32;

audit::report audit_u32(const std::vector<std::uint32_t>& v, std::uint64_t blocks,
                        std::uint64_t threads, std::uint64_t k) {
  return audit::run(v.data(), audit::layout{blocks, threads, k, audit::dtype::u32});
}

/// Shared memory the children write into, so the parent can audit it.
struct shared_buffer {
  explicit shared_buffer(std::size_t n) : n_(n) {
    p_ = static_cast<std::uint32_t*>(
        mmap(nullptr, n * 4, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  }
  ~shared_buffer() { munmap(p_, n_ * 4); }
  std::vector<std::uint32_t> copy() const { return {p_, p_ + n_}; }
  std::uint32_t* p_;
  std::size_t n_;
};

/// Like multiprocessing.Pool(16): fork 16 workers that each run `work(i,
/// out)`, wait for all (with a time limit), return their exit codes.
template <class F>
std::vector<int> pool16(F&& work) {
  std::vector<pid_t> pids;
  for (int i = 0; i < 16; ++i) {
    const pid_t pid = fork();
    if (pid == 0) {
      alarm(30);
      int rc = 0;
      try {
        work(i);
      } catch (const Error& e) {
        rc = e.code() == errc::forked ? 7 : 3;
      } catch (...) {
        rc = 4;
      }
      _exit(rc);
    }
    pids.push_back(pid);
  }
  std::vector<int> codes;
  for (pid_t p : pids) {
    int status = 0;
    waitpid(p, &status, 0);
    codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 100);
  }
  return codes;
}

TEST(Isolation, ProcessPoolOfOsSeededGeneratorHasNoDuplicates) {
  Generator gen(options{std::nullopt, backend_kind::cpu, 0});
  std::vector<std::uint32_t> warm(per_worker_threads * draws);
  gen.thread_streams(dist::u32, per_worker_threads, draws, warm.data());  // used before fork
  shared_buffer out(16 * per_worker_threads * draws);
  const auto codes = pool16([&](int i) {
    gen.thread_streams(dist::u32, per_worker_threads, draws,
                       out.p_ + i * per_worker_threads * draws);
  });
  for (int c : codes) ASSERT_EQ(0, c);
  // The parent's own next launch joins the audit: it must differ from every child too.
  std::vector<std::uint32_t> all = out.copy();
  std::vector<std::uint32_t> parent(per_worker_threads * draws);
  gen.thread_streams(dist::u32, per_worker_threads, draws, parent.data());
  all.insert(all.end(), parent.begin(), parent.end());
  const auto r = audit_u32(all, 17, per_worker_threads, draws);
  EXPECT_TRUE(r.clean()) << audit::format(r);
}

TEST(Isolation, ProcessPoolOfExplicitSeedThrowsAndSpawnIsClean) {
  Generator gen(options{2026, backend_kind::cpu, 0});
  shared_buffer out(16 * per_worker_threads * draws);
  const auto refused = pool16([&](int i) {
    gen.thread_streams(dist::u32, per_worker_threads, draws,
                       out.p_ + i * per_worker_threads * draws);
  });
  for (int c : refused) EXPECT_EQ(7, c) << "an explicitly seeded generator must refuse in a child";
  const auto codes = pool16([&](int i) {
    Generator child = gen.spawn(static_cast<std::uint64_t>(i));
    child.thread_streams(dist::u32, per_worker_threads, draws,
                         out.p_ + i * per_worker_threads * draws);
  });
  for (int c : codes) ASSERT_EQ(0, c);
  const auto r = audit_u32(out.copy(), 16, per_worker_threads, draws);
  EXPECT_TRUE(r.clean()) << audit::format(r);
}

TEST(Isolation, NegativeControlForkedStateIsCaught) {
  // What a process pool does without gpurand's fork check: every child
  // continues the parent's state, i.e. draws the parent's next window.
  shared_buffer out(16 * per_worker_threads * draws);
  const auto codes = pool16([&](int i) {
    grid_request q;
    q.seed = 2026;
    q.offset = 0;
    q.threads = per_worker_threads;
    q.per_thread = draws;
    q.backend = backend_kind::cpu;
    write_thread_streams(q, out.p_ + i * per_worker_threads * draws);
  });
  for (int c : codes) ASSERT_EQ(0, c);
  const auto r = audit_u32(out.copy(), 16, per_worker_threads, draws);
  EXPECT_FALSE(r.clean());
  EXPECT_EQ(15 * per_worker_threads, r.duplicate_threads) << audit::format(r);
  ASSERT_FALSE(r.duplicates.empty());
  EXPECT_EQ(r.duplicates[0].a.thread, r.duplicates[0].b.thread) << "same thread, another child";
}

TEST(Isolation, HostThreadsSharingOneGeneratorNeverOverlap) {
  Generator gen(options{77, backend_kind::cpu, 0});
  constexpr int threads = 8;
  for (bool plant : {false, true}) {
    std::vector<std::uint32_t> out(threads * per_worker_threads * draws);
    std::vector<std::thread> pool;
    const launch_handle fixed = gen.launch(draws);
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        // Each host thread launches a "kernel" of 64 threads on the CPU.
        const launch_handle h = plant ? fixed : gen.launch(draws);  // plant: a reused window
        for (std::uint64_t g = 0; g < per_worker_threads; ++g) {
          auto s = h.stream(g);
          for (std::uint64_t k = 0; k < draws; ++k)
            out[(t * per_worker_threads + g) * draws + k] = s.next();
        }
      });
    for (auto& th : pool) th.join();
    const auto r = audit_u32(out, threads, per_worker_threads, draws);
    EXPECT_EQ(!plant, r.clean()) << (plant ? "planted: " : "") << audit::format(r);
  }
}

TEST(Isolation, HostThreadsBulkFillsNeverOverlap) {
  Generator gen(options{78, backend_kind::cpu, 0});
  constexpr int threads = 8;
  constexpr std::size_t n = 4096;
  std::vector<std::uint32_t> out(threads * n);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int rep = 0; rep < 10; ++rep) gen.generate(out.data() + t * n, n);
    });
  for (auto& th : pool) th.join();
  // Each thread's last fill, seen as one stream of n values.
  const auto r = audit_u32(out, 1, threads, n);
  EXPECT_TRUE(r.clean()) << audit::format(r);
}

TEST(Isolation, ConsecutiveLaunchesThroughTheDeviceApiNeverOverlap) {
  // A user's kernel body, run on the CPU: launches x blocks x threads.
  constexpr std::uint64_t launches = 6, blocks = 16, tpb = 32, k = 12;
  for (int plant : {0, 1, 2}) {
    Generator gen(options{5, backend_kind::cpu, 0});
    std::vector<std::uint32_t> out(launches * blocks * tpb * k);
    launch_handle prev{};
    for (std::uint64_t l = 0; l < launches; ++l) {
      launch_handle h = gen.launch(k);
      if (plant == 1 && l == 3) h = prev;                        // a launch reuses the last offset
      if (plant == 2 && l == 3) h.offset = prev.offset + k / 2;  // windows overlap by half
      prev = h;
      for (std::uint64_t g = 0; g < blocks * tpb; ++g) {
        auto s = h.stream<engine::philox4_32_10>(g);
        if (plant == 2 && l == 3) s = philox_stream(h.seed, g, h.offset);  // no window check
        for (std::uint64_t i = 0; i < k; ++i) out[((l * blocks * tpb) + g) * k + i] = s.next();
      }
    }
    const auto r = audit_u32(out, launches * blocks, tpb, k);
    if (plant == 0) {
      EXPECT_TRUE(r.clean()) << audit::format(r);
    } else if (plant == 1) {
      EXPECT_EQ(blocks * tpb, r.duplicate_threads) << audit::format(r);
    } else {
      ASSERT_GT(r.overlap_runs, 0u) << audit::format(r);
      EXPECT_EQ(k / 2, r.overlaps[0].lag) << audit::format(r);
    }
  }
}

}  // namespace
}  // namespace gpurand::test
