#pragma once
/// \file gpurand.hpp
/// gpurand host API: plain C++17, no nvcc and no CUDA header needed.
///
/// Map of the design (see README.md for the full story):
///  - `Generator` owns a seed (from the OS unless given) and a window of the
///    Philox4x32-10 offset space. Every call reserves a fresh, disjoint offset
///    range atomically, so calls, launches and host threads never share a
///    (subsequence, counter) pair.
///  - Bulk fills (`generate`, `uniform`, `normal`) use the contract layout:
///    with o the offset before the call, out[i] is lane i%4 of one
///    curand4/curand_uniform4/curand_normal4 from curand_init(seed, i/4, o);
///    doubles use lane i%2 of curand_uniform2_double/curand_normal2_double
///    with subsequence i/2. Each call advances the offset by 4.
///  - `launch(k)` hands a trivially copyable `launch_handle` to user kernels;
///    `device.cuh` turns it into per-thread cuRAND-identical streams.
///  - `spawn(i)` / `spawn(i, n)` derive child generators for processes,
///    devices or ranks whose offset windows are disjoint from the parent's and
///    each other's; `state()` / `restore()` checkpoint a generator.
///  - The choke point: every call that draws or derives validates the whole
///    request, then checks the process (fork epoch and pid), then reserves its
///    window, in that order, so a rejected call consumes nothing.
///  - Backends: a CUDA GPU, or the CPU backend which runs the same
///    `__host__ __device__` bodies and gives the same bits.
///
/// Files (the full map is in README.md, "Layout"):
///  - gpurand/device.cuh: the device API; gpurand/philox.hpp: Philox as a
///    pure function; gpurand/audit.hpp: the audit; gpurand/mpi.hpp: ranks.
///  - gpurand/detail/table.hpp: the one table of engines and distributions,
///    from which names, draw counts, the dispatch and the tests are made.
///  - src/generator.cpp (this class) -> src/dispatch.cpp (validation, the one
///    visit, routing) -> src/backend/cpu/fill.cpp or kernels/fill.cu (via
///    src/backend/cuda/) -> the shared body in gpurand/detail/bulk.hpp.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "gpurand/config.hpp"

namespace gpurand {

/// Error categories carried by gpurand::Error.
enum class errc : int {
  invalid_argument = 1,  ///< an argument has a bad value; the message names it
  unsupported = 2,       ///< valid request this machine cannot serve (e.g. gpu backend, no GPU)
  cuda_error = 3,        ///< a CUDA call failed; the message carries cudaGetErrorString
  exhausted = 4,         ///< the offset or spawn space of a generator is used up
  forked = 5,            ///< an explicitly seeded generator was used in a forked child
  entropy = 6,           ///< the OS could not supply a seed
  io = 7,                ///< reading or writing a file failed
};

/// The one exception type gpurand throws.
class Error : public std::runtime_error {
 public:
  Error(errc code, const std::string& what);
  errc code() const noexcept { return code_; }

