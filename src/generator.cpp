// Generator: seeding, the offset bookkeeping, fork safety, spawning and
// checkpoints.
//
// The choke point. Every call that draws (fills, launch, thread_streams,
// reserve_fill) goes through impl::admit(), and every call that derives or
// reads the seed (spawn, seed(), offset(), state()) through
// impl::check_process(); nothing else touches the seed or the offset window.
// admit() takes the request's validation as an argument and runs, in this
// order: (1) the validation, so a rejected call consumes nothing; (2) the
// process check (fork epoch and pid: an OS-seeded generator reseeds in a
// child, an explicitly seeded one throws errc::forked); (3) the atomic
// reservation of the window. The window counter is private to `impl` and only
// admit() moves it, so a new entry point cannot skip a step.

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "backend/cuda/capture.hpp"
#include "backend/cuda/host.hpp"
#include "dispatch.hpp"
#include "gpurand/gpurand.hpp"
#include "state_text.hpp"

namespace gpurand {
namespace {

// Bumped in every child forked through fork() (pthread_atfork), so a
// generator notices with one relaxed load that it now lives in another
// process. A raw clone()/syscall(SYS_fork) child skips the handler: the pid
// comparison in check_process() catches that one.
std::atomic<std::uint64_t> g_fork_epoch{0};

void on_fork_child() { g_fork_epoch.fetch_add(1, std::memory_order_relaxed); }

const bool g_atfork_registered = [] {
  return pthread_atfork(nullptr, nullptr, on_fork_child) == 0;
}();

constexpr std::uint64_t legacy_spawn_slots = 65536;
constexpr std::uint64_t min_spawn_window = std::uint64_t{1} << 20;

/// One level of a spawn path: child `index` of `n`.
struct spawn_step {
  std::uint64_t index;
  std::uint64_t n;
};

/// A generator's offsets: [begin, own_end) for its own calls, [own_end, end)
/// its spawn space.
struct window {
  std::uint64_t begin, end;
  std::uint64_t own_end() const { return begin + (end - begin) / 2; }
  /// The slot of child `index` of `n` in the spawn space.
  window child(std::uint64_t index, std::uint64_t n) const {
    const std::uint64_t slot = (end - own_end()) / n;
    const std::uint64_t b = own_end() + index * slot;
    return {b, b + slot};
  }
};

/// The window a spawn path leads to from a root generator at offset `root`.
window window_of(std::uint64_t root, const std::vector<spawn_step>& path) {
  window w{root, UINT64_MAX};
  for (const spawn_step& s : path) w = w.child(s.index, s.n);
  return w;
}

/// What a generator runs on, and how much a captured fill may replay: given
/// at construction, inherited by spawned children, never part of state().
struct run_settings {
  backend_kind backend;
  int device;  ///< made current for each call; -1: the caller's current device
  std::uint64_t capture_replays;
};

/// Validates the options that are not the state, then resolves the backend
/// and checks the device on the GPU backend (the CPU backend ignores it).
run_settings settings_from(const options& opts) {
  constexpr std::uint64_t max_replays = std::uint64_t{1} << 62;  // x 4 offsets fits in 64 bits
  const std::uint64_t replays =
      opts.capture_replays.value_or(detail::cuda::default_capture_replays);
  if (replays == 0 || replays > max_replays)
    throw Error(errc::invalid_argument,
                "capture_replays: must be in [1, 2^62], got " + std::to_string(replays));
  if (opts.device && *opts.device < 0)
    throw Error(errc::invalid_argument,
                "device: must be a CUDA device index >= 0, got " + std::to_string(*opts.device));
  const backend_kind b = detail::default_backend(opts.backend);
  int device = -1;
  if (opts.device && b == backend_kind::gpu) {
    detail::cuda::check_device(*opts.device);
    device = *opts.device;
  }
  return {b, device, replays};
}

}  // namespace

struct Generator::impl {
  /// What a call does with the generator, for the process check.
  enum class use {
    draw,    ///< consumes offsets: refused for an explicit seed in a forked child
    derive,  ///< spawn, seed(), offset(), state(): allowed there (spawn is the remedy)
  };
  /// The seed and first offset a call may use.
  struct ticket {
    std::uint64_t seed;
    std::uint64_t offset;
  };

