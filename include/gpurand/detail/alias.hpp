#pragma once
/// \file alias.hpp
/// Discrete (categorical) distribution from user weights: Walker's alias method with Vose's
/// construction. The table is built on the host (src/alias_table.cpp); sampling is one
/// `GPURAND_HD` body shared by the CPU backend and the GPU (plain C++17 or nvcc).
///
/// Definition (n categories, two 32-bit draws x1, x2 per value, no loop):
///   column i = (x1 * n) >> 32;  value = (x2 < threshold[i]) ? i : alias[i].
/// A column whose share is the whole column has alias[i] = i. Resolution: the column choice
/// gives each column floor(2^32 / n) or ceil(2^32 / n) of the 2^32 values of x1 (relative
/// deviation < n * 2^-32 from 1/n), and each threshold is round(q_i * 2^32), so every category's
/// probability is within about (n + 1) * 2^-32 (relative) of w_i / sum(w) as computed in double.

#include <cstdint>

#include "gpurand/config.hpp"

namespace gpurand::detail {

/// One column of an alias table: keep the column's own category when x2 < threshold.
struct alias_entry {
  std::uint32_t threshold;
  std::uint32_t alias;
};

/// The category drawn from two 32-bit draws x1, x2 over a table of n >= 1 columns.
GPURAND_HD GPURAND_FORCEINLINE std::uint32_t alias_sample(const alias_entry* table, std::uint32_t n,
                                                          std::uint32_t x1, std::uint32_t x2) {
  const std::uint32_t i = static_cast<std::uint32_t>((static_cast<std::uint64_t>(x1) * n) >> 32);
  const alias_entry e = table[i];
  return x2 < e.threshold ? i : e.alias;
}

}  // namespace gpurand::detail