 private:
  errc code_;
};

/// Where the work runs. `automatic` picks the GPU when a usable device exists.
enum class backend_kind { automatic, cpu, gpu };
/// cuRAND engines. Philox is the default; the others are offered for porting.
enum class engine { philox4_32_10, xorwow, mrg32k3a };
/// Output distributions, named after the cuRAND device function they reproduce.
enum class dist {
  u32,
  uniform,
  normal,
  uniform_double,
  normal_double,
  /// gpurand's portable normal: the draws of `normal` through gpurand's own log/sqrt/sincos
  /// (gpurand/detail/portable_math.hpp), the same bits on every CPU and GPU.
  normal_portable,
  normal_portable_double,
  /// curand_log_normal: exp(mean + stddev * z), z the Box-Muller normal of `normal` (float).
  log_normal,
  /// curand_log_normal_double: exp(mean + stddev * z), z the normal of `normal_double`.
  log_normal_double,
  /// curand_poisson(lambda), stored as uint32: a variable number of draws per value (see
  /// bulk_draws and draws_for).
  poisson,
  /// Unbiased integers in [low, high) stored as uint32 (high - low <= 2^32, high <= 2^32):
  /// Lemire's multiply-shift with rejection, the wide form (gpurand/detail/integers.hpp).
  integer,
  /// Unbiased integers in [low, high) stored as uint64 (high <= 2^64 - 1).
  integer64,
  /// Exponential(lambda) floats from one draw each (gpurand/detail/distributions.hpp): portable.
  exponential,
  /// Bernoulli(p) as uint32 0/1 from one draw each, p quantised to a multiple of 2^-32.
  bernoulli,
  /// Categorical over the categories of a gpurand::discrete_table (alias method), as uint32.
  discrete
};

class discrete_table;  // gpurand/discrete.hpp

/// Tag selecting the portable normal: gen.normal(out, n, mean, stddev, gpurand::portable).
struct portable_t {
  explicit constexpr portable_t() = default;
};
inline constexpr portable_t portable{};

const char* to_string(backend_kind b) noexcept;
const char* to_string(engine e) noexcept;
const char* to_string(dist d) noexcept;
/// Parse "auto|cpu|gpu"; throws Error(invalid_argument) naming `what` and the value.
backend_kind parse_backend(std::string_view text, std::string_view what = "backend");
/// Parse "philox|xorwow|mrg32k3a".
engine parse_engine(std::string_view text, std::string_view what = "engine");
/// Parse "u32|uniform|normal|uniform-double|normal-double".
dist parse_dist(std::string_view text, std::string_view what = "dist");
/// Size in bytes of one value of `d` (4 or 8).
std::size_t value_size(dist d) noexcept;

/// 32-bit draws that one thread consumes for `k` consecutive values of `d`
/// (curand, curand_uniform, curand_normal, ...) on engine `e`. Normals come
/// in Box-Muller pairs, so an odd k still consumes the whole pair.
/// Throws Error(exhausted) if the count does not fit in 64 bits.
/// Distributions with a variable number of draws per value (poisson) count
/// their cap per value: k values take at most draws_for draws; a thread that
/// would take more stops with Error(exhausted), never overlapping.
std::uint64_t draws_for(engine e, dist d, std::uint64_t k);

/// Draws of every subsequence that one bulk fill of `d` reserves (the
/// generator's offset advances by this much): 4 (one Philox block), or for
/// a variable-draw distribution the cap of one group of values (poisson:
/// 1024, 4 values of at most 256 draws each).
std::uint64_t bulk_draws(dist d) noexcept;

/// 64 bits from the OS: getrandom(2), falling back to /dev/urandom. Never
/// time or pid. Throws Error(entropy) if neither source works.
std::uint64_t os_entropy64();

/// True when the GPU backend can run in this process: a CUDA device is
/// present, the current device can run the GPU code this gpurand was built
/// for (compute capability against CMAKE_CUDA_ARCHITECTURES), and this is
/// not a forked child of a process in which gpurand had initialised CUDA (a
/// CUDA context does not survive fork()). Probed once per process.
bool gpu_available() noexcept;
/// Why gpu_available() is false (empty when it is true), e.g. "no CUDA
/// device found", "built without CUDA", a compute capability the build has
/// no code for, or CUDA initialised before fork(). backend=auto then uses
/// the CPU; backend=gpu throws Error carrying this text.
std::string gpu_unavailable_reason();
/// Number of CUDA devices this process can use: 0 without a GPU, in a build
/// without CUDA, or in a forked child of a process in which gpurand had
/// initialised CUDA. Initialises CUDA like gpu_available(). Counts devices
/// whatever their compute capability (a Generator on one this build has no
/// code for is refused at construction).
int device_count() noexcept;

/// CPU backend settings, process-wide. Results never depend on them: they
/// only choose how the work is split.
struct cpu_settings {
  unsigned threads = 0;     ///< worker threads; 0: $GPURAND_CPU_THREADS, else all usable cores
  std::uint64_t block = 0;  ///< groups (bulk) or threads (writer) per task; 0: sized per call
};
void set_cpu_settings(const cpu_settings& s);
cpu_settings get_cpu_settings();

/// A cudaStream_t passed opaquely so this header stays free of CUDA headers.
/// nullptr means the legacy default stream.
using cuda_stream = void*;

template <engine E>
class basic_stream;  // defined in gpurand/device.cuh
using philox_stream = basic_stream<engine::philox4_32_10>;
using xorwow_stream = basic_stream<engine::xorwow>;
/// MRG32k3a subsequences are valid below 2^51 only (cuRAND's curand_init
/// skip-ahead table ends there): the host API refuses larger thread ids; in
/// device code, keep ids below 2^51 yourself.
using mrg32k3a_stream = basic_stream<engine::mrg32k3a>;

/// Per-launch handle, trivially copyable, passed by value into kernels.
/// It grants every subsequence id the offset window [offset, offset + draws).
struct launch_handle {
  std::uint64_t seed;
  std::uint64_t offset;  ///< first 32-bit draw of the window
  std::uint64_t draws;   ///< window length in 32-bit draws, per subsequence
  /// Where a checked kernel reports a stream that drew past the window: two
  /// words (flag, subsequence) in host-mapped memory that gpurand reads at
  /// its next host call, turning the report into Error(exhausted). nullptr:
  /// the device only prints the report before trapping.
  std::uint64_t* report = nullptr;

