// Differential fuzz target: random gpurand::bulk_request / gpurand::grid_request values on the
// CPU backend. Every call must either throw gpurand::Error, leaving the output untouched (a
// rejected call writes nothing), or write exactly what cuRAND's own device functions, run on the
// host, give for the documented layout:
//  - bulk (README "Bulk layout"): value j of a fill starting at group first_group is lane
//    j % 4 of the first curand4 / curand_uniform4 / curand_normal4 of
//    curand_init(seed, first_group + j / 4, offset); doubles lane j % 2 of
//    curand_uniform2_double / curand_normal2_double, subsequence first_group + j / 2; normals
//    scaled as normal * stddev + mean (in float for float normals);
//  - grid: thread g's values are the first per_thread calls of its engine's
//    curand / curand_uniform / ... after curand_init(seed, g, offset), thread-major or, with
//    interleave, draw-major.
// Any other exception, a sanitizer report, an accepted request the header documents as
// invalid, or a single differing byte aborts. Values near 2^64 (seeds, offsets, first
// group/thread) and non-finite or huge mean/stddev are favoured; sizes stay small so that each
// input runs in microseconds.
//
// tests/fuzz/corpus/bulk_diff/ seeds every (request, engine, dist, layout) and keeps the inputs
// of past findings (regress_*; see tests/fuzz_regressions_test.cpp). They are decoded by this
// file: when the decoding below changes, re-create them (GPURAND_FUZZ_VERBOSE=1 shows what an
// input decodes to).

#include <fuzzer/FuzzedDataProvider.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <string>
#include <vector>

#include "curand_ref.hpp"  // gpurand/device.cuh: cuRAND's device functions on the host
#include "gpurand/detail/table.hpp"
#include "gpurand/gpurand.hpp"

namespace {

using gpurand::dist;
using gpurand::engine;

// Small enough that a reference value costs about a microsecond per element.
constexpr std::size_t max_bulk_values = 64;
constexpr std::uint64_t max_grid_values = 96;
constexpr std::uint64_t max_grid_side = 16;
constexpr unsigned char sentinel = 0xA5;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "bulk_diff_fuzz: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

/// A 64-bit value that is often at an edge: 0, small, or within a few steps of 2^64.
std::uint64_t edgy_u64(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: return in.ConsumeIntegralInRange<std::uint64_t>(0, 16);
    case 1: return UINT64_MAX - in.ConsumeIntegralInRange<std::uint64_t>(0, 16);
    case 2:
      return (std::uint64_t{1} << in.ConsumeIntegralInRange<int>(0, 63)) +
             in.ConsumeIntegralInRange<std::int64_t>(-4, 4);
    default: return in.ConsumeIntegral<std::uint64_t>();
  }
}

