#pragma once
/// \file table.hpp
/// The one table of engines and distributions (plain C++17, no CUDA header).
///
/// Everything that depends on "which engines and which distributions exist"
/// is generated from the two lists below: names and parsing (names.cpp),
/// value sizes and draw counts (draws_for), the host dispatch from run-time
/// enums to compile-time types (visit), the kernels' and the CPU backend's
/// explicit instantiations, and the typed tests. Adding a distribution means
/// one enumerator in gpurand.hpp, one row here (dist_rows and dist_names), its body in
/// gpurand/detail/bulk.cuh and the device API, and its tests (see README.md,
/// "Adding a distribution").

#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

#include "gpurand/gpurand.hpp"

namespace gpurand::detail {

template <engine E>
using engine_c = std::integral_constant<engine, E>;
template <dist D>
using dist_c = std::integral_constant<dist, D>;
template <class... T>
struct type_list {};

// ---- engines -------------------------------------------------------------------
//
// One row per engine: the enumerator and its name (parse_engine / to_string).

inline constexpr std::pair<engine, const char*> engine_rows[] = {
    {engine::philox4_32_10, "philox"},
    {engine::xorwow, "xorwow"},
    {engine::mrg32k3a, "mrg32k3a"},
};
using engine_list = type_list<engine_c<engine::philox4_32_10>, engine_c<engine::xorwow>,
                              engine_c<engine::mrg32k3a>>;

// ---- distributions ---------------------------------------------------------------
//
// One row per distribution (dist_row below):
// value:      the stored type;
// per_group:  values per group of a bulk fill (one 4-wide or 2-wide call);
// pairs:      values come in Box-Muller pairs (a pair's draws are taken at once);
// scaled:     the fill reads bulk_request::mean and stddev (normal: value * stddev + mean;
//             log-normal: exp(mean + stddev * value));
// variable:   a value consumes a variable number of draws (rejection, Knuth's product):
//             draws(e) is then a cap, not a count (see "Variable draws" below);
// draws(e):   32-bit draws one value (one pair, when `pairs`) costs on engine e
//             (Philox, XORWOW, MRG32k3a), read off cuRAND's curand_uniform.h and
//             curand_normal.h; for a variable row, the most draws one value may take.
//
// Variable draws. A fixed row's bulk call reserves one Philox block (4 draws) of every
// subsequence; a variable row's bulk call reserves bulk_draws = per_group * draws(philox) draws
// of every subsequence, and its group body reads them through a budgeted cursor
// (gpurand/detail/variable.hpp). In grid mode a thread's window is k * draws(e) for k values
// (draws_for), read through a budgeted stream (gpurand/detail/bulk.cuh). A body that would draw
// past its budget stops: never an overlap with the next window. The CPU backend then throws
// Error(exhausted); a GPU kernel reports it in the host-mapped report words, and the host turns
// the report into Error(exhausted) after a synchronous fill (at the next call after an
// asynchronous one). The output of such a call is incomplete (it may be partly written).

/// Row flags: plain values, Box-Muller pairs that read mean and stddev, or variable draws.
enum row_flags : unsigned { plain = 0, scaled_pairs = 3, variable = 4 };

template <dist D, class Value, unsigned PerGroup, unsigned Flags, std::uint32_t Philox,
          std::uint32_t Xorwow = Philox, std::uint32_t Mrg = Philox>
struct dist_row {
  static constexpr dist kind = D;
  using value = Value;
  static constexpr unsigned per_group = PerGroup;
  static constexpr bool pairs = (Flags & 1u) != 0;
  static constexpr bool scaled = (Flags & 2u) != 0;
  static constexpr bool variable = (Flags & 4u) != 0;
  static constexpr std::uint32_t draws(engine e) {
    return e == engine::xorwow ? Xorwow : e == engine::mrg32k3a ? Mrg : Philox;
  }
  /// Draws of every subsequence one bulk call reserves: a Philox block, or per_group values'
  /// caps for a variable row.
  static constexpr std::uint64_t bulk_draws = variable ? std::uint64_t{PerGroup} * Philox : 4;
  static_assert(!variable || bulk_draws % 4 == 0, "a variable row reserves whole Philox blocks");
};

// clang-format off
using dist_rows = type_list<
    dist_row<dist::u32, std::uint32_t, 4, plain, 1>,            // curand()
    dist_row<dist::uniform, float, 4, plain, 1>,                // curand_uniform()
    dist_row<dist::normal, float, 4, scaled_pairs, 2>,          // curand_box_muller: 2 x curand()
    // XORWOW builds a double from two draws (_curand_uniform_double_hq), the others from one.
    dist_row<dist::uniform_double, double, 2, plain, 1, 2, 1>,
    // curand_box_muller_double: one curand4 (Philox) or 2 x 2 draws (XORWOW); MRG32k3a takes
    // two of its own doubles.
    dist_row<dist::normal_double, double, 2, scaled_pairs, 4, 4, 2>,
    // portable_box_muller(x, y): two consecutive draws on every engine; fma(value, stddev, mean).
    dist_row<dist::normal_portable, float, 4, scaled_pairs, 2>,
    // portable_box_muller_double(x0, x1, y0, y1): four consecutive draws on every engine.
    dist_row<dist::normal_portable_double, double, 2, scaled_pairs, 4>,
    // curand_log_normal(4): the draws of normal, exp(mean + stddev * z) (curand_lognormal.h).
    dist_row<dist::log_normal, float, 4, scaled_pairs, 2>,
    // curand_log_normal(2)_double: the draws of normal_double.
    dist_row<dist::log_normal_double, double, 2, scaled_pairs, 4, 4, 2>,
    // curand_poisson(4): at most 256 draws a value (Knuth's product takes k + 1 draws for the
    // value k, P(k >= 255) < 1e-70 for lambda < 64; a gammainc rejection round takes 2, the
    // normal approximation 4 per pair); a bulk group of 4 values reserves 1024.
    dist_row<dist::poisson, std::uint32_t, 4, variable, 256>,
    // integer_value / integer64_value (integers.hpp): Lemire's wide form, 2 (integer) or 4
    // (integer64) draws a try, a retry with probability < 2^-32 (2^-64). Cap: 8 draws a value
    // (integer: a first try and 3 retries; integer64: one retry). A bulk group (2 values,
    // resp. 1) reserves 16 (resp. 8) draws: its first Philox block holds every first try.
    dist_row<dist::integer, std::uint32_t, 2, variable, 8>,
    dist_row<dist::integer64, std::uint64_t, 1, variable, 8>,
    // exponential_from_u32 / bernoulli_from_u32: one draw per value (distributions.hpp).
    dist_row<dist::exponential, float, 4, plain, 1>,
    dist_row<dist::bernoulli, std::uint32_t, 4, plain, 1>,
    // alias_sample: two draws per value, so two values per group (alias.hpp).
    dist_row<dist::discrete, std::uint32_t, 2, plain, 2>>;
// clang-format on

inline constexpr std::pair<dist, const char*> dist_names[] = {
    {dist::u32, "u32"},
    {dist::uniform, "uniform"},
    {dist::normal, "normal"},
    {dist::uniform_double, "uniform-double"},
    {dist::normal_double, "normal-double"},
    {dist::normal_portable, "normal-portable"},
    {dist::normal_portable_double, "normal-portable-double"},
    {dist::log_normal, "log-normal"},
    {dist::log_normal_double, "log-normal-double"},
    {dist::poisson, "poisson"},
    {dist::integer, "integer"},
    {dist::integer64, "integer64"},
    {dist::exponential, "exponential"},
    {dist::bernoulli, "bernoulli"},
    {dist::discrete, "discrete"},
};

namespace table_impl {
template <class Enum, std::size_t N>
constexpr const char* name_of(Enum v, const std::pair<Enum, const char*> (&rows)[N]) {
  for (const auto& r : rows)
    if (r.first == v) return r.second;
  return nullptr;
}
template <dist D, class Row, class... Rest>
struct find_row : find_row<D, Rest...> {};
template <dist D, class Value, unsigned P, unsigned F, std::uint32_t A, std::uint32_t B,
          std::uint32_t C, class... Rest>
struct find_row<D, dist_row<D, Value, P, F, A, B, C>, Rest...> {
  using type = dist_row<D, Value, P, F, A, B, C>;
};
template <dist D, class Rows>
struct row_of;
template <dist D, class... Rows>
struct row_of<D, type_list<Rows...>> : find_row<D, Rows...> {};
template <class Rows>
struct tags_of;
template <class... Rows>
struct tags_of<type_list<Rows...>> {
  using type = type_list<dist_c<Rows::kind>...>;
};
}  // namespace table_impl

/// The row of engine E: its name.
template <engine E>
struct engine_traits_base {
  static constexpr const char* name = table_impl::name_of(E, engine_rows);
  static_assert(name != nullptr, "gpurand/detail/table.hpp: an engine without a name");
};

/// The row of distribution D, and its name.
template <dist D>
struct dist_traits : table_impl::row_of<D, dist_rows>::type {
  static constexpr const char* name = table_impl::name_of(D, dist_names);
  static_assert(name != nullptr, "gpurand/detail/table.hpp: a distribution without a name");
};

/// dist_c<D> for every row, in the table's order.
using dist_list = typename table_impl::tags_of<dist_rows>::type;

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

/// Values per group of a bulk fill of `d` (4 or 2): the table's per_group, at run time.
inline std::uint64_t values_per_group(dist d) {
  std::uint64_t per = 4;
  visit(d, [&](auto c) { per = dist_traits<decltype(c)::value>::per_group; });
  return per;
}

template <class List>
struct list_size;
template <class... C>
struct list_size<type_list<C...>> : std::integral_constant<std::size_t, sizeof...(C)> {};

}  // namespace gpurand::detail