  /// The generator of logical thread `id` (any 64-bit id: a global thread
  /// index, a particle index): exactly cuRAND's curand_init(seed, id, offset).
  /// Defined in gpurand/device.cuh.
  template <engine E = engine::philox4_32_10>
  GPURAND_HD basic_stream<E> stream(std::uint64_t id) const;
#if defined(__CUDACC__)
  /// Device code only: the stream of the calling thread's global linear index
  /// across blocks (gpurand::global_thread_id()).
  template <engine E = engine::philox4_32_10>
  __device__ basic_stream<E> stream() const;
#endif
};

/// The parameters of a distribution, shared by bulk_request and grid_request;
/// each distribution reads its own and ignores the others.
struct dist_params {
  /// Bulk normals: normal * stddev + mean; log-normal (bulk and grid): exp(mean + stddev * z).
  /// The normals' grid mode is unscaled (curand_normal).
  double mean = 0.0;
  double stddev = 1.0;              ///< normals and log-normals; must be finite and >= 0
  double lambda = 1.0;              ///< poisson, exponential
  std::uint64_t low = 0;            ///< integer, integer64: values in [low, high)
  std::uint64_t high = 0;
  double p = 0.5;                   ///< bernoulli
  const double* lambdas = nullptr;  ///< poisson with one lambda per element (bulk only)
  const discrete_table* table = nullptr;  ///< discrete
};

/// A raw bulk fill at an explicit (seed, offset), with no bookkeeping: the
/// caller owns uniqueness. Generator's fills are built on it.
struct bulk_request : dist_params {
  dist kind = dist::u32;
  std::uint64_t seed = 0;
  std::uint64_t offset = 0;
  std::size_t n = 0;
  /// Start at group `first_group` of the layout (value index first_group * 4,
  /// or * 2 for doubles): lets a large fill be produced in pieces.
  std::uint64_t first_group = 0;
  backend_kind backend = backend_kind::automatic;
};
/// Fill `out` (host, device or managed memory, n values of bulk_request::kind's
/// type) in the bulk layout. Synchronous. Throws Error on bad input.
void fill(const bulk_request& req, void* out);

/// The per-thread writer: thread g in [first_thread, first_thread + threads)
/// writes `per_thread` consecutive values of its own stream
/// curand_init(seed, g, offset) to out[(g - first_thread) * per_thread ..].
/// Any engine. Synchronous. With `interleave`, the layout is draw-major
/// instead: out[k * threads + (g - first_thread)] (round-robin over streams).
struct grid_request : dist_params {
  engine eng = engine::philox4_32_10;
  dist kind = dist::u32;
  std::uint64_t seed = 0;
  std::uint64_t offset = 0;
  std::uint64_t first_thread = 0;
  std::uint64_t threads = 0;
  std::uint64_t per_thread = 0;
  bool interleave = false;
  backend_kind backend = backend_kind::automatic;
};
void write_thread_streams(const grid_request& req, void* out);

/// Piece `part` of `parts` of a bulk fill: whole groups of the layout, in
/// order, so the pieces' outputs concatenated equal fill(req) bit for bit (the
/// layout depends only on (seed, offset, index)). Fill each piece with
/// gpurand::fill into its own buffer: on its own device, rank or thread.
/// A per-element `lambdas` pointer is advanced to the piece's first value.
/// Pieces may be empty when there are fewer groups than parts. Throws
/// Error(invalid_argument) for parts == 0 or part >= parts.
bulk_request split(const bulk_request& req, std::uint64_t part, std::uint64_t parts);

/// Construction options for Generator.
struct options {
  std::optional<std::uint64_t> seed;    ///< empty: 64 bits from the OS
  std::optional<backend_kind> backend;  ///< empty: $GPURAND_BACKEND, else automatic
  std::uint64_t offset = 0;             ///< first offset of the generator's window
  /// The CUDA device the generator's GPU work runs on: made current for each
  /// call and the caller's current device restored after. Empty: the current
  /// device at each call. Checked at construction on the GPU backend (a bad
  /// index is Error(invalid_argument) naming `device`); ignored by the CPU
  /// backend. Device memory of another device is refused, not filled there.
  /// Not part of state(): like the backend, it belongs to the machine.
  std::optional<int> device = std::nullopt;
  /// Replays one asynchronous fill captured into a CUDA graph may run: the
  /// capture reserves replays x 4 offsets (see README.md, "CUDA graphs").
  /// Empty: 2^20. Must be positive and at most 2^62.
  std::optional<std::uint64_t> capture_replays = std::nullopt;
};

/// The owning host object. Thread-safe: concurrent calls from host threads
/// each reserve a disjoint offset range atomically. Not copyable (a copy
/// would repeat the original's numbers); movable.
///
/// Window: a root generator with start offset b owns [b, b + (2^64-1-b)/2)
/// for its own calls; the upper half is its spawn space, split into equal
/// slots: 65,536 for `spawn(i)`, n for `spawn(i, n)`. A child divides its
/// own slot the same way, so each level of a spawn tree costs log2(n) + 1
/// bits of the 64-bit offset space.
///
/// Fork safety: a generator seeded from the OS that is used in a forked
/// child (fork(), or a raw clone that skips pthread_atfork: the pid is
/// checked too) reseeds itself from the OS there, also for seed(), offset()
/// and spawn(); one with an explicit seed throws Error(forked) from any call
/// that draws instead of repeating the parent's numbers, and still allows
/// spawn(i) (the remedy) and seed().
class Generator {
 public:
  Generator();                             ///< OS seed, default backend
  explicit Generator(std::uint64_t seed);  ///< reproducible
  explicit Generator(const options& opts);
  ~Generator();
  Generator(Generator&&) noexcept;
  Generator& operator=(Generator&&) noexcept;
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  std::uint64_t seed() const;    ///< always readable, so a run can be repeated
  std::uint64_t offset() const;  ///< next offset a call will reserve
  backend_kind backend() const;  ///< cpu or gpu (never automatic)
  bool seeded_from_os() const;
  std::uint64_t window_end() const;  ///< end of the offsets this generator may use itself

