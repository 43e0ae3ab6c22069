#pragma once
// The per-group bodies of the Philox bulk fills, shared by the GPU kernels
// (kernels/fill.cu) and the CPU backend (src/): one __host__ __device__
// function per distribution, so both sides run the same code and give the
// same bits. Plain C++17: no CUDA header (cuRAND's transforms are rewritten in
// gpurand/detail/transforms.hpp), so a CPU-only build computes every Philox
// bulk fill without the CUDA toolkit. The per-thread writer, which runs every
// engine through cuRAND's device API, is in gpurand/detail/bulk.cuh.
//
// Bulk layout (the contract in gpurand.hpp): group j of a fill at offset o is
// the first draw of curand_init(seed, j, o): a curand4 / curand_uniform4 /
// curand_normal4 / curand_log_normal4 for 32-bit values (4 per group), a
// curand_uniform2_double / curand_normal2_double / curand_log_normal2_double for doubles (2 per
// group). gpurand's own distributions take the four words x0..x3 of that Philox block
// (curand4): exponential and bernoulli one value per word (4 per group), discrete one value per
// word pair (x0, x1), (x2, x3) (2 per group). The variable-draw rows (Poisson, the bounded
// integers) are not here: their groups read a budgeted cursor (gpurand/detail/variable.hpp)
// in variable_group (gpurand/detail/bulk.cuh), and Poisson's bodies need cuRAND's helpers
// (gpurand/detail/poisson.cuh).

#include <cstdint>

#include "gpurand/config.hpp"
#include "gpurand/detail/alias.hpp"
#include "gpurand/detail/distributions.hpp"
#include "gpurand/detail/portable_math.hpp"
#include "gpurand/discrete.hpp"
#include "gpurand/detail/table.hpp"
#include "gpurand/detail/transforms.hpp"
#include "gpurand/gpurand.hpp"
#include "gpurand/philox.hpp"

