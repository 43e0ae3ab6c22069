#pragma once
/// \file thrust.cuh
/// Thrust functors: stateless, trivially copyable maps from an index i to the first value of
/// the distribution on h.stream(i) (subsequence i, the launch window of `h`), so that
/// \code
///   const auto h = gen.launch(gpurand::thrust::uniform::draws);
///   thrust::transform(thrust::counting_iterator<std::uint64_t>(0),
///                     thrust::counting_iterator<std::uint64_t>(n), out.begin(),
///                     gpurand::thrust::uniform(h));
/// \endcode
/// fills `out` with the same values on any Thrust system (CUDA, OpenMP, TBB, CPP) and any
/// launch shape: value i depends only on (h, i). Each functor's `draws` is the number of draws
/// its value takes from a stream (a maximum for the variable ones), to pass to gen.launch().
/// Every index gets its own subsequence, so two transforms need two launch handles (or
/// disjoint index ranges). Code inside namespace gpurand spells Thrust's own names ::thrust.
/// Needs the device API (gpurand/device.cuh), hence nvcc or a host
/// compiler with the CUDA headers; it does not include Thrust itself.

#include <cstdint>

#include "gpurand/device.cuh"

namespace gpurand::thrust {
namespace detail {

/// value(i) = draw(h.stream(i)): the one shape every functor below has.
template <class Draw>
struct indexed {
  launch_handle h;
  Draw draw;
  template <class Index>
  GPURAND_HD auto operator()(Index i) const {
    auto s = h.stream(static_cast<std::uint64_t>(i));
    return draw(s);
  }
};

#define GPURAND_THRUST_DRAW(name, call)                \
  struct draw_##name {                                 \
    template <class S>                                 \
    GPURAND_HD auto operator()(S& s) const {           \
      return call;                                     \
    }                                                  \
  };
GPURAND_THRUST_DRAW(u32, s.next())
GPURAND_THRUST_DRAW(uniform, s.uniform())
GPURAND_THRUST_DRAW(normal, s.normal())
GPURAND_THRUST_DRAW(uniform_double, s.uniform_double())
GPURAND_THRUST_DRAW(normal_double, s.normal_double())
GPURAND_THRUST_DRAW(normal_portable, s.normal_portable())
GPURAND_THRUST_DRAW(normal_portable_double, s.normal_portable_double())
#undef GPURAND_THRUST_DRAW

/// A draw with one parameter (a rate, a coin, a table): the stream method of D.
template <dist D, class Param>
struct draw_with {
  Param param;
  template <class S>
  GPURAND_HD auto operator()(S& s) const {
    if constexpr (D == dist::exponential)
      return s.exponential(param);
    else if constexpr (D == dist::bernoulli)
      return s.bernoulli(param);
    else if constexpr (D == dist::discrete)
      return s.discrete(param);
    else
      return s.poisson(param);
  }
};
using draw_exponential = draw_with<dist::exponential, float>;
using draw_bernoulli = draw_with<dist::bernoulli, bernoulli_param>;
using draw_discrete = draw_with<dist::discrete, discrete_view>;
using draw_poisson = draw_with<dist::poisson, double>;

template <class T>
struct draw_log_normal {
  T mean, stddev;
  template <class S>
  GPURAND_HD T operator()(S& s) const {
    if constexpr (sizeof(T) == 8)
      return s.log_normal_double(mean, stddev);
    else
      return s.log_normal(mean, stddev);
  }
};
template <class T>
struct draw_integer {
  std::uint64_t low, high;
  template <class S>
  GPURAND_HD T operator()(S& s) const {
    if constexpr (sizeof(T) == 8)
      return s.integer64(low, high);
    else
      return s.integer(low, high);
  }
};

/// Draws the first value of `d` takes from a Philox stream (one pair for the normals).
constexpr std::uint64_t draws_of(dist d) {
  std::uint64_t n = 0;
  gpurand::detail::for_each_dist([&](auto c) {
    if (c.value == d) n = gpurand::detail::dist_traits<decltype(c)::value>::draws(engine::philox4_32_10);
  });
  return n;
}

}  // namespace detail

/// The functors of the distributions without parameters: value i = h.stream(i).<call>().
#define GPURAND_THRUST_FUNCTOR(name)                                                          \
  struct name : detail::indexed<detail::draw_##name> {                                       \
    static constexpr std::uint64_t draws = detail::draws_of(dist::name);                              \
    GPURAND_HD explicit name(const launch_handle& handle)                                      \
        : detail::indexed<detail::draw_##name>{handle, {}} {}                                  \
  };