/// A mean or stddev: ordinary values, the float and double limits, NaN, infinities, or any bits.
double edgy_double(FuzzedDataProvider& in) {
  static const double special[] = {0.0,
                                   -0.0,
                                   1.0,
                                   -1.0,
                                   0.5,
                                   3.0,
                                   -2.5,
                                   1e-300,
                                   4.9e-324,
                                   1e30,
                                   static_cast<double>(FLT_MAX),
                                   std::nextafter(static_cast<double>(FLT_MAX), 1e300),
                                   -static_cast<double>(FLT_MAX),
                                   1e39,
                                   -1e39,
                                   DBL_MAX,
                                   -DBL_MAX,
                                   std::numeric_limits<double>::infinity(),
                                   -std::numeric_limits<double>::infinity(),
                                   std::numeric_limits<double>::quiet_NaN()};
  if (in.ConsumeBool()) return in.PickValueInArray(special);
  std::uint64_t bits = in.ConsumeIntegral<std::uint64_t>();
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

/// An enum value: usually a valid one, sometimes any byte (out-of-range values must be Errors).
template <class Enum>
Enum any_enum(FuzzedDataProvider& in, int count) {
  const bool raw = in.ConsumeIntegralInRange<int>(0, 7) == 0;
  const int v =
      raw ? in.ConsumeIntegral<std::uint8_t>() : in.ConsumeIntegralInRange<int>(0, count - 1);
  return static_cast<Enum>(v);
}

/// The CPU backend, or (rarely) a value outside the enum. `automatic` would pick a GPU where
/// one exists, whose normals differ from the host's in the last bits, so it is not used.
gpurand::backend_kind cpu_or_bad_backend(FuzzedDataProvider& in) {
  if (in.ConsumeIntegralInRange<int>(0, 15) != 0) return gpurand::backend_kind::cpu;
  return static_cast<gpurand::backend_kind>(in.ConsumeIntegralInRange<int>(3, 255));
}

/// The CPU backend's work split: results must not depend on it (only on the request).
void set_split(FuzzedDataProvider& in) {
  gpurand::cpu_settings s;
  s.threads = in.ConsumeIntegralInRange<unsigned>(1, 3);
  switch (in.ConsumeIntegralInRange<int>(0, 2)) {
    case 0: s.block = 0; break;
    case 1: s.block = in.ConsumeIntegralInRange<std::uint64_t>(1, 8); break;
    default: s.block = edgy_u64(in); break;
  }
  gpurand::set_cpu_settings(s);
}

bool valid_dist(dist d) {  // every distribution of the table
  bool found = false;
  gpurand::detail::for_each_dist([&](auto c) { found = found || c.value == d; });
  return found;
}
bool is_double(dist d) { return valid_dist(d) && gpurand::value_size(d) == 8; }
bool is_normal(dist d) {  // the table's scaled distributions read mean and stddev
  bool scaled = false;
  gpurand::detail::for_each_dist([&](auto c) {
    if (c.value == d) scaled = gpurand::detail::dist_traits<c.value>::scaled;
  });
  return scaled;
}
bool valid_engine(engine e) {
  return static_cast<unsigned>(e) <= static_cast<unsigned>(engine::mrg32k3a);
}

/// Value j of a bulk fill from cuRAND's own 4-wide / 2-wide calls (the documented layout).
void reference_bulk(const gpurand::bulk_request& r, std::vector<unsigned char>& out) {
  const std::size_t size = gpurand::value_size(r.kind);
  const std::uint64_t per = is_double(r.kind) ? 2 : 4;
  if (r.kind == dist::log_normal || r.kind == dist::log_normal_double || r.kind == dist::poisson ||
      gpurand::test::from_raw_draws(r.kind)) {
    // curand_log_normal4 / curand_log_normal2_double / curand_poisson4, and gpurand's own
    // distributions from their definitions over curand4's words (tests/curand_ref.hpp).
    out = gpurand::test::ref_bulk(r.kind, r.seed, r.offset, 0, r.n, r.mean, r.stddev, r.lambda,
                                  nullptr, r.first_group);
    return;
  }
  for (std::size_t j = 0; j < r.n; ++j) {
    curandStatePhilox4_32_10_t s;
    curand_init(r.seed, r.first_group + j / per, r.offset, &s);
    unsigned char* dst = out.data() + j * size;
    if (r.kind == dist::normal_portable) {  // the portable body on curand4's draws, one fma
      const uint4 v = curand4(&s);
      const auto a = gpurand::detail::portable_box_muller_pair(v.x, v.y);
      const auto b = gpurand::detail::portable_box_muller_pair(v.z, v.w);
      const float z[4] = {a.x, a.y, b.x, b.y};
      const float x = std::fma(z[j % 4], static_cast<float>(r.stddev), static_cast<float>(r.mean));
      std::memcpy(dst, &x, 4);
    } else if (r.kind == dist::normal_portable_double) {
      const uint4 v = curand4(&s);
      const auto p = gpurand::detail::portable_box_muller_double(v.x, v.y, v.z, v.w);
      const double x = std::fma(j % 2 ? p.y : p.x, r.stddev, r.mean);
      std::memcpy(dst, &x, 8);
    } else if (r.kind == dist::u32) {
      const uint4 v = curand4(&s);
      const unsigned lanes[4] = {v.x, v.y, v.z, v.w};
      std::memcpy(dst, &lanes[j % 4], 4);
    } else if (!is_double(r.kind)) {
      const float4 v = r.kind == dist::uniform ? curand_uniform4(&s) : curand_normal4(&s);
      const float lanes[4] = {v.x, v.y, v.z, v.w};
      float x = lanes[j % 4];
      // The request was accepted, so mean and stddev are finite as floats (checked before).
      if (r.kind == dist::normal) x = x * static_cast<float>(r.stddev) + static_cast<float>(r.mean);
      std::memcpy(dst, &x, 4);
    } else {
      const double2 v =
          r.kind == dist::uniform_double ? curand_uniform2_double(&s) : curand_normal2_double(&s);
      double x = j % 2 ? v.y : v.x;
      if (r.kind == dist::normal_double) x = x * r.stddev + r.mean;
      std::memcpy(dst, &x, 8);
    }
  }
}

void compare(const std::vector<unsigned char>& got, const std::vector<unsigned char>& want,
             std::size_t value_bytes, const std::string& request) {
  if (got.size() != want.size())
    fail(std::to_string(got.size() / value_bytes) + " values instead of " +
         std::to_string(want.size() / value_bytes) + " for " + request);
  for (std::size_t i = 0; i < got.size(); i += value_bytes) {
    if (std::memcmp(got.data() + i, want.data() + i, value_bytes) != 0)
      fail("value " + std::to_string(i / value_bytes) + " differs from cuRAND's for " + request);
  }
}

/// With GPURAND_FUZZ_VERBOSE set, every request is printed before it runs: a crash inside the
/// library (a sanitizer report) then shows the request that caused it.
void trace(const std::string& request) {
  static const bool verbose = std::getenv("GPURAND_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "bulk_diff_fuzz: running %s\n", request.c_str());
}

bool untouched(const std::vector<unsigned char>& buf) {
  for (unsigned char c : buf)
    if (c != sentinel) return false;
  return true;
}

gpurand::cpu_settings split() { return gpurand::get_cpu_settings(); }

std::string describe(const gpurand::bulk_request& r) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "fill{kind=%u seed=%llu offset=%llu n=%zu first_group=%llu mean=%.17g "
                "stddev=%.17g backend=%d} cpu_settings{threads=%u block=%llu}",
                static_cast<unsigned>(r.kind), static_cast<unsigned long long>(r.seed),
                static_cast<unsigned long long>(r.offset), r.n,
                static_cast<unsigned long long>(r.first_group), r.mean, r.stddev,
                static_cast<int>(r.backend), split().threads,
                static_cast<unsigned long long>(split().block));
  return buf;
}

