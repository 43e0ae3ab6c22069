// Helpers shared by the bench's cases and report: timing, derived figures, size parsing.

#include <curand.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <string>

#include "bench.hpp"
#include "gpurand/config.hpp"
#include "gpurand/gpurand.hpp"

#if !defined(GPURAND_BENCH_BUILD_TYPE)
#define GPURAND_BENCH_BUILD_TYPE "unknown"
#endif

namespace gpurand::bench {

const char* to_string(bench_case c) noexcept {
  switch (c) {
    case bench_case::fill: return "fill";
    case bench_case::roofline: return "roofline";
    case bench_case::init: return "init";
    case bench_case::consume: return "consume";
    case bench_case::scaling: return "scaling";
    case bench_case::audit: return "audit";
  }
  return "?";
}

bool options::has(bench_case c) const {
  return std::find(cases.begin(), cases.end(), c) != cases.end();
}

void record::set_timing(const timing& ours) {
  seconds = ours.median;
  repeats = ours.repeats;
}

void record::set_baseline(const char* name, const timing& base, std::uint64_t n_base) {
  baseline = name;
  baseline_seconds = base.median;
  baseline_gsamples_per_s = static_cast<double>(n_base) / base.median * 1e-9;
}

record make_record(const char* case_name, const char* backend, const std::string& device, dist d,
                   std::uint64_t n, const char* timer, const std::string& build) {
  record r;
  r.case_name = case_name;
  r.backend = backend;
  r.device = device;
  r.impl = "gpurand";
  r.engine = "philox4_32_10";
  r.dist = to_string(d);
  r.n = n;
  r.value_bytes = static_cast<unsigned>(value_size(d));
  r.timer = timer;
  r.build = build;
  return r;
}

void record::derive() {
  if (std::isfinite(seconds) && seconds > 0) {
    gsamples_per_s = static_cast<double>(n) / seconds * 1e-9;
    gbytes_per_s = gsamples_per_s * value_bytes;
  }
  if (std::isfinite(gsamples_per_s) && std::isfinite(baseline_gsamples_per_s) &&
      baseline_gsamples_per_s > 0)
    ratio = gsamples_per_s / baseline_gsamples_per_s;
  if (std::isfinite(gbytes_per_s) && std::isfinite(roofline_gbytes_per_s) &&
      roofline_gbytes_per_s > 0)
    roofline_fraction = gbytes_per_s / roofline_gbytes_per_s;
}

repeat_policy cpu_policy(bool quick) {
  // Quick mode exists for CI (a shared 2-core machine): enough repeats for a stable median of
  // calls that take milliseconds, without the full run's confidence.
  return quick ? repeat_policy{3, 9, 0.05} : repeat_policy{7, 51, 1.0};
}

double median(std::vector<double>& v) {
  if (v.empty()) return none;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

void time_pair_host(const std::function<void()>& ours, const std::function<void()>& base,
                    const repeat_policy& p, timing& ours_t, timing& base_t) {
  using clock = std::chrono::steady_clock;
  auto series = [&p](const std::function<void()>& fn, timing& t) {
    auto once = [&fn] {
      const auto t0 = clock::now();
      fn();
      return std::chrono::duration<double>(clock::now() - t0).count();
    };
    once();  // warm-up: thread start-up, cuRAND's lazy set-up, this call's cache state
    std::vector<double> v;
    double total = 0;
    for (int r = 0; r < p.max_repeats && (r < p.min_repeats || total < p.min_seconds); ++r) {
      v.push_back(once());
      total += v.back();
    }
    t.repeats = static_cast<int>(v.size());
    t.median = median(v);
  };
  series(ours, ours_t);
  if (base) series(base, base_t);
}

std::string build_description() {
  std::string s = GPURAND_BENCH_BUILD_TYPE;
#if defined(NDEBUG)
  s += ", NDEBUG";
#else
  s += ", asserts on (not NDEBUG): not the release path";
#endif
  s += ", GPURAND_CHECK_WINDOW=" + std::to_string(GPURAND_CHECK_WINDOW);
  return s;
}

std::string run_timestamp() {
  static const std::string stamp = [] {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return std::string(buf);
  }();
  return stamp;
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  if (!(in >> a >> b >> c)) return "?";
  return a + " " + b + " " + c;
}

std::string load_at_start() {
  static const std::string at_start = load_average();
  return at_start;
}

namespace {

struct usage_mark {
  double busy_s = none;  ///< machine-wide non-idle CPU time, seconds
  double own_s = 0;      ///< this process's and its waited-for children's CPU time, seconds
  std::chrono::steady_clock::time_point wall;
};

usage_mark usage_now() {
  usage_mark m;
  m.wall = std::chrono::steady_clock::now();
  std::ifstream in("/proc/stat");
  std::string cpu;
  unsigned long long v[8] = {};
  if (in >> cpu && cpu == "cpu" &&
      in >> v[0] >> v[1] >> v[2] >> v[3] >> v[4] >> v[5] >> v[6] >> v[7]) {
    // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
    const unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    m.busy_s = static_cast<double>(busy) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  // This process and its waited-for children: the audit case runs its work in forked children,
  // whose CPU time is the bench's own, not a neighbour's.
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage ru{};
    getrusage(who, &ru);
    m.own_s += ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
               1e-6 * (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
  }
  return m;
}

const usage_mark& run_start_mark() {
  static const usage_mark at_start = usage_now();
  return at_start;
}

}  // namespace

void mark_run_start() { run_start_mark(); }

double other_cores_busy() {
  const usage_mark& a = run_start_mark();
  const usage_mark b = usage_now();
  const double wall = std::chrono::duration<double>(b.wall - a.wall).count();
  if (!std::isfinite(a.busy_s) || !std::isfinite(b.busy_s) || wall <= 0) return none;
  return std::max(0.0, (b.busy_s - a.busy_s) - (b.own_s - a.own_s)) / wall;
}

std::uint64_t parse_size(const std::string& text, const std::string& flag) {
  auto fail = [&](const std::string& why) -> std::uint64_t {
    throw Error(errc::invalid_argument, flag + ": bad size '" + text + "': " + why);
  };
  // The largest accepted n: 2^34 values (128 GiB of doubles) is beyond every machine this runs
  // on, so anything larger is surely a typo.
  constexpr std::uint64_t max_n = std::uint64_t{1} << 34;
  auto digits = [&](const std::string& t) {
    if (t.empty() || t.size() > 19 || t.find_first_not_of("0123456789") != std::string::npos)
      fail("expected a positive integer or 2^k");
    return std::stoull(t);
  };
  std::uint64_t n = 0;
  const auto caret = text.find('^');
  if (caret != std::string::npos) {
    if (text.substr(0, caret) != "2") fail("only powers of two may use '^' (2^k)");
    const std::uint64_t k = digits(text.substr(caret + 1));
    if (k > 34) fail("k must be at most 34");
    n = std::uint64_t{1} << k;
  } else {
    n = digits(text);
  }
  if (n == 0) fail("n must be at least 1");
  if (n > max_n) fail("n must be at most 2^34");
  return n;
}

std::string size_label(std::uint64_t n) {
  if (n && (n & (n - 1)) == 0) {
    int k = 0;
    while ((std::uint64_t{1} << k) != n) ++k;
    return "2^" + std::to_string(k);
  }
  return std::to_string(n);
}

}  // namespace gpurand::bench

namespace gpurand::bench {

void check_curand(int status, const char* call) {
  if (status != CURAND_STATUS_SUCCESS)
    throw Error(errc::cuda_error,
                std::string("cuRAND: ") + call + " failed with status " + std::to_string(status));
}

void curand_generate(curandGenerator_st* gen, dist d, void* out, std::size_t n) {
  switch (d) {
    case dist::u32:
      return check_curand(curandGenerate(gen, static_cast<unsigned*>(out), n), "curandGenerate");
    case dist::uniform:
      return check_curand(curandGenerateUniform(gen, static_cast<float*>(out), n),
                          "curandGenerateUniform");
    case dist::normal:
    case dist::normal_portable:  // the portable normal's baseline is cuRAND's normal
      return check_curand(curandGenerateNormal(gen, static_cast<float*>(out), n, 0.0f, 1.0f),
                          "curandGenerateNormal");
    case dist::uniform_double:
      return check_curand(curandGenerateUniformDouble(gen, static_cast<double*>(out), n),
                          "curandGenerateUniformDouble");
    case dist::normal_double:
    case dist::normal_portable_double:
      return check_curand(curandGenerateNormalDouble(gen, static_cast<double*>(out), n, 0.0, 1.0),
                          "curandGenerateNormalDouble");
    case dist::log_normal:
      return check_curand(curandGenerateLogNormal(gen, static_cast<float*>(out), n, 0.0f, 1.0f),
                          "curandGenerateLogNormal");
    case dist::log_normal_double:
      return check_curand(
          curandGenerateLogNormalDouble(gen, static_cast<double*>(out), n, 0.0, 1.0),
          "curandGenerateLogNormalDouble");
    case dist::poisson:
      return check_curand(curandGeneratePoisson(gen, static_cast<unsigned*>(out), n, bench_lambda),
                          "curandGeneratePoisson");
    default:
      throw Error(errc::unsupported,
                  std::string("cuRAND's host generator has no ") + to_string(d) + " fill");
  }
}

}  // namespace gpurand::bench
