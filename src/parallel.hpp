#pragma once
// The CPU backend's executor: run `tasks` independent tasks on up to
// `threads` threads (the caller is one of them). Threads are started per
// call rather than kept in a pool: nothing survives a fork() half-made, so a
// forked child can always use the CPU backend (libgomp's pool, by contrast,
// can hang a child that enters a parallel region after its parent did).

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace gpurand::detail {

template <class Fn>
void parallel_for(std::uint64_t tasks, unsigned threads, Fn&& fn) {
  if (tasks == 0) return;
  const unsigned n =
      static_cast<unsigned>(std::min<std::uint64_t>(tasks, threads == 0 ? 1u : threads));
  std::atomic<std::uint64_t> next{0};
  auto worker = [&] {
    for (std::uint64_t t = next.fetch_add(1, std::memory_order_relaxed); t < tasks;
         t = next.fetch_add(1, std::memory_order_relaxed))
      fn(t);
  };
  if (n <= 1) return worker();
  std::vector<std::thread> pool;
  pool.reserve(n - 1);
  for (unsigned i = 1; i < n; ++i) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

/// Worker count for the CPU backend: the configured value, else
/// $GPURAND_CPU_THREADS, else the CPUs this process may run on.
unsigned cpu_threads();
/// Work items per task (groups of a bulk fill, or threads of the per-thread
/// writer) for `work` items: the configured block, else a default.
std::uint64_t cpu_block(std::uint64_t work, bool bulk);

}  // namespace gpurand::detail