  /// Bulk fills into host, device or managed memory (inspected per call).
  /// Synchronous. Reserve 4 draws of offset; see the layout in the file header.
  void generate(std::uint32_t* out, std::size_t n);
  void uniform(float* out, std::size_t n);
  void uniform(double* out, std::size_t n);
  void normal(float* out, std::size_t n, float mean = 0.0f, float stddev = 1.0f);
  void normal(double* out, std::size_t n, double mean = 0.0, double stddev = 1.0);
  /// The portable normal (dist::normal_portable / normal_portable_double): the same (u, v)
  /// draws and layout as normal(), gpurand's own log and sincos, out = fma(z, stddev, mean); the
  /// same bits on the CPU backend at every SIMD level and thread count and on the GPU.
  void normal(float* out, std::size_t n, float mean, float stddev, portable_t);
  void normal(double* out, std::size_t n, double mean, double stddev, portable_t);

  /// Log-normal fills (dist::log_normal, log_normal_double), cuRAND-exact: out[i] is lane i%4
  /// of curand_log_normal4(&s, mean, stddev) (floats; lane i%2 of
  /// curand_log_normal2_double for doubles) of s = curand_init(seed, i/4 (i/2), o), i.e.
  /// exp(mean + stddev * z) over the normals of normal(). mean and stddev finite, stddev >= 0,
  /// and mean + zmax * stddev <= log(max of the type) (zmax = 6.77 float, 8.58 double) so
  /// that no value is infinite; else Error(invalid_argument) naming the argument.
  void log_normal(float* out, std::size_t n, float mean, float stddev);
  void log_normal(double* out, std::size_t n, double mean, double stddev);
  /// Poisson fill with one lambda (dist::poisson), cuRAND-exact: out[i] is lane i%4 of
  /// curand_poisson4(&s, lambda) of s = curand_init(seed, i/4, o) (the same as four
  /// consecutive curand_poisson(&s, lambda)): Knuth's product for lambda < 64, cuRAND's
  /// gammainc rejection for 64 <= lambda <= 4000, round(lambda + sqrt(lambda) * normal) above.
  /// 0 < lambda <= 4e9 (above, lambda + 8.6 sqrt(lambda) would overflow uint32). Reserves
  /// bulk_draws(dist::poisson) = 1024 draws of every subsequence (4 values of at most 256
  /// draws); a group that needs more (not seen in practice) is Error(exhausted), and the
  /// output is then incomplete.
  void poisson(std::uint32_t* out, std::size_t n, double lambda);
  /// Poisson with one lambda per element: group j (values 4j..4j+3) is four consecutive
  /// curand_poisson(&s, lambdas[4j + l]) of s = curand_init(seed, j, o), l = 0..3; with all
  /// lambdas equal this is the layout above. `lambdas` holds n values, each as `lambda` above
  /// (a bad one is Error naming its index); on the GPU backend it must be device-accessible
  /// (device, managed or mapped pinned memory), on the CPU backend host-accessible.
  void poisson(std::uint32_t* out, std::size_t n, const double* lambdas);

