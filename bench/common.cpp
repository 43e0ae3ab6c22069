// Helpers shared by the bench's cases and report: timing, derived figures, size parsing.

#include <algorithm>
#include <chrono>
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
  }
  return "?";
}

bool options::has(bench_case c) const {
  return std::find(cases.begin(), cases.end(), c) != cases.end();
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
  return quick ? repeat_policy{3, 9, 0.05} : repeat_policy{5, 31, 0.5};
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
  auto once = [](const std::function<void()>& fn) {
    const auto t0 = clock::now();
    fn();
    return std::chrono::duration<double>(clock::now() - t0).count();
  };
  // Warm-up: first-touch effects, thread start-up, cuRAND's lazy set-up.
  once(ours);
  if (base) once(base);
  std::vector<double> a, b;
  double total = 0;
  for (int r = 0; r < p.max_repeats && (r < p.min_repeats || total < p.min_seconds); ++r) {
    const double ta = once(ours);
    a.push_back(ta);
    total += ta;
    if (base) {
      const double tb = once(base);
      b.push_back(tb);
      total += tb;
    }
  }
  ours_t.repeats = static_cast<int>(a.size());
  ours_t.median = median(a);
  base_t.repeats = static_cast<int>(b.size());
  base_t.median = median(b);
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
