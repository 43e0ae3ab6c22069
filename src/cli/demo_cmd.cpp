// gpurand demo: the main job. Draw per-thread streams over several launches,
// audit everything on the host, and print a short report. With --compare,
// the broken seeding patterns real code falls into run beside gpurand's
// streams and the audit shows what each one repeats.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "backend/cpu/parallel.hpp"
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "gpurand/audit.hpp"
#include "gpurand/detail/philox_stream.hpp"

namespace gpurand::cli {
namespace {

/// A user's per-thread generator in the broken patterns: cuRAND's Philox
/// curand_init / curand (the toolkit-free copy, so the demo needs no CUDA header).
using user_stream = gpurand::detail::plain_philox_stream;

struct params {
  std::uint64_t blocks = 1024, threads = 256, launches = 4, per_thread = 8;
  std::optional<std::uint64_t> seed;
  std::optional<backend_kind> backend;
  bool compare = false;
};

/// Parses and checks the flags; empty when --help was given (written to `help_out`).
std::optional<params> parse(const std::vector<std::string>& args, std::ostream& help_out) {
  CLI::App app(
      "Draw per-thread streams over several launches and audit them (--compare also runs "
      "broken seeding patterns side by side).",
      "gpurand demo");
  app.footer(
      "Defaults: 1024 blocks x 256 threads, 4 launches x 8 u32 draws per thread. Without\n"
      "--backend, $GPURAND_BACKEND is used if set. Numbers are decimal, without sign or suffix.\n"
      "Exit codes: 0 clean, 1 defect or failure, 2 bad input.");
  std::string blocks_s, threads_s, launches_s, per_thread_s, seed_s, backend_s;
  params p;
  auto* o_blocks = add_text(app, "--blocks", "B", blocks_s, "blocks B (1024)");
  auto* o_threads = add_text(app, "--threads", "T", threads_s, "threads per block T (256)");
  auto* o_launches = add_text(app, "--launches", "L", launches_s, "launches L (4)");
  auto* o_per_thread =
      add_text(app, "--per-thread", "K", per_thread_s, "u32 draws per thread K (8)");
  auto* o_seed =
      add_text(app, "--seed", "N", seed_s, "seed (default: 64 bits from the OS, printed)");
  auto* o_backend = add_text(app, "--backend", "NAME", backend_s, "auto|cpu|gpu");
  add_switch(app, "--compare", p.compare, "also run broken seeding patterns");
  if (!parse_args(app, args, help_out)) return std::nullopt;

  auto given = [](const CLI::Option* o) { return o->count() > 0; };
  if (given(o_blocks)) p.blocks = parse_positive(blocks_s, "--blocks");
  if (given(o_threads)) p.threads = parse_positive(threads_s, "--threads");
  if (given(o_launches)) p.launches = parse_positive(launches_s, "--launches");
  if (given(o_per_thread)) p.per_thread = parse_positive(per_thread_s, "--per-thread");
  if (given(o_seed)) p.seed = parse_u64(seed_s, "--seed");
  if (given(o_backend)) p.backend = parse_backend(backend_s, "--backend");
  // The audit holds everything in memory: keep the demo to 2^28 values (1 GiB).
  const std::uint64_t limit = std::uint64_t{1} << 28;
  std::uint64_t total = p.blocks;
  for (std::uint64_t f : {p.threads, p.launches, p.per_thread}) {
    if (total > limit / f)
      throw Error(errc::invalid_argument,
                  "demo: blocks x threads x launches x per-thread must stay within 2^28 values, "
                  "got " +
                      std::to_string(p.blocks) + " x " + std::to_string(p.threads) + " x " +
                      std::to_string(p.launches) + " x " + std::to_string(p.per_thread));
    total *= f;
  }
  if (p.per_thread < 4)
    throw Error(errc::invalid_argument,
                "--per-thread: the overlap check needs at least 4 draws (128 bits), got " +
                    std::to_string(p.per_thread));
  return p;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// The audit's view of L launches of B x T threads: launch l's block b is
/// audited as block l * B + b, so repeats across launches are caught too.
audit::layout shape_of(const params& p) {
  return audit::layout{p.launches * p.blocks, p.threads, p.per_thread, audit::dtype::u32};
}

struct row {
  std::string name;
  audit::report rep;
  bool broken;  // a pattern that must be caught
};

void print_row(const row& r) {
  const auto& v = r.rep.values;
  const bool caught = !r.rep.clean();
  std::printf("  %-44s %11llu %10llu %13.6g %10.1f %9.2g  %s\n", r.name.c_str(),
              static_cast<unsigned long long>(r.rep.duplicate_threads),
              static_cast<unsigned long long>(r.rep.overlap_runs),
              static_cast<double>(v.equal_pairs), v.expected, v.p_value,
              r.broken ? (caught ? "CAUGHT" : "MISSED") : (caught ? "DEFECT" : "clean"));
}

/// A broken seeding pattern, as a user's kernel would write it: `init`
/// builds thread g's generator in launch l. Run on the host over the same
/// grid (it is the pattern, not the hardware, that repeats numbers).
std::vector<std::uint32_t> broken_streams(
    const params& p, const std::function<user_stream(std::uint64_t l, std::uint64_t g)>& init) {
  const std::uint64_t threads = p.blocks * p.threads;
  std::vector<std::uint32_t> out(p.launches * threads * p.per_thread);
  gpurand::detail::parallel_for(
      p.launches * p.blocks, gpurand::detail::cpu_threads(), [&](std::uint64_t lb) {
        const std::uint64_t l = lb / p.blocks, b = lb % p.blocks;
        for (std::uint64_t t = 0; t < p.threads; ++t) {
          const std::uint64_t g = b * p.threads + t;
          user_stream s = init(l, g);
          std::uint32_t* dst = out.data() + (l * threads + g) * p.per_thread;
          for (std::uint64_t k = 0; k < p.per_thread; ++k) dst[k] = s.next();
        }
      });
  return out;
}

}  // namespace

namespace detail {
bool check_demo_args(const std::vector<std::string>& args, std::ostream& out) {
  return parse(args, out).has_value();
}
}  // namespace detail

int demo_main(const std::vector<std::string>& args) {
  const std::optional<params> parsed = parse(args, std::cout);
  if (!parsed) return 0;  // --help
  const params& p = *parsed;
  options o;
  o.seed = p.seed;
  o.backend = p.backend;
  Generator gen(o);
  const std::uint64_t threads = p.blocks * p.threads;
  const std::uint64_t per_launch = threads * p.per_thread;

  std::printf("gpurand demo\n");
  std::printf(
      "  backend   %s%s\n", to_string(gen.backend()),
      gen.backend() == backend_kind::cpu && !gpu_available() ? " (no usable CUDA device)" : "");
  if (gen.seeded_from_os())
    std::printf("  seed      %llu (from the OS; repeat with --seed %llu)\n",
                static_cast<unsigned long long>(gen.seed()),
                static_cast<unsigned long long>(gen.seed()));
  else
    std::printf("  seed      %llu\n", static_cast<unsigned long long>(gen.seed()));
  std::printf("  grid      %llu blocks x %llu threads, %llu launches x %llu u32 draws per thread\n",
              static_cast<unsigned long long>(p.blocks), static_cast<unsigned long long>(p.threads),
              static_cast<unsigned long long>(p.launches),
              static_cast<unsigned long long>(p.per_thread));

  // Each launch: thread g writes its own subsequence g in a fresh offset window.
  std::vector<std::uint32_t> data(p.launches * per_launch);
  auto t0 = std::chrono::steady_clock::now();
  for (std::uint64_t l = 0; l < p.launches; ++l)
    gen.thread_streams(dist::u32, threads, p.per_thread, data.data() + l * per_launch);
  const double gen_s = seconds_since(t0);
  std::printf("  drawn     %llu numbers in %.3f s (%.1f M/s)\n",
              static_cast<unsigned long long>(data.size()), gen_s, data.size() / gen_s / 1e6);

  audit::options ao;
  ao.use_gpu = gen.backend() == backend_kind::gpu;
  t0 = std::chrono::steady_clock::now();
  const audit::report rep = audit::run(data.data(), shape_of(p), ao);
  const double audit_s = seconds_since(t0);
  std::printf("audit of every thread's stream in every launch (%s sort):\n",
              rep.used_gpu ? "GPU" : "CPU");
  std::printf("  duplicate streams     %llu\n",
              static_cast<unsigned long long>(rep.duplicate_threads));
  std::printf("  overlapping streams   %llu\n", static_cast<unsigned long long>(rep.overlap_runs));
  std::printf(
      "  value collisions      %llu observed vs %.1f expected by the birthday bound (p = %.3g)\n",
      static_cast<unsigned long long>(rep.values.equal_pairs), rep.values.expected,
      rep.values.p_value);
  std::printf("  audit time            %.2f s\n", audit_s);
  const bool clean = rep.clean();
  if (!clean) std::printf("%s", audit::format(rep).c_str());
  std::printf("verdict: %s\n",
              clean ? "clean: no two workers shared numbers" : "DEFECT: workers shared numbers");
  if (!p.compare) return clean ? 0 : 1;

  // --compare: the same grid under the seeding patterns real code falls into.
  const std::uint64_t base = gen.seed();
  std::vector<row> rows;
  rows.push_back({"gpurand: subsequence = thread, fresh offsets", rep, false});
  auto add = [&](const char* name, auto init) {
    const auto streams = broken_streams(p, init);
    rows.push_back({name, audit::run(streams.data(), shape_of(p), ao), true});
  };
  add("shared state (forked copy of one generator)",
      [&](std::uint64_t, std::uint64_t) { return user_stream(base, 0, 0); });
  add("seed = worker id % 16",
      [&](std::uint64_t, std::uint64_t g) { return user_stream(g % 16, 0, 0); });
  add("every launch restarts at offset 0",
      [&](std::uint64_t, std::uint64_t g) { return user_stream(base, g, 0); });
  const std::uint64_t stride = p.per_thread / 2;
  add("one stream split with overlapping offsets", [&](std::uint64_t l, std::uint64_t g) {
    return user_stream(base, 0, (l * threads + g) * stride);
  });
  std::printf("\ncompare: the same grid under broken seeding patterns\n");
  std::printf("  %-44s %11s %10s %13s %10s %9s  %s\n", "pattern", "dup.streams", "overlaps",
              "equal pairs", "expected", "p", "verdict");
  bool ok = true;
  for (const row& r : rows) {
    print_row(r);
    ok = ok && (r.broken ? !r.rep.clean() : r.rep.clean());
  }
  std::printf("verdict: %s\n",
              ok ? "every broken pattern was caught and gpurand's streams were clean"
                 : "UNEXPECTED: see the rows above");
  return ok ? 0 : 1;
}

}  // namespace gpurand::cli