std::string describe(const gpurand::grid_request& r) {
  char buf[512];
  std::snprintf(
      buf, sizeof buf,
      "write_thread_streams{eng=%u kind=%u seed=%llu offset=%llu first_thread=%llu "
      "threads=%llu per_thread=%llu interleave=%d backend=%d} cpu_settings{threads=%u block=%llu}",
      static_cast<unsigned>(r.eng), static_cast<unsigned>(r.kind),
      static_cast<unsigned long long>(r.seed), static_cast<unsigned long long>(r.offset),
      static_cast<unsigned long long>(r.first_thread), static_cast<unsigned long long>(r.threads),
      static_cast<unsigned long long>(r.per_thread), r.interleave ? 1 : 0,
      static_cast<int>(r.backend), split().threads, static_cast<unsigned long long>(split().block));
  return buf;
}

/// What the header documents as invalid for a bulk request; accepting it is a bug.
std::string bulk_contract_violation(const gpurand::bulk_request& r) {
  if (!valid_dist(r.kind)) return "unknown dist";
  if (is_normal(r.kind)) {
    if (!std::isfinite(r.mean)) return "non-finite mean";
    if (!std::isfinite(r.stddev) || r.stddev < 0) return "stddev not finite and >= 0";
    // A float fill computes in float: a mean or stddev that rounds to inf as a float (from
    // FLT_MAX + half an ulp up) cannot be honoured. Below that it rounds to FLT_MAX at most.
    const double float_inf_from = 0x1.ffffffp+127;
    if (r.kind == dist::normal &&
        (std::fabs(r.mean) >= float_inf_from || r.stddev >= float_inf_from))
      return "mean or stddev rounds to inf in a float fill";
  }
  if (r.kind == dist::log_normal || r.kind == dist::log_normal_double) {
    // Documented: every value finite, exp(mean + zmax * stddev) within the type.
    const bool f = r.kind == dist::log_normal;
    const double top = f ? FLT_MAX : DBL_MAX;
    if (r.mean + (f ? 6.77 : 8.58) * r.stddev > std::log(top)) return "log-normal beyond range";
    if (r.mean < -top) return "mean does not fit the value type";
  }
  return "";
}

