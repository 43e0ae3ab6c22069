#pragma once
/// \file audit.hpp
/// The audit: proof on real output that parallel workers got different numbers.
///
/// Input is a grid of per-thread streams stored thread-major: thread
/// g = block * threads_per_block + thread owns values [g * K, (g + 1) * K).
/// Three checks run over it (plain C++17, no CUDA header needed):
///  1. duplicate streams: two threads whose K values are bit-identical (shared
///     or forked state, seeds taken from a small id set);
///  2. overlapping streams: a run of at least `window` consecutive values of
///     one thread that reappears in another thread (or shifted in the same
///     thread), at equal or shifted position: a reused offset, overlapping
///     stream splits, a shift-register engine seeded with seed + 1;
///  3. duplicate values: the number of equal pairs among all values, judged
///     against the birthday expectation for the values' real resolution with
///     an upper-tail p-value.
/// Matches are found by sorting 64-bit window hashes (never by pairwise
/// comparison) and every reported match is verified against the data, so a
/// hash collision can never produce a false report.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gpurand::audit {

/// Element type of the audited values, read as raw (little-endian) bits.
enum class dtype { u32, f32, f64 };

/// Which distribution produced the values; fixes the birthday expectation.
enum class value_model {
  automatic,          ///< infer from the data (see infer_model)
  u32,                ///< curand(): 32 uniform bits
  uniform_f32,        ///< curand_uniform(): float(x) * 2^-32 + 2^-33, 24-bit near 1
  uniform_f64_32bit,  ///< curand_uniform_double() on Philox: (x + 1) * 2^-32, 32 bits
  uniform_f64_53bit,  ///< curand_uniform2_double(): 53 bits
  normal_f32,         ///< curand_normal() (Box-Muller), any mean and stddev
  normal_f64,         ///< curand_normal_double(), any mean and stddev
  /// curand_uniform_double() on MRG32k3a: x * MRG32K3A_NORM (2.3283065498378288e-10)
  /// for the combined generator's integer x in [1, 4294967087]: that many values.
  uniform_f64_mrg32k3a,
};

const char* to_string(dtype t) noexcept;
const char* to_string(value_model m) noexcept;
/// Parse "u32|f32|f64"; throws Error(invalid_argument) naming `what` and the value.
dtype parse_dtype(std::string_view text, std::string_view what = "dtype");
/// Parse "auto|u32|uniform_f32|uniform_f64_32bit|uniform_f64_53bit|normal_f32|normal_f64|
/// uniform_f64_mrg32k3a".
value_model parse_value_model(std::string_view text, std::string_view what = "value_model");
/// Bytes per value: 4 for u32 and f32, 8 for f64.
std::size_t value_size(dtype t) noexcept;

/// Shape of the audited grid.
struct layout {
  std::uint64_t blocks = 0;
  std::uint64_t threads_per_block = 0;
  std::uint64_t per_thread = 0;  ///< K, values per thread
  dtype type = dtype::u32;
};

struct options {
  /// Shortest run of equal consecutive values that counts as an overlap. 0
  /// means 128 bits' worth: 4 values for u32/f32, 2 for f64. When K is
  /// shorter than the window the stream checks are skipped (a match of fewer
  /// bits is expected by chance) and the report says so. An explicit window
  /// must be at most K.
  std::uint64_t window = 0;
  double alpha = 1e-4;  ///< the value test flags when p < alpha; must be in (0, 1)
  value_model model = value_model::automatic;
  std::size_t max_listed = 20;  ///< matches listed per check (all are counted)
  /// CPU threads (at most 256); 0 means the CPU backend's count
  /// (set_cpu_settings, else $GPURAND_CPU_THREADS, else the usable CPUs).
  unsigned workers = 0;
  /// Sort keys on the GPU with Thrust when the library was built with CUDA
  /// and a device is usable; otherwise (or on any GPU failure) sort on the CPU.
  bool use_gpu = false;
};

/// A thread of the grid, by coordinates and by global index.
struct thread_ref {
  std::uint64_t block = 0;
  std::uint64_t thread = 0;
  std::uint64_t global = 0;  ///< block * threads_per_block + thread
};

/// A verified match: b[b_pos + t] == a[a_pos + t] (bitwise) for t in
/// [0, length), with lag = a_pos - b_pos >= 0, so b's stream is a's stream
/// shifted by `lag` (b[k] == a[k + lag]); the run is maximal at both ends.
/// For a full duplicate, lag == 0 and length == K. At lag 0, a.global < b.global;
/// a == b for a thread that repeats itself.
struct stream_match {
  thread_ref a;
  thread_ref b;
  std::uint64_t lag = 0;
  std::uint64_t a_pos = 0;
  std::uint64_t b_pos = 0;
  std::uint64_t length = 0;
};

/// Two positions holding the same value (listed only when the value test flags).
struct value_pair {
  thread_ref a;
  std::uint64_t a_pos = 0;
  thread_ref b;
  std::uint64_t b_pos = 0;
  std::uint64_t bits = 0;   ///< the value's raw bits (zero-extended for 32-bit types)
  std::uint64_t count = 0;  ///< how often the value occurs
};

