#pragma once
/// \file bench.hpp
/// gpurand-bench internals shared by the driver (main.cpp), the report (report.cpp), the CPU
/// cases (cpu_cases.cpp and audit_case.cpp, g++) and the GPU cases (gpu_cases.cu, nvcc). Plain
/// C++17: no CUDA header here, so the g++ files never see one.

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "gpurand/gpurand.hpp"

struct curandGenerator_st;  // curand.h's generator, kept out of this header

namespace gpurand::bench {

/// Not measured or not applicable; written as JSON null and "-" in the table.
inline constexpr double none = std::numeric_limits<double>::quiet_NaN();

/// The case families `--cases` selects from.
enum class bench_case { fill, roofline, init, consume, scaling, audit };
const char* to_string(bench_case c) noexcept;

/// What the command line asked for, validated.
struct options {
  bool run_cpu = true;
  bool run_gpu = false;
  bool quick = false;
  std::string json_path;             ///< empty: no JSON
  std::vector<std::uint64_t> sizes;  ///< empty: the per-backend defaults
  std::vector<bench_case> cases;     ///< never empty after parsing
  bool has(bench_case c) const;
};

/// Times of repeated calls, in seconds.
struct timing {
  double median = none;
  int repeats = 0;
};

/// One measurement, one row of the table and one JSON object. "Ours" is the implementation
/// named by `impl`; `baseline` is what it is compared against in the same run.
struct record {
  std::string case_name;  ///< fill, roofline, init, consume, scaling, audit
  std::string backend;    ///< cpu or gpu
  std::string device;     ///< CPU model or GPU name
  std::string impl;       ///< what was timed: gpurand, memset, store_kernel, ...
  std::string engine;     ///< philox4_32_10, or "none" for roofline rows
  std::string dist;       ///< u32, uniform, normal, uniform-double; "bytes" for roofline rows
  std::uint64_t n = 0;    ///< values produced per timed call (bytes for roofline rows)
  unsigned value_bytes = 4;
  double seconds = none;  ///< median over `repeats` timed calls, after warm-up
  int repeats = 0;
  double gsamples_per_s = none;
  double gbytes_per_s = none;  ///< n * value_bytes / seconds: the bytes of values produced
  std::string baseline = "none";
  double baseline_seconds = none;
  double baseline_gsamples_per_s = none;
  double ratio = none;  ///< gsamples_per_s / baseline_gsamples_per_s: > 1 means ours is faster
  std::string roofline = "none";
  double roofline_gbytes_per_s = none;
  double roofline_fraction = none;  ///< gbytes_per_s / roofline_gbytes_per_s
  unsigned threads = 0;             ///< CPU threads used (0: not a CPU row)
  std::string simd;                 ///< CPU SIMD level ("" for GPU rows)
  std::string timer;                ///< steady_clock or cuda_events
  std::string build;                ///< e.g. "Release, NDEBUG, GPURAND_CHECK_WINDOW=0"
  std::string note;
  /// Audit rows only (NaN / empty elsewhere), measured in a forked child so that no other
  /// case's buffers count: the child's peak RSS (getrusage ru_maxrss), its RSS just before it
  /// allocated the input, and (peak - that) / input bytes.
  double peak_rss_bytes = none;
  double rss_before_input_bytes = none;
  double memory_ratio = none;
  std::optional<bool> clean;  ///< audit rows: gpurand::audit::report::clean()
  /// Empty when the row was measured; otherwise why it was not (the audit's child failed).
  /// Such a row keeps its NaN figures, and the run exits 1 after reporting everything else.
  std::string error;

