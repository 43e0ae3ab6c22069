// A CUDA simulation with the device API: N particles take Gaussian steps over
// many kernel launches, one cuRAND subsequence per particle. Each launch gets
// a fresh offset window from gen.launch(), so no launch repeats the numbers
// of the one before, and no particle shares a number with another.
//
// The per-particle step is a __host__ __device__ function, so where no GPU
// is present the same code runs on the CPU and gives the same bits.

#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <gpurand/device.cuh>
#include <gpurand/gpurand.hpp>
#include <vector>

namespace {

constexpr int steps_per_launch = 16;

__host__ __device__ void advance(const gpurand::launch_handle& h, std::uint64_t particle,
                                 float2* pos) {
  auto rng = h.stream(particle);  // subsequence = particle index
  float2 p = pos[particle];
  for (int s = 0; s < steps_per_launch; s += 2) {
    const float4 d = rng.normal4();  // 4 normals = 2 steps in 2-D
    p.x += d.x + d.z;
    p.y += d.y + d.w;
  }
  pos[particle] = p;
}

__global__ void walk(gpurand::launch_handle h, float2* pos, std::uint64_t n) {
  const std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x;
  if (i < n) advance(h, i, pos);
}

#define CHECK(call)                                                          \
  do {                                                                       \
    const cudaError_t e = (call);                                            \
    if (e != cudaSuccess) {                                                  \
      std::fprintf(stderr, "%s failed: %s\n", #call, cudaGetErrorString(e)); \
      return 1;                                                              \
    }                                                                        \
  } while (0)

}  // namespace

int main() {
  const std::uint64_t n = 1 << 16;
  const int launches = 50;
  gpurand::Generator gen;  // OS seed, GPU when present
  std::printf("backend %s, seed %llu\n", gpurand::to_string(gen.backend()),
              static_cast<unsigned long long>(gen.seed()));
  std::vector<float2> pos(n, float2{0.0f, 0.0f});

  if (gen.backend() == gpurand::backend_kind::gpu) {
    float2* d = nullptr;
    CHECK(cudaMalloc(&d, n * sizeof(float2)));
    CHECK(cudaMemcpy(d, pos.data(), n * sizeof(float2), cudaMemcpyHostToDevice));
    for (int l = 0; l < launches; ++l) {
      walk<<<(n + 255) / 256, 256>>>(gen.launch(steps_per_launch * 2), d, n);
      CHECK(cudaGetLastError());
    }
    CHECK(cudaMemcpy(pos.data(), d, n * sizeof(float2), cudaMemcpyDeviceToHost));
    CHECK(cudaFree(d));
  } else {
    for (int l = 0; l < launches; ++l) {
      const gpurand::launch_handle h = gen.launch(steps_per_launch * 2);
      for (std::uint64_t i = 0; i < n; ++i) advance(h, i, pos.data());
    }
  }

  // After L*S unit Gaussian steps per axis, E|p|^2 = 2 * L * S.
  double r2 = 0;
  for (const float2& p : pos) r2 += double(p.x) * p.x + double(p.y) * p.y;
  r2 /= n;
  const double want = 2.0 * launches * steps_per_launch;
  std::printf("mean squared displacement %.1f (theory %.1f) after %d launches\n", r2, want,
              launches);
  // |p|^2 / (L*S) is chi-squared with 2 dof: stddev of the mean is want/sqrt(n).
  return std::fabs(r2 - want) < 5.0 * want / std::sqrt(double(n)) ? 0 : 1;
}