  /// Unbiased integers in [low, high) (dist::integer), stored as uint32: low < high <= 2^32,
  /// else Error(invalid_argument) naming high. Value 2m + l of group m = i / 2 (l = i % 2) is
  /// low + Lemire's wide form (gpurand/detail/integers.hpp) over the words (x_2l, x_2l+1) of the
  /// block curand4(curand_init(seed, m, o)); a rejected try (probability < 2^-32) continues
  /// with that subsequence's draws after the block (value 0's retries first). Portable: the same
  /// bits on every CPU and GPU. Reserves bulk_draws(dist::integer) = 16 draws of every
  /// subsequence; a group that needs more (three retries, probability < 2^-96) is
  /// Error(exhausted), the output then incomplete.
  void integers(std::uint32_t* out, std::size_t n, std::uint64_t low, std::uint64_t high);
  /// Unbiased integers in [low, high) (dist::integer64), stored as uint64 (low < high): value i
  /// is low + the wide form over the 64-bit words (x0 << 32 | x1, x2 << 32 | x3) of the block
  /// curand4(curand_init(seed, i, o)), a rejected try (probability < 2^-64) continuing with the
  /// draws after the block. Reserves bulk_draws(dist::integer64) = 8 draws of every subsequence.
  void integers(std::uint64_t* out, std::size_t n, std::uint64_t low, std::uint64_t high);

