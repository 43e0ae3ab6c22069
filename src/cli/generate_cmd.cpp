// gpurand generate: the pipe into external test batteries and the reference
// output the tests compare the device API against.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "dispatch.hpp"
#include "gpurand/detail/table.hpp"

namespace gpurand::cli {
namespace {

// Values produced per piece, so memory stays bounded for any request size.
constexpr std::uint64_t chunk_values = std::uint64_t{1} << 22;

std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, const char* what) {
  if (a != 0 && b > UINT64_MAX / a)
    throw Error(errc::invalid_argument, std::string(what) + ": " + std::to_string(a) + " x " +
                                            std::to_string(b) + " overflows 64 bits");
  return a * b;
}

struct params {
  std::optional<engine> eng;
  dist kind = dist::u32;
  std::optional<std::uint64_t> seed;
  std::uint64_t offset = 0;
  std::optional<backend_kind> backend;  // empty: $GPURAND_BACKEND, else auto
  format fmt = format::raw;
  std::string output = "-";
  bool interleave = false;
  std::optional<std::uint64_t> blocks, threads, per_thread, count;
  double mean = 0.0, stddev = 1.0;  // log-normal
  double lambda = 1.0;              // poisson
};

bool is_variable(dist d) {
  bool v = false;
  gpurand::detail::visit(d, [&](auto c) { v = gpurand::detail::dist_traits<c.value>::variable; });
  return v;
}

/// Parses and checks everything that does not need the machine: flags and
/// values, the combination of modes, sizes that overflow, the offset window.
/// Empty when --help was given (written to `help_out`).
std::optional<params> parse(const std::vector<std::string>& args, std::ostream& help_out) {
  CLI::App app("Write per-thread streams (grid mode) or a bulk fill (count mode), raw or text.",
               "gpurand generate");
  app.footer(
      "Grid mode (--blocks, --threads, --per-thread): thread g writes K values of its stream\n"
      "curand_init(seed, g, offset), thread-major, or draw-major with --interleave.\n"
      "Count mode (--count): N values of one Philox bulk fill.\n"
      "log-normal(-double): exp(mean + stddev * normal), --mean (0) and --stddev (1);\n"
      "poisson: --lambda (1), written as u32; a flag for a distribution that does not read it\n"
      "is an error. A poisson thread's K values are produced at once (memory K x 4 bytes).\n"
      "Without --backend, $GPURAND_BACKEND is used if set. Counts are decimal, without sign\n"
      "or suffix. --output writes like a shell redirection to pipes, devices and symlinks;\n"
      "a regular file is replaced atomically once whole. Exit codes: 0 ok, 1 failure, 2 bad "
      "input.");
  std::string engine_s, dist_s, seed_s, offset_s, backend_s, format_s, output_s, blocks_s,
      threads_s, per_thread_s, count_s, mean_s, stddev_s, lambda_s;
  bool interleave = false;
  auto* o_engine =
      add_text(app, "--engine", "NAME", engine_s, "philox|xorwow|mrg32k3a (default philox)");
  auto* o_dist = add_text(app, "--dist", "NAME", dist_s,
                          "u32|uniform|normal|uniform-double|normal-double|normal-portable|normal-"
                          "portable-double|log-normal|log-normal-double|poisson (default u32)");
  auto* o_mean = add_text(app, "--mean", "X", mean_s, "log-normal: mean of the normal (0)");
  auto* o_stddev = add_text(app, "--stddev", "X", stddev_s, "log-normal: its stddev (1)");
  auto* o_lambda = add_text(app, "--lambda", "X", lambda_s, "poisson: the mean (1)");
  auto* o_seed =
      add_text(app, "--seed", "N", seed_s, "seed (default: 64 bits from the OS, printed)");
  auto* o_offset = add_text(app, "--offset", "N", offset_s, "first 32-bit draw of the window (0)");
  auto* o_backend = add_text(app, "--backend", "NAME", backend_s, "auto|cpu|gpu");
  auto* o_format = add_text(app, "--format", "NAME", format_s, "raw|text (default raw)");
  auto* o_output = add_text(app, "--output", "FILE", output_s, "FILE, or - for stdout (default)");
  add_switch(app, "--interleave", interleave, "grid mode: draw k of every thread, then k+1");
  auto* o_blocks = add_text(app, "--blocks", "B", blocks_s, "grid mode: blocks B");
  auto* o_threads = add_text(app, "--threads", "T", threads_s, "grid mode: threads per block T");
  auto* o_per_thread =
      add_text(app, "--per-thread", "K", per_thread_s, "grid mode: values per thread K");
  auto* o_count = add_text(app, "--count", "N", count_s, "count mode: values N");
  if (!parse_args(app, args, help_out)) return std::nullopt;

  auto given = [](const CLI::Option* o) { return o->count() > 0; };
  params p;
  if (given(o_engine)) p.eng = parse_engine(engine_s, "--engine");
  if (given(o_dist)) p.kind = parse_dist(dist_s, "--dist");
  if (given(o_seed)) p.seed = parse_u64(seed_s, "--seed");
  if (given(o_offset)) p.offset = parse_u64(offset_s, "--offset");
  if (given(o_backend)) {
    p.backend = parse_backend(backend_s, "--backend");
  } else if (const char* env = std::getenv("GPURAND_BACKEND"); env && *env) {
    parse_backend(env, "GPURAND_BACKEND");  // checked here; resolved with the device later
  }
  if (given(o_format)) p.fmt = parse_format(format_s);
  if (given(o_output)) {
    if (output_s.empty()) throw Error(errc::invalid_argument, "--output: empty file name");
    p.output = output_s;
  }
  p.interleave = interleave;
  if (given(o_blocks)) p.blocks = parse_positive(blocks_s, "--blocks");
  if (given(o_threads)) p.threads = parse_positive(threads_s, "--threads");
  if (given(o_per_thread)) p.per_thread = parse_positive(per_thread_s, "--per-thread");
  if (given(o_count)) p.count = parse_positive(count_s, "--count");
  // Distribution parameters: only for a distribution that reads them (strict: a flag that
  // would be ignored is an error).
  const bool log_normal = p.kind == dist::log_normal || p.kind == dist::log_normal_double;
  auto param = [&](const CLI::Option* o, const std::string& text, const char* flag, bool used,
                   const char* who, double& into) {
    if (!given(o)) return;
    if (!used)
      throw Error(errc::invalid_argument, std::string(flag) + ": applies to " + who +
                                              " only, not to --dist " + to_string(p.kind));
    into = parse_double(text, flag);
  };
  param(o_mean, mean_s, "--mean", log_normal, "log-normal and log-normal-double", p.mean);
  param(o_stddev, stddev_s, "--stddev", log_normal, "log-normal and log-normal-double", p.stddev);
  param(o_lambda, lambda_s, "--lambda", p.kind == dist::poisson, "poisson", p.lambda);

  const bool grid = p.blocks || p.threads || p.per_thread;
  if (grid && p.count)
    throw Error(errc::invalid_argument,
                "generate: --count cannot be combined with --blocks/--threads/--per-thread");
  if (!grid && !p.count)
    throw Error(errc::invalid_argument,
                "generate: give either --blocks, --threads and --per-thread, or --count");
  if (grid && !(p.blocks && p.threads && p.per_thread))
    throw Error(errc::invalid_argument,
                std::string("generate: grid mode needs all of --blocks, --threads and "
                            "--per-thread; missing ") +
                    (!p.blocks    ? "--blocks"
                     : !p.threads ? "--threads"
                                  : "--per-thread"));
  if (p.count && p.eng && *p.eng != engine::philox4_32_10)
    throw Error(errc::invalid_argument, std::string("--engine: count mode is Philox only, got '") +
                                            to_string(*p.eng) +
                                            "' (use grid mode for other engines)");
  if (p.count && p.interleave)
    throw Error(errc::invalid_argument, "--interleave: applies to grid mode only");

  // The parameters as the library checks them (before any output is opened).
  grid_request shape;
  shape.kind = p.kind;
  shape.mean = p.mean;
  shape.stddev = p.stddev;
  shape.lambda = p.lambda;
  try {
    gpurand::detail::validate_params(shape);
  } catch (const Error& e) {  // "lambda: ..." -> "--lambda: ...", the flag's name
    throw Error(e.code(), std::string("--") + e.what());
  }
  if (p.count) {
    checked_mul(*p.count, value_size(p.kind), "--count x value size");
  } else {
    const std::uint64_t threads = checked_mul(*p.blocks, *p.threads, "--blocks x --threads");
    const std::uint64_t k = *p.per_thread;
    checked_mul(checked_mul(threads, k, "--blocks x --threads x --per-thread"), value_size(p.kind),
                "output size in bytes");
    // The whole request's window must fit before anything is written.
    const std::uint64_t draws =
        draws_for(p.eng.value_or(engine::philox4_32_10), p.kind, k);  // >= 1 since k >= 1
    if (p.offset > UINT64_MAX - (draws - 1))
      throw Error(errc::exhausted, "--offset: " + std::to_string(p.offset) + " + " +
                                       std::to_string(draws) +
                                       " draws runs past the end of the 64-bit offset space");
  }
  return p;
}

/// Grid mode: thread g of B x T writes K draws of curand_init(seed, g, offset),
/// thread-major, or round-robin across threads with --interleave.
void run_grid(const params& p, std::uint64_t seed, backend_kind backend, output_sink& out) {
  const std::uint64_t threads = *p.blocks * *p.threads;  // checked by parse()
  const std::uint64_t k = *p.per_thread;
  grid_request req;
  req.eng = p.eng.value_or(engine::philox4_32_10);
  req.kind = p.kind;
  req.seed = seed;
  req.offset = p.offset;
  req.backend = backend;
  req.mean = p.mean;
  req.stddev = p.stddev;
  req.lambda = p.lambda;
  if (p.interleave) {
    req.threads = threads;
    req.per_thread = k;
    detail::write_interleaved(req, chunk_values, [&](const void* values, std::uint64_t n) {
      out.write(values, n, p.kind);
    });
    return;
  }
  std::vector<unsigned char> buf;
  auto emit = [&](std::uint64_t first, std::uint64_t count, std::uint64_t k0, std::uint64_t kc) {
    // A piece starting at draw k0 (even, so normals stay on pair boundaries)
    // is the same stream re-initialised draws_for(k0) further on; parse()
    // checked that the whole window fits.
    grid_request piece = req;
    piece.first_thread = first;
    piece.threads = count;
    piece.per_thread = kc;
    piece.offset = p.offset + draws_for(req.eng, req.kind, k0);
    buf.resize(count * kc * value_size(p.kind));
    write_thread_streams(piece, buf.data());
    out.write(buf.data(), count * kc, p.kind);
  };
  // A variable-draw stream cannot be restarted mid-way (draws_for is a cap): whole threads.
  if (k <= chunk_values || is_variable(p.kind)) {
    const std::uint64_t per_piece = std::max<std::uint64_t>(1, chunk_values / k);
    for (std::uint64_t g = 0; g < threads; g += per_piece)
      emit(g, std::min(per_piece, threads - g), 0, k);
  } else {
    for (std::uint64_t g = 0; g < threads; ++g)
      for (std::uint64_t k0 = 0; k0 < k; k0 += chunk_values)
        emit(g, 1, k0, std::min(chunk_values, k - k0));
  }
}

/// Count mode: one bulk fill of N values at (seed, offset) in the bulk layout.
void run_count(const params& p, std::uint64_t seed, backend_kind backend, output_sink& out) {
  const std::uint64_t n = *p.count;
  const std::uint64_t per = value_size(p.kind) == 8 ? 2 : 4;
  bulk_request req;
  req.kind = p.kind;
  req.seed = seed;
  req.offset = p.offset;
  req.backend = backend;
  req.mean = p.mean;
  req.stddev = p.stddev;
  req.lambda = p.lambda;
  std::vector<unsigned char> buf;
  for (std::uint64_t i = 0; i < n; i += chunk_values) {  // chunk_values is a multiple of 4
    req.first_group = i / per;
    req.n = std::min(chunk_values, n - i);
    buf.resize(req.n * value_size(p.kind));
    fill(req, buf.data());
    out.write(buf.data(), req.n, p.kind);
  }
}

}  // namespace

