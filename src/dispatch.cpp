#include "dispatch.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "../kernels/launch.hpp"
#include "cpu_backend.hpp"
#include "gpu_runtime.hpp"
#include "gpurand/detail/table.hpp"
#include "parallel.hpp"

namespace gpurand {
namespace detail {

backend_kind resolve_backend(backend_kind requested) {
  switch (requested) {
    case backend_kind::cpu: return backend_kind::cpu;
    case backend_kind::automatic: return gpu_available() ? backend_kind::gpu : backend_kind::cpu;
    case backend_kind::gpu:
      if (!gpu_available())
        throw Error(errc::unsupported,
                    "backend=gpu requested, but no usable CUDA device was found (use "
                    "backend=auto to fall back to the CPU)");
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

bool is_normal(dist d) { return d == dist::normal || d == dist::normal_double; }

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

/// Runs `on_gpu(dst)` or `on_cpu(dst)` so that the result lands in `out`
/// wherever it lives: a GPU writing host memory goes through a device
/// buffer, the CPU writing device memory through a host buffer. Synchronous.
template <class OnGpu, class OnCpu>
void route(backend_kind resolved, void* out, std::size_t bytes, OnGpu&& on_gpu, OnCpu&& on_cpu) {
  const memory_kind mem = classify(out);
  if (resolved == backend_kind::gpu) {
    if (mem == memory_kind::host) {
      device_buffer tmp(bytes);
      on_gpu(tmp.get());
      copy_to_host(out, tmp.get(), bytes);  // waits for the kernel
    } else {
      on_gpu(out);
      synchronize(nullptr);
    }
  } else if (mem == memory_kind::device) {
    std::vector<unsigned char> tmp(bytes);
    on_cpu(tmp.data());
    copy_to_device(out, tmp.data(), bytes);
  } else {
    on_cpu(out);
  }
}

}  // namespace

void validate_cpu_settings() { (void)cpu_threads(); }

void validate_bulk(const bulk_request& req, const void* out, bool async) {
  visit(req.kind, [](auto) {});  // a value outside the table is an error naming `kind`
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
    const bool is_float = req.kind == dist::normal;
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
  const std::uint64_t per = value_size(req.kind) == 8 ? 2 : 4;
  if (req.n > 0 && req.first_group > UINT64_MAX - (req.n - 1) / per)
    throw Error(errc::invalid_argument, "first_group: " + std::to_string(req.first_group) +
                                            " + n runs past subsequence 2^64-1");
  check_window(req.offset, 4, "fill");
  if (async && req.n > 0 && classify(out) == memory_kind::host)
    throw Error(errc::invalid_argument,
                "out: asynchronous fills need device or managed memory, got a host pointer");
}

void run_bulk(const bulk_request& req, backend_kind resolved, void* out, cuda_stream* stream) {
  if (req.n == 0) return;
  // The one dispatch from the run-time distribution to the typed backends.
  visit(req.kind, [&](auto d) {
    constexpr dist D = decltype(d)::value;
    auto on_gpu = [&](void* dst) { gpu_bulk<D>(req, dst, stream ? *stream : nullptr); };
    auto on_cpu = [&](void* dst) { cpu_bulk<D>(req, dst); };
    if (stream) {  // validate_bulk(..., async = true) made sure `out` is device memory
      if (resolved == backend_kind::gpu) return on_gpu(out);
      // The CPU backend has no stream to enqueue on: it orders the fill after
      // the work already queued there and completes it before returning.
      synchronize(*stream);
    }
    route(resolved, out, req.n * value_size(req.kind), on_gpu, on_cpu);
  });
}

void validate_grid(const grid_request& req, const void* out) {
  visit(
      req.eng, [](auto) {}, "eng");  // values outside the table are errors naming the field
  visit(req.kind, [](auto) {});
  if (req.threads == 0 || req.per_thread == 0) return;  // nothing to write
  if (out == nullptr)
    throw Error(errc::invalid_argument, "out: null pointer with " + std::to_string(req.threads) +
                                            " x " + std::to_string(req.per_thread) +
                                            " values to write");
  if (req.first_thread > UINT64_MAX - (req.threads - 1))
    throw Error(errc::invalid_argument, "first_thread: " + std::to_string(req.first_thread) +
                                            " + threads runs past subsequence 2^64-1");
  if (req.per_thread > SIZE_MAX / value_size(req.kind) / req.threads)
    throw Error(errc::invalid_argument, "threads x per_thread: " + std::to_string(req.threads) +
                                            " x " + std::to_string(req.per_thread) +
                                            " values overflow size_t");
  (void)draws_for(req.eng, req.kind, req.per_thread);  // throws if it needs over 2^64 draws
}

void run_grid(const grid_request& req, void* out) {
  validate_grid(req, out);
  if (req.threads == 0 || req.per_thread == 0) return;  // nothing to write
  check_window(req.offset, draws_for(req.eng, req.kind, req.per_thread), "write_thread_streams");
  // The one dispatch from the run-time engine and distribution to the typed backends.
  visit(req.eng, req.kind, [&](auto e, auto d) {
    constexpr engine E = decltype(e)::value;
    constexpr dist D = decltype(d)::value;
    route(
        resolve_backend(req.backend), out, req.threads * req.per_thread * value_size(req.kind),
        [&](void* dst) { gpu_grid<E, D>(req, dst, nullptr); },
        [&](void* dst) { cpu_grid<E, D>(req, dst); });
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
  const std::uint64_t per = value_size(req.kind) == 8 ? 2 : 4;
  const std::uint64_t groups = req.n / per + (req.n % per != 0);
  const std::uint64_t base = groups / parts, extra = groups % parts;
  const std::uint64_t first = part * base + std::min<std::uint64_t>(part, extra);
  const std::uint64_t count = base + (part < extra ? 1 : 0);
  bulk_request piece = req;
  piece.first_group = req.first_group + first;
  piece.n = static_cast<std::size_t>(
      std::min<std::uint64_t>(req.n - std::min<std::uint64_t>(req.n, first * per), count * per));
  return piece;
}

}  // namespace gpurand
