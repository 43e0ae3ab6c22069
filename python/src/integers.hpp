#pragma once
// Exactly unbiased bounded integers over a Generator's u32 bulk fills.
//
// NumPy's integers(low, high) takes any span up to 2^64 and signed lows that
// wrap, which the library's Generator::integers ([low, high) on uint32 or
// uint64, high <= 2^64 - 1) cannot express, so the module keeps this helper
// and its documented bits contract (re-derived from bits() by the tests). It
// only calls the public Generator::generate, so it keeps every promise of the
// bulk fills (fresh offset windows, fork checks).

#include <cstddef>
#include <cstdint>

#include "gpurand/gpurand.hpp"

namespace gpurand::python {

/// out[i] = low + u_i (modulo 2^64, then converted to T), with u_i uniform on
/// [0, span) exactly: Lemire's multiply-shift with rejection (Lemire 2019,
/// "Fast random integer generation in an interval"). `span_minus_1` is
/// span - 1, so span may be 2^64.
///
/// Bits, a documented contract the tests re-derive from bits():
///  - span <= 2^32: round 1 is one generate() of n u32, x_i = bits[i];
///    span > 2^32: one generate() of 2n u32, x_i = bits[2i] | bits[2i+1] << 32.
///  - x_i maps to (x_i * span) >> w (w = 32 or 64); it is rejected when the
///    low w bits of the product are below 2^w mod span.
///  - Every later round is one generate() for the rejected positions only, in
///    increasing index order, with the same mapping, until none is rejected.
/// The caller validates that [low, low + span) fits T.
template <class T>
void integers(Generator& gen, std::uint64_t low, std::uint64_t span_minus_1, T* out, std::size_t n);

extern template void integers<std::int32_t>(Generator&, std::uint64_t, std::uint64_t, std::int32_t*,
                                            std::size_t);
extern template void integers<std::int64_t>(Generator&, std::uint64_t, std::uint64_t, std::int64_t*,
                                            std::size_t);
extern template void integers<std::uint32_t>(Generator&, std::uint64_t, std::uint64_t,
                                             std::uint32_t*, std::size_t);
extern template void integers<std::uint64_t>(Generator&, std::uint64_t, std::uint64_t,
                                             std::uint64_t*, std::size_t);

}  // namespace gpurand::python