  impl(std::uint64_t seed_, bool from_os_, const run_settings& run_, std::uint64_t root_,
       std::vector<spawn_step> path_, std::uint64_t next_, std::uint64_t split_)
      : from_os(from_os_),
        backend(run_.backend),
        device(run_.device),
        capture_replays(run_.capture_replays),
        root(root_),
        path(std::move(path_)),
        win(window_of(root_, path)),
        seed(seed_),
        next(next_),
        split(split_),
        epoch(g_fork_epoch.load(std::memory_order_relaxed)),
        pid(::getpid()) {}

  const bool from_os;
  const backend_kind backend;
  const int device;  ///< options::device on the GPU backend, else -1
  const std::uint64_t capture_replays;
  detail::cuda::capture_ledger captures;  ///< this generator's fills captured into graphs
  const std::uint64_t root;            ///< the root generator's first offset
  const std::vector<spawn_step> path;  ///< from the root to this generator
  const window win;

  /// The choke point for calls that draw: `validate()` checks the whole
  /// request and returns how many offsets it needs; then the process check;
  /// then the reservation. Returns the seed and first offset to use.
  template <class Validate>
  ticket admit(const char* what, Validate&& validate) {
    captures.check();  // a graph replayed past its window: raised at the next call
    const std::uint64_t draws = validate();
    check_process(use::draw);
    return reserve(draws, what);
  }

  /// Step 2 of the choke point, also run alone by the calls that derive.
  void check_process(use u) {
    if (same_process()) return;
    std::lock_guard<std::mutex> lock(fork_mutex);
    const std::uint64_t now = g_fork_epoch.load(std::memory_order_relaxed);
    const pid_t me = ::getpid();
    if (now == epoch.load(std::memory_order_relaxed) && me == pid.load(std::memory_order_relaxed))
      return;
    if (!from_os) {
      if (u == use::derive) return;  // the seed is the user's; spawn(i) gives disjoint children
      throw Error(errc::forked,
                  "Generator(seed=" + std::to_string(seed.load()) +
                      ") used in a forked child process: it would repeat the parent's numbers. "
                      "Derive a child stream instead, e.g. `auto child = gen.spawn(worker_index);` "
                      "(same seed, an offset window disjoint from the parent's and every "
                      "sibling's, reproducible), or construct the generator without a seed to "
                      "have each process reseed from the OS");
    }
    // A new process: a fresh seed from the OS and the window from its start.
    // The split of the spawn space is forgotten too: it belonged to the old seed.
    seed.store(os_entropy64(), std::memory_order_relaxed);
    next.store(win.begin, std::memory_order_relaxed);
    split.store(0, std::memory_order_relaxed);
    // Published last (release), so a thread that sees the new identity in
    // same_process() also sees the new seed and window.
    pid.store(me, std::memory_order_release);
    epoch.store(now, std::memory_order_release);
  }

  /// A bulk request of this generator, before its seed and offset are known.
  bulk_request request(dist kind, std::size_t n, double mean, double stddev) const {
    bulk_request req;
    req.kind = kind;
    req.n = n;
    req.mean = mean;
    req.stddev = stddev;
    req.backend = backend;
    return req;
  }

  run_settings settings() const { return {backend, device, capture_replays}; }

  /// options::device chooses where the fills run: device memory of another
  /// device is refused rather than filled there (before anything is reserved).
  void check_memory_device(const void* out) const {
    if (device < 0 || out == nullptr) return;
    const detail::cuda::pointer_info info = detail::cuda::classify(out, true);
    if (info.kind == detail::cuda::memory_kind::device && info.device != device)
      throw Error(errc::invalid_argument, "out: memory of CUDA device " +
                                              std::to_string(info.device) +
                                              ", but this generator runs on device " +
                                              std::to_string(device) + " (options::device)");
  }