void fuzz_bulk(FuzzedDataProvider& in) {
  gpurand::bulk_request r;
  r.kind = any_enum<dist>(in, 5);
  r.seed = edgy_u64(in);
  r.offset = edgy_u64(in);
  r.first_group = edgy_u64(in);
  r.mean = edgy_double(in);
  r.stddev = edgy_double(in);
  r.backend = cpu_or_bad_backend(in);
  // The other distributions' parameters, as the reference (tests/curand_ref.hpp) takes them.
  gpurand::test::set_test_params(r);
  const int shape = in.ConsumeIntegralInRange<int>(0, 15);
  // Rarely: a null output, or a count whose bytes overflow size_t (both must be Errors).
  const bool null_out = shape == 0;
  const bool overflow = shape == 1 && valid_dist(r.kind);
  if (overflow)
    r.n = SIZE_MAX / gpurand::value_size(r.kind) + 1 + in.ConsumeIntegralInRange<std::size_t>(0, 8);
  else
    r.n = in.ConsumeIntegralInRange<std::size_t>(null_out ? 1 : 0, max_bulk_values);
  set_split(in);

  const std::size_t size = valid_dist(r.kind) ? gpurand::value_size(r.kind) : 8;
  std::vector<unsigned char> got(overflow ? 64 : r.n * size, sentinel);
  trace(describe(r));
  try {
    gpurand::fill(r, null_out ? nullptr : got.data());
  } catch (const gpurand::Error&) {
    if (!untouched(got)) fail("a rejected call wrote output: " + describe(r));
    return;
  }
  if (null_out || overflow) fail("accepted a null or overflowing output: " + describe(r));
  const std::string bad = bulk_contract_violation(r);
  if (!bad.empty()) fail("accepted (" + bad + "): " + describe(r));
  std::vector<unsigned char> want(r.n * size);
  reference_bulk(r, want);
  compare(got, want, size, describe(r));

  // gpurand::split: the pieces, each filled on its own, concatenate to the whole fill. Decoded
  // last, so an input that ends before it (the older corpus entries) skips it.
  const std::uint64_t parts = in.ConsumeIntegralInRange<std::uint64_t>(0, 7);
  if (parts == 0) return;
  std::vector<unsigned char> joined;
  for (std::uint64_t part = 0; part < parts; ++part) {
    const gpurand::bulk_request piece = gpurand::split(r, part, parts);
    std::vector<unsigned char> out(piece.n * size, sentinel);
    gpurand::fill(piece, out.data());
    joined.insert(joined.end(), out.begin(), out.end());
  }
  compare(joined, got, size, describe(r) + " split into " + std::to_string(parts) + " pieces");
}

