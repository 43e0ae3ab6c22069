// Generator: seeding, the offset bookkeeping, fork safety and spawning.

#include <pthread.h>

#include <atomic>
#include <mutex>
#include <string>

#include "dispatch.hpp"
#include "gpurand/gpurand.hpp"

namespace gpurand {
namespace {

// Bumped in every forked child (pthread_atfork), so a generator notices with
// one relaxed load per call that it now lives in another process.
std::atomic<std::uint64_t> g_fork_epoch{0};

void on_fork_child() { g_fork_epoch.fetch_add(1, std::memory_order_relaxed); }

const bool g_atfork_registered = [] {
  return pthread_atfork(nullptr, nullptr, on_fork_child) == 0;
}();

constexpr std::uint64_t spawn_slots = 65536;
constexpr std::uint64_t min_spawn_window = std::uint64_t{1} << 20;

}  // namespace

struct Generator::impl {
  impl(std::uint64_t seed_, bool from_os_, backend_kind backend_, std::uint64_t begin_,
       std::uint64_t end_)
      : seed(seed_),
        from_os(from_os_),
        backend(backend_),
        begin(begin_),
        end(end_),
        own_end(begin_ + (end_ - begin_) / 2),
        next(begin_),
        epoch(g_fork_epoch.load(std::memory_order_relaxed)) {}

  std::atomic<std::uint64_t> seed;
  const bool from_os;
  const backend_kind backend;
  // [begin, own_end) serves this generator's calls; [own_end, end) is split
  // into spawn_slots equal windows for spawn(i).
  const std::uint64_t begin, end, own_end;
  std::atomic<std::uint64_t> next;
  std::uint64_t epoch;
  std::mutex fork_mutex;