  /// Exponential(lambda) floats: value i is exponential_from_u32(x, lambda) of word i % 4 of the
  /// Philox block curand4(curand_init(seed, i / 4, o)), i.e. -log(u) / lambda with u that
  /// word's curand_uniform value and gpurand's portable log: the same bits on every CPU and
  /// GPU. lambda in [2^-120, FLT_MAX], else Error(invalid_argument) naming lambda. Reserves 4
  /// draws, like every fixed-draw fill.
  void exponential(float* out, std::size_t n, float lambda = 1.0f);
  /// Bernoulli(p) as 0/1: value i is 1 iff word i % 4 of block curand_init(seed, i / 4, o) is
  /// below round(p * 2^32) (so P(1) is p to within 2^-33). p in [0, 1], else
  /// Error(invalid_argument) naming p. Portable. Reserves 4 draws.
  void bernoulli(std::uint32_t* out, std::size_t n, double p);
  /// Categories of `table` (gpurand/discrete.hpp): value i is the alias method over words
  /// (0, 1) for even i, (2, 3) for odd i, of block curand_init(seed, i / 2, o). Portable. The
  /// GPU backend copies the table to the device on first use there (table.device_view()).
  /// Reserves 4 draws.
  void discrete(std::uint32_t* out, std::size_t n, const discrete_table& table);

  /// Asynchronous fills into device memory on `stream`; they return once the
  /// kernel is enqueued. `out` must be device (or managed) memory.
  /// Capture-safe: on a stream being captured into a CUDA graph, the fill
  /// reserves a window of options::capture_replays replays, and every replay
  /// of the graph draws the next 4 offsets of it (its own numbers). A replay
  /// past the window writes all-one bytes (NaN) instead of numbers, and this
  /// generator's next call throws Error(exhausted) naming the capture. The
  /// graph owns what the replays need: the generator may die first. Refused
  /// (Error(unsupported)) on the CPU backend under capture, on an
  /// invalidated capture, and on the legacy stream while another stream
  /// captures.
  void generate_async(std::uint32_t* out, std::size_t n, cuda_stream stream);
  void uniform_async(float* out, std::size_t n, cuda_stream stream);
  void uniform_async(double* out, std::size_t n, cuda_stream stream);
  void normal_async(float* out, std::size_t n, float mean, float stddev, cuda_stream stream);
  void normal_async(double* out, std::size_t n, double mean, double stddev, cuda_stream stream);
  void log_normal_async(float* out, std::size_t n, float mean, float stddev, cuda_stream stream);
  void log_normal_async(double* out, std::size_t n, double mean, double stddev, cuda_stream stream);
  /// A variable-draw group over its budget is reported at the next host call (Error(exhausted)).
  void poisson_async(std::uint32_t* out, std::size_t n, double lambda, cuda_stream stream);
  void poisson_async(std::uint32_t* out, std::size_t n, const double* lambdas, cuda_stream stream);
  void integers_async(std::uint32_t* out, std::size_t n, std::uint64_t low, std::uint64_t high,
                      cuda_stream stream);
  void integers_async(std::uint64_t* out, std::size_t n, std::uint64_t low, std::uint64_t high,
                      cuda_stream stream);
  void exponential_async(float* out, std::size_t n, float lambda, cuda_stream stream);
  void bernoulli_async(std::uint32_t* out, std::size_t n, double p, cuda_stream stream);
  /// The table's first use on the stream's device copies it synchronously (device_view()).
  void discrete_async(std::uint32_t* out, std::size_t n, const discrete_table& table,
                      cuda_stream stream);

