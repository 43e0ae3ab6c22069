// The audit case: how long gpurand::audit::run takes on honest per-thread u32 streams, and how
// much memory it needs on top of its input, against the target (2^26 values in at most
// 30 s on the 2-core development machine, peak memory at most 4x the input).
//
// Each size runs in its own forked child: the child's peak RSS then holds only what that size
// needed (its input, the audit's scratch), not the buffers earlier cases left in the parent's
// heap, and an allocation failure or an out-of-memory kill ends the child, not the bench.

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "bench.hpp"
#include "backend/cpu/fill.hpp"
#include "gpurand/audit.hpp"
#include "gpurand/gpurand.hpp"

namespace gpurand::bench {
namespace {

constexpr std::uint64_t seed = 0x5eed5eed12345678ull;
/// Values per thread: a long stream per worker, as a simulation's thread draws it.
constexpr std::uint64_t values_per_thread = 4096;

/// The grid a size is audited as: `threads` streams of `per_thread` values, thread-major.
struct audit_grid {
  std::uint64_t threads;
  std::uint64_t per_thread;
  std::uint64_t threads_per_block;
  std::uint64_t values() const { return threads * per_thread; }
};

/// n values as whole threads of 4096 (fewer when n is smaller); an n that is not a multiple is
/// rounded down, and the record's note says so.
audit_grid grid_for(std::uint64_t n) {
  audit_grid g{};
  g.per_thread = std::min(values_per_thread, n);
  g.threads = n / g.per_thread;
  g.threads_per_block = g.threads % 256 == 0 ? 256 : g.threads;
  return g;
}

/// How many timed audit runs a size gets, each in a fresh child: up to `max_repeats`, and
/// another only while the runs so far predict it ends within `budget_s`. A --quick 2^22 audit
/// takes a fraction of a second and gets 3; a 2^26 one takes seconds and gets what fits.
struct audit_policy {
  int max_repeats;
  double budget_s;
};
audit_policy audit_policy_for(bool quick) {
  return quick ? audit_policy{3, 1.0} : audit_policy{5, 20.0};
}

/// What a child sends back through the pipe: fixed-size plain data, so a short read can only
/// mean the child died before it finished.
struct child_result {
  int ok = 0;  ///< 1: measured; 0: `message` says why not
  double seconds = 0;
  std::uint64_t peak_rss_bytes = 0;
  std::uint64_t rss_before_input_bytes = 0;
  int clean = 0;
  std::uint64_t duplicate_threads = 0;
  std::uint64_t matched_window_pairs = 0;
  int values_flagged = 0;
  double value_p = 0;
  char message[480] = {};
};

/// `v` with `digits` significant digits, for notes.
std::string short_number(double v, int digits = 3) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

/// The resident set now, from /proc/self/statm; 0 where unreadable.
std::uint64_t current_rss_bytes() {
  std::ifstream in("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  if (!(in >> size >> resident)) return 0;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

/// The body of a child: allocate, generate, audit once, measure. Never throws. One run per
/// child, so every timed run is a process's first audit: when a process audits again, glibc
/// serves the scratch from heap memory the first run freed but kept (its mmap threshold has
/// risen to the scratch's size), and the second run's peak is the allocator's, not the audit's
/// (at 2^22: 4.1x the input instead of 3.1x).
child_result measure_in_child(const audit_grid& g, unsigned workers) {
  child_result r;
  try {
    // The RSS the child inherited (the parent's resident pages) and the allocator's state: the
    // ratio counts only what is added from here on, the input included.
    r.rss_before_input_bytes = current_rss_bytes();
    const std::unique_ptr<std::uint32_t[]> input(new std::uint32_t[g.values()]);
    // The CPU backend's per-thread writer, which gpurand::write_thread_streams runs for host
    // memory, called directly: the public function first asks the CUDA runtime where `out`
    // lives, and a forked child must not touch a runtime its parent may have initialised.
    grid_request req;
    req.seed = seed;
    req.threads = g.threads;
    req.per_thread = g.per_thread;
    detail::cpu_grid<engine::philox4_32_10, dist::u32>(req, input.get());
    audit::layout shape;
    shape.blocks = g.threads / g.threads_per_block;
    shape.threads_per_block = g.threads_per_block;
    shape.per_thread = g.per_thread;
    shape.type = audit::dtype::u32;
    audit::options opts;
    opts.workers = workers;
    opts.use_gpu = false;  // the target is the CPU audit's, and the child stays off CUDA
    // No warm-up run: a run allocates and faults in its own scratch, as a caller's one run does.
    const auto t0 = std::chrono::steady_clock::now();
    const audit::report rep = audit::run(input.get(), shape, opts);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    r.peak_rss_bytes = static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;  // Linux: kilobytes
    r.clean = rep.clean() ? 1 : 0;
    r.duplicate_threads = rep.duplicate_threads;
    r.matched_window_pairs = rep.matched_window_pairs;
    r.values_flagged = rep.values.flagged ? 1 : 0;
    r.value_p = rep.values.p_value;
    r.ok = 1;
  } catch (const std::bad_alloc&) {
    std::snprintf(r.message, sizeof r.message, "out of memory (std::bad_alloc) in the child");
  } catch (const std::exception& e) {
    std::snprintf(r.message, sizeof r.message, "%s", e.what());
  } catch (...) {
    std::snprintf(r.message, sizeof r.message, "unknown exception in the child");
  }
  return r;
}

bool write_all(int fd, const void* data, std::size_t bytes) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t w = ::write(fd, p, bytes);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    bytes -= static_cast<std::size_t>(w);
  }
  return true;
}

/// Reads until `bytes` arrived or the writer closed; returns how many arrived.
std::size_t read_all(int fd, void* data, std::size_t bytes) {
  char* p = static_cast<char*>(data);
  std::size_t got = 0;
  while (got < bytes) {
    const ssize_t r = ::read(fd, p + got, bytes - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  return got;
}

/// Runs measure_in_child() in a forked child and returns its result; on a child that died or
/// could not start, `ok` is 0 and `message` says what happened.
child_result run_in_child(const audit_grid& g, unsigned workers) {
  child_result r;
  auto fail = [&r](const std::string& why) {
    std::snprintf(r.message, sizeof r.message, "%s", why.c_str());
    return r;
  };
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
  // Nothing buffered may be written twice, once by each process.
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return fail(std::string("fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    ::close(fds[0]);
    const child_result c = measure_in_child(g, workers);
    // _exit: no atexit handlers or stdio flushes of the parent's state (the CUDA runtime's
    // teardown among them) run in the child.
    ::_exit(write_all(fds[1], &c, sizeof c) ? 0 : 3);
  }
  ::close(fds[1]);
  const std::size_t got = read_all(fds[0], &r, sizeof r);
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (got == sizeof r) return r;
  r = child_result{};
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return fail("the child was killed by signal " + std::to_string(sig) + " (" + strsignal(sig) +
                ")" + (sig == SIGKILL ? ", most likely by the out-of-memory killer" : ""));
  }
  return fail("the child exited with status " +
              std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
              " before reporting a result");
}

record audit_record(std::uint64_t requested, const audit_grid& g, unsigned workers,
                    const std::string& device, const std::string& build) {
  record r;
  r.case_name = "audit";
  r.backend = "cpu";
  r.device = device;
  r.impl = "gpurand_audit";
  r.engine = "philox4_32_10";  // of the audited data; the audit itself has no engine
  r.dist = "u32";
  r.n = g.values();
  r.value_bytes = 4;
  r.threads = workers;
  r.simd = "";  // the audit does not use the fills' SIMD dispatch
  r.timer = "steady_clock";
  r.build = build;
  r.note = std::to_string(g.threads) + " threads x " + std::to_string(g.per_thread) +
           " values (curand_init(seed, g, 0) streams), each run in a forked child";
  if (g.values() != requested)
    r.note += "; requested n=" + size_label(requested) + ", rounded down to whole threads";
  return r;
}

void audit_size(std::uint64_t n, const audit_policy& p, unsigned workers, const std::string& device,
                const std::string& build, std::vector<record>& out) {
  const audit_grid g = grid_for(n);
  record r = audit_record(n, g, workers, device, build);
  const double input_bytes = static_cast<double>(g.values()) * 4;
  // The input plus the audit's documented scratch (about 8 bytes per value). Refused above half
  // the RAM, as the fills are: the machine is shared, and a swapping child measures the disk.
  const double need = input_bytes * 3;
  const double phys = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
  if (phys > 0 && need > 0.5 * phys)
    r.error = "n=" + size_label(r.n) + " needs about " +
              std::to_string(static_cast<long long>(need / (1 << 20))) +
              " MiB (input and the audit's scratch), more than half of this machine's memory";
  std::vector<double> times;
  double total = 0;
  child_result most;       ///< the run with the highest memory ratio
  child_result unclean;    ///< the first run whose audit was not clean, if any
  double most_ratio = -1;  // the runs differ only by noise, so the worst one is reported
  while (r.error.empty() &&
         (times.empty() || (static_cast<int>(times.size()) < p.max_repeats &&
                            total + total / static_cast<double>(times.size()) <= p.budget_s))) {
    const child_result c = run_in_child(g, workers);
    if (!c.ok) {
      r.error = c.message;
      break;
    }
    times.push_back(c.seconds);
    total += c.seconds;
    const double ratio =
        (static_cast<double>(c.peak_rss_bytes) - static_cast<double>(c.rss_before_input_bytes)) /
        input_bytes;
    if (ratio > most_ratio) {
      most = c;
      most_ratio = ratio;
    }
    if (!c.clean && !unclean.ok) unclean = c;
  }
  if (r.error.empty()) {
    r.repeats = static_cast<int>(times.size());
    r.note += r.repeats == 1 ? "; one timed run (no warm-up run)"
                             : "; median of " + std::to_string(r.repeats) +
                                   " timed runs, each the first in its own child (no warm-up run)";
    r.seconds = median(times);
    r.peak_rss_bytes = static_cast<double>(most.peak_rss_bytes);
    r.rss_before_input_bytes = static_cast<double>(most.rss_before_input_bytes);
    r.memory_ratio = most_ratio;
    r.clean = !unclean.ok;
    if (unclean.ok)
      r.note += "; NOT clean: " + std::to_string(unclean.duplicate_threads) +
                " duplicate threads, " + std::to_string(unclean.matched_window_pairs) +
                " matched window pairs, value test " +
                (unclean.values_flagged ? "flagged" : "passed") +
                " (p=" + short_number(unclean.value_p) + ")";
    r.derive();
    std::fprintf(stderr,
                 "  cpu audit    n=%-6s t=%-2u %8.3f s %8.3f GS/s  peak RSS %.1f MiB, %.2fx input, "
                 "%s\n",
                 size_label(r.n).c_str(), r.threads, r.seconds, r.gsamples_per_s,
                 r.peak_rss_bytes / (1 << 20), r.memory_ratio, *r.clean ? "clean" : "NOT clean");
  } else {
    std::fprintf(stderr, "  cpu audit    n=%-6s failed: %s\n", size_label(r.n).c_str(),
                 r.error.c_str());
  }
  out.push_back(r);
}

}  // namespace

void run_cpu_audit(const options& opt, std::vector<record>& out) {
  if (!opt.has(bench_case::audit)) return;
  std::vector<std::uint64_t> sizes = opt.sizes;
  if (sizes.empty()) sizes = {opt.quick ? std::uint64_t{1} << 22 : std::uint64_t{1} << 26};
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  const unsigned workers = usable_cores();
  const std::string device = cpu_description(), build = build_description();
  std::fprintf(stderr, "gpurand-bench: CPU audit on %s (%u workers, one forked child per run)\n",
               device.c_str(), workers);
  const audit_policy p = audit_policy_for(opt.quick);
  for (std::uint64_t n : sizes) audit_size(n, p, workers, device, build, out);
}

}  // namespace gpurand::bench