  std::uint64_t current_seed() const { return seed.load(std::memory_order_relaxed); }
  std::uint64_t next_offset() const { return next.load(std::memory_order_relaxed); }
  std::uint64_t split_count() const { return split.load(std::memory_order_relaxed); }

  /// Fixes how the spawn space is divided (the first spawn decides) and
  /// returns the child's window; step 3 of the choke point for spawn.
  window claim_child(std::uint64_t index, std::uint64_t n) {
    std::uint64_t fixed = 0;
    if (!split.compare_exchange_strong(fixed, n, std::memory_order_relaxed) && fixed != n)
      throw Error(errc::invalid_argument,
                  "n: this generator's spawn space is already divided into " +
                      std::to_string(fixed) + " slots; spawn(" + std::to_string(index) + ", " +
                      std::to_string(n) +
                      ") would overlap them (use one n per generator, or spawn from a child)");
    return win.child(index, n);
  }

 private:
  std::atomic<std::uint64_t> seed;
  std::atomic<std::uint64_t> next;
  std::atomic<std::uint64_t> split;  ///< slots of the spawn space; 0 until the first spawn
  std::atomic<std::uint64_t> epoch;  ///< g_fork_epoch when this process's identity was taken
  std::atomic<pid_t> pid;            ///< the process the seed and window belong to
  std::mutex fork_mutex;

  bool same_process() const {
    return g_fork_epoch.load(std::memory_order_relaxed) == epoch.load(std::memory_order_acquire) &&
           ::getpid() == pid.load(std::memory_order_acquire);
  }