namespace gpurand::detail {

/// Value type and values per group of a bulk fill (four 32-bit values from
/// one 4-wide call, or two doubles from one 2-wide call): the table's entry.
template <dist D>
using bulk_traits = dist_traits<D>;

/// The parameters of a fill's transform (a per-thread writer's too), in the types the bodies
/// take. Each distribution reads only its own fields.
template <class T>
struct fill_params {
  T mean = T{};       ///< scaled kinds in the value type: normal * stddev + mean (cuRAND's host
  T stddev = T{1};    ///< generator computes it in that type), log-normal exp(mean + stddev * z)
  double lambda = 1.0;              ///< exponential (as float), poisson
  const double* lambdas = nullptr;  ///< poisson, bulk: lambdas[i] for value i of the request
  std::uint64_t low = 0;            ///< integer, integer64: values in [low, high)
  std::uint64_t high = 0;
  std::uint64_t threshold = 0;      ///< bernoulli: bernoulli_threshold(p)
  discrete_view table{};            ///< discrete: the table in the memory the body runs in
};

/// The parameters of a fill of D in its value type. Only the distributions that are scaled read
/// mean and stddev: for the others converting them anyway could overflow the value type
/// (undefined behaviour). `table`: the discrete table's view for the backend that runs the fill.
template <dist D, class Request>
fill_params<typename bulk_traits<D>::value> make_params(const Request& req,
                                                        discrete_view table = {}) {
  using T = typename bulk_traits<D>::value;
  fill_params<T> p{T{}, T{1}};
  if constexpr (bulk_traits<D>::scaled) {
    p.mean = static_cast<T>(req.mean);
    p.stddev = static_cast<T>(req.stddev);
  }
  p.lambda = req.lambda;
  p.lambdas = req.lambdas;
  p.low = req.low;
  p.high = req.high;
  if constexpr (D == dist::bernoulli) p.threshold = bernoulli_threshold(req.p);
  if constexpr (D == dist::discrete) p.table = table;
  return p;
}

/// Turns the four draws `x` of one group into its stored values: 32-bit
/// kinds fill v[0..3], doubles fill v[0..1]. Split from bulk_group so the CPU
/// backend can feed it draws computed with SIMD.
template <dist D, class T = typename bulk_traits<D>::value>
GPURAND_HD GPURAND_FORCEINLINE void bulk_transform(philox_counter x, fill_params<T> np, T* v) {
  if constexpr (D == dist::u32) {
    for (int i = 0; i < 4; ++i) v[i] = x.v[i];
  } else if constexpr (D == dist::uniform) {
    for (int i = 0; i < 4; ++i) v[i] = uniform_float(x.v[i]);  // as curand_uniform4
  } else if constexpr (D == dist::normal) {
    const float_pair a = box_muller_float(x.v[0], x.v[1]);  // as curand_box_muller4
    const float_pair b = box_muller_float(x.v[2], x.v[3]);
    v[0] = a.x * np.stddev + np.mean;
    v[1] = a.y * np.stddev + np.mean;
    v[2] = b.x * np.stddev + np.mean;
    v[3] = b.y * np.stddev + np.mean;
  } else if constexpr (D == dist::uniform_double) {
    v[0] = uniform_double_hq(x.v[0], x.v[1]);  // as curand_uniform2_double
    v[1] = uniform_double_hq(x.v[2], x.v[3]);
  } else if constexpr (D == dist::normal_double) {
    const double_pair a = box_muller_double(x.v[0], x.v[1], x.v[2], x.v[3]);  // normal2_double
    v[0] = a.x * np.stddev + np.mean;
    v[1] = a.y * np.stddev + np.mean;
  } else if constexpr (D == dist::normal_portable) {
    // The draws of curand_normal4 through the portable Box-Muller; one explicit fma scales.
    using ops = scalar_ops<float>;
    const portable_pair_f a = portable_box_muller_pair(x.v[0], x.v[1]);
    const portable_pair_f b = portable_box_muller_pair(x.v[2], x.v[3]);
    v[0] = ops::fma(a.x, np.stddev, np.mean);
    v[1] = ops::fma(a.y, np.stddev, np.mean);
    v[2] = ops::fma(b.x, np.stddev, np.mean);
    v[3] = ops::fma(b.y, np.stddev, np.mean);
  } else if constexpr (D == dist::normal_portable_double) {
    using ops = scalar_ops<double>;
    const portable_pair_d a = portable_box_muller_double(x.v[0], x.v[1], x.v[2], x.v[3]);
    v[0] = ops::fma(a.x, np.stddev, np.mean);
    v[1] = ops::fma(a.y, np.stddev, np.mean);
  } else if constexpr (D == dist::log_normal) {
    // curand_log_normal4: the normals of curand_normal4, then expf(mean + (stddev * z)), one
    // expression as in curand_lognormal.h (nvcc contracts it into the same FMA).
    const float_pair a = box_muller_float(x.v[0], x.v[1]);
    const float_pair b = box_muller_float(x.v[2], x.v[3]);
    v[0] = expf(np.mean + (np.stddev * a.x));
    v[1] = expf(np.mean + (np.stddev * a.y));
    v[2] = expf(np.mean + (np.stddev * b.x));
    v[3] = expf(np.mean + (np.stddev * b.y));
  } else if constexpr (D == dist::log_normal_double) {
    // curand_log_normal2_double: the pair of curand_normal2_double, then exp(mean + stddev * z).
    const double_pair a = box_muller_double(x.v[0], x.v[1], x.v[2], x.v[3]);
    v[0] = exp(np.mean + (np.stddev * a.x));
    v[1] = exp(np.mean + (np.stddev * a.y));
  } else if constexpr (D == dist::exponential) {
    const float lambda = static_cast<float>(np.lambda);
    for (int i = 0; i < 4; ++i) v[i] = exponential_from_u32(x.v[i], lambda);
  } else if constexpr (D == dist::bernoulli) {
    for (int i = 0; i < 4; ++i) v[i] = bernoulli_from_u32(x.v[i], np.threshold);
  } else {
    static_assert(D == dist::discrete, "a variable-draw row has no fixed-draw transform");
    // Two values per group: words (0, 1) and (2, 3) are (column, threshold) draws.
    v[0] = alias_sample(np.table.entries, np.table.size, x.v[0], x.v[1]);
    v[1] = alias_sample(np.table.entries, np.table.size, x.v[2], x.v[3]);
  }
}

/// The values of group `sub` of a bulk fill at (seed, offset).
template <dist D, class T = typename bulk_traits<D>::value>
GPURAND_HD GPURAND_FORCEINLINE void bulk_group(std::uint64_t seed, std::uint64_t offset,
                                               std::uint64_t sub, fill_params<T> np, T* v) {
  bulk_transform<D>(philox_draw4(seed, sub, offset), np, v);
}

}  // namespace gpurand::detail