  /// Called at the top of every call that draws. In a forked child, an
  /// OS-seeded generator reseeds from the OS and restarts its window; an
  /// explicitly seeded one refuses, since it could only repeat the parent.
  void check_fork() {
    if (g_fork_epoch.load(std::memory_order_relaxed) == epoch) return;
    std::lock_guard<std::mutex> lock(fork_mutex);
    const std::uint64_t now = g_fork_epoch.load(std::memory_order_relaxed);
    if (now == epoch) return;
    if (!from_os)
      throw Error(errc::forked,
                  "Generator(seed=" + std::to_string(seed.load()) +
                      ") used in a forked child process: it would repeat the parent's numbers. "
                      "Derive a child stream instead, e.g. `auto child = gen.spawn(worker_index);` "
                      "(same seed, an offset window disjoint from the parent's and every "
                      "sibling's, reproducible), or construct the generator without a seed to "
                      "have each process reseed from the OS");
    seed.store(os_entropy64(), std::memory_order_relaxed);
    next.store(begin, std::memory_order_relaxed);
    epoch = now;
  }
};

Generator::Generator() : Generator(options{}) {}
Generator::Generator(std::uint64_t seed) : Generator(options{seed, std::nullopt, 0}) {}
Generator::Generator(const options& opts) {
  (void)g_atfork_registered;
  const backend_kind b = detail::default_backend(opts.backend);
  const bool from_os = !opts.seed.has_value();
  const std::uint64_t seed = from_os ? os_entropy64() : *opts.seed;
  impl_ = std::make_unique<impl>(seed, from_os, b, opts.offset, UINT64_MAX);
}
Generator::Generator(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
Generator::~Generator() = default;
Generator::Generator(Generator&&) noexcept = default;
Generator& Generator::operator=(Generator&&) noexcept = default;

namespace {
const char* moved_from = "Generator: used after being moved from";
}

#define GPURAND_REQUIRE_IMPL() \
  if (!impl_) throw Error(errc::invalid_argument, moved_from)

std::uint64_t Generator::seed() const {
  GPURAND_REQUIRE_IMPL();
  return impl_->seed.load(std::memory_order_relaxed);
}
std::uint64_t Generator::offset() const {
  GPURAND_REQUIRE_IMPL();
  return impl_->next.load(std::memory_order_relaxed);
}
backend_kind Generator::backend() const {
  GPURAND_REQUIRE_IMPL();
  return impl_->backend;
}
bool Generator::seeded_from_os() const {
  GPURAND_REQUIRE_IMPL();
  return impl_->from_os;
}
std::uint64_t Generator::window_end() const {
  GPURAND_REQUIRE_IMPL();
  return impl_->own_end;
}

std::uint64_t Generator::reserve(std::uint64_t draws, const char* what) {
  GPURAND_REQUIRE_IMPL();
  impl_->check_fork();
  std::uint64_t cur = impl_->next.load(std::memory_order_relaxed);
  do {
    if (draws > impl_->own_end - cur)
      throw Error(errc::exhausted, std::string("Generator::") + what +
                                       ": offset window exhausted: " + std::to_string(draws) +
                                       " draws needed at offset " + std::to_string(cur) +
                                       ", window ends at " + std::to_string(impl_->own_end) +
                                       " (use spawn() or a new seed)");
  } while (!impl_->next.compare_exchange_weak(cur, cur + draws, std::memory_order_relaxed));
  return cur;
}

void Generator::bulk(dist kind, void* out, std::size_t n, double mean, double stddev,
                     cuda_stream* stream) {
  GPURAND_REQUIRE_IMPL();
  bulk_request req;
  req.kind = kind;
  req.n = n;
  req.mean = mean;
  req.stddev = stddev;
  req.backend = impl_->backend;
  detail::validate_bulk(req, out,
                        stream != nullptr);  // before reserving: a bad call consumes nothing
  if (n == 0) return;
  req.offset = reserve(4, "fill");
  req.seed = impl_->seed.load(
      std::memory_order_relaxed);  // after reserve(): a forked child may have reseeded
  detail::run_bulk(req, impl_->backend, out, stream);
}

void Generator::generate(std::uint32_t* out, std::size_t n) {
  bulk(dist::u32, out, n, 0, 1, nullptr);
}
void Generator::uniform(float* out, std::size_t n) { bulk(dist::uniform, out, n, 0, 1, nullptr); }
void Generator::uniform(double* out, std::size_t n) {
  bulk(dist::uniform_double, out, n, 0, 1, nullptr);
}
void Generator::normal(float* out, std::size_t n, float mean, float stddev) {
  bulk(dist::normal, out, n, mean, stddev, nullptr);
}
void Generator::normal(double* out, std::size_t n, double mean, double stddev) {
  bulk(dist::normal_double, out, n, mean, stddev, nullptr);
}
void Generator::generate_async(std::uint32_t* out, std::size_t n, cuda_stream s) {
  bulk(dist::u32, out, n, 0, 1, &s);
}
void Generator::uniform_async(float* out, std::size_t n, cuda_stream s) {
  bulk(dist::uniform, out, n, 0, 1, &s);
}
void Generator::uniform_async(double* out, std::size_t n, cuda_stream s) {
  bulk(dist::uniform_double, out, n, 0, 1, &s);
}
void Generator::normal_async(float* out, std::size_t n, float mean, float stddev, cuda_stream s) {
  bulk(dist::normal, out, n, mean, stddev, &s);
}
void Generator::normal_async(double* out, std::size_t n, double mean, double stddev,
                             cuda_stream s) {
  bulk(dist::normal_double, out, n, mean, stddev, &s);
}

namespace {
/// Windows are whole Philox blocks, so the 4-wide device calls stay aligned.
std::uint64_t round_up4(std::uint64_t draws, const char* what) {
  if (draws > UINT64_MAX - 3)
    throw Error(errc::exhausted, std::string(what) + ": " + std::to_string(draws) +
                                     " draws exceed the 64-bit offset space");
  return (draws + 3) & ~std::uint64_t{3};
}
}  // namespace

launch_handle Generator::launch(std::uint64_t draws_per_thread) {
  if (draws_per_thread == 0)
    throw Error(errc::invalid_argument, "draws_per_thread: must be positive, got 0");
  const std::uint64_t window = round_up4(draws_per_thread, "draws_per_thread");
  const std::uint64_t o = reserve(window, "launch");
  return launch_handle{impl_->seed.load(std::memory_order_relaxed), o, window};
}

std::uint64_t Generator::thread_streams(dist kind, std::uint64_t threads, std::uint64_t per_thread,
                                        void* out) {
  GPURAND_REQUIRE_IMPL();
  grid_request req;
  req.eng = engine::philox4_32_10;
  req.kind = kind;
  req.threads = threads;
  req.per_thread = per_thread;
  req.backend = impl_->backend;
  if (threads == 0) throw Error(errc::invalid_argument, "threads: must be positive, got 0");
  if (per_thread == 0) throw Error(errc::invalid_argument, "per_thread: must be positive, got 0");
  if (out == nullptr) throw Error(errc::invalid_argument, "out: null pointer");
  req.offset =
      reserve(round_up4(draws_for(req.eng, kind, per_thread), "per_thread"), "thread_streams");
  req.seed = impl_->seed.load(std::memory_order_relaxed);
  detail::run_grid(req, out);
  return req.offset;
}

Generator Generator::spawn(std::uint64_t index) const {
  GPURAND_REQUIRE_IMPL();
  if (index >= spawn_slots)
    throw Error(errc::invalid_argument,
                "index: spawn index must be below 65536, got " + std::to_string(index));
  const std::uint64_t slot = (impl_->end - impl_->own_end) / spawn_slots;
  if (slot < min_spawn_window)
    throw Error(errc::exhausted, "spawn: nesting too deep: a child window would hold only " +
                                     std::to_string(slot) + " draws per subsequence");
  const std::uint64_t b = impl_->own_end + index * slot;
  return Generator(
      std::make_unique<impl>(impl_->seed.load(), impl_->from_os, impl_->backend, b, b + slot));
}

}  // namespace gpurand
