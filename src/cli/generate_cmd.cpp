// gpurand generate: the pipe into external test batteries and the reference
// output the tests compare the device API against.

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"

namespace gpurand::cli {
namespace {

constexpr const char* usage =
    "usage: gpurand generate [--engine philox|xorwow|mrg32k3a]\n"
    "         [--dist u32|uniform|normal|uniform-double|normal-double]\n"
    "         [--seed N] [--offset N] [--backend auto|cpu|gpu] [--format raw|text]\n"
    "         [--output FILE|-] [--interleave]\n"
    "         ( --blocks B --threads T --per-thread K | --count N )";

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
  backend_kind backend = backend_kind::automatic;
  format fmt = format::raw;
  std::string output = "-";
  bool interleave = false;
  std::optional<std::uint64_t> blocks, threads, per_thread, count;
};

params parse(const std::vector<std::string>& args) {
  params p;
  arg_cursor c(args);
  while (!c.done()) {
    const std::string flag = c.take();
    if (flag == "--engine")
      p.eng = parse_engine(c.value(flag), flag);
    else if (flag == "--dist")
      p.kind = parse_dist(c.value(flag), flag);
    else if (flag == "--seed")
      p.seed = parse_u64(c.value(flag), flag);
    else if (flag == "--offset")
      p.offset = parse_u64(c.value(flag), flag);
    else if (flag == "--backend")
      p.backend = parse_backend(c.value(flag), flag);
    else if (flag == "--format")
      p.fmt = parse_format(c.value(flag));
    else if (flag == "--output")
      p.output = c.value(flag);
    else if (flag == "--interleave")
      c.no_value(flag), p.interleave = true;
    else if (flag == "--blocks")
      p.blocks = parse_positive(c.value(flag), flag);
    else if (flag == "--threads")
      p.threads = parse_positive(c.value(flag), flag);
    else if (flag == "--per-thread")
      p.per_thread = parse_positive(c.value(flag), flag);
    else if (flag == "--count")
      p.count = parse_positive(c.value(flag), flag);
    else
      throw Error(errc::invalid_argument, "generate: unknown argument '" + flag + "'\n" + usage);
  }
  const bool grid = p.blocks || p.threads || p.per_thread;
  if (grid && p.count)
    throw Error(errc::invalid_argument,
                "generate: --count cannot be combined with --blocks/--threads/--per-thread\n" +
                    std::string(usage));
  if (!grid && !p.count)
    throw Error(errc::invalid_argument,
                "generate: give either --blocks, --threads and --per-thread, or --count\n" +
                    std::string(usage));
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
  return p;
}

/// Grid mode: thread g of B x T writes K draws of curand_init(seed, g, offset),
/// thread-major, or round-robin across threads with --interleave.
void run_grid(const params& p, std::uint64_t seed, output_sink& out) {
  const std::uint64_t threads = checked_mul(*p.blocks, *p.threads, "--blocks x --threads");
  const std::uint64_t k = *p.per_thread;
  checked_mul(checked_mul(threads, k, "--blocks x --threads x --per-thread"), value_size(p.kind),
              "output size in bytes");
  grid_request req;
  req.eng = p.eng.value_or(engine::philox4_32_10);
  req.kind = p.kind;
  req.seed = seed;
  req.backend = p.backend;
  std::vector<unsigned char> buf;
  auto emit = [&](std::uint64_t first, std::uint64_t count, std::uint64_t k0, std::uint64_t kc,
                  bool interleave) {
    // A piece starting at draw k0 (even, so normals stay on pair boundaries)
    // is the same stream re-initialised draws_for(k0) further on.
    req.first_thread = first;
    req.threads = count;
    req.per_thread = kc;
    req.interleave = interleave;
    req.offset = p.offset;
    const std::uint64_t skip = draws_for(req.eng, req.kind, k0);
    if (skip > UINT64_MAX - p.offset)
      throw Error(errc::exhausted, "--offset: " + std::to_string(p.offset) +
                                       " leaves too few draws for --per-thread " +
                                       std::to_string(k));
    req.offset += skip;
    buf.resize(count * kc * value_size(p.kind));
    write_thread_streams(req, buf.data());
    out.write(buf.data(), count * kc, p.kind);
  };
  // The whole request's window must fit before anything is written.
  const std::uint64_t draws = draws_for(req.eng, req.kind, k);  // >= 1 since k >= 1
  if (p.offset > UINT64_MAX - (draws - 1))
    throw Error(errc::exhausted, "--offset: " + std::to_string(p.offset) + " + " +
                                     std::to_string(draws) +
                                     " draws runs past the end of the 64-bit offset space");
  if (p.interleave) {
    // Rows of draws across all threads; an even number of rows per piece.
    const std::uint64_t rows = std::max<std::uint64_t>(2, (chunk_values / threads) & ~1ull);
    for (std::uint64_t k0 = 0; k0 < k; k0 += rows)
      emit(0, threads, k0, std::min(rows, k - k0), true);
  } else if (k <= chunk_values) {
    const std::uint64_t per_piece = std::max<std::uint64_t>(1, chunk_values / k);
    for (std::uint64_t g = 0; g < threads; g += per_piece)
      emit(g, std::min(per_piece, threads - g), 0, k, false);
  } else {
    for (std::uint64_t g = 0; g < threads; ++g)
      for (std::uint64_t k0 = 0; k0 < k; k0 += chunk_values)
        emit(g, 1, k0, std::min(chunk_values, k - k0), false);
  }
}

/// Count mode: one bulk fill of N values at (seed, offset) in the bulk layout.
void run_count(const params& p, std::uint64_t seed, output_sink& out) {
  const std::uint64_t n = *p.count;
  checked_mul(n, value_size(p.kind), "--count x value size");
  const std::uint64_t per = value_size(p.kind) == 8 ? 2 : 4;
  bulk_request req;
  req.kind = p.kind;
  req.seed = seed;
  req.offset = p.offset;
  req.backend = p.backend;
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

int generate_main(const std::vector<std::string>& args) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      std::cout << usage << "\n";
      return 0;
    }
  const params p = parse(args);
  std::uint64_t seed;
  if (p.seed) {
    seed = *p.seed;
  } else {
    seed = os_entropy64();
    std::cerr << "seed=" << seed << std::endl;  // so the run can be repeated
  }
  output_sink out(p.output, p.fmt);
  if (p.count)
    run_count(p, seed, out);
  else
    run_grid(p, seed, out);
  out.commit();
  return 0;
}

}  // namespace gpurand::cli
