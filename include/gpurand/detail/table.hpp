#pragma once
/// \file table.hpp
/// The one table of engines and distributions (plain C++17, no CUDA header).
///
/// Everything that depends on "which engines and which distributions exist"
/// is generated from the two lists below: names and parsing (names.cpp),
/// value sizes and draw counts (draws_for), the host dispatch from run-time
/// enums to compile-time types (visit), the kernels' and the CPU backend's
/// explicit instantiations, and the typed tests. Adding a distribution means
/// one enumerator in gpurand.hpp, one traits block here, its body in
/// gpurand/detail/bulk.cuh and the device API, and its tests (see README.md,
/// "Adding a distribution").

#include <cstdint>
#include <tuple>
#include <type_traits>

#include "gpurand/gpurand.hpp"

namespace gpurand::detail {

template <engine E>
using engine_c = std::integral_constant<engine, E>;
template <dist D>
using dist_c = std::integral_constant<dist, D>;
template <class... T>
struct type_list {};

// ---- engines -------------------------------------------------------------------

template <engine E>
struct engine_traits_base;
template <>
struct engine_traits_base<engine::philox4_32_10> {
  static constexpr const char* name = "philox";
};
template <>
struct engine_traits_base<engine::xorwow> {
  static constexpr const char* name = "xorwow";
};
template <>
struct engine_traits_base<engine::mrg32k3a> {
  static constexpr const char* name = "mrg32k3a";
};

using engine_list = type_list<engine_c<engine::philox4_32_10>, engine_c<engine::xorwow>,
                              engine_c<engine::mrg32k3a>>;

// ---- distributions ---------------------------------------------------------------
//
// value:      the stored type;
// per_group:  values per group of a bulk fill (one 4-wide or 2-wide call);
// pairs:      values come in Box-Muller pairs (a pair's draws are taken at once);
// scaled:     the fill reads bulk_request::mean and stddev (value * stddev + mean);
// draws(e):   32-bit draws one value (one pair, when `pairs`) costs on engine e,
//             read off cuRAND's curand_uniform.h and curand_normal.h.

template <dist D>
struct dist_traits;
template <>
struct dist_traits<dist::u32> {
  static constexpr const char* name = "u32";
  static constexpr bool scaled = false;
  using value = std::uint32_t;
  static constexpr unsigned per_group = 4;
  static constexpr bool pairs = false;
  static constexpr std::uint32_t draws(engine) { return 1; }  // curand()
};
template <>
struct dist_traits<dist::uniform> {
  static constexpr const char* name = "uniform";
  static constexpr bool scaled = false;
  using value = float;
  static constexpr unsigned per_group = 4;
  static constexpr bool pairs = false;
  static constexpr std::uint32_t draws(engine) { return 1; }  // curand_uniform()
};
template <>
struct dist_traits<dist::normal> {
  static constexpr const char* name = "normal";
  static constexpr bool scaled = true;
  using value = float;
  static constexpr unsigned per_group = 4;
  static constexpr bool pairs = true;
  static constexpr std::uint32_t draws(engine) { return 2; }  // curand_box_muller: 2 x curand()
};
template <>
struct dist_traits<dist::uniform_double> {
  static constexpr const char* name = "uniform-double";
  static constexpr bool scaled = false;
  using value = double;
  static constexpr unsigned per_group = 2;
  static constexpr bool pairs = false;
  // XORWOW builds a double from two draws (_curand_uniform_double_hq); the
  // others from one.
  static constexpr std::uint32_t draws(engine e) { return e == engine::xorwow ? 2 : 1; }
};
template <>
struct dist_traits<dist::normal_double> {
  static constexpr const char* name = "normal-double";
  static constexpr bool scaled = true;
  using value = double;
  static constexpr unsigned per_group = 2;
  static constexpr bool pairs = true;
  // curand_box_muller_double: one curand4 (Philox) or 2 x 2 draws (XORWOW);
  // MRG32k3a takes two of its own doubles.
  static constexpr std::uint32_t draws(engine e) { return e == engine::mrg32k3a ? 2 : 4; }
};

template <>
struct dist_traits<dist::normal_portable> {
  static constexpr const char* name = "normal-portable";
  using value = float;
  static constexpr unsigned per_group = 4;
  static constexpr bool scaled = true;  // fma(value, stddev, mean)
  static constexpr bool pairs = true;
  // portable_box_muller(x, y): two consecutive draws on every engine.
  static constexpr std::uint32_t draws(engine) { return 2; }
};
template <>
struct dist_traits<dist::normal_portable_double> {
  static constexpr const char* name = "normal-portable-double";
  using value = double;
  static constexpr unsigned per_group = 2;
  static constexpr bool scaled = true;  // fma(value, stddev, mean)
  static constexpr bool pairs = true;
  // portable_box_muller_double(x0, x1, y0, y1): four consecutive draws on every engine.
  static constexpr std::uint32_t draws(engine) { return 4; }
};

using dist_list = type_list<dist_c<dist::u32>, dist_c<dist::uniform>, dist_c<dist::normal>,
                            dist_c<dist::uniform_double>, dist_c<dist::normal_double>,
                            dist_c<dist::normal_portable>, dist_c<dist::normal_portable_double>>;

// ---- visit: run-time enums to compile-time types, once ----------------------------------

namespace table_impl {
template <class Enum, class F, class... C>
void visit_one(Enum v, F&& f, type_list<C...>, const char* what) {
  const bool found = ((v == C::value ? (f(C{}), true) : false) || ...);
  if (!found)
    throw Error(errc::invalid_argument,
                std::string(what) + ": unknown value " + std::to_string(static_cast<int>(v)));
}
template <class F, class... C>
constexpr void for_each(F&& f, type_list<C...>) {
  (f(C{}), ...);
}
}  // namespace table_impl

/// Calls f(dist_c<D>{}) for the D that equals `d`; Error(invalid_argument)
/// naming `what` for a value outside the table.
template <class F>
void visit(dist d, F&& f, const char* what = "kind") {
  table_impl::visit_one(d, f, dist_list{}, what);
}
/// Calls f(engine_c<E>{}) for the E that equals `e`.
template <class F>
void visit(engine e, F&& f, const char* what = "engine") {
  table_impl::visit_one(e, f, engine_list{}, what);
}
/// Calls f(engine_c<E>{}, dist_c<D>{}).
template <class F>
void visit(engine e, dist d, F&& f) {
  visit(e, [&](auto ec) { visit(d, [&](auto dc) { f(ec, dc); }); });
}

/// Calls f(dist_c<D>{}) for every distribution in the table, in order.
template <class F>
constexpr void for_each_dist(F&& f) {
  table_impl::for_each(f, dist_list{});
}
/// Calls f(engine_c<E>{}) for every engine in the table, in order.
template <class F>
constexpr void for_each_engine(F&& f) {
  table_impl::for_each(f, engine_list{});
}

namespace table_impl {
template <class F, class... D>
constexpr auto per_dist(F f, type_list<D...>) {
  return std::make_tuple(f(D{})...);
}
template <class F, class E, class... D>
constexpr auto per_pair_row(F f, E e, type_list<D...>) {
  return std::make_tuple(f(e, D{})...);
}
template <class F, class... E>
constexpr auto per_pair(F f, type_list<E...>) {
  return std::tuple_cat(per_pair_row(f, E{}, dist_list{})...);
}
}  // namespace table_impl

/// A tuple of bulk(dist_c<D>{}) for every distribution and grid(engine_c<E>{},
/// dist_c<D>{}) for every pair. A backend stores the entry points of every
/// table entry (function pointers the lambdas return) in an object with
/// external linkage, so that they are instantiated and emitted where they are
/// defined; the dispatch then calls them by type.
template <class Bulk, class Grid>
constexpr auto table_entry_points(Bulk bulk, Grid grid) {
  return std::tuple_cat(table_impl::per_dist(bulk, dist_list{}),
                        table_impl::per_pair(grid, engine_list{}));
}

template <class List>
struct list_size;
template <class... C>
struct list_size<type_list<C...>> : std::integral_constant<std::size_t, sizeof...(C)> {};

}  // namespace gpurand::detail
