// Tests for the one executor (src/backend/cpu/parallel.hpp) shared by the CPU backend and
// the audit: a failed thread creation runs the work on fewer threads, and a
// task's exception reaches the caller; neither may terminate the process.

#include "backend/cpu/parallel.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include "gpurand/gpurand.hpp"

namespace {

using u64 = std::uint64_t;
namespace gd = gpurand::detail;

std::atomic<unsigned> fail_from{~0u};  // worker index from which creation fails
std::atomic<unsigned> spawn_calls{0};

void failing_spawn(unsigned index) {
  spawn_calls.fetch_add(1);
  if (index >= fail_from.load())
    throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again),
                            "injected thread creation failure");
}

// Installs the failing hook for one scope; creation of worker `from` and
// later fails (1: every worker thread fails, the caller runs alone).
class spawn_failure {
 public:
  explicit spawn_failure(unsigned from) {
    fail_from = from;
    spawn_calls = 0;
    gd::set_thread_spawn_hook_for_testing(failing_spawn);
  }
  ~spawn_failure() { gd::set_thread_spawn_hook_for_testing(nullptr); }
  spawn_failure(const spawn_failure&) = delete;
  spawn_failure& operator=(const spawn_failure&) = delete;
};

// Runs 4096 tasks on 8 threads; returns how many distinct threads ran them
// and checks that every task ran exactly once.
unsigned run_and_count_threads() {
  const u64 tasks = 4096;
  std::vector<std::atomic<int>> runs(tasks);
  std::mutex m;
  std::set<std::thread::id> ids;
  gd::parallel_for(tasks, 8, [&](u64 t) {
    runs[t].fetch_add(1);
    const std::lock_guard<std::mutex> lock(m);
    ids.insert(std::this_thread::get_id());
  });
  for (u64 t = 0; t < tasks; ++t) EXPECT_EQ(runs[t].load(), 1) << "task " << t;
  return static_cast<unsigned>(ids.size());
}

TEST(Executor, ContinuesOnFewerThreadsWhenThreadCreationFails) {
  {
    const spawn_failure f(3);  // workers 1 and 2 start, worker 3 fails
    EXPECT_LE(run_and_count_threads(), 3u);
    EXPECT_EQ(spawn_calls.load(), 3u);  // no retry after the first failure
  }
  {
    const spawn_failure f(1);  // no worker thread at all: the caller does everything
    EXPECT_EQ(run_and_count_threads(), 1u);
  }
  EXPECT_GE(run_and_count_threads(), 1u);  // and without the hook, as before
}

TEST(Executor, RethrowsTheFirstTaskExceptionAfterJoining) {
  for (unsigned from : {1u, 2u, ~0u}) {
    const spawn_failure f(from);
    std::atomic<u64> ran{0};
    try {
      gd::parallel_for(100000, 8, [&](u64 t) {
        if (t == 10) throw std::runtime_error("task 10 failed");
        ran.fetch_add(1);
      });
      ADD_FAILURE() << "the task's exception was swallowed";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "task 10 failed");
    }
    // The others stopped taking tasks soon after (each had at most the task
    // in hand when the flag went up, plus the ones before it).
    EXPECT_LT(ran.load(), 100000u);
  }
  // A single thread propagates it too.
  EXPECT_THROW(gd::parallel_for(5, 1,
                                [](u64 t) {
                                  if (t == 3) throw std::logic_error("three");
                                }),
               std::logic_error);
}

TEST(Executor, CpuBackendGivesTheSameBitsWhenThreadCreationFails) {
  const gpurand::cpu_settings saved = gpurand::get_cpu_settings();
  gpurand::set_cpu_settings({8, 1024});
  const std::size_t n = 1 << 20;
  gpurand::bulk_request req;
  req.kind = gpurand::dist::u32;
  req.seed = 99;
  req.n = n;
  req.backend = gpurand::backend_kind::cpu;
  std::vector<std::uint32_t> expected(n), got(n);
  gpurand::fill(req, expected.data());
  for (unsigned from : {1u, 2u, 5u}) {
    const spawn_failure f(from);
    std::fill(got.begin(), got.end(), 0u);
    gpurand::fill(req, got.data());
    EXPECT_EQ(got, expected) << "creation failing from worker " << from;
    EXPECT_GE(spawn_calls.load(), 1u);
  }
  gpurand::set_cpu_settings(saved);
}

}  // namespace