void fuzz_grid(FuzzedDataProvider& in) {
  gpurand::grid_request r;
  r.eng = any_enum<engine>(in, 3);
  r.kind = any_enum<dist>(in, 5);
  r.seed = edgy_u64(in);
  r.offset = edgy_u64(in);
  r.first_thread = edgy_u64(in);
  r.interleave = in.ConsumeBool();
  r.backend = cpu_or_bad_backend(in);
  // The distributions' parameters that ref_stream (tests/curand_ref.hpp) uses.
  gpurand::test::set_test_params(r);
  const int shape = in.ConsumeIntegralInRange<int>(0, 15);
  const bool null_out = shape == 0;
  // Rarely: threads x per_thread values whose bytes overflow size_t (must be an Error).
  const bool overflow = shape == 1;
  if (overflow) {
    r.threads = (std::uint64_t{1} << in.ConsumeIntegralInRange<int>(33, 63)) +
                in.ConsumeIntegralInRange<std::uint64_t>(0, 3);
    r.per_thread = (std::uint64_t{1} << in.ConsumeIntegralInRange<int>(31, 63)) +
                   in.ConsumeIntegralInRange<std::uint64_t>(0, 3);
  } else {
    r.threads = in.ConsumeIntegralInRange<std::uint64_t>(null_out ? 1 : 0, max_grid_side);
    r.per_thread = in.ConsumeIntegralInRange<std::uint64_t>(null_out ? 1 : 0, max_grid_side);
    if (r.threads * r.per_thread > max_grid_values) r.per_thread = max_grid_values / r.threads;
  }
  set_split(in);

  const std::size_t size = valid_dist(r.kind) ? gpurand::value_size(r.kind) : 8;
  const std::size_t values = overflow ? 8 : r.threads * r.per_thread;
  std::vector<unsigned char> got(values * size, sentinel);
  trace(describe(r));
  try {
    gpurand::write_thread_streams(r, null_out ? nullptr : got.data());
  } catch (const gpurand::Error&) {
    if (!untouched(got)) fail("a rejected call wrote output: " + describe(r));
    return;
  }
  if (!valid_engine(r.eng) || !valid_dist(r.kind)) fail("accepted an unknown enum: " + describe(r));
  if (overflow) fail("accepted an overflowing grid: " + describe(r));
  if (null_out) fail("accepted a null output: " + describe(r));
  // cuRAND's MRG32k3a curand_init is valid for subsequences below 2^51 only (its documentation;
  // its skip-ahead table ends there: larger ids give all-zero, constant states, and from 2^56
  // it reads past the table). gpurand must refuse such thread ids rather than hand them out.
  if (r.eng == engine::mrg32k3a && values > 0 &&
      r.first_thread + (r.threads - 1) >= (std::uint64_t{1} << 51))
    fail("accepted MRG32k3a thread ids at or above 2^51: " + describe(r));
  std::vector<unsigned char> want(values * size);
  for (std::uint64_t t = 0; t < r.threads; ++t) {
    const std::vector<unsigned char> s = gpurand::test::ref_stream(
        r.eng, r.kind, r.seed, r.first_thread + t, r.offset, r.per_thread);
    for (std::uint64_t k = 0; k < r.per_thread; ++k) {
      const std::uint64_t at = r.interleave ? k * r.threads + t : t * r.per_thread + k;
      std::memcpy(want.data() + at * size, s.data() + k * size, size);
    }
  }
  compare(got, want, size, describe(r));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  try {
    if (in.ConsumeBool())
      fuzz_grid(in);
    else
      fuzz_bulk(in);
  } catch (const gpurand::Error& e) {
    fail(std::string("gpurand::Error outside the checked call: ") + e.what());
  } catch (const std::exception& e) {
    fail(std::string("exception other than gpurand::Error: ") + e.what());
  } catch (...) {
    fail("unknown exception");
  }
  return 0;
}
