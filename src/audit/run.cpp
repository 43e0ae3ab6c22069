// The audit's entry point: validate every argument, then run the checks in
// pipeline order (fit, streams, raw draws, values). See gpurand/audit.hpp.

#include "audit/internal.hpp"

namespace gpurand::audit {

namespace {

using namespace detail;

template <class Word>
report run_typed(const Word* data, const layout& shape, const options& opts, u64 w,
                 unsigned workers) {
  report r;
  r.shape = shape;
  r.window = w;
  const grid<Word> gr{data, shape.blocks * shape.threads_per_block, shape.threads_per_block,
                      shape.per_thread};
  const bool fitted = fit_model(gr, shape.type, opts, workers, r.values);
  r.stream_checks_run = shape.per_thread >= w;
  std::vector<unsigned char> is_dup(gr.threads, 0);
  if (r.stream_checks_run) {
    find_duplicate_streams(gr, opts, workers, is_dup, r);
    find_overlaps(gr, w, is_dup, opts, workers, r);
  }
  if (is_normal(r.values.model) && fitted) {
    if constexpr (sizeof(Word) == 4)
      find_draw_overlaps<float>(gr, is_dup, r.values.mean, r.values.stddev, opts, workers, r);
    else
      find_draw_overlaps<double>(gr, is_dup, r.values.mean, r.values.stddev, opts, workers, r);
  }
  check_values(gr, shape.type, fitted, opts, workers, r);
  return r;
}

}  // namespace

report run(const void* data, const layout& shape, const options& opts) {
  auto positive = [](u64 v, const char* name) {
    if (v == 0) invalid(std::string(name) + ": must be positive, got 0");
  };
  positive(shape.blocks, "blocks");
  positive(shape.threads_per_block, "threads_per_block");
  positive(shape.per_thread, "per_thread");
  if (shape.type != dtype::u32 && shape.type != dtype::f32 && shape.type != dtype::f64)
    invalid("dtype: unknown value " + std::to_string(static_cast<int>(shape.type)));
  const std::size_t vsize = value_size(shape.type);
  u64 threads = 0, n = 0, bytes = 0;
  if (__builtin_mul_overflow(shape.blocks, shape.threads_per_block, &threads) ||
      __builtin_mul_overflow(threads, shape.per_thread, &n) ||
      __builtin_mul_overflow(n, static_cast<u64>(vsize), &bytes) ||
      bytes > static_cast<u64>(std::numeric_limits<std::ptrdiff_t>::max()))
    invalid("shape: blocks " + std::to_string(shape.blocks) + " x threads_per_block " +
            std::to_string(shape.threads_per_block) + " x per_thread " +
            std::to_string(shape.per_thread) + " x " + std::to_string(vsize) +
            " bytes overflows the address space");
  if (data == nullptr) invalid("data: null pointer for " + std::to_string(n) + " values");
  if (!(opts.alpha > 0.0 && opts.alpha < 1.0))
    invalid("alpha: must be in (0, 1), got " + fmt_double(opts.alpha));
  if (!model_fits(opts.model, shape.type))
    invalid(std::string("value_model: ") + to_string(opts.model) + " does not describe dtype " +
            to_string(shape.type));
  if (opts.window > shape.per_thread)
    invalid("window: must be at most per_thread (" + std::to_string(shape.per_thread) + "), got " +
            std::to_string(opts.window));
  // 128 bits of data: a chance match of that length is out of the question.
  const u64 w = opts.window != 0 ? opts.window : (shape.type == dtype::f64 ? 2 : 4);
  unsigned workers = opts.workers != 0 ? opts.workers : ::gpurand::detail::cpu_threads();
  workers = std::max(1u, std::min(workers, 256u));

  if (shape.type == dtype::f64)
    return run_typed(static_cast<const std::uint64_t*>(data), shape, opts, w, workers);
  return run_typed(static_cast<const std::uint32_t*>(data), shape, opts, w, workers);
}

}  // namespace gpurand::audit
