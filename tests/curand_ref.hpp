#pragma once
// Ground truth for the tests: cuRAND's own device functions compiled for the
// host (QUALIFIERS made __host__ __device__ by gpurand/device.cuh), called the
// way a cuRAND user would call them: curand_init, then k calls.

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "gpurand/detail/table.hpp"
#include "gpurand/device.cuh"

namespace gpurand::test {

template <class State, class T>
T ref_draw(State& s, dist d) {
  if constexpr (sizeof(T) == 8) {
    return d == dist::uniform_double ? curand_uniform_double(&s) : curand_normal_double(&s);
  } else if constexpr (std::is_same_v<T, float>) {
    return d == dist::uniform ? curand_uniform(&s) : curand_normal(&s);
  } else {
    return curand(&s);
  }
}

/// Thread g's first k values of `d` from curand_init(seed, g, offset), as raw bytes.
template <class State>
std::vector<unsigned char> ref_stream(dist d, std::uint64_t seed, std::uint64_t g,
                                      std::uint64_t offset, std::uint64_t k) {
  State s;
  curand_init(seed, g, offset, &s);
  std::vector<unsigned char> out(k * value_size(d));
  for (std::uint64_t i = 0; i < k; ++i) {
    if (d == dist::u32) {
      const unsigned v = ref_draw<State, unsigned>(s, d);
      std::memcpy(out.data() + 4 * i, &v, 4);
    } else if (d == dist::uniform || d == dist::normal) {
      const float v = ref_draw<State, float>(s, d);
      std::memcpy(out.data() + 4 * i, &v, 4);
    } else {
      const double v = ref_draw<State, double>(s, d);
      std::memcpy(out.data() + 8 * i, &v, 8);
    }
  }
  return out;
}

inline std::vector<unsigned char> ref_stream(engine e, dist d, std::uint64_t seed, std::uint64_t g,
                                             std::uint64_t offset, std::uint64_t k) {
  switch (e) {
    case engine::xorwow: return ref_stream<curandStateXORWOW_t>(d, seed, g, offset, k);
    case engine::mrg32k3a: return ref_stream<curandStateMRG32k3a_t>(d, seed, g, offset, k);
    default: return ref_stream<curandStatePhilox4_32_10_t>(d, seed, g, offset, k);
  }
}

/// Value i of a bulk fill at (seed, offset) in the documented layout, built
/// from cuRAND's own 4-wide / 2-wide calls: lane i%4 of the first
/// curand4/curand_uniform4/curand_normal4 of curand_init(seed, i/4, offset);
/// doubles: lane i%2 of curand_uniform2_double/curand_normal2_double, i/2.
inline std::vector<unsigned char> ref_bulk(dist d, std::uint64_t seed, std::uint64_t offset,
                                           std::uint64_t first_value, std::uint64_t n,
                                           double mean = 0.0, double stddev = 1.0) {
  std::vector<unsigned char> out(n * value_size(d));
  for (std::uint64_t j = 0; j < n; ++j) {
    const std::uint64_t i = first_value + j;
    curandStatePhilox4_32_10_t s;
    unsigned char* dst = out.data() + j * value_size(d);
    if (value_size(d) == 4) {
      curand_init(seed, i / 4, offset, &s);
      float f[4];
      unsigned u[4];
      if (d == dist::u32) {
        const uint4 r = curand4(&s);
        u[0] = r.x, u[1] = r.y, u[2] = r.z, u[3] = r.w;
        std::memcpy(dst, &u[i % 4], 4);
        continue;
      }
      const float4 r = d == dist::uniform ? curand_uniform4(&s) : curand_normal4(&s);
      f[0] = r.x, f[1] = r.y, f[2] = r.z, f[3] = r.w;
      float v = f[i % 4];
      if (d == dist::normal) v = v * static_cast<float>(stddev) + static_cast<float>(mean);
      std::memcpy(dst, &v, 4);
    } else {
      curand_init(seed, i / 2, offset, &s);
      const double2 r =
          d == dist::uniform_double ? curand_uniform2_double(&s) : curand_normal2_double(&s);
      double v = (i % 2) ? r.y : r.x;
      if (d == dist::normal_double) v = v * stddev + mean;
      std::memcpy(dst, &v, 8);
    }
  }
  return out;
}

/// gpurand's per-thread writer on the CPU backend, as raw bytes.
inline std::vector<unsigned char> cpu_grid(engine e, dist d, std::uint64_t seed,
                                           std::uint64_t offset, std::uint64_t first,
                                           std::uint64_t threads, std::uint64_t k,
                                           bool interleave = false) {
  grid_request r;
  r.eng = e;
  r.kind = d;
  r.seed = seed;
  r.offset = offset;
  r.first_thread = first;
  r.threads = threads;
  r.per_thread = k;
  r.interleave = interleave;
  r.backend = backend_kind::cpu;
  std::vector<unsigned char> out(threads * k * value_size(d));
  write_thread_streams(r, out.data());
  return out;
}

/// Every engine and distribution of the table (gpurand/detail/table.hpp).
template <class... C>
constexpr auto values_of(detail::type_list<C...>) {
  return std::array{C::value...};
}
constexpr auto all_engines = values_of(detail::engine_list{});
constexpr auto all_dists = values_of(detail::dist_list{});

/// Sets the CPU backend's thread count and block size for one scope.
class scoped_cpu_settings {
 public:
  scoped_cpu_settings(unsigned threads, std::uint64_t block) : saved_(get_cpu_settings()) {
    set_cpu_settings({threads, block});
  }
  ~scoped_cpu_settings() { set_cpu_settings(saved_); }

 private:
  cpu_settings saved_;
};

}  // namespace gpurand::test
