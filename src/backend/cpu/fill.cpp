// Built with -ffp-contract=off (see CMakeLists.txt): a fused multiply-add in
// the Box-Muller scaling would change curand_normal's bits, so the CPU
// backend keeps ISO semantics and matches cuRAND's host path exactly.
// Without the CUDA toolkit (GPURAND_HAVE_CUDA=0) this file includes no CUDA
// header: the writer then runs Philox alone (writer_stream_t and
// variable_stream_t in bulk.cuh), and Poisson has no body (has_variable_body).

#include "backend/cpu/fill.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>

#include "backend/cpu/parallel.hpp"
#include "backend/cpu/portable_normal_simd.hpp"
#include "backend/cpu/simd.hpp"
#include "gpurand/detail/bulk.cuh"
#include "gpurand/detail/table.hpp"
#include "gpurand/discrete.hpp"

namespace gpurand {
namespace {

std::mutex g_settings_mutex;
cpu_settings g_settings;

constexpr unsigned max_cpu_threads = 4096;
// Default task sizes. A bulk fill is cut into about 4 tasks per worker
// (balance) but never below 4096 groups (64 KiB of floats): large fills then
// hand the SIMD kernels pieces of 8 MiB or more, which they write with
// streaming stores (twice the bandwidth of cached stores on large buffers).
constexpr std::uint64_t min_bulk_block = 4096;
constexpr std::uint64_t tasks_per_worker = 4;
// The per-thread writer's tasks: threads per task (XORWOW's curand_init is
// expensive, so tasks stay small enough to balance).
constexpr std::uint64_t default_grid_block = 256;

unsigned usable_cpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

/// $GPURAND_CPU_THREADS, validated: a bad value is an error, not a silent default.
unsigned env_threads() {
  const char* v = std::getenv("GPURAND_CPU_THREADS");
  if (!v || !*v) return 0;
  char* end = nullptr;
  const unsigned long n = std::strtoul(v, &end, 10);
  if (*end != '\0' || v[0] == '-' || n == 0 || n > max_cpu_threads)
    throw Error(
        errc::invalid_argument,
        std::string("GPURAND_CPU_THREADS: expected an integer in 1..4096, got '") + v + "'");
  return static_cast<unsigned>(n);
}

}  // namespace

void set_cpu_settings(const cpu_settings& s) {
  if (s.threads > max_cpu_threads)
    throw Error(errc::invalid_argument,
                "cpu_settings.threads: expected at most 4096, got " + std::to_string(s.threads));
  std::lock_guard<std::mutex> lock(g_settings_mutex);
  g_settings = s;
}

cpu_settings get_cpu_settings() {
  std::lock_guard<std::mutex> lock(g_settings_mutex);
  return g_settings;
}

namespace detail {

unsigned cpu_threads() {
  const unsigned configured = get_cpu_settings().threads;
  if (configured) return configured;
  const unsigned env = env_threads();
  return env ? env : usable_cpus();
}

std::uint64_t cpu_block(std::uint64_t work, bool bulk) {
  const std::uint64_t b = get_cpu_settings().block;
  if (b) return b;
  if (!bulk) return default_grid_block;
  const std::uint64_t parts = tasks_per_worker * cpu_threads();
  return std::max(min_bulk_block, (work + parts - 1) / parts);
}

namespace {

/// Bytes from which a fill bypasses the caches: a quarter of the last-level
/// cache (a fill that size or larger evicts most of what else is cached, and
/// glibc's memset makes the same call at a similar size), at least 8 MiB.
std::size_t streaming_threshold() {
  static const std::size_t bytes = [] {
    const long llc = sysconf(_SC_LEVEL3_CACHE_SIZE);
    const std::size_t floor = std::size_t{8} << 20;
    return llc > 0 ? std::max(floor, static_cast<std::size_t>(llc) / 4) : floor;
  }();
  return bytes;
}

/// The discrete table's host view (a request of another kind has none; dispatch.cpp checked
/// that a discrete request has a table).
template <dist D, class Request>
discrete_view host_table(const Request& req) {
  if constexpr (D == dist::discrete)
    return req.table->host_view();
  else
    return {};
}

/// fn(j, x) for j in [0, count): x = the four draws of group first + j (curand4 right after
/// curand_init(seed, first + j, offset)), made by the SIMD Philox a cache-resident batch at a time.
template <class Fn>
void philox_blocks(std::uint64_t seed, std::uint64_t offset, std::uint64_t first,
                   std::uint64_t count, Fn&& fn) {
  constexpr std::uint64_t batch = 256;
  std::uint32_t x[4 * batch];
  for (std::uint64_t done = 0; done < count; done += batch) {
    const std::uint64_t m = std::min(batch, count - done);
    philox_u32_groups(seed, offset, first + done, m, x);
    for (std::uint64_t j = 0; j < m; ++j) fn(done + j, x + 4 * j);
  }
}

/// Full groups [first, first + count) of a bulk fill into `out` (which points
/// at group `first`). u32 and uniform floats come straight from the SIMD
/// kernels, the portable normals and the exponential from SIMD draws through
/// their vectorised bodies; the other kinds take SIMD draws through the
/// shared transform.
template <dist D, class T = typename bulk_traits<D>::value>
void bulk_groups(std::uint64_t seed, std::uint64_t offset, std::uint64_t first, std::uint64_t count,
                 fill_params<T> np, T* out, bool may_stream) {
  if constexpr (D == dist::u32) {
    philox_u32_groups(seed, offset, first, count, out, may_stream);
  } else if constexpr (D == dist::uniform) {
    philox_uniform_groups(seed, offset, first, count, out, may_stream);
  } else if constexpr (D == dist::normal_portable) {
    portable_normal_groups(seed, offset, first, count, out, np.mean, np.stddev);
  } else if constexpr (D == dist::normal_portable_double) {
    portable_normal_double_groups(seed, offset, first, count, out, np.mean, np.stddev);
  } else if constexpr (D == dist::exponential) {
    exponential_groups(seed, offset, first, count, out, static_cast<float>(np.lambda));
  } else {
    constexpr unsigned per = bulk_traits<D>::per_group;
    philox_blocks(seed, offset, first, count, [&](std::uint64_t j, const std::uint32_t* x) {
      bulk_transform<D>(philox_counter{{x[0], x[1], x[2], x[3]}}, np, out + j * per);
    });
  }
}

std::atomic<std::uint64_t> g_test_budget{0};

/// The budget of a variable-draw body: its reservation, or the test cap if lower.
std::uint64_t budget_of(std::uint64_t reserved) {
  const std::uint64_t cap = g_test_budget.load(std::memory_order_relaxed);
  return cap != 0 && cap < reserved ? cap : reserved;
}

/// The first subsequence whose body ran out of budget (UINT64_MAX: none), shared by the tasks.
struct exhaustion {
  std::atomic<std::uint64_t> first{UINT64_MAX};
  void note(std::uint64_t sub) {
    std::uint64_t cur = first.load(std::memory_order_relaxed);
    while (sub < cur && !first.compare_exchange_weak(cur, sub, std::memory_order_relaxed)) {
    }
  }
  void check(const char* what, std::uint64_t budget) const {
    const std::uint64_t sub = first.load(std::memory_order_relaxed);
    if (sub != UINT64_MAX)
      throw Error(errc::exhausted, std::string(what) + ": subsequence " + std::to_string(sub) +
                                       " needed more than its " + std::to_string(budget) +
                                       " reserved draws; the output is incomplete");
  }
};

/// A variable-draw bulk fill: group j reads subsequence first_group + j through a cursor of
/// bulk_draws draws (see table.hpp, "Variable draws").
template <dist D>
void variable_bulk(const bulk_request& req, void* out_v) {
  using T = typename bulk_traits<D>::value;
  constexpr unsigned per = bulk_traits<D>::per_group;
  const std::uint64_t budget = budget_of(bulk_traits<D>::bulk_draws);
  const std::uint64_t groups = req.n / per + (req.n % per != 0);
  const fill_params<T> p = make_params<D>(req);
  T* out = static_cast<T*>(out_v);
  const std::uint64_t block = cpu_block(groups, /*bulk=*/true);
  const std::uint64_t tasks = groups / block + (groups % block != 0);
  exhaustion over;
  parallel_for(tasks, cpu_threads(), [&](std::uint64_t t) {
    const std::uint64_t begin = t * block;
    const std::uint64_t end = groups - begin > block ? begin + block : groups;
    auto one = [&](std::uint64_t j) {
      const std::uint64_t i = j * per;
      const unsigned count = static_cast<unsigned>(std::min<std::uint64_t>(per, req.n - i));
      const std::uint64_t sub = req.first_group + j;
      if (!variable_group<D>(req.seed, req.offset, sub, budget, p, i, count, out + i))
        over.note(sub);
    };
    if constexpr (D == dist::integer || D == dist::integer64) {
      // The integers' first tries read each group's first Philox block alone (integers.hpp):
      // make the blocks in batches with the SIMD Philox, and let the cursor body take the rare
      // group whose try may be rejected, the partial last group and a budget below one block.
      if (budget >= 4) {
        philox_blocks(req.seed, req.offset, req.first_group + begin, end - begin,
                      [&](std::uint64_t k, const std::uint32_t* x) {
                        const std::uint64_t j = begin + k;
                        const bool full = req.n - j * per >= per;
                        if (!(full && integer_group_first_tries<D == dist::integer64>(
                                          x, p.low, p.high, out + j * per)))
                          one(j);
                      });
        return;
      }
    }
    for (std::uint64_t j = begin; j < end; ++j) one(j);
  });
  over.check("fill", budget);
}

template <dist D>
void bulk(const bulk_request& req, void* out_v) {
  if constexpr (!has_variable_body<D>) {
    require_bulk_body(D);  // throws: validate_bulk refuses such a request first
  } else if constexpr (bulk_traits<D>::variable) {
    return variable_bulk<D>(req, out_v);
  } else {
    using T = typename bulk_traits<D>::value;
    constexpr unsigned per = bulk_traits<D>::per_group;
    const std::uint64_t seed = req.seed, offset = req.offset, first_group = req.first_group;
    const std::size_t n = req.n;
    const fill_params<T> np = make_params<D>(req, host_table<D>(req));
    T* out = static_cast<T*>(out_v);
    const std::uint64_t full = n / per;
    const std::uint64_t block = cpu_block(full, /*bulk=*/true);
    // Not (full + block - 1) / block: that overflows to 0 tasks for a block near 2^64.
    const std::uint64_t tasks = full / block + (full % block != 0);
    // Streaming stores only pay when the output cannot stay in the last-level cache.
    const bool may_stream = n * sizeof(T) >= streaming_threshold();
    parallel_for(tasks, cpu_threads(), [&](std::uint64_t t) {
      const std::uint64_t first = t * block;
      bulk_groups<D>(seed, offset, first_group + first, std::min(block, full - first), np,
                     out + first * per, may_stream);
    });
    if (const unsigned tail = static_cast<unsigned>(n % per)) {
      T v[4];
      bulk_group<D>(seed, offset, first_group + full, np, v);
      std::memcpy(out + full * per, v, tail * sizeof(T));
    }
  }
}

template <engine E, dist D>
void grid(const grid_request& req, void* out_v) {
  if constexpr (!has_writer_stream<E, D>) {
    require_writer(E, D);  // throws: validate_grid refuses such a request first
  } else {
    using T = typename bulk_traits<D>::value;
    const grid_layout l{req.first_thread, req.threads, req.per_thread, req.interleave};
    const std::uint64_t seed = req.seed, offset = req.offset;
    const fill_params<T> p = make_params<D>(req, host_table<D>(req));
    T* out = static_cast<T*>(out_v);
    // The emulated grid: tasks of `block` consecutive threads.
    const std::uint64_t block = cpu_block(l.threads, /*bulk=*/false);
    const std::uint64_t tasks = l.threads / block + (l.threads % block != 0);
    // A variable-draw row's window: draws_for (validated to fit in 64 bits).
    const std::uint64_t budget =
        bulk_traits<D>::variable ? budget_of(draws_for(E, D, l.per_thread)) : ~std::uint64_t{0};
    exhaustion over;
    parallel_for(tasks, cpu_threads(), [&](std::uint64_t t) {
      // Local indices: first_thread + threads may be exactly 2^64; and
      // (t + 1) * block may not fit in 64 bits.
      const std::uint64_t begin = t * block;
      const std::uint64_t end = l.threads - begin > block ? begin + block : l.threads;
      for (std::uint64_t i = begin; i < end; ++i) {
        const std::uint64_t g = l.first_thread + i;
        if (!thread_stream_body<E, D>(seed, offset, g, l.per_thread, l.stride(), out + l.start(g),
                                      p, budget))
          over.note(g);
      }
    });
    over.check("write_thread_streams", budget);
  }
}

}  // namespace

void require_bulk_body(dist d) {
  visit(d, [d](auto dc) {
    if constexpr (!has_variable_body<decltype(dc)::value>)
      throw Error(errc::unsupported,
                  std::string("kind: ") + to_string(d) +
                      " needs cuRAND's device functions (curand_poisson's helpers), and this "
                      "gpurand was built without the CUDA toolkit (GPURAND_ENABLE_CUDA=OFF)");
  });
}

void require_writer(engine e, dist d) {
  visit(e, d, [e, d](auto ec, auto dc) {
    if constexpr (!has_writer_stream<decltype(ec)::value, decltype(dc)::value>) {
      const std::string why =
          " needs cuRAND's device functions, and this gpurand was built "
          "without the CUDA toolkit (GPURAND_ENABLE_CUDA=OFF)";
      if (e != engine::philox4_32_10)
        throw Error(errc::unsupported, std::string("eng: the ") + to_string(e) + " engine" + why +
                                           "; the philox engine gives cuRAND's bits without it");
      require_bulk_body(d);  // Poisson: the same reason as its bulk fills
      throw Error(errc::unsupported,
                  std::string("kind: ") + to_string(d) + " on the philox engine" + why);
    }
  });
}

template <dist D>
void cpu_bulk(const bulk_request& req, void* out) {
  bulk<D>(req, out);
}

template <engine E, dist D>
void cpu_grid(const grid_request& req, void* out) {
  grid<E, D>(req, out);
}

void set_cpu_draw_budget_for_testing(std::uint64_t draws) {
  g_test_budget.store(draws, std::memory_order_relaxed);
}

// The entry points of every table entry, instantiated and emitted here.
extern const auto cpu_fill_entry_points = table_entry_points(
    [](auto d) { return &cpu_bulk<decltype(d)::value>; },
    [](auto e, auto d) { return &cpu_grid<decltype(e)::value, decltype(d)::value>; });

}  // namespace detail
}  // namespace gpurand