struct value_result {
  value_model model = value_model::automatic;  ///< the model used (never automatic)
  bool model_inferred = false;                 ///< true when options::model was automatic
  std::uint64_t values = 0;                    ///< n
  std::uint64_t equal_pairs = 0;               ///< sum over distinct values of C(count, 2)
  double collision_probability = 0.0;          ///< q2 = P(two independent values are equal)
  double expected = 0.0;                       ///< C(n, 2) * q2
  double variance = 0.0;                       ///< exact variance of the pair count under the model
  double p_value = 1.0;                        ///< P(count >= equal_pairs) under the model
  double alpha = 0.0;
  bool flagged = false;  ///< p_value < alpha
  /// Normal models: the mean the model uses, the sample mean rounded to the
  /// fewest decimals within 4 standard errors (users pass short decimals, and
  /// the exact shift and scale decide which float grid points merge).
  double mean = 0.0;
  double stddev = 0.0;  ///< normal models: the standard deviation used, rounded the same way
  std::vector<value_pair> examples;  ///< when flagged: the most repeated values
};

struct report {
  layout shape;
  std::uint64_t window = 0;        ///< the window used, in values
  bool stream_checks_run = false;  ///< false when K < window (see options::window)

  /// Threads whose stream equals the stream of a lower-numbered thread. Each
  /// listed match pairs the lowest thread of a group with one member.
  std::uint64_t duplicate_threads = 0;
  std::vector<stream_match> duplicates;

  /// Maximal runs (>= window values) shared by two positions, excluding the
  /// lag-0 matches of full duplicates (a duplicate is audited once, through
  /// the lowest thread of its group).
  std::uint64_t overlap_runs = 0;
  /// Pairs of equal windows behind those runs; nonzero exactly when overlaps exist.
  std::uint64_t matched_window_pairs = 0;
  /// The counts are always exact. True when `overlaps` lists the first runs
  /// in (a, b, lag) order; false when some window occurred more than 16 times
  /// (a stuck or short-period stream, a heavily overlapping split), where only
  /// runs between neighbours in thread order are candidates for the list, so
  /// that listing stays linear in the input.
  bool overlap_list_complete = true;
  std::vector<stream_match> overlaps;

  /// Normal models only: overlaps between the raw 32-bit draws behind the
  /// values. A stream restarted an odd number of draws later (one for
  /// `normal`, 1-3 for `normal_f64`) pairs its draws differently and shares
  /// no value with the original, so each Box-Muller pair is inverted back to
  /// its draws (u = exp(-r^2 / 2), angle = atan2), both pairings of every
  /// thread are tried, and the draws' top bits (bits 11..20 for doubles),
  /// quantised to the precision the values carry, are matched in windows of
  /// >= 128 bits. Positions, lags and lengths count raw draws from the
  /// thread's first value (2 per float pair, 4 per double pair). Overlaps at
  /// a lag of whole pairs appear here too, besides in `overlaps`.
  bool draw_checks_run = false;
  std::uint64_t draw_window = 0;  ///< window, in recovered draws
  unsigned draw_key_bits = 0;     ///< bits kept per recovered draw
  std::uint64_t draw_overlap_runs = 0;
  std::uint64_t draw_matched_window_pairs = 0;  ///< nonzero exactly when draw overlaps exist
  bool draw_overlap_list_complete = true;
  std::vector<stream_match> draw_overlaps;

  value_result values;
  bool used_gpu = false;

  /// No duplicate stream, no overlap (of values or of recovered draws), and
  /// the value test did not flag.
  bool clean() const noexcept {
    return duplicate_threads == 0 && matched_window_pairs == 0 && draw_matched_window_pairs == 0 &&
           !values.flagged;
  }
};

/// Audit `data` (host memory aligned for shape.type, blocks *
/// threads_per_block * per_thread values, thread-major). Validates every
/// argument before any work and throws Error(invalid_argument) naming the bad
/// one; Error(cuda_error) only from a failed GPU sort (use_gpu). Does not
/// modify `data`. Extra memory peaks at about 8 bytes per value (two times a
/// u32 input); the raw-draw check of the normal models needs 24 (f32) or 48
/// (f64) bytes per value, for both pairings; the result does not depend on
/// `workers` (nor on how many threads could be started) or on `use_gpu`.
report run(const void* data, const layout& shape, const options& opts = {});

/// A readable multi-line text report, ending in a verdict line.
std::string format(const report& r);

/// The model `automatic` picks: u32 data are u32; f32 data all in (0, 1] are
/// uniform_f32, else normal_f32; f64 data all in (0, 1] are uniform_f64_32bit
/// when every value is a multiple of 2^-33 (curand_uniform_double's 32-bit
/// grid), else uniform_f64_mrg32k3a when every value is x * MRG32K3A_NORM
/// for an integer x in [1, 4294967087], else uniform_f64_53bit; other f64
/// data are normal_f64.
value_model infer_model(const void* data, dtype type, std::uint64_t n);

}  // namespace gpurand::audit
