#pragma once
// Backend choice and routing of one request to the GPU kernels or the CPU
// backend, by backend and by where the output memory lives.

#include "backend/cuda/runtime.hpp"
#include "gpurand/gpurand.hpp"

namespace gpurand::detail {
struct capture_slot;  // kernels/capture_slot.hpp
}

namespace gpurand::detail {

/// automatic -> gpu when a usable device exists, else cpu; gpu without a
/// device -> Error(unsupported). Never returns automatic.
backend_kind resolve_backend(backend_kind requested);

/// The backend a Generator starts with: the option if given, else
/// $GPURAND_BACKEND (validated), else automatic; then resolved.
backend_kind default_backend(const std::optional<backend_kind>& requested);

/// Checks a bulk request's arguments; throws Error naming the bad one.
/// `async`: the fill will be enqueued on a stream, so `out` must be device memory.
/// `stream`: the stream of an asynchronous fill; returns its capture state
/// (cuda::capture_of: an invalidated capture or an implicit one is refused,
/// and so is a capture on the CPU backend, which cannot fill at replay time).
/// An active capture is the caller's to make safe (Generator: a captured fill).
cuda::capture_info validate_bulk(const bulk_request& req, const void* out, bool async = false,
                                 cuda_stream stream = nullptr);

/// Checks the distribution's parameters of a bulk or grid request (log-normal mean/stddev,
/// lambda unless per-element lambdas, p, low/high, table):
/// Error(invalid_argument) naming `prefix` + the field and the value. Part of validate_bulk and
/// validate_grid.
template <class Request>
void validate_params(const Request& req, const char* prefix);

/// Runs a validated bulk request on a resolved backend. With `stream`
/// non-null the fill is enqueued there and not awaited (device memory only).
/// With `capture` (GPU, a stream under capture) the enqueued kernel takes
/// its seed and offset from the slot at each replay, and a second kernel
/// advances the slot (kernels/capture_slot.hpp).
void run_bulk(const bulk_request& req, backend_kind resolved, void* out, cuda_stream* stream,
              capture_slot* capture = nullptr);

/// Checks a per-thread writer request's arguments except its offset window
/// (a Generator reserves that afterwards); throws Error naming the bad one.
void validate_grid(const grid_request& req, const void* out);

/// Checks what the CPU backend reads from the environment and the process-wide
/// settings ($GPURAND_CPU_THREADS), so a bad value is refused before a
/// Generator reserves anything.
void validate_cpu_settings();

/// Validates and runs a per-thread writer request.
void run_grid(const grid_request& req, void* out);

}  // namespace gpurand::detail
