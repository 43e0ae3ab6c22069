// Built by g++ alone against the installed gpurand package.
#include <cstdio>
#include <gpurand/gpurand.hpp>
#include <vector>

int main() {
  gpurand::options o;
  o.seed = 42;
  gpurand::Generator gen(o);
  std::vector<float> x(1000);
  gen.uniform(x.data(), x.size());
  double sum = 0;
  for (float v : x) {
    if (!(v > 0.0f && v <= 1.0f)) return 1;
    sum += v;
  }
  std::printf("consumer: backend=%s seed=%llu mean=%.3f offset=%llu\n",
              gpurand::to_string(gen.backend()), static_cast<unsigned long long>(gen.seed()),
              sum / x.size(), static_cast<unsigned long long>(gen.offset()));
  return (sum / x.size() > 0.45 && sum / x.size() < 0.55 && gen.offset() == 4) ? 0 : 1;
}