  /// Step 3: the atomic reservation; only admit() calls it.
  ticket reserve(std::uint64_t draws, const char* what) {
    const std::uint64_t end = win.own_end();
    std::uint64_t cur = next.load(std::memory_order_relaxed);
    do {
      if (draws > end - cur)
        throw Error(errc::exhausted,
                    std::string("Generator::") + what + ": offset window exhausted: " +
                        std::to_string(draws) + " draws needed at offset " + std::to_string(cur) +
                        ", window ends at " + std::to_string(end) + " (use spawn() or a new seed)");
    } while (!next.compare_exchange_weak(cur, cur + draws, std::memory_order_relaxed));
    // Read after the process check and the reservation: a child may have reseeded.
    return {current_seed(), cur};
  }
};

Generator::Generator() : Generator(options{}) {}
Generator::Generator(std::uint64_t seed) : Generator(options{seed, std::nullopt, 0}) {}
Generator::Generator(const options& opts) {
  (void)g_atfork_registered;
  const run_settings run = settings_from(opts);
  const bool from_os = !opts.seed.has_value();
  const std::uint64_t seed = from_os ? os_entropy64() : *opts.seed;
  impl_ = std::make_unique<impl>(seed, from_os, run, opts.offset, std::vector<spawn_step>{},
                                 opts.offset, 0);
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
  impl_->check_process(impl::use::derive);  // a forked OS-seeded generator reseeds first
  return impl_->current_seed();
}
std::uint64_t Generator::offset() const {
  GPURAND_REQUIRE_IMPL();
  impl_->captures.check();
  impl_->check_process(impl::use::derive);
  return impl_->next_offset();
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
  return impl_->win.own_end();
}

void Generator::bulk(dist kind, void* out, std::size_t n, double mean, double stddev,
                     cuda_stream* stream) {
  GPURAND_REQUIRE_IMPL();
  bulk(impl_->request(kind, n, mean, stddev), out, stream);
}

void Generator::bulk(bulk_request req, void* out, cuda_stream* stream) {
  GPURAND_REQUIRE_IMPL();
  req.backend = impl_->backend;
  detail::cuda::device_guard on(impl_->device);  // options::device; the caller's is restored
  void* const s = stream ? *stream : nullptr;
  if (req.n == 0) {  // a no-op, but a bad argument is still an error
    (void)detail::validate_bulk(req, out, stream != nullptr, s);
    return;
  }
  std::shared_ptr<detail::cuda::captured_fill> captured;
  const auto t = impl_->admit("fill", [&] {
    const detail::cuda::capture_info capture =
        detail::validate_bulk(req, out, stream != nullptr, s);
    if (impl_->backend == backend_kind::cpu) detail::validate_cpu_settings();
    if (stream == nullptr) impl_->check_memory_device(out);
    if (capture.status != detail::cuda::capture_status::active)
      return bulk_draws(req.kind);  // one Philox block per subsequence, or a variable row's cap
    // A captured replay advances by one Philox block (capture_step): a variable-draw fill,
    // which reserves more, is refused there (before anything is reserved).
    if (bulk_draws(req.kind) != detail::capture_step)
      throw Error(errc::unsupported,
                  std::string("stream: a ") + to_string(req.kind) +
                      " fill takes a variable number of draws and cannot be captured into a "
                      "CUDA graph; fill outside the capture, or use launch() with a device API "
                      "kernel per replay");
    // Under capture: a window for every replay, and the slot the graph owns
    // (made before the reservation: a refused reservation consumes nothing).
    captured =
        detail::cuda::open_captured_fill(capture, "asynchronous fill of " + std::to_string(req.n) +
                                                      " " + to_string(req.kind) + " values");
    return detail::capture_step * impl_->capture_replays;
  });
  req.seed = t.seed;
  req.offset = t.offset;
  if (captured) {
    captured->arm(t.seed, t.offset, impl_->capture_replays);
    impl_->captures.add(captured);
  }
  detail::run_bulk(req, impl_->backend, out, stream, captured ? captured->slot() : nullptr);
}

bulk_request Generator::reserve_fill(dist kind, std::size_t n, double mean, double stddev) {
  GPURAND_REQUIRE_IMPL();
  return reserve_fill(impl_->request(kind, n, mean, stddev));
}

bulk_request Generator::reserve_fill(const bulk_request& shape) {
  GPURAND_REQUIRE_IMPL();
  bulk_request req = shape;
  req.seed = 0;
  req.offset = 0;
  req.first_group = 0;
  req.backend = impl_->backend;
  if (req.n == 0) {  // like the fills: nothing to draw, nothing consumed
    detail::validate_bulk(req, &req);
    return req;
  }
  // No output pointer yet: validate as if one were given, the pieces are
  // validated again by fill().
  const auto t = impl_->admit("reserve_fill", [&] {
    detail::validate_bulk(req, &req);
    return bulk_draws(req.kind);
  });
  req.seed = t.seed;
  req.offset = t.offset;
  return req;
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
void Generator::normal(float* out, std::size_t n, float mean, float stddev, portable_t) {
  bulk(dist::normal_portable, out, n, mean, stddev, nullptr);
}
void Generator::normal(double* out, std::size_t n, double mean, double stddev, portable_t) {
  bulk(dist::normal_portable_double, out, n, mean, stddev, nullptr);
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

void Generator::log_normal(float* out, std::size_t n, float mean, float stddev) {
  bulk(dist::log_normal, out, n, mean, stddev, nullptr);
}
void Generator::log_normal(double* out, std::size_t n, double mean, double stddev) {
  bulk(dist::log_normal_double, out, n, mean, stddev, nullptr);
}
void Generator::log_normal_async(float* out, std::size_t n, float mean, float stddev,
                                 cuda_stream s) {
  bulk(dist::log_normal, out, n, mean, stddev, &s);
}
void Generator::log_normal_async(double* out, std::size_t n, double mean, double stddev,
                                 cuda_stream s) {
  bulk(dist::log_normal_double, out, n, mean, stddev, &s);
}

namespace {
/// A Poisson request: one lambda (per_element false), or one per element from `lambdas`.
bulk_request poisson_request(bulk_request req, double lambda, const double* lambdas,
                             bool per_element) {
  if (per_element && lambdas == nullptr && req.n > 0)
    throw Error(errc::invalid_argument,
                "lambdas: null pointer with n = " + std::to_string(req.n) + " values to draw");
  req.lambda = lambda;
  req.lambdas = per_element ? lambdas : nullptr;
  return req;
}
}  // namespace

void Generator::poisson(std::uint32_t* out, std::size_t n, double lambda) {
  GPURAND_REQUIRE_IMPL();
  bulk(poisson_request(impl_->request(dist::poisson, n, 0, 1), lambda, nullptr, false), out,
       nullptr);
}
void Generator::poisson(std::uint32_t* out, std::size_t n, const double* lambdas) {
  GPURAND_REQUIRE_IMPL();
  bulk(poisson_request(impl_->request(dist::poisson, n, 0, 1), 1.0, lambdas, true), out, nullptr);
}
void Generator::poisson_async(std::uint32_t* out, std::size_t n, double lambda, cuda_stream s) {
  GPURAND_REQUIRE_IMPL();
  bulk(poisson_request(impl_->request(dist::poisson, n, 0, 1), lambda, nullptr, false), out, &s);
}
void Generator::poisson_async(std::uint32_t* out, std::size_t n, const double* lambdas,
                              cuda_stream s) {
  GPURAND_REQUIRE_IMPL();
  bulk(poisson_request(impl_->request(dist::poisson, n, 0, 1), 1.0, lambdas, true), out, &s);
}

namespace {
bulk_request fill_of(dist kind, std::size_t n) {
  bulk_request req;
  req.kind = kind;
  req.n = n;
  return req;
}
bulk_request exponential_fill(std::size_t n, float lambda) {
  bulk_request req = fill_of(dist::exponential, n);
  req.lambda = lambda;
  return req;
}
bulk_request bernoulli_fill(std::size_t n, double p) {
  bulk_request req = fill_of(dist::bernoulli, n);
  req.p = p;
  return req;
}
bulk_request integers_fill(dist kind, std::size_t n, std::uint64_t low, std::uint64_t high) {
  bulk_request req = fill_of(kind, n);
  req.low = low;
  req.high = high;
  return req;
}
bulk_request discrete_fill(std::size_t n, const discrete_table& table) {
  bulk_request req = fill_of(dist::discrete, n);
  req.table = &table;
  return req;
}
}  // namespace

void Generator::integers(std::uint32_t* out, std::size_t n, std::uint64_t low, std::uint64_t high) {
  bulk(integers_fill(dist::integer, n, low, high), out, nullptr);
}
void Generator::integers(std::uint64_t* out, std::size_t n, std::uint64_t low, std::uint64_t high) {
  bulk(integers_fill(dist::integer64, n, low, high), out, nullptr);
}
void Generator::integers_async(std::uint32_t* out, std::size_t n, std::uint64_t low,
                               std::uint64_t high, cuda_stream s) {
  bulk(integers_fill(dist::integer, n, low, high), out, &s);
}
void Generator::integers_async(std::uint64_t* out, std::size_t n, std::uint64_t low,
                               std::uint64_t high, cuda_stream s) {
  bulk(integers_fill(dist::integer64, n, low, high), out, &s);
}
void Generator::exponential(float* out, std::size_t n, float lambda) {
  bulk(exponential_fill(n, lambda), out, nullptr);
}
void Generator::bernoulli(std::uint32_t* out, std::size_t n, double p) {
  bulk(bernoulli_fill(n, p), out, nullptr);
}
void Generator::discrete(std::uint32_t* out, std::size_t n, const discrete_table& table) {
  bulk(discrete_fill(n, table), out, nullptr);
}
void Generator::exponential_async(float* out, std::size_t n, float lambda, cuda_stream s) {
  bulk(exponential_fill(n, lambda), out, &s);
}
void Generator::bernoulli_async(std::uint32_t* out, std::size_t n, double p, cuda_stream s) {
  bulk(bernoulli_fill(n, p), out, &s);
}
void Generator::discrete_async(std::uint32_t* out, std::size_t n, const discrete_table& table,
                               cuda_stream s) {
  bulk(discrete_fill(n, table), out, &s);
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
  GPURAND_REQUIRE_IMPL();
  std::uint64_t window = 0;
  const auto t = impl_->admit("launch", [&] {
    if (draws_per_thread == 0)
      throw Error(errc::invalid_argument, "draws_per_thread: must be positive, got 0");
    detail::cuda::check_window_report();  // an earlier kernel's overrun surfaces here
    return window = round_up4(draws_per_thread, "draws_per_thread");
  });
  launch_handle h{t.seed, t.offset, window};
  // Checked kernels report a window overrun there (nullptr: CPU backend).
  if (impl_->backend == backend_kind::gpu) h.report = detail::cuda::window_report_slot();
  return h;
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
  detail::cuda::device_guard on(impl_->device);
  const auto t = impl_->admit("thread_streams", [&] {
    if (threads == 0) throw Error(errc::invalid_argument, "threads: must be positive, got 0");
    if (per_thread == 0) throw Error(errc::invalid_argument, "per_thread: must be positive, got 0");
    if (out == nullptr) throw Error(errc::invalid_argument, "out: null pointer");
    detail::validate_grid(req, out);
    if (impl_->backend == backend_kind::cpu) detail::validate_cpu_settings();
    impl_->check_memory_device(out);
    return round_up4(draws_for(req.eng, kind, per_thread), "per_thread");
  });
  req.seed = t.seed;
  req.offset = t.offset;
  detail::run_grid(req, out);
  return req.offset;
}

Generator Generator::spawn(std::uint64_t index) const { return spawn(index, legacy_spawn_slots); }

Generator Generator::spawn(std::uint64_t index, std::uint64_t n) const {
  GPURAND_REQUIRE_IMPL();
  // (1) validate everything, so a refused spawn fixes no split.
  if (n == 0) throw Error(errc::invalid_argument, "n: must be positive, got 0");
  if (index >= n)
    throw Error(errc::invalid_argument, "index: spawn index must be below " + std::to_string(n) +
                                            ", got " + std::to_string(index));
  const std::uint64_t slot = (impl_->win.end - impl_->win.own_end()) / n;
  if (slot < min_spawn_window)
    throw Error(errc::exhausted,
                "spawn: nesting too deep: each of n = " + std::to_string(n) +
                    " child windows would hold only " + std::to_string(slot) +
                    " draws per subsequence (at least 2^20 are needed; use a smaller n)");
  impl_->captures.check();
  // (2) the process: an OS-seeded generator reseeds in a forked child, so
  // its children there are new streams rather than the parent's children.
  impl_->check_process(impl::use::derive);
  // (3) the derivation: fix the division of the spawn space.
  const window w = impl_->claim_child(index, n);
  std::vector<spawn_step> path = impl_->path;
  path.push_back({index, n});
  return Generator(std::make_unique<impl>(impl_->current_seed(), impl_->from_os, impl_->settings(),
                                          impl_->root, std::move(path), w.begin, 0));
}

// ---- checkpoint and restore ---------------------------------------------------
//
// One line of space-separated fields, in this order:
//   gpurand-state/1 seed=S os=0|1 root=R path=I:N,I:N,... window=B:E next=O split=K check=H
// path is '-' for a root generator; H is FNV-1a 64 of everything before " check=", in hex.

namespace {
constexpr const char* state_magic = "gpurand-state/";
constexpr std::uint64_t state_version = 1;
}  // namespace

std::string Generator::state() const {
  GPURAND_REQUIRE_IMPL();
  impl_->captures.check();
  impl_->check_process(impl::use::derive);
  std::string path;
  for (const spawn_step& s : impl_->path)
    path += (path.empty() ? "" : ",") + std::to_string(s.index) + ":" + std::to_string(s.n);
  if (path.empty()) path = "-";
  return detail::seal_state(
      state_magic, state_version,
      {{"seed", std::to_string(impl_->current_seed())},
       {"os", impl_->from_os ? "1" : "0"},
       {"root", std::to_string(impl_->root)},
       {"path", path},
       {"window", std::to_string(impl_->win.begin) + ":" + std::to_string(impl_->win.end)},
       {"next", std::to_string(impl_->next_offset())},
       {"split", std::to_string(impl_->split_count())}});
}

namespace {

const std::string state_prefix = "state: ";

std::uint64_t state_u64(std::string_view text, const char* field) {
  return detail::state_u64(text, field, state_prefix);
}

[[noreturn]] void bad_state(const std::string& why) { detail::bad_state(state_prefix, why); }

/// Splits "a:b" into two numbers.
std::pair<std::uint64_t, std::uint64_t> state_pair(std::string_view text, const char* field) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos)
    bad_state(std::string(field) + ": expected A:B, got '" + std::string(text) + "'");
  return {state_u64(text.substr(0, colon), field), state_u64(text.substr(colon + 1), field)};
}

}  // namespace

Generator Generator::restore(std::string_view text, std::optional<backend_kind> backend) {
  options opts;
  opts.backend = backend;
  return restore(text, opts);
}

Generator Generator::restore(std::string_view text, const options& opts) {
  if (opts.seed)
    throw Error(
        errc::invalid_argument,
        "opts.seed: the state carries the seed; leave it empty, got " + std::to_string(*opts.seed));
  if (opts.offset != 0)
    throw Error(errc::invalid_argument,
                "opts.offset: the state carries the offsets; leave it 0, got " +
                    std::to_string(opts.offset));
  const std::vector<std::string_view> values = detail::fields_in_order(
      detail::open_state(text, state_magic, state_version, state_prefix, "a gpurand state"),
      {"seed", "os", "root", "path", "window", "next", "split"}, state_prefix);
  const std::uint64_t seed = state_u64(values[0], "seed");
  if (values[1] != "0" && values[1] != "1")
    bad_state("os: expected 0 or 1, got '" + std::string(values[1]) + "'");
  const bool from_os = values[1] == "1";
  const std::uint64_t root = state_u64(values[2], "root");
  std::vector<spawn_step> path;
  if (values[3] != "-") {
    std::string_view p = values[3];
    while (true) {
      const auto comma = p.find(',');
      const auto [index, n] = state_pair(p.substr(0, comma), "path");
      if (n == 0 || index >= n)
        bad_state("path: child " + std::to_string(index) + " of " + std::to_string(n) +
                  " does not exist");
      path.push_back({index, n});
      if (comma == std::string_view::npos) break;
      p.remove_prefix(comma + 1);
    }
  }
  const auto [begin, end] = state_pair(values[4], "window");
  const window w = window_of(root, path);
  if (w.begin != begin || w.end != end)
    bad_state("window " + std::to_string(begin) + ":" + std::to_string(end) +
              " is not the one its root and path give (" + std::to_string(w.begin) + ":" +
              std::to_string(w.end) + ")");
  const std::uint64_t next = state_u64(values[5], "next");
  if (next < w.begin || next > w.own_end())
    bad_state("next: offset " + std::to_string(next) + " lies outside the window's own part [" +
              std::to_string(w.begin) + ", " + std::to_string(w.own_end()) + "]");
  const std::uint64_t split = state_u64(values[6], "split");
  if (split != 0 && (w.end - w.own_end()) / split < min_spawn_window)
    bad_state("split: " + std::to_string(split) + " slots do not fit the spawn space");

  return Generator(std::make_unique<impl>(seed, from_os, settings_from(opts), root, std::move(path),
                                          next, split));
}

}  // namespace gpurand
