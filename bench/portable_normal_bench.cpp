// gpurand-bench-portable-normal: the portable normal's CPU fill (src/portable_normal_simd.*) on
// all CPU threads and at each SIMD level, against cuRAND's host generator normal fill
// (curandCreateGeneratorHost(PHILOX4_32_10) + curandGenerateNormal / ...Double) of the same n
// into the same pre-touched buffer. Prints the median of repeated timed calls and the ratio.
// Usage: gpurand-bench-portable-normal [n] [repeats]   (defaults 2^22 values, 21 repeats)

#include <curand.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "backend/cpu/simd.hpp"
#include "backend/cpu/parallel.hpp"
#include "backend/cpu/portable_normal_simd.hpp"

namespace {

double median_seconds(int repeats, const std::function<void()>& fn) {
  fn();  // warm-up
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) {
    const auto a = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

void check(curandStatus_t s, const char* what) {
  if (s != CURAND_STATUS_SUCCESS) {
    std::fprintf(stderr, "%s failed: %d\n", what, static_cast<int>(s));
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace gpurand::detail;
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 0) : (1u << 22);
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 21;
  const unsigned threads = cpu_threads();
  std::vector<float> out(n + 4);
  std::vector<double> out_d(n + 2);
  curandGenerator_t gen;
  check(curandCreateGeneratorHost(&gen, CURAND_RNG_PSEUDO_PHILOX4_32_10), "create");
  check(curandSetPseudoRandomGeneratorSeed(gen, 42), "seed");
  const double t_cur = median_seconds(repeats, [&] {
    check(curandGenerateNormal(gen, out.data(), (n + 1) / 2 * 2, 0.0f, 1.0f), "normal");
  });
  const double t_cur_d = median_seconds(repeats, [&] {
    check(curandGenerateNormalDouble(gen, out_d.data(), (n + 1) / 2 * 2, 0.0, 1.0), "normal");
  });
  curandDestroyGenerator(gen);
  std::printf("n = %zu, %u threads, detected simd %s\n", n, threads, to_string(simd_detected()));
  std::printf("%-40s %10.4f GS/s\n", "curand host normal", n / t_cur * 1e-9);
  std::printf("%-40s %10.4f GS/s\n", "curand host normal-double", n / t_cur_d * 1e-9);
  const std::size_t groups = (n + 3) / 4, groups_d = (n + 1) / 2;
  const std::size_t block = 16384;
  for (const simd_level l : {simd_level::scalar, simd_level::avx2, simd_level::avx512}) {
    if (l > simd_detected()) continue;
    simd_force(l);
    for (const unsigned t : {1u, threads}) {
      const double tf = median_seconds(repeats, [&] {
        parallel_for((groups + block - 1) / block, t, [&](std::uint64_t k) {
          const std::size_t first = k * block, m = std::min(block, groups - first);
          portable_normal_groups(42, 0, first, m, out.data() + 4 * first, 0.0f, 1.0f);
        });
      });
      const double td = median_seconds(repeats, [&] {
        parallel_for((groups_d + block - 1) / block, t, [&](std::uint64_t k) {
          const std::size_t first = k * block, m = std::min(block, groups_d - first);
          portable_normal_double_groups(42, 0, first, m, out_d.data() + 2 * first, 0.0, 1.0);
        });
      });
      std::printf("portable normal        %-7s %u thr %10.4f GS/s  %6.2fx curand host\n",
                  to_string(l), t, n / tf * 1e-9, t_cur / tf);
      std::printf("portable normal-double %-7s %u thr %10.4f GS/s  %6.2fx curand host\n",
                  to_string(l), t, n / td * 1e-9, t_cur_d / td);
      if (threads == 1) break;
    }
  }
  simd_force(simd_detected());
  return 0;
}