  /// Fills gsamples_per_s, gbytes_per_s, ratio and roofline_fraction from the raw fields.
  void derive();
  /// Records our timing (median and repeats).
  void set_timing(const timing& ours);
  /// Records the baseline `name`, timed as `base`, which produced `n_base` values per call.
  void set_baseline(const char* name, const timing& base, std::uint64_t n_base);
};

/// The fields every row of a case shares: gpurand's Philox on `backend`, `d` values per call.
record make_record(const char* case_name, const char* backend, const std::string& device,
                   gpurand::dist d, std::uint64_t n, const char* timer, const std::string& build);

/// How long and how often to repeat a timed call.
struct repeat_policy {
  int min_repeats;
  int max_repeats;
  double min_seconds;  ///< keep repeating (up to max_repeats) until this much time was timed
};
repeat_policy cpu_policy(bool quick);

/// Median of `v` (which it reorders); NaN for an empty vector.
double median(std::vector<double>& v);

/// Times `ours`, then `base` (which may be empty), on the host with steady_clock: for each, one
/// warm-up call, then repeated calls, so each is measured in its own steady state, as a caller
/// that fills the buffer again and again sees it. (Alternating the two call by call was tried:
/// then each call starts with the buffer left in cache by the other implementation, and a fill
/// that streams past the cache pays for evicting it, which measures the mix, not either one.)
void time_pair_host(const std::function<void()>& ours, const std::function<void()>& base,
                    const repeat_policy& p, timing& ours_t, timing& base_t);

/// Compile-time facts about this binary, for the header and every record.
/// Throws gpurand::Error(cuda_error) naming `call` unless `status` is CURAND_STATUS_SUCCESS.
void check_curand(int status, const char* call);

/// The Poisson mean of the bench's Poisson rows, gpurand's and cuRAND's (Knuth's regime in
/// curand_poisson; cuRAND's host API builds a table per lambda instead).
inline constexpr double bench_lambda = 10.0;

/// cuRAND's (log-)normal generators take only even counts.
inline bool needs_even_count(gpurand::dist d) {
  using gpurand::dist;
  return d == dist::normal || d == dist::normal_double || d == dist::normal_portable ||
         d == dist::normal_portable_double || d == dist::log_normal || d == dist::log_normal_double;
}

/// One cuRAND generate call of `d` into `out` (normals and log-normals with mean 0 and stddev
/// 1, Poisson with bench_lambda): the baseline of a fill, on a host generator
/// (curandCreateGeneratorHost) or a device one alike.
void curand_generate(curandGenerator_st* gen, gpurand::dist d, void* out, std::size_t n);

/// The fill rows with a cuRAND host-generator baseline (curand_generate), CPU and GPU alike:
/// every distribution cuRAND's host API has, and the portable normals, whose baseline is
/// cuRAND's normal of the same type (issue 9: at least 10x it on the CPU).
inline constexpr gpurand::dist fill_dists[] = {
    gpurand::dist::u32,          gpurand::dist::uniform,         gpurand::dist::normal,
    gpurand::dist::uniform_double, gpurand::dist::normal_double, gpurand::dist::normal_portable,
    gpurand::dist::normal_portable_double, gpurand::dist::log_normal,
    gpurand::dist::log_normal_double, gpurand::dist::poisson};

/// gpurand's own distributions, measured in the fill case with the parameters set_own_params
/// gives (exponential: lambda 1; bernoulli: p 0.3; discrete: 16 categories, weights 1..16;
/// integer: [0, own_integer_high); integer64: [0, own_integer64_high)). cuRAND's generators
/// have none of them: their baseline, on the CPU and on the GPU, is a plain loop over cuRAND's
/// device functions (curand_loop.hpp).
inline constexpr gpurand::dist own_dists[] = {gpurand::dist::exponential, gpurand::dist::bernoulli,
                                              gpurand::dist::discrete, gpurand::dist::integer,
                                              gpurand::dist::integer64};
inline constexpr std::uint64_t own_integer_high = 1000;
inline constexpr std::uint64_t own_integer64_high = 1000000000000ull;
inline bool is_own_dist(gpurand::dist d) {
  for (gpurand::dist o : own_dists)
    if (o == d) return true;
  return false;
}
/// Sets req's parameters for an own_dists row of kind req.kind.
void set_own_params(gpurand::bulk_request& req);
/// The parameters of d's rows, for the record's note.
const char* own_params_note(gpurand::dist d);

/// The CPU baseline of the own_dists (req.kind), which cuRAND's host generator lacks
/// (bench/curand_loop.cpp): req.n values into `out` from a plain loop of curand_loop.hpp's
/// loop_value, one Philox state curand_init(req.seed, t, req.offset) per thread t, the CPU
/// backend's thread count.
void curand_loop_fill(const gpurand::bulk_request& req, void* out);

std::string build_description();
/// The run's start as UTC ISO 8601 ("2026-11-24T10:00:00Z"); fixed by the first call.
std::string run_timestamp();
/// The 1-, 5- and 15-minute load averages from /proc/loadavg ("?" where unreadable). A CPU
/// measurement taken while other work keeps the cores busy is not the machine's figure, so the
/// report shows the load at the start (fixed by the first call of load_at_start) and the end.
std::string load_average();
std::string load_at_start();
/// Marks the start of the measured part of the run (the first call fixes it).
void mark_run_start();
/// The CPU time other processes (and the hypervisor's steal) took while this run measured,
/// averaged over the run's wall time, in cores: from /proc/stat's busy jiffies minus the CPU
/// time of this process and its waited-for children (the audit case's). About 0 on a quiet
/// machine; NaN where /proc/stat is unreadable.
double other_cores_busy();

/// Sizes: "2^20" or a plain integer. Throws gpurand::Error naming `flag` on a bad value.
std::uint64_t parse_size(const std::string& text, const std::string& flag);
/// "2^20" for powers of two, else the decimal value.
std::string size_label(std::uint64_t n);

/// The CPU cases (cpu_cases.cpp). Appends records; prints progress to stderr.
void run_cpu_cases(const options& opt, std::vector<record>& out);
/// The audit case (audit_case.cpp): times gpurand::audit::run on honest per-thread u32 streams
/// and measures its peak memory, each size in its own forked child. Appends records (a failed
/// child gives a row with `error` set, not an exception); prints progress to stderr.
void run_cpu_audit(const options& opt, std::vector<record>& out);
/// The CPU model and core count, from /proc/cpuinfo and the affinity mask.
std::string cpu_description();
/// Cores this process may run on.
unsigned usable_cores();

/// True when this binary can reach a usable GPU (gpurand::gpu_available()).
bool have_gpu();
/// The GPU cases (gpu_cases.cu). Appends records; throws gpurand::Error on a CUDA failure.
void run_gpu_cases(const options& opt, std::vector<record>& out);
/// The GPU's name, SM count and memory (device 0 of this process).
std::string gpu_description();
/// GPURAND_CHECK_WINDOW as the CUDA translation unit saw it (the consume kernels' build).
int gpu_check_window();

/// The table, the header above it and the targets section below it, on stdout.
void print_report(const options& opt, const std::vector<record>& records);
/// Writes the records as a JSON array to `path` through a temporary file and rename(2), so a
/// reader never sees a partial file. Throws gpurand::Error(io) on failure (the temporary file
/// is removed).
void write_json_atomically(const std::string& path, const std::vector<record>& records);

}  // namespace gpurand::bench
