// gpurand generate: the pipe into external test batteries and the reference
// output the tests compare the device API against.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "dispatch.hpp"
#include "gpurand/detail/table.hpp"
#include "gpurand/discrete.hpp"

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
  // The distribution's parameters (validated by parse()).
  std::optional<double> lambda, p;
  std::optional<std::uint64_t> low, high;
  std::shared_ptr<const discrete_table> table;  // --weights / --weights-file
};

/// Copies the distribution's parameters into a bulk or grid request.
template <class Request>
void set_dist_params(const params& p, Request& req) {
  if (p.lambda) req.lambda = *p.lambda;
  if (p.p) req.p = *p.p;
  if (p.low) req.low = *p.low;
  if (p.high) req.high = *p.high;
  req.table = p.table.get();
}

/// The weights of --weights (`text`: w0,w1,...) or of the file --weights-file names (numbers
/// separated by commas, spaces or newlines).
std::vector<double> parse_weights(const std::string& text, const std::string& flag) {
  std::vector<double> w;
  std::size_t i = 0;
  const char* seps = ", \t\r\n";
  while (true) {
    i = text.find_first_not_of(seps, i);
    if (i == std::string::npos) break;
    const std::size_t end = text.find_first_of(seps, i);
    const std::string item = text.substr(i, end == std::string::npos ? end : end - i);
    w.push_back(parse_double(item, flag + " (weight " + std::to_string(w.size()) + ")"));
    if (end == std::string::npos) break;
    i = end;
  }
  return w;
}

std::string read_text_file(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(errc::invalid_argument, std::string(flag) + ": cannot open '" + path + "'");
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw Error(errc::invalid_argument, std::string(flag) + ": cannot read '" + path + "'");
  return s.str();
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
      "Without --backend, $GPURAND_BACKEND is used if set. Numbers are decimal, without sign\n"
      "or suffix. --output writes like a shell redirection to pipes, devices and symlinks;\n"
      "a regular file is replaced atomically once whole. Exit codes: 0 ok, 1 failure, 2 bad "
      "input.");
  std::string engine_s, dist_s, seed_s, offset_s, backend_s, format_s, output_s, blocks_s,
      threads_s, per_thread_s, count_s;
  bool interleave = false;
  auto* o_engine =
      add_text(app, "--engine", "NAME", engine_s, "philox|xorwow|mrg32k3a (default philox)");
  auto* o_dist = add_text(app, "--dist", "NAME", dist_s,
                          "u32|uniform|normal|uniform-double|normal-double|normal-portable|normal-"
                          "portable-double|integer|integer64|exponential|bernoulli|discrete "
                          "(default u32)");
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
  std::string lambda_s, p_s, low_s, high_s, weights_s, weights_file_s;
  auto* o_lambda = add_text(app, "--lambda", "X", lambda_s, "exponential: rate (default 1)");
  auto* o_p = add_text(app, "--p", "X", p_s, "bernoulli: probability of 1 in [0, 1] (default 0.5)");
  auto* o_low = add_text(app, "--low", "N", low_s, "integer, integer64: lowest value (default 0)");
  auto* o_high =
      add_text(app, "--high", "N", high_s, "integer, integer64: values below N (required)");
  auto* o_weights = add_text(app, "--weights", "W0,W1,...", weights_s,
                             "discrete: the categories' weights (finite, >= 0, not all 0)");
  auto* o_weights_file = add_text(app, "--weights-file", "FILE", weights_file_s,
                                  "discrete: weights read from FILE (separated by commas, "
                                  "spaces or newlines)");
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

  // Each distribution's own flags: one it does not read is an error naming it.
  const bool integers = p.kind == dist::integer || p.kind == dist::integer64;
  const std::pair<const CLI::Option*, bool> own[] = {
      {o_lambda, p.kind == dist::exponential}, {o_p, p.kind == dist::bernoulli},
      {o_low, integers}, {o_high, integers}, {o_weights, p.kind == dist::discrete},
      {o_weights_file, p.kind == dist::discrete}};
  for (const auto& [o, used] : own)
    if (given(o) && !used)
      throw Error(errc::invalid_argument, o->get_name() + ": not a parameter of --dist " +
                                              to_string(p.kind));
  if (given(o_lambda)) p.lambda = parse_double(lambda_s, "--lambda");
  if (given(o_p)) p.p = parse_double(p_s, "--p");
  if (given(o_low)) p.low = parse_u64(low_s, "--low");
  if (given(o_high)) p.high = parse_u64(high_s, "--high");
  if (integers && !p.high)
    throw Error(errc::invalid_argument,
                std::string("--high: --dist ") + to_string(p.kind) + " needs --high");
  if (p.kind == dist::discrete) {
    if (given(o_weights) == given(o_weights_file))
      throw Error(errc::invalid_argument,
                  "--weights: --dist discrete needs exactly one of --weights and --weights-file");
    const std::string flag = given(o_weights) ? "--weights" : "--weights-file";
    const std::vector<double> w = parse_weights(
        given(o_weights) ? weights_s : read_text_file(weights_file_s, "--weights-file"), flag);
    try {
      p.table = std::make_shared<const discrete_table>(w);
    } catch (const Error& e) {
      throw Error(e.code(), flag + ": " + e.what());
    }
  }
  {  // the library's checks, naming the flags: --lambda, --p, --low, --high
    grid_request req;
    req.kind = p.kind;
    set_dist_params(p, req);
    gpurand::detail::validate_params(req, "--");
  }

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
  set_dist_params(p, req);
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
  if (k <= chunk_values) {
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
  const std::uint64_t per = gpurand::detail::values_per_group(p.kind);
  bulk_request req;
  req.kind = p.kind;
  req.seed = seed;
  req.offset = p.offset;
  req.backend = backend;
  set_dist_params(p, req);
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
  if (threads <= piece_values / step) {
    // Whole rows fit: a few rows of every thread per piece.
    const std::uint64_t rows = piece_values / threads / step * step;
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
