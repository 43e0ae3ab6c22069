// The host API from plain C++: estimate pi and the moments of a normal.
// Build: g++ -std=c++17 host_api.cpp -lgpurand -lcudart (or find_package(gpurand)).

#include <cmath>
#include <cstdio>
#include <gpurand/gpurand.hpp>
#include <vector>

int main() {
  // Seeded from the OS; print the seed so the run can be repeated with
  // gpurand::Generator gen(seed).
  gpurand::Generator gen;
  std::printf("backend %s, seed %llu\n", gpurand::to_string(gen.backend()),
              static_cast<unsigned long long>(gen.seed()));

  const std::size_t n = std::size_t{1} << 22;
  std::vector<float> x(n), y(n);
  gen.uniform(x.data(), n);  // each call takes a fresh offset window:
  gen.uniform(y.data(), n);  // x and y never share a number's source
  std::size_t inside = 0;
  for (std::size_t i = 0; i < n; ++i) inside += x[i] * x[i] + y[i] * y[i] <= 1.0f;
  const double pi = 4.0 * inside / n;
  std::printf("pi ~ %.5f (error %.5f)\n", pi, std::fabs(pi - M_PI));

  std::vector<double> z(n);
  gen.normal(z.data(), n, 10.0, 2.0);
  double m = 0, v = 0;
  for (double a : z) m += a;
  m /= n;
  for (double a : z) v += (a - m) * (a - m);
  v /= n - 1;
  std::printf("normal(10, 2): mean %.4f, stddev %.4f\n", m, std::sqrt(v));

  // 4.5 standard errors: a correct generator fails this about once in 10^5 runs.
  const bool ok = std::fabs(pi - M_PI) < 4.5 * std::sqrt(M_PI * (4 - M_PI) / n) &&
                  std::fabs(m - 10.0) < 4.5 * 2.0 / std::sqrt(double(n)) &&
                  std::fabs(std::sqrt(v) - 2.0) < 0.01;
  return ok ? 0 : 1;
}
