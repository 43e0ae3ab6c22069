#pragma once
// The one executor of the host library (the CPU backend and the audit): run
// `tasks` independent tasks on up to `threads` threads, the caller being one
// of them. Threads are started per call rather than kept in a pool: nothing
// survives a fork() half-made, so a forked child can always use the CPU
// backend (libgomp's pool, by contrast, can hang a child that enters a
// parallel region after its parent did).
//
// Failure policy, the same for every caller:
//  - a worker thread that cannot be created (std::system_error from
//    std::thread, bad_alloc) is not an error: the workers already started
//    and the caller finish the tasks, on fewer threads (the caller alone at
//    worst, which always works), so the result is the same;
//  - an exception thrown by a task is captured; the other workers stop
//    taking tasks, every started thread is joined, and the first exception
//    is rethrown in the caller. Nothing ever calls std::terminate.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace gpurand::detail {

/// Test seam: called before worker thread `index` (1-based; the caller is
/// worker 0) of a parallel_for is created. A hook that throws simulates a
/// failed thread creation. nullptr (the default) disables it.
using thread_spawn_hook = void (*)(unsigned index);
void set_thread_spawn_hook_for_testing(thread_spawn_hook hook) noexcept;
thread_spawn_hook get_thread_spawn_hook() noexcept;

/// Runs fn(t) for every t in [0, tasks), each exactly once, on up to
/// `threads` threads (0 counts as 1). See the failure policy above.
template <class Fn>
void parallel_for(std::uint64_t tasks, unsigned threads, Fn&& fn) {
  if (tasks == 0) return;
  const unsigned n =
      static_cast<unsigned>(std::min<std::uint64_t>(tasks, threads == 0 ? 1u : threads));
  std::atomic<std::uint64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::exception_ptr error;
  auto worker = [&]() noexcept {
    try {
      for (std::uint64_t t = next.fetch_add(1, std::memory_order_relaxed);
           t < tasks && !failed.load(std::memory_order_relaxed);
           t = next.fetch_add(1, std::memory_order_relaxed))
        fn(t);
    } catch (...) {
      const std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      failed.store(true, std::memory_order_relaxed);
    }
  };
  std::vector<std::thread> pool;
  if (n > 1) {
    try {
      pool.reserve(n - 1);
    } catch (...) {
      // No room for the handles: run on the caller alone.
    }
    for (unsigned i = 1; i < n && pool.capacity() >= n - 1; ++i) {
      try {
        if (const thread_spawn_hook hook = get_thread_spawn_hook()) hook(i);
        pool.emplace_back(worker);  // capacity is reserved: only std::thread can throw
      } catch (...) {
        break;  // fewer threads; the tasks are shared among those that run
      }
    }
  }
  worker();
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

/// Worker count for the CPU backend: the configured value, else
/// $GPURAND_CPU_THREADS, else the CPUs this process may run on.
unsigned cpu_threads();
/// Work items per task (groups of a bulk fill, or threads of the per-thread
/// writer) for `work` items: the configured block, else a default.
std::uint64_t cpu_block(std::uint64_t work, bool bulk);

}  // namespace gpurand::detail
