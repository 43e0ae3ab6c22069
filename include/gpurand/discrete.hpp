#pragma once
/// \file discrete.hpp
/// The discrete (categorical) distribution's table: built once on the host from user weights,
/// sampled by bulk fills (Generator::discrete, dist::discrete), the per-thread writer and the
/// device API (rng.discrete(view)). Plain C++17: no CUDA header.
///
/// Definition (gpurand/detail/alias.hpp): Walker's alias method over Vose's table; a value
/// costs two 32-bit draws x1, x2: column i = (x1 * n) >> 32, value = x2 < threshold[i] ? i :
/// alias[i]. Category k's probability is w[k] / sum(w) to within about (n + 1) * 2^-32
/// (relative); a zero weight is never drawn. Portable: the same bits on every CPU and GPU.
///
/// Memory: the table lives in host memory; `device_view()` copies it to the current CUDA
/// device on first use there (once per device, kept until the table is destroyed). A view is a
/// pointer plus the memory space it points to: sampling a host view in device code, or a
/// device view on the host, traps (device) or aborts (host) with a message instead of reading
/// the wrong memory. A view is valid while its table lives (moving the table keeps views valid).

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <vector>

#include "gpurand/config.hpp"
#include "gpurand/detail/alias.hpp"

namespace gpurand {

/// Where a discrete_view's entries live.
enum class memory_space : std::uint32_t { none = 0, host = 1, device = 2 };

/// What kernels and the device API sample from: trivially copyable, pass it by value.
struct discrete_view {
  const detail::alias_entry* entries = nullptr;
  std::uint32_t size = 0;  ///< categories (>= 1 for a view of a table)
  memory_space space = memory_space::none;

  /// True when this view can be read by the code calling it: a device view in device code, a
  /// host view in host code.
  GPURAND_HD bool readable_here() const {
#if defined(__CUDA_ARCH__)
    return space == memory_space::device && size > 0;
#else
    return space == memory_space::host && size > 0;
#endif
  }
};

/// An alias table built from weights. Movable, not copyable (it owns device copies).
class discrete_table {
 public:
  /// Builds the table from `n` weights: each finite and >= 0, not all zero, 1 <= n < 2^32.
  /// Throws Error(invalid_argument) naming the weight (`weights[i]: -1 ...`) otherwise.
  discrete_table(const double* weights, std::size_t n);
  explicit discrete_table(const std::vector<double>& weights);
  discrete_table(std::initializer_list<double> weights);
  ~discrete_table();
  discrete_table(discrete_table&&) noexcept;
  discrete_table& operator=(discrete_table&&) noexcept;
  discrete_table(const discrete_table&) = delete;
  discrete_table& operator=(const discrete_table&) = delete;

  /// Number of categories; values drawn are in [0, size()).
  std::uint32_t size() const;
  /// The view of the host copy (CPU code, the CPU backend).
  discrete_view host_view() const;
  /// The view of the copy on the current CUDA device, made (synchronously) on the first call
  /// for that device. Thread-safe. Throws Error(unsupported) when the GPU backend is unusable
  /// here, Error(cuda_error) when the copy fails.
  discrete_view device_view() const;
  /// The table entries (host), for tests and inspection.
  const std::vector<detail::alias_entry>& entries() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace gpurand