namespace detail {

void write_interleaved(const grid_request& base, std::uint64_t piece_values,
                       const std::function<void(const void* values, std::uint64_t count)>& emit) {
  const std::uint64_t threads = base.threads, k = base.per_thread;
  if (threads == 0 || k == 0) return;
  // Normals come in Box-Muller pairs (the table's `pairs`): a piece must start on a pair (even k0).
  bool normal = false;
  gpurand::detail::visit(
      base.kind, [&](auto c) { normal = gpurand::detail::dist_traits<decltype(c)::value>::pairs; });
  const std::uint64_t step = normal ? 2 : 1;
  piece_values = std::max(piece_values, step);
  const std::size_t size = value_size(base.kind);
  const std::uint64_t last_skip = draws_for(base.eng, base.kind, k - 1);
  if (last_skip > UINT64_MAX - base.offset)
    throw Error(errc::exhausted, "--offset: " + std::to_string(base.offset) +
                                     " leaves too few draws for --per-thread " + std::to_string(k));
  std::vector<unsigned char> buf;
  // Threads [first, first + count) x rows [k0, k0 + rows), draw-major, into buf.
  // A variable-draw row is only ever produced from k0 = 0 (its draws_for is a cap, so a
  // stream cannot be restarted mid-way).
  auto produce = [&](std::uint64_t first, std::uint64_t count, std::uint64_t k0,
                     std::uint64_t rows) {
    grid_request req = base;
    req.first_thread = base.first_thread + first;
    req.threads = count;
    req.per_thread = rows;
    req.interleave = true;
    req.offset = base.offset + draws_for(base.eng, base.kind, k0);
    buf.resize(static_cast<std::size_t>(count * rows * size));
    write_thread_streams(req, buf.data());
  };
  if (is_variable(base.kind) && threads > piece_values / k) {
    // Not every row of every thread fits: row r of a range of threads is the last row of
    // their first r + 1 values, recomputed (K(K+1)/2 values per thread instead of K).
    for (std::uint64_t row = 0; row < k; ++row) {
      const std::uint64_t chunk = std::max<std::uint64_t>(1, piece_values / (row + 1));
      for (std::uint64_t g = 0; g < threads; g += chunk) {
        const std::uint64_t c = std::min(chunk, threads - g);
        produce(g, c, 0, row + 1);
        emit(buf.data() + row * c * size, c);
      }
    }
    return;
  }
  if (threads <= piece_values / step) {
    // Whole rows fit: a few rows of every thread per piece (all of them for a variable row).
    const std::uint64_t rows = is_variable(base.kind) ? k : piece_values / threads / step * step;
    for (std::uint64_t k0 = 0; k0 < k; k0 += rows) {
      const std::uint64_t n = std::min(rows, k - k0);
      produce(0, threads, k0, n);
      emit(buf.data(), threads * n);
    }
    return;
  }
  // Not even `step` rows fit: each row is written as successive thread
  // ranges. For normals the pair is computed for each of its two rows, twice
  // the work, which only grids with over piece_values/2 threads pay.
  const std::uint64_t chunk = piece_values / step;
  for (std::uint64_t row = 0; row < k; ++row) {
    const std::uint64_t k0 = row - row % step, rows = std::min(step, k - k0);
    for (std::uint64_t g = 0; g < threads; g += chunk) {
      const std::uint64_t c = std::min(chunk, threads - g);
      produce(g, c, k0, rows);
      emit(buf.data() + (row - k0) * c * size, c);
    }
  }
}

bool check_generate_args(const std::vector<std::string>& args, std::ostream& out) {
  return parse(args, out).has_value();
}

}  // namespace detail

int generate_main(const std::vector<std::string>& args) {
  const std::optional<params> p = parse(args, std::cout);
  if (!p) return 0;  // --help
  // --backend, else $GPURAND_BACKEND, else auto; gpu without a device is exit 2.
  const backend_kind backend = gpurand::detail::default_backend(p->backend);
  // The output is opened (a directory or an impossible path is exit 2)
  // before any number is drawn.
  output_sink out(p->output, p->fmt);
  std::uint64_t seed;
  if (p->seed) {
    seed = *p->seed;
  } else {
    seed = os_entropy64();
    std::cerr << "seed=" << seed << std::endl;  // so the run can be repeated
  }
  if (p->count)
    run_count(*p, seed, backend, out);
  else
    run_grid(*p, seed, backend, out);
  out.commit();
  return 0;
}

}  // namespace gpurand::cli