GPURAND_THRUST_FUNCTOR(u32)                     ///< next(): curand()
GPURAND_THRUST_FUNCTOR(uniform)                 ///< curand_uniform()
GPURAND_THRUST_FUNCTOR(normal)                  ///< curand_normal(): the first of a pair
GPURAND_THRUST_FUNCTOR(uniform_double)          ///< curand_uniform_double() (Philox: 2)
GPURAND_THRUST_FUNCTOR(normal_double)           ///< curand_normal_double()
GPURAND_THRUST_FUNCTOR(normal_portable)         ///< rng.normal_portable()
GPURAND_THRUST_FUNCTOR(normal_portable_double)  ///< rng.normal_portable_double()
#undef GPURAND_THRUST_FUNCTOR

/// rng.exponential(lambda): -log(u) / lambda, portable. lambda finite and > 0.
struct exponential : detail::indexed<detail::draw_exponential> {
  static constexpr std::uint64_t draws = detail::draws_of(dist::exponential);
  GPURAND_HD exponential(const launch_handle& handle, float lambda)
      : detail::indexed<detail::draw_exponential>{handle, {lambda}} {}
};
/// rng.bernoulli(p) as 0/1 (the threshold is computed once, here).
struct bernoulli : detail::indexed<detail::draw_bernoulli> {
  static constexpr std::uint64_t draws = detail::draws_of(dist::bernoulli);
  GPURAND_HD bernoulli(const launch_handle& handle, double p)
      : detail::indexed<detail::draw_bernoulli>{handle, {bernoulli_param(p)}} {}
};
/// rng.discrete(table): pass table.device_view() for the CUDA system, host_view() for the
/// host systems (a view of the wrong memory stops the thread, see device.cuh).
struct discrete : detail::indexed<detail::draw_discrete> {
  static constexpr std::uint64_t draws = detail::draws_of(dist::discrete);
  GPURAND_HD discrete(const launch_handle& handle, const discrete_view& table)
      : detail::indexed<detail::draw_discrete>{handle, {table}} {}
};

/// rng.log_normal(mean, stddev): curand_log_normal, float (cuRAND's device bits).
struct log_normal : detail::indexed<detail::draw_log_normal<float>> {
  static constexpr std::uint64_t draws = detail::draws_of(dist::log_normal);
  GPURAND_HD log_normal(const launch_handle& handle, float mean, float stddev)
      : detail::indexed<detail::draw_log_normal<float>>{handle, {mean, stddev}} {}
};
/// rng.log_normal_double(mean, stddev): curand_log_normal_double.
struct log_normal_double : detail::indexed<detail::draw_log_normal<double>> {
  static constexpr std::uint64_t draws = detail::draws_of(dist::log_normal_double);
  GPURAND_HD log_normal_double(const launch_handle& handle, double mean, double stddev)
      : detail::indexed<detail::draw_log_normal<double>>{handle, {mean, stddev}} {}
};
/// rng.poisson(lambda): curand_poisson, as uint32. `draws` is the cap per value (256): a value
/// that needs more draws than the launch reserved traps in checked builds (see README,
/// "Variable draws"). 0 < lambda <= 4e9 (unchecked here).
struct poisson : detail::indexed<detail::draw_poisson> {
  static constexpr std::uint64_t draws = detail::draws_of(dist::poisson);
  GPURAND_HD poisson(const launch_handle& handle, double lambda)
      : detail::indexed<detail::draw_poisson>{handle, {lambda}} {}
};
/// rng.integer(low, high): uint32 in [low, high), low < high <= 2^32 (unchecked here); `draws`
/// is the cap per value (8: a try takes 2, a retry has probability < 2^-32).
struct integer : detail::indexed<detail::draw_integer<std::uint32_t>> {
  static constexpr std::uint64_t draws = detail::draws_of(dist::integer);
  GPURAND_HD integer(const launch_handle& handle, std::uint64_t low, std::uint64_t high)
      : detail::indexed<detail::draw_integer<std::uint32_t>>{handle, {low, high}} {}
};
/// rng.integer64(low, high): uint64 in [low, high), low < high; `draws` the cap (8: a try 4).
struct integer64 : detail::indexed<detail::draw_integer<std::uint64_t>> {
  static constexpr std::uint64_t draws = detail::draws_of(dist::integer64);
  GPURAND_HD integer64(const launch_handle& handle, std::uint64_t low, std::uint64_t high)
      : detail::indexed<detail::draw_integer<std::uint64_t>>{handle, {low, high}} {}
};

}  // namespace gpurand::thrust
