// Vose's construction of Walker's alias table (M. D. Vose, "A linear algorithm for generating
// random numbers with a given distribution", IEEE TSE 1991).

#include "alias_table.hpp"

#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>

#include "gpurand/gpurand.hpp"

namespace gpurand::detail {

namespace {
[[noreturn]] void bad(const std::string& what) { throw Error(errc::invalid_argument, what); }

std::string num(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}
}  // namespace

std::vector<alias_entry> build_alias_table(const double* w, std::size_t n) {
  if (n == 0 || w == nullptr) bad("weights: empty (need at least one category)");
  if (n > 0xFFFFFFFFu) bad("weights: " + std::to_string(n) + " categories (at most 2^32 - 1)");
  double max = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(w[i]) || w[i] < 0)
      bad("weights[" + std::to_string(i) + "]: " + num(w[i]) + " (must be finite and >= 0)");
    max = std::fmax(max, w[i]);
  }
  if (max == 0) bad("weights: all " + std::to_string(n) + " weights are zero");
  // Scale by the largest weight first so that the sum cannot overflow.
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += w[i] / max;
  std::vector<double> q(n);
  std::vector<std::uint32_t> small, large;
  for (std::size_t i = 0; i < n; ++i) {
    q[i] = w[i] / max / sum * static_cast<double>(n);  // column share, 1 = a full column
    (q[i] < 1.0 ? small : large).push_back(static_cast<std::uint32_t>(i));
  }
  std::vector<alias_entry> table(n);
  for (std::size_t i = 0; i < n; ++i) table[i] = {0u, static_cast<std::uint32_t>(i)};
  while (!small.empty() && !large.empty()) {
    const std::uint32_t s = small.back();
    small.pop_back();
    const std::uint32_t l = large.back();
    const double t = std::nearbyint(q[s] * 4294967296.0);  // q[s] in [0, 1)
    if (t >= 4294967296.0)
      table[s] = {0u, s};  // a full column up to the resolution: keeps its own category
    else
      table[s] = {static_cast<std::uint32_t>(t), l};
    q[l] = (q[l] + q[s]) - 1.0;
    if (q[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  // Leftovers are full columns up to rounding: they keep their own category.
  for (const std::uint32_t i : large) table[i] = {0u, i};
  for (const std::uint32_t i : small) table[i] = {0u, i};
  return table;
}

}  // namespace gpurand::detail