  /// Reserve `draws_per_thread` 32-bit draws (rounded up to a multiple of 4,
  /// a whole Philox block) for every subsequence and return the handle that
  /// user kernels turn into streams. Consecutive launches never overlap.
  launch_handle launch(std::uint64_t draws_per_thread);

  /// Philox per-thread writer over a fresh window: thread g writes
  /// `per_thread` values of `kind` from curand_init(seed(), g, o), with the
  /// default parameters (log-normal mean 0, stddev 1; Poisson lambda 1; use
  /// write_thread_streams for others). Returns o, the offset of the window used.
  std::uint64_t thread_streams(dist kind, std::uint64_t threads, std::uint64_t per_thread,
                               void* out);

  /// Reserve the window of one bulk fill of n values of `kind` (offset +4,
  /// as every bulk call) without running it, for a fill that the caller
  /// splits over devices, ranks or threads: fill gpurand::split(req, i, parts)
  /// for each i with gpurand::fill. The request carries this generator's
  /// seed, the reserved offset and backend. Same checks as the fills.
  bulk_request reserve_fill(dist kind, std::size_t n, double mean = 0.0, double stddev = 1.0);
  /// reserve_fill for any distribution: `shape` gives kind, n and the distribution's
  /// parameters (mean, stddev, lambda, lambdas, low, high, p, table); the result is `shape`
  /// with this generator's seed, the reserved offset (bulk_draws(kind) draws), first_group 0
  /// and backend.
  bulk_request reserve_fill(const bulk_request& shape);

  /// Child generator `index` in [0, 65536): same seed, an offset window that
  /// cannot overlap this generator's own window or any sibling's. It does
  /// not consume this generator's offsets and may be called in a forked child.
  /// Same as spawn(index, 65536).
  Generator spawn(std::uint64_t index) const;

  /// Child `index` of `n` (index < n): this generator's spawn space divided
  /// into n equal slots, so a level of a rank x device x worker tree costs
  /// only log2(n) + 1 bits. The first spawn fixes how the space is divided:
  /// a later call with another n is Error(invalid_argument) (its slots would
  /// overlap the first ones). A slot under 2^20 draws per subsequence is
  /// Error(exhausted), never an overlap. Spawning the same index twice gives
  /// the same child (reproducible): give each worker its own index.
  Generator spawn(std::uint64_t index, std::uint64_t n) const;

  /// The whole state as one short line of text: format version, seed,
  /// whether it came from the OS, root offset, spawn path, window, next
  /// offset, how the spawn space is divided, and a checksum. See README.md
  /// ("Checkpoint and restore").
  std::string state() const;

  /// A generator that continues `state` bit for bit: same seed, window, next
  /// offset, spawn children and fork behaviour. Throws Error(invalid_argument)
  /// naming what is wrong for a corrupted, truncated, inconsistent or
  /// future-version state. `backend`: as in options (the state does not
  /// carry the backend, which belongs to the machine).
  static Generator restore(std::string_view state,
                           std::optional<backend_kind> backend = std::nullopt);
  /// restore() with what belongs to the machine or the run rather than to the
  /// state: opts.backend, opts.device and opts.capture_replays apply; the
  /// state carries the seed and the offsets, so opts.seed must be empty and
  /// opts.offset 0 (else Error(invalid_argument)).
  static Generator restore(std::string_view state, const options& opts);

 private:
  struct impl;
  explicit Generator(std::unique_ptr<impl> p);
  void bulk(dist kind, void* out, std::size_t n, double mean, double stddev, cuda_stream* stream);
  /// The fill of `req` (kind, n and the distribution's parameters; seed, offset, backend are
  /// this generator's) through the choke point.
  void bulk(bulk_request req, void* out, cuda_stream* stream);
  std::unique_ptr<impl> impl_;
};

}  // namespace gpurand
