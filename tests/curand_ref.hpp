#pragma once
// Ground truth for the tests: cuRAND's own device functions compiled for the
// host (QUALIFIERS made __host__ __device__ by gpurand/device.cuh), called the
// way a cuRAND user would call them: curand_init, then k calls.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "gpurand/detail/bulk.hpp"
#include "gpurand/detail/alias.hpp"
#include "gpurand/detail/distributions.hpp"
#include "gpurand/detail/portable_math.hpp"
#include "gpurand/detail/table.hpp"
#include "gpurand/device.cuh"
#include "gpurand/discrete.hpp"
#include "integer_ref.hpp"

namespace gpurand::test {

// ---- the parameters the table-wide tests give gpurand's own distributions -------------------

constexpr float test_lambda = 1.75f;  ///< exponential, poisson (bulk fills)
constexpr double test_p = 0.3;        ///< bernoulli
/// integer, integer64: [5, 3 * 2^30 + 5), a range with a non-zero rejection threshold.
constexpr std::uint64_t test_low = 5, test_high = 3 * (std::uint64_t{1} << 30) + 5;
/// discrete: weights with a zero and uneven columns.
inline const discrete_table& test_table() {
  static const discrete_table t{1, 2, 3, 0, 4.5, 0.25, 7};
  return t;
}
inline const char* test_weights_text = "1,2,3,0,4.5,0.25,7";

/// Sets a bulk or grid request's distribution parameters to the test values.
template <class Request>
void set_test_params(Request& r) {
  r.lambda = test_lambda;
  r.p = test_p;
  r.low = test_low;
  r.high = test_high;
  r.table = &test_table();
}

/// The CLI flags that give `d` the test parameters ("" for the others).
inline std::string test_cli_params(dist d) {
  switch (d) {
    case dist::exponential:
    case dist::poisson: return " --lambda 1.75";
    case dist::bernoulli: return " --p 0.3";
    case dist::discrete: return std::string(" --weights ") + test_weights_text;
    case dist::integer:
    case dist::integer64:
      return " --low " + std::to_string(test_low) + " --high " + std::to_string(test_high);
    default: return "";
  }
}

/// The mean, stddev and lambda the references and cpu_grid take by default: lambda the test
/// value (as set_test_params and test_cli_params give poisson).
inline detail::fill_params<double> ref_params() {
  detail::fill_params<double> p;
  p.lambda = test_lambda;
  return p;
}

/// True for gpurand's own distributions that are defined on raw 32-bit draws (curand()).
inline bool from_raw_draws(dist d) {
  return d == dist::exponential || d == dist::bernoulli || d == dist::discrete ||
         d == dist::integer || d == dist::integer64;
}

/// The test range's integer (integer_ref.hpp) from draws taken by next().
template <class Next>
std::uint64_t ref_integer(bool wide64, Next&& next) {
  return ref_integer(wide64, test_low, test_high, next);
}

/// One value of gpurand's own distribution `d` from draws taken by `next()`, as its
/// definition says (gpurand/detail/distributions.hpp, alias.hpp), into dst.
template <class Next>
void ref_own_value(dist d, Next&& next, unsigned char* dst) {
  if (d == dist::exponential) {
    const float v = detail::exponential_from_u32(next(), test_lambda);
    std::memcpy(dst, &v, 4);
  } else if (d == dist::bernoulli) {
    const std::uint32_t v = detail::bernoulli_from_u32(next(), detail::bernoulli_threshold(test_p));
    std::memcpy(dst, &v, 4);
  } else if (d == dist::integer) {
    const std::uint32_t v = static_cast<std::uint32_t>(ref_integer(false, next));
    std::memcpy(dst, &v, 4);
  } else if (d == dist::integer64) {
    const std::uint64_t v = ref_integer(true, next);
    std::memcpy(dst, &v, 8);
  } else {
    const std::uint32_t x1 = next();
    const std::uint32_t x2 = next();
    const auto& t = test_table();
    const std::uint32_t v = detail::alias_sample(t.entries().data(), t.size(), x1, x2);
    std::memcpy(dst, &v, 4);
  }
}

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

/// Thread g's first k values of `d` from curand_init(seed, g, offset), as raw bytes
/// (log-normal: curand_log_normal(&s, p.mean, p.stddev); poisson: curand_poisson(&s, p.lambda)).
template <class State>
std::vector<unsigned char> ref_stream(dist d, std::uint64_t seed, std::uint64_t g,
                                      std::uint64_t offset, std::uint64_t k,
                                      const detail::fill_params<double>& p = ref_params()) {
  State s;
  curand_init(seed, g, offset, &s);
  std::vector<unsigned char> out(k * value_size(d));
  if (d == dist::log_normal || d == dist::log_normal_double || d == dist::poisson) {
    for (std::uint64_t i = 0; i < k; ++i) {
      if (d == dist::log_normal) {
        const float v =
            curand_log_normal(&s, static_cast<float>(p.mean), static_cast<float>(p.stddev));
        std::memcpy(out.data() + 4 * i, &v, 4);
      } else if (d == dist::log_normal_double) {
        const double v = curand_log_normal_double(&s, p.mean, p.stddev);
        std::memcpy(out.data() + 8 * i, &v, 8);
      } else {
        const unsigned v = curand_poisson(&s, p.lambda);
        std::memcpy(out.data() + 4 * i, &v, 4);
      }
    }
    return out;
  }
  if (from_raw_draws(d)) {
    for (std::uint64_t i = 0; i < k; ++i)
      ref_own_value(d, [&] { return curand(&s); }, out.data() + i * value_size(d));
    return out;
  }
  if (d == dist::normal_portable || d == dist::normal_portable_double) {
    // gpurand's portable normal: pairs of the portable Box-Muller over consecutive curand()
    // draws (2 for float, 4 for double), sin-side value first.
    for (std::uint64_t i = 0; i < k; i += 2) {
      double pair[2];
      if (d == dist::normal_portable) {
        const unsigned x = curand(&s), y = curand(&s);
        const auto p = detail::portable_box_muller_pair(x, y);
        const float f[2] = {p.x, p.y};
        std::memcpy(out.data() + 4 * i, f, 4 * std::min<std::uint64_t>(2, k - i));
      } else {
        const unsigned x0 = curand(&s), x1 = curand(&s), y0 = curand(&s), y1 = curand(&s);
        const auto p = detail::portable_box_muller_double(x0, x1, y0, y1);
        pair[0] = p.x;
        pair[1] = p.y;
        std::memcpy(out.data() + 8 * i, pair, 8 * std::min<std::uint64_t>(2, k - i));
      }
    }
    return out;
  }
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
                                             std::uint64_t offset, std::uint64_t k,
                                             const detail::fill_params<double>& p = ref_params()) {
  switch (e) {
    case engine::xorwow: return ref_stream<curandStateXORWOW_t>(d, seed, g, offset, k, p);
    case engine::mrg32k3a: return ref_stream<curandStateMRG32k3a_t>(d, seed, g, offset, k, p);
    default: return ref_stream<curandStatePhilox4_32_10_t>(d, seed, g, offset, k, p);
  }
}

/// Value i of a bulk fill at (seed, offset) in the documented layout, built
/// from cuRAND's own 4-wide / 2-wide calls: lane i%4 of the first
/// curand4/curand_uniform4/curand_normal4 of curand_init(seed, i/4, offset);
/// doubles: lane i%2 of curand_uniform2_double/curand_normal2_double, i/2.
/// log-normal: lane i%4 of curand_log_normal4(&s, mean, stddev) (i%2 of
/// curand_log_normal2_double); poisson: lane i%4 of curand_poisson4(&s, lambda), or with
/// `lambdas` (lambdas[j] for value j of this range; first_value % 4 == 0) value l of four
/// consecutive curand_poisson(&s, lambdas[...]) of the group. `group_base` is added (mod 2^64)
/// to every group index, for ranges that start at a group whose value index overflows 64 bits.
inline std::vector<unsigned char> ref_bulk(dist d, std::uint64_t seed, std::uint64_t offset,
                                           std::uint64_t first_value, std::uint64_t n,
                                           double mean = 0.0, double stddev = 1.0,
                                           double lambda = test_lambda,
                                           const double* lambdas = nullptr,
                                           std::uint64_t group_base = 0) {
  std::vector<unsigned char> out(n * value_size(d));
  for (std::uint64_t j = 0; j < n; ++j) {
    const std::uint64_t i = first_value + j;
    curandStatePhilox4_32_10_t s;
    unsigned char* dst = out.data() + j * value_size(d);
    if (d == dist::poisson) {
      curand_init(seed, group_base + i / 4, offset, &s);
      unsigned v = 0;
      if (lambdas) {
        for (std::uint64_t l = 0; l <= i % 4; ++l) v = curand_poisson(&s, lambdas[j - i % 4 + l]);
      } else {
        const uint4 r = curand_poisson4(&s, lambda);
        const unsigned u[4] = {r.x, r.y, r.z, r.w};
        v = u[i % 4];
      }
      std::memcpy(dst, &v, 4);
      continue;
    }
    if (d == dist::log_normal) {
      curand_init(seed, group_base + i / 4, offset, &s);
      const float4 r = curand_log_normal4(&s, static_cast<float>(mean), static_cast<float>(stddev));
      const float f[4] = {r.x, r.y, r.z, r.w};
      std::memcpy(dst, &f[i % 4], 4);
      continue;
    }
    if (d == dist::log_normal_double) {
      curand_init(seed, group_base + i / 2, offset, &s);
      const double2 r = curand_log_normal2_double(&s, mean, stddev);
      std::memcpy(dst, (i % 2) ? &r.y : &r.x, 8);
      continue;
    }
    if (d == dist::integer || d == dist::integer64) {
      // Group i / per: its first block holds each value's first try (2 words each for integer,
      // 4 for integer64); retries continue on the subsequence, value 0's first.
      const std::uint64_t per = detail::values_per_group(d), words = 4 / per;
      curand_init(seed, group_base + i / per, offset, &s);
      const uint4 r = curand4(&s);
      const unsigned w[4] = {r.x, r.y, r.z, r.w};
      unsigned char vals[16];
      for (std::uint64_t l = 0; l < per; ++l) {
        std::uint64_t used = 0;
        ref_own_value(
            d, [&]() -> unsigned { return used < words ? w[l * words + used++] : curand(&s); },
            vals + l * value_size(d));
      }
      std::memcpy(dst, vals + (i % per) * value_size(d), value_size(d));
      continue;
    }
    if (from_raw_draws(d)) {  // the words of curand4 of group i / per, in order
      const std::uint64_t per = detail::values_per_group(d);
      curand_init(seed, group_base + i / per, offset, &s);
      const uint4 r = curand4(&s);
      const unsigned w[4] = {r.x, r.y, r.z, r.w};
      const unsigned* x = w + (i % per) * (4 / per);
      ref_own_value(d, [&] { return *x++; }, dst);
      continue;
    }
    if (value_size(d) == 4) {
      curand_init(seed, group_base + i / 4, offset, &s);
      float f[4];
      unsigned u[4];
      if (d == dist::u32) {
        const uint4 r = curand4(&s);
        u[0] = r.x, u[1] = r.y, u[2] = r.z, u[3] = r.w;
        std::memcpy(dst, &u[i % 4], 4);
        continue;
      }
      if (d == dist::normal_portable) {  // curand4's draws, portable pairs, one fma
        const uint4 r = curand4(&s);
        const auto a = detail::portable_box_muller_pair(r.x, r.y);
        const auto b = detail::portable_box_muller_pair(r.z, r.w);
        const float z[4] = {a.x, a.y, b.x, b.y};
        const float v = std::fma(z[i % 4], static_cast<float>(stddev), static_cast<float>(mean));
        std::memcpy(dst, &v, 4);
        continue;
      }
      const float4 r = d == dist::uniform ? curand_uniform4(&s) : curand_normal4(&s);
      f[0] = r.x, f[1] = r.y, f[2] = r.z, f[3] = r.w;
      float v = f[i % 4];
      if (d == dist::normal) v = v * static_cast<float>(stddev) + static_cast<float>(mean);
      std::memcpy(dst, &v, 4);
    } else {
      curand_init(seed, group_base + i / 2, offset, &s);
      if (d == dist::normal_portable_double) {
        const uint4 x = curand4(&s);
        const auto p = detail::portable_box_muller_double(x.x, x.y, x.z, x.w);
        const double v = std::fma((i % 2) ? p.y : p.x, stddev, mean);
        std::memcpy(dst, &v, 8);
        continue;
      }
      const double2 r =
          d == dist::uniform_double ? curand_uniform2_double(&s) : curand_normal2_double(&s);
      double v = (i % 2) ? r.y : r.x;
      if (d == dist::normal_double) v = v * stddev + mean;
      std::memcpy(dst, &v, 8);
    }
  }
  return out;
}

/// A request's parameters for `d`: the test parameters, then p's mean and stddev (normals,
/// log-normal), poisson's lambda, and (p.high != 0) an integer range of its own.
template <class Request>
void set_ref_params(Request& r, dist d, const detail::fill_params<double>& p) {
  set_test_params(r);
  r.mean = p.mean;
  r.stddev = p.stddev;
  if (d == dist::poisson) r.lambda = p.lambda;
  if (p.high != 0) {
    r.low = p.low;
    r.high = p.high;
  }
}

/// gpurand's bulk fill on the CPU backend, as raw bytes (parameters: set_ref_params).
inline std::vector<unsigned char> cpu_bulk(dist d, std::uint64_t seed, std::uint64_t offset,
                                           std::uint64_t first_group, std::size_t n,
                                           const detail::fill_params<double>& p = ref_params()) {
  bulk_request r;
  set_ref_params(r, d, p);
  r.kind = d;
  r.seed = seed;
  r.offset = offset;
  r.first_group = first_group;
  r.n = n;
  r.backend = backend_kind::cpu;
  std::vector<unsigned char> out(n * value_size(d));
  fill(r, out.data());
  return out;
}

/// gpurand's per-thread writer on the CPU backend, as raw bytes.
inline std::vector<unsigned char> cpu_grid(engine e, dist d, std::uint64_t seed,
                                           std::uint64_t offset, std::uint64_t first,
                                           std::uint64_t threads, std::uint64_t k,
                                           bool interleave = false,
                                           const detail::fill_params<double>& p = ref_params()) {
  grid_request r;
  set_ref_params(r, d, p);
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

/// Whether `d` takes a variable number of draws per value (draws_for is then a cap).
inline bool is_variable(dist d) {
  bool v = false;
  detail::for_each_dist([&](auto c) {
    if (c.value == d) v = detail::dist_traits<c.value>::variable;
  });
  return v;
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
