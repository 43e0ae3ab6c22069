#include "dispatch.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "../kernels/launch.hpp"
#include "backend/cpu/fill.hpp"
#include "backend/cpu/parallel.hpp"
#include "backend/cuda/capture.hpp"
#include "backend/cuda/cuda_check.hpp"
#include "backend/cuda/host.hpp"
#include "gpurand/detail/table.hpp"
#include "gpurand/discrete.hpp"

namespace gpurand {
namespace detail {

backend_kind resolve_backend(backend_kind requested) {
  switch (requested) {
    case backend_kind::cpu: return backend_kind::cpu;
    case backend_kind::automatic: return gpu_available() ? backend_kind::gpu : backend_kind::cpu;
    case backend_kind::gpu:
      if (!gpu_available())
        throw Error(errc::unsupported, "backend=gpu requested, but the GPU backend is unusable: " +
                                           gpu_unavailable_reason() +
                                           " (use backend=auto to fall back to the CPU)");
      return backend_kind::gpu;
  }
  throw Error(errc::invalid_argument,
              "backend: unknown value " + std::to_string(static_cast<int>(requested)));
}

backend_kind default_backend(const std::optional<backend_kind>& requested) {
  if (requested) return resolve_backend(*requested);
  const char* env = std::getenv("GPURAND_BACKEND");
  if (env && *env) return resolve_backend(parse_backend(env, "GPURAND_BACKEND"));
  return resolve_backend(backend_kind::automatic);
}

namespace {

constexpr bool bulk_traits_variable(dist d) {
  bool v = false;
  for_each_dist([&](auto c) {
    if (c.value == d) v = dist_traits<c.value>::variable;
  });
  return v;
}

bool is_normal(dist d) {
  return d == dist::normal || d == dist::normal_double || d == dist::normal_portable ||
         d == dist::normal_portable_double;
}

/// A double as it was passed (1e+39, not 1000000000000000000000...).
std::string show(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest form that reads back
  return std::string(buf, r.ptr);
}

void check_window(std::uint64_t offset, std::uint64_t draws, const char* what) {
  if (offset > UINT64_MAX - draws + 1 && draws != 0)
    throw Error(errc::exhausted, std::string(what) + ": offset " + std::to_string(offset) + " + " +
                                     std::to_string(draws) +
                                     " draws runs past the end of the 64-bit offset space");
}

std::string address_text(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%p", p);
  return buf;
}

/// Output memory checks shared by fills and the writer, on every backend:
/// values must be naturally aligned (a misaligned double faults on the GPU,
/// so the CPU refuses it too: one behaviour everywhere).
void check_alignment(dist kind, const void* out, const char* what) {
  const std::size_t align = value_size(kind);
  const auto addr = reinterpret_cast<std::uintptr_t>(out);
  if (out != nullptr && addr % align != 0)
    throw Error(errc::invalid_argument, std::string(what) + ": address " + address_text(out) +
                                            " is not aligned to " + std::to_string(align) +
                                            " bytes, as " + to_string(kind) +
                                            " values require (it is " +
                                            std::to_string(addr & (~addr + 1)) + "-byte aligned)");
}

/// The largest lambda of a Poisson value: above, round(lambda + sqrt(lambda) * z) (|z| < 8.58)
/// would overflow uint32 (cuRAND converts it unchecked).
constexpr double max_lambda = 4e9;

/// One Poisson lambda; `what` names it (lambda, lambdas[i]).
void check_lambda(double lambda, const std::string& what) {
  if (!(lambda > 0) || !(lambda <= max_lambda))
    throw Error(errc::invalid_argument, what +
                                            ": must be in (0, 4e9] (finite and positive; "
                                            "larger values overflow the uint32 counts), got " +
                                            show(lambda));
}

/// The log-normal parameters: finite, stddev >= 0, and no value beyond the type's range:
/// exp(mean + stddev * z) with |z| <= zmax stays finite while mean + zmax * stddev <= log(max).
void check_log_normal(dist kind, double mean, double stddev, const std::string& pre) {
  if (!std::isfinite(mean))
    throw Error(errc::invalid_argument, pre + "mean: must be finite, got " + show(mean));
  if (!std::isfinite(stddev) || stddev < 0)
    throw Error(errc::invalid_argument,
                pre + "stddev: must be finite and >= 0, got " + show(stddev));
  const bool is_float = kind == dist::log_normal;
  const double zmax = is_float ? 6.77 : 8.58;  // as for the normals (validate_bulk)
  const double top = is_float ? static_cast<double>(std::numeric_limits<float>::max())
                              : std::numeric_limits<double>::max();
  const double log_top = std::log(top);
  const char* type = is_float ? "float" : "double";
  if (mean < -top)
    throw Error(errc::invalid_argument,
                pre + "mean: " + show(mean) + " does not fit in " + type + " (a " + type + " fill)");
  if (mean + zmax * stddev > log_top)
    throw Error(errc::invalid_argument,
                pre + "stddev: " + show(stddev) + " with mean " + show(mean) + " gives log-normal " +
                    "values beyond the " + type + " range (mean + " + show(zmax) +
                    " * stddev must stay below log(" + show(top) + ") = " + show(log_top) + ")");
}

/// The lambdas of a per-element Poisson fill: memory the backend can read, every value good.
void check_lambdas(const bulk_request& req) {
  const backend_kind b = resolve_backend(req.backend);
  const cuda::pointer_info info = cuda::classify(req.lambdas, b == backend_kind::gpu);
  const bool device_side = info.kind == cuda::memory_kind::device;
  if (b == backend_kind::gpu && info.kind == cuda::memory_kind::host)
    throw Error(errc::invalid_argument,
                "lambdas: the GPU backend reads the lambdas in its kernel and needs device, "
                "managed or pinned memory, got a pageable host pointer (" +
                    address_text(req.lambdas) + ")");
  if (b == backend_kind::gpu && info.kind == cuda::memory_kind::pinned && !info.device_pointer)
    throw Error(errc::invalid_argument, "lambdas: pinned memory not mapped into the device (" +
                                            address_text(req.lambdas) + ")");
  if (b != backend_kind::gpu && device_side)
    throw Error(errc::invalid_argument,
                "lambdas: the CPU backend needs host-accessible lambdas, got device memory (" +
                    address_text(req.lambdas) + ")");
  if (reinterpret_cast<std::uintptr_t>(req.lambdas) % alignof(double) != 0)
    throw Error(errc::invalid_argument,
                "lambdas: address " + address_text(req.lambdas) + " is not aligned to 8 bytes");
  // Every lambda is checked before anything is reserved; device memory is copied to do so.
  std::vector<double> copy;
  const double* host = req.lambdas;
  if (device_side) {
    copy.resize(req.n);
    // On the legacy default stream, which waits for the work already queued on blocking streams.
    GPURAND_CUDA_CHECK(
        cuda::runtime().memcpy_async(copy.data(), req.lambdas, req.n * sizeof(double), nullptr));
    GPURAND_CUDA_CHECK(cuda::runtime().stream_synchronize(nullptr));
    host = copy.data();
  }
  for (std::size_t i = 0; i < req.n; ++i)
    check_lambda(host[i], "lambdas[" + std::to_string(i) + "]");
}

/// The asynchronous path's memory checks (before anything is reserved).
void check_async_output(const bulk_request& req, const void* out) {
  const backend_kind b = resolve_backend(req.backend);
  const cuda::pointer_info info = cuda::classify(out, b == backend_kind::gpu);
  if (info.kind != cuda::memory_kind::device && info.kind != cuda::memory_kind::managed)
    throw Error(errc::invalid_argument,
                "out: asynchronous fills need device or managed memory, got a host pointer (" +
                    address_text(out) + ")");
  if (b != backend_kind::gpu) return;
  int current = 0;
  GPURAND_CUDA_CHECK(cuda::runtime().get_device(&current));
  if (info.device >= 0 && info.device != current)
    throw Error(errc::invalid_argument,
                "out: memory of CUDA device " + std::to_string(info.device) +
                    ", but the current device is " + std::to_string(current) +
                    ": an asynchronous fill runs on the current device and its stream; call "
                    "cudaSetDevice(" +
                    std::to_string(info.device) + ") and pass a stream of that device");
}

}  // namespace

template <class Request>
void validate_params(const Request& req, const char* prefix) {
  const std::string pre = prefix;
  if (req.kind == dist::log_normal || req.kind == dist::log_normal_double)
    check_log_normal(req.kind, req.mean, req.stddev, pre);
  // Per-element lambdas are checked on their own (validate_bulk): lambda is then not read.
  if (req.kind == dist::poisson && req.lambdas == nullptr) check_lambda(req.lambda, pre + "lambda");
  if (req.kind == dist::exponential) {
    // float(lambda) must be a positive finite float, and the largest value, -log(2^-33) / lambda
    // = 22.9 / lambda, finite in float: lambda in [2^-120, FLT_MAX].
    if (!(req.lambda >= 0x1p-120) || !(req.lambda <= std::numeric_limits<float>::max()))
      throw Error(errc::invalid_argument,
                  pre + "lambda: must be in [2^-120, 3.4e38] (finite and > 0, a float rate) "
                        "for exponential, got " + show(req.lambda));
  }
  if (req.kind == dist::integer || req.kind == dist::integer64) {
    if (req.low >= req.high)
      throw Error(errc::invalid_argument, pre + "high: must be above low = " +
                                              std::to_string(req.low) + " (values in [low, high)), got " +
                                              std::to_string(req.high));
    if (req.kind == dist::integer && req.high > (std::uint64_t{1} << 32))
      throw Error(errc::invalid_argument,
                  pre + "high: integer values are uint32, so high must be at most 2^32 = "
                        "4294967296 (use integer64), got " + std::to_string(req.high));
  }
  if (req.kind == dist::bernoulli && !(req.p >= 0.0 && req.p <= 1.0))
    throw Error(errc::invalid_argument,
                pre + "p: must be in [0, 1] for bernoulli, got " + show(req.p));
  if (req.kind == dist::discrete) {
    if (req.table == nullptr)
      throw Error(errc::invalid_argument,
                  pre + "table: null pointer (discrete needs a gpurand::discrete_table)");
    (void)req.table->size();  // a moved-from table: Error naming `table`
  }
}
template void validate_params(const bulk_request&, const char*);
template void validate_params(const grid_request&, const char*);

void validate_cpu_settings() { (void)cpu_threads(); }

cuda::capture_info validate_bulk(const bulk_request& req, const void* out, bool async,
                                 cuda_stream stream) {
  visit(req.kind, [](auto) {});  // a value outside the table is an error naming `kind`
  require_bulk_body(req.kind);   // a build without the CUDA toolkit has no Poisson
  if (out == nullptr && req.n > 0)
    throw Error(errc::invalid_argument,
                "out: null pointer with n = " + std::to_string(req.n) + " values to write");
  if (req.n > SIZE_MAX / value_size(req.kind))
    throw Error(errc::invalid_argument, "n: " + std::to_string(req.n) + " values overflow size_t");
  if (is_normal(req.kind)) {
    if (!std::isfinite(req.mean))
      throw Error(errc::invalid_argument, "mean: must be finite, got " + show(req.mean));
    if (!std::isfinite(req.stddev) || req.stddev < 0)
      throw Error(errc::invalid_argument,
                  "stddev: must be finite and >= 0, got " + show(req.stddev));
    // Every output must be finite in the value type: |z| never exceeds
    // sqrt(-2 ln u_min), with u_min = 2^-33 for floats (curand_normal's
    // uniform) and 2^-53 for doubles, so |mean| + zmax * stddev <= max keeps
    // normal * stddev + mean finite (the scaling is done in the value type).
    const bool is_float = value_size(req.kind) == 4;
    const double zmax = is_float ? 6.77 : 8.58;
    const double top = is_float ? static_cast<double>(std::numeric_limits<float>::max())
                                : std::numeric_limits<double>::max();
    const char* type = is_float ? "float" : "double";
    if (std::fabs(req.mean) > top)
      throw Error(errc::invalid_argument, "mean: " + show(req.mean) + " does not fit in " + type +
                                              " (a " + type + " fill)");
    if (req.stddev > (top - std::fabs(req.mean)) / zmax)
      throw Error(errc::invalid_argument, "stddev: " + show(req.stddev) + " with mean " +
                                              show(req.mean) + " gives values beyond the " + type +
                                              " range (|mean| + " + show(zmax) +
                                              " * stddev must stay below " + show(top) + ")");
  }
  validate_params(req, "");
  if (req.kind == dist::poisson) {
    if (req.lambdas != nullptr && req.n > 0) check_lambdas(req);
  } else if (req.lambdas != nullptr) {
    throw Error(errc::invalid_argument, std::string("lambdas: set for a ") + to_string(req.kind) +
                                            " fill, which does not read it (poisson only)");
  }
  const std::uint64_t per = values_per_group(req.kind);
  if (req.n > 0 && req.first_group > UINT64_MAX - (req.n - 1) / per)
    throw Error(errc::invalid_argument, "first_group: " + std::to_string(req.first_group) +
                                            " + n runs past subsequence 2^64-1");
  check_window(req.offset, bulk_draws(req.kind), "fill");
  cuda::check_window_report();  // a kernel's overrun surfaces at the next host call
  if (req.n > 0) check_alignment(req.kind, out, "out");
  if (!async || req.n == 0) return {};
  check_async_output(req, out);
  const cuda::capture_info capture = cuda::capture_of(stream);
  if (capture.status == cuda::capture_status::active &&
      resolve_backend(req.backend) != backend_kind::gpu)
    throw Error(errc::unsupported,
                "stream: is being captured into a CUDA graph, but this generator runs on the CPU "
                "backend, which would fill now rather than at each replay: use backend=gpu for "
                "fills inside a graph");
  return capture;
}

void run_bulk(const bulk_request& req, backend_kind resolved, void* out, cuda_stream* stream,
              capture_slot* capture) {
  if (req.n == 0) return;
  const std::size_t per = values_per_group(req.kind);
  // The one dispatch from the run-time distribution to the typed backends.
  visit(req.kind, [&](auto d) {
    constexpr dist D = decltype(d)::value;
    // A chunk [first, first + count) of the fill is the same request started
    // `first / per` groups later (chunks start on a group).
    auto piece = [&req, per](std::size_t first, std::size_t count) {
      bulk_request c = req;
      c.first_group = req.first_group + first / per;
      c.n = count;
      if (c.lambdas) c.lambdas += first;  // lambdas[i] belongs to value i of the request
      return c;
    };
    cuda::fill_ops ops;
    ops.units = req.n;
    ops.unit_bytes = value_size(req.kind);
    ops.granularity = per;
    ops.gpu = [&](std::size_t first, std::size_t count, void* dst, void* s) {
      gpu_bulk<D>(piece(first, count), dst, s);
    };
    ops.cpu = [&](std::size_t first, std::size_t count, void* dst) {
      cpu_bulk<D>(piece(first, count), dst);
    };
    if (stream) {  // validate_bulk(..., async = true, stream) checked `out` and the capture
      if (resolved == backend_kind::gpu) {
        cuda::require_usable("GPU fill");
        if (capture == nullptr) return ops.gpu(0, req.n, out, *stream);
        gpu_bulk<D>(req, out, *stream, capture);  // one replay: the fill, then the step
        return gpu_capture_advance(capture, *stream);
      }
      // The CPU backend has no stream to enqueue on: it orders the fill after
      // the work already queued there and completes it before returning.
      GPURAND_CUDA_CHECK(cuda::runtime().stream_synchronize(*stream));
    }
    cuda::route(resolved, out, ops);
    // A GPU body over its budget reported it; the fill has synchronised (the asynchronous path
    // returned above: its report surfaces at the next host call).
    if (bulk_traits_variable(D)) cuda::check_window_report();
  });
}

void validate_grid(const grid_request& req, const void* out) {
  visit(
      req.eng, [](auto) {}, "eng");  // values outside the table are errors naming the field
  visit(req.kind, [](auto) {});
  validate_params(req, "");
  require_writer(req.eng, req.kind);  // a build without the CUDA toolkit runs Philox alone
  if (req.threads == 0 || req.per_thread == 0) return;  // nothing to write
  if (out == nullptr)
    throw Error(errc::invalid_argument, "out: null pointer with " + std::to_string(req.threads) +
                                            " x " + std::to_string(req.per_thread) +
                                            " values to write");
  if (req.first_thread > UINT64_MAX - (req.threads - 1))
    throw Error(errc::invalid_argument, "first_thread: " + std::to_string(req.first_thread) +
                                            " + threads runs past subsequence 2^64-1");
  // cuRAND documents MRG32k3a's curand_init for subsequences below 2^51
  // only: its skip-ahead table ends there (above, the state is all zero or
  // read past the table). Refuse rather than hand out identical streams.
  constexpr std::uint64_t mrg_limit = std::uint64_t{1} << 51;
  if (req.eng == engine::mrg32k3a && req.first_thread + (req.threads - 1) >= mrg_limit)
    throw Error(errc::invalid_argument,
                "first_thread: " + std::to_string(req.first_thread) + " + threads " +
                    std::to_string(req.threads) +
                    " reaches subsequence 2^51, where MRG32k3a's curand_init ends (its "
                    "subsequences are valid below 2^51 only)");
  if (req.per_thread > SIZE_MAX / value_size(req.kind) / req.threads)
    throw Error(errc::invalid_argument, "threads x per_thread: " + std::to_string(req.threads) +
                                            " x " + std::to_string(req.per_thread) +
                                            " values overflow size_t");
  if (req.lambdas != nullptr)
    throw Error(errc::invalid_argument,
                "lambdas: one lambda per element is a bulk layout; the per-thread writer takes "
                "lambda");
  (void)draws_for(req.eng, req.kind, req.per_thread);  // throws if it needs over 2^64 draws
  check_alignment(req.kind, out, "out");
}

void run_grid(const grid_request& req, void* out) {
  validate_grid(req, out);
  if (req.threads == 0 || req.per_thread == 0) return;  // nothing to write
  check_window(req.offset, draws_for(req.eng, req.kind, req.per_thread), "write_thread_streams");
  cuda::check_window_report();
  check_alignment(req.kind, out, "out");
  const std::size_t vs = value_size(req.kind);
  // Units are threads: a chunk of threads [first, first + count) is a grid
  // of its own, in its own (thread- or draw-major) layout.
  auto piece = [&req](std::size_t first, std::size_t count) {
    grid_request c = req;
    c.first_thread = req.first_thread + first;
    c.threads = count;
    return c;
  };
  // The one dispatch from the run-time engine and distribution to the typed backends.
  visit(req.eng, req.kind, [&](auto e, auto d) {
    constexpr engine E = decltype(e)::value;
    constexpr dist D = decltype(d)::value;
    cuda::fill_ops ops;
    ops.units = req.threads;
    ops.unit_bytes = req.per_thread * vs;
    ops.gpu = [&](std::size_t first, std::size_t count, void* dst, void* s) {
      gpu_grid<E, D>(piece(first, count), dst, s);
    };
    ops.cpu = [&](std::size_t first, std::size_t count, void* dst) {
      cpu_grid<E, D>(piece(first, count), dst);
    };
    if (req.interleave)  // draw k of a chunk's thread i goes to row k of the whole grid
      ops.place = [&req, vs](std::size_t first, std::size_t count, const void* src, void* out) {
        for (std::uint64_t k = 0; k < req.per_thread; ++k)
          std::memcpy(static_cast<unsigned char*>(out) + (k * req.threads + first) * vs,
                      static_cast<const unsigned char*>(src) + k * count * vs, count * vs);
      };
    cuda::route(resolve_backend(req.backend), out, ops);
    if (bulk_traits_variable(D)) cuda::check_window_report();  // a GPU thread over its budget
  });
}

}  // namespace detail

void fill(const bulk_request& req, void* out) {
  detail::validate_bulk(req, out);
  detail::run_bulk(req, detail::resolve_backend(req.backend), out, nullptr);
}

void write_thread_streams(const grid_request& req, void* out) { detail::run_grid(req, out); }

bulk_request split(const bulk_request& req, std::uint64_t part, std::uint64_t parts) {
  if (parts == 0) throw Error(errc::invalid_argument, "parts: must be positive, got 0");
  if (part >= parts)
    throw Error(errc::invalid_argument, "part: must be below parts = " + std::to_string(parts) +
                                            ", got " + std::to_string(part));
  // Whole groups per piece, the remainder spread over the first pieces, so
  // every piece but the last ends on a group boundary and the last one takes
  // the partial group at the end.
  const std::uint64_t per = detail::values_per_group(req.kind);
  const std::uint64_t groups = req.n / per + (req.n % per != 0);
  const std::uint64_t base = groups / parts, extra = groups % parts;
  const std::uint64_t first = part * base + std::min<std::uint64_t>(part, extra);
  const std::uint64_t count = base + (part < extra ? 1 : 0);
  bulk_request piece = req;
  piece.first_group = req.first_group + first;
  if (piece.lambdas)  // the piece's own lambdas, as its output is its own buffer
    piece.lambdas += std::min<std::uint64_t>(req.n, first * per);
  piece.n = static_cast<std::size_t>(
      std::min<std::uint64_t>(req.n - std::min<std::uint64_t>(req.n, first * per), count * per));
  return piece;
}

}  // namespace gpurand
