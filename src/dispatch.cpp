#include "dispatch.hpp"

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "../kernels/launch.hpp"
#include "cpu_backend.hpp"
#include "gpu_runtime.hpp"

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

void validate_bulk(const bulk_request& req, const void* out, bool async) {
  const unsigned k = static_cast<unsigned>(req.kind);
  if (k > static_cast<unsigned>(dist::normal_double))
    throw Error(errc::invalid_argument, "kind: unknown dist value " + std::to_string(k));
  if (out == nullptr && req.n > 0)
    throw Error(errc::invalid_argument,
                "out: null pointer with n = " + std::to_string(req.n) + " values to write");
  if (req.n > SIZE_MAX / value_size(req.kind))
    throw Error(errc::invalid_argument, "n: " + std::to_string(req.n) + " values overflow size_t");
  if (is_normal(req.kind)) {
    if (!std::isfinite(req.mean))
      throw Error(errc::invalid_argument, "mean: must be finite, got " + std::to_string(req.mean));
    if (!std::isfinite(req.stddev) || req.stddev < 0)
      throw Error(errc::invalid_argument,
                  "stddev: must be finite and >= 0, got " + std::to_string(req.stddev));
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
  auto on_gpu = [&](void* dst) {
    gpu_bulk(req.kind, req.seed, req.offset, req.first_group, req.n, req.mean, req.stddev, dst,
             stream ? *stream : nullptr);
  };
  auto on_cpu = [&](void* dst) {
    cpu_bulk(req.kind, req.seed, req.offset, req.first_group, req.n, req.mean, req.stddev, dst);
  };
  if (stream) {  // validate_bulk(..., async = true) made sure `out` is device memory
    if (resolved == backend_kind::gpu) return on_gpu(out);
    // The CPU backend has no stream to enqueue on: it orders the fill after
    // the work already queued there and completes it before returning.
    synchronize(*stream);
  }
  route(resolved, out, req.n * value_size(req.kind), on_gpu, on_cpu);
}

void run_grid(const grid_request& req, void* out) {
  const unsigned e = static_cast<unsigned>(req.eng), k = static_cast<unsigned>(req.kind);
  if (e > static_cast<unsigned>(engine::mrg32k3a))
    throw Error(errc::invalid_argument, "eng: unknown engine value " + std::to_string(e));
  if (k > static_cast<unsigned>(dist::normal_double))
    throw Error(errc::invalid_argument, "kind: unknown dist value " + std::to_string(k));
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
  check_window(req.offset, draws_for(req.eng, req.kind, req.per_thread), "write_thread_streams");
  const grid_layout layout{req.first_thread, req.threads, req.per_thread, req.interleave};
  route(
      resolve_backend(req.backend), out, req.threads * req.per_thread * value_size(req.kind),
      [&](void* dst) { gpu_grid(req.eng, req.kind, req.seed, req.offset, layout, dst, nullptr); },
      [&](void* dst) { cpu_grid(req.eng, req.kind, req.seed, req.offset, layout, dst); });
}

}  // namespace detail

void fill(const bulk_request& req, void* out) {
  detail::validate_bulk(req, out);
  detail::run_bulk(req, detail::resolve_backend(req.backend), out, nullptr);
}

void write_thread_streams(const grid_request& req, void* out) { detail::run_grid(req, out); }

}  // namespace gpurand
