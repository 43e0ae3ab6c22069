#pragma once
/// \file alias_table.hpp
/// Host construction of the alias tables sampled by gpurand/detail/alias.hpp.

#include <cstddef>
#include <vector>

#include "gpurand/detail/alias.hpp"

namespace gpurand::detail {

/// Vose's alias table for weights w[0..n): column i keeps category i with probability
/// threshold_i / 2^32 and otherwise gives alias_i, so that category k's probability is
/// w[k] / sum(w) (to the resolution stated in alias.hpp). Deterministic: the same weights give
/// the same table on every machine (double arithmetic only, no FMA contraction).
/// Error(invalid_argument) naming the argument and value when n == 0, n >= 2^32, a weight is
/// negative, NaN or infinite, or all weights are zero.
std::vector<alias_entry> build_alias_table(const double* w, std::size_t n);

}  // namespace gpurand::detail
