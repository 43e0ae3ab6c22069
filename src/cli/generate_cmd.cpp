// gpurand generate: the pipe into external test batteries and the reference
// output the tests compare the device API against.

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "dispatch.hpp"
#include "gpurand/detail/table.hpp"
#include "gpurand/discrete.hpp"
#include "state_text.hpp"

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
  // Checkpoint and resume (see "Save and resume" below).
  std::optional<std::string> state_in, state_out;
  std::uint64_t written = 0;    // values (count mode) or values per thread (grid) before this run
  std::set<std::string> given;  // the flags on the command line, e.g. "--dist"
  // The distribution's parameters (checked by check()).
  std::optional<double> mean, stddev;  // log-normal
  std::optional<double> lambda, p;
  std::optional<std::uint64_t> low, high;
  std::vector<double> weights;                  // --weights / --weights-file
  std::shared_ptr<const discrete_table> table;  // built from `weights`
};

bool is_variable(dist d) {
  bool v = false;
  gpurand::detail::visit(d, [&](auto c) { v = gpurand::detail::dist_traits<c.value>::variable; });
  return v;
}

/// A --state-in / --state-out file name: not empty, not "-" (stdin and stdout
/// carry the values).
std::string state_file_name(const std::string& text, const char* flag) {
  if (text.empty()) throw Error(errc::invalid_argument, std::string(flag) + ": empty file name");
  if (text == "-")
    throw Error(errc::invalid_argument,
                std::string(flag) + ": expected a file, got '-' (stdin and stdout carry values)");
  return text;
}

/// Copies the distribution's parameters into a bulk or grid request.
template <class Request>
void set_dist_params(const params& p, Request& req) {
  if (p.mean) req.mean = *p.mean;
  if (p.stddev) req.stddev = *p.stddev;
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

/// Parses the flags and checks each value on its own. Empty when --help was
/// given (written to `help_out`).
std::optional<params> read_flags(const std::vector<std::string>& args, std::ostream& help_out) {
  CLI::App app("Write per-thread streams (grid mode) or a bulk fill (count mode), raw or text.",
               "gpurand generate");
  app.footer(
      "Grid mode (--blocks, --threads, --per-thread): thread g writes K values of its stream\n"
      "curand_init(seed, g, offset), thread-major, or draw-major with --interleave.\n"
      "Count mode (--count): N values of one Philox bulk fill.\n"
      "Parameters: log-normal(-double): exp(mean + stddev * normal), --mean (0), --stddev (1);\n"
      "poisson (written as u32), exponential: --lambda (1); bernoulli: --p (0.5);\n"
      "integer, integer64: --low (0), --high (required); discrete: --weights or --weights-file.\n"
      "A flag for a distribution that does not read it is an error. A poisson thread's K\n"
      "values are produced at once (memory K x 4 bytes).\n"
      "Without --backend, $GPURAND_BACKEND is used if set. Counts are decimal, without sign\n"
      "or suffix. --output writes like a shell redirection to pipes, devices and symlinks;\n"
      "a regular file is replaced atomically once whole. Exit codes: 0 ok, 1 failure, 2 bad "
      "input.\n"
      "Save and resume: --state-out FILE saves, once the run succeeded, where the output\n"
      "ends; --state-in FILE continues from there (FILE may be the same for both), so the\n"
      "outputs of the runs concatenated equal one longer run byte for byte. A resumed run\n"
      "gives only its length (--count N, or --per-thread K); the other settings come from\n"
      "the file, and any given must match it. Grid mode saves --interleave runs only.\n"
      "  gpurand generate --dist normal --count 1000 --state-out s.txt >a.bin\n"
      "  gpurand generate --state-in s.txt --state-out s.txt --count 500 >b.bin\n"
      "  (a.bin then b.bin = gpurand generate --dist normal --count 1500 --seed S)");
  std::string engine_s, dist_s, seed_s, offset_s, backend_s, format_s, output_s, count_s, mean_s,
      stddev_s;
  bool interleave = false;
  auto* o_engine =
      add_text(app, "--engine", "NAME", engine_s, "philox|xorwow|mrg32k3a (default philox)");
  auto* o_dist = add_text(app, "--dist", "NAME", dist_s,
                          "u32|uniform|normal|uniform-double|normal-double|normal-portable|normal-"
                          "portable-double|log-normal|log-normal-double|poisson|integer|integer64|"
                          "exponential|bernoulli|discrete (default u32)");
  auto* o_mean = add_text(app, "--mean", "X", mean_s, "log-normal: mean of the normal (0)");
  auto* o_stddev = add_text(app, "--stddev", "X", stddev_s, "log-normal: its stddev (1)");
  auto* o_seed =
      add_text(app, "--seed", "N", seed_s, "seed (default: 64 bits from the OS, printed)");
  auto* o_offset = add_text(app, "--offset", "N", offset_s, "first 32-bit draw of the window (0)");
  auto* o_backend = add_text(app, "--backend", "NAME", backend_s, "auto|cpu|gpu");
  auto* o_format = add_text(app, "--format", "NAME", format_s, "raw|text (default raw)");
  auto* o_output = add_text(app, "--output", "FILE", output_s, "FILE, or - for stdout (default)");
  add_switch(app, "--interleave", interleave, "grid mode: draw k of every thread, then k+1");
  const grid_flags grid_opts(app, "grid mode: ");
  auto* o_count = add_text(app, "--count", "N", count_s, "count mode: values N");
  std::string state_in_s, state_out_s;
  auto* o_state_in = add_text(app, "--state-in", "FILE", state_in_s,
                              "continue the run saved in FILE (by --state-out)");
  auto* o_state_out = add_text(app, "--state-out", "FILE", state_out_s,
                               "save where this run ends to FILE, to continue it later");
  std::string lambda_s, p_s, low_s, high_s, weights_s, weights_file_s;
  auto* o_lambda = add_text(app, "--lambda", "X", lambda_s, "exponential: rate; poisson: mean (default 1)");
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
  p.blocks = grid_opts.blocks();
  p.threads = grid_opts.threads();
  p.per_thread = grid_opts.per_thread();
  if (given(o_count)) p.count = parse_positive(count_s, "--count");
  if (given(o_mean)) p.mean = parse_double(mean_s, "--mean");
  if (given(o_stddev)) p.stddev = parse_double(stddev_s, "--stddev");
  if (given(o_lambda)) p.lambda = parse_double(lambda_s, "--lambda");
  if (given(o_p)) p.p = parse_double(p_s, "--p");
  if (given(o_low)) p.low = parse_u64(low_s, "--low");
  if (given(o_high)) p.high = parse_u64(high_s, "--high");
  if (given(o_weights) && given(o_weights_file))
    throw Error(errc::invalid_argument, "--weights: give either --weights or --weights-file");
  if (given(o_weights) || given(o_weights_file)) {
    const std::string flag = given(o_weights) ? "--weights" : "--weights-file";
    p.weights = parse_weights(
        given(o_weights) ? weights_s : read_text_file(weights_file_s, "--weights-file"), flag);
    try {
      p.table = std::make_shared<const discrete_table>(p.weights);
    } catch (const Error& e) {
      throw Error(e.code(), flag + ": " + e.what());
    }
  }
  if (given(o_state_in)) p.state_in = state_file_name(state_in_s, "--state-in");
  if (given(o_state_out)) p.state_out = state_file_name(state_out_s, "--state-out");
  for (const CLI::Option* o : app.get_options())
    if (given(o)) p.given.insert(o->get_name(/*positional=*/false, /*all_options=*/false));
  return p;
}

/// Flags of both modes at once (checked on a resumed command line too).
void check_one_mode(const params& p) {
  if ((p.blocks || p.threads || p.per_thread) && p.count)
    throw Error(errc::invalid_argument,
                "generate: --count cannot be combined with --blocks/--threads/--per-thread");
  if (p.count && p.interleave)
    throw Error(errc::invalid_argument, "--interleave: applies to grid mode only");
}

/// Each distribution's own flags: one it does not read is an error naming it;
/// the library's checks of their values, naming the flags.
void check_dist_flags(const params& p) {
  const bool integers = p.kind == dist::integer || p.kind == dist::integer64;
  const bool log_normal = p.kind == dist::log_normal || p.kind == dist::log_normal_double;
  const std::pair<const char*, bool> own[] = {
      {"--mean", log_normal},
      {"--stddev", log_normal},
      {"--lambda", p.kind == dist::exponential || p.kind == dist::poisson},
      {"--p", p.kind == dist::bernoulli},
      {"--low", integers}, {"--high", integers}, {"--weights", p.kind == dist::discrete},
      {"--weights-file", p.kind == dist::discrete}};
  for (const auto& [flag, used] : own)
    if (p.given.count(flag) && !used)
      throw Error(errc::invalid_argument,
                  std::string(flag) + ": not a parameter of --dist " + to_string(p.kind));
  if (integers && !p.high)
    throw Error(errc::invalid_argument,
                std::string("--high: --dist ") + to_string(p.kind) + " needs --high");
  if (p.kind == dist::discrete && !p.table)
    throw Error(errc::invalid_argument,
                "--weights: --dist discrete needs exactly one of --weights and --weights-file");
  grid_request req;
  req.kind = p.kind;
  set_dist_params(p, req);
  gpurand::detail::validate_params(req, "--");
}

/// Checks the combination of a complete set of flags (a resumed run's after
/// the saved settings are added): modes, sizes that overflow, the window.
void check(const params& p) {
  check_one_mode(p);
  check_dist_flags(p);
  const bool grid = p.blocks || p.threads || p.per_thread;
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
  if (grid && !p.interleave && (p.state_in || p.state_out))
    throw Error(errc::invalid_argument,
                std::string(p.state_in ? "--state-in" : "--state-out") +
                    ": grid mode saves and resumes --interleave (draw-major) runs only: "
                    "thread-major runs, one after the other, never equal one longer run");
  if (grid && is_variable(p.kind) && (p.state_in || p.state_out))
    throw Error(errc::invalid_argument,
                std::string(p.state_in ? "--state-in" : "--state-out") + ": a " +
                    to_string(p.kind) +
                    " grid cannot be resumed: its values take a variable number of draws, so a "
                    "stream cannot restart at a row (count mode can)");

  if (p.count) {
    checked_mul(*p.count, value_size(p.kind), "--count x value size");
    if (p.written > UINT64_MAX - *p.count)
      throw Error(errc::exhausted, "--count: " + std::to_string(*p.count) + " values after the " +
                                       std::to_string(p.written) +
                                       " already written run past value 2^64-1 of the fill");
  } else {
    const std::uint64_t threads = checked_mul(*p.blocks, *p.threads, "--blocks x --threads");
    const std::uint64_t k = *p.per_thread;
    checked_mul(checked_mul(threads, k, "--blocks x --threads x --per-thread"), value_size(p.kind),
                "output size in bytes");
    // The whole request's window (after the values already written) must fit
    // before anything is written.
    if (p.written > UINT64_MAX - k)
      throw Error(errc::exhausted, "--per-thread: " + std::to_string(k) + " values after the " +
                                       std::to_string(p.written) +
                                       " already written run past value 2^64-1 of each stream");
    const std::uint64_t draws = draws_for(p.eng.value_or(engine::philox4_32_10), p.kind,
                                          p.written + k);  // >= 1 since k >= 1
    if (p.offset > UINT64_MAX - (draws - 1))
      throw Error(errc::exhausted, "--offset: " + std::to_string(p.offset) + " + " +
                                       std::to_string(draws) +
                                       " draws runs past the end of the 64-bit offset space");
  }
}

// ---------------------------------------------------------------------------
// Save and resume (--state-out, --state-in). The state is one line (the
// format of Generator::state(), src/state_text.hpp):
//   gpurand-generate-state/1 mode=count|grid SETTINGS written=N check=H
// SETTINGS are the flags that fix the values, as `name=value` with the flag's
// own spelling of the value: engine, dist, seed, offset, the distribution's
// parameters, and in grid mode blocks and threads (grid states are always
// --interleave). N is the number of values written so far (count mode: of the
// one fill at `offset`, whose length is unbounded; grid mode: per thread). A
// resumed run writes values [N, N + --count) of that fill, or rows
// [N, N + --per-thread) of the streams, so runs concatenated equal one run.

constexpr const char* state_magic = "gpurand-generate-state/";
constexpr std::uint64_t state_version = 1;
// A state is one short line; anything longer is not one.
constexpr std::size_t state_max_bytes = 4096;

using settings = std::vector<std::pair<std::string, std::string>>;

/// A double in the shortest decimal that reads back to it (as --mean etc. take it).
std::string shortest(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

/// The settings a resumed run must share with the run it continues, keyed by
/// flag name without "--" and spelled as the flag takes them (they are fed
/// back through read_flags). A new flag that changes the values (a
/// distribution parameter) adds itself here.
settings settings_of(const params& p, std::uint64_t seed) {
  settings s = {{"engine", to_string(p.eng.value_or(engine::philox4_32_10))},
                {"dist", to_string(p.kind)},
                {"seed", std::to_string(seed)},
                {"offset", std::to_string(p.offset)}};
  // The distribution's parameters, in the form the flags read back (shortest round trip).
  if (p.mean) s.push_back({"mean", shortest(*p.mean)});
  if (p.stddev) s.push_back({"stddev", shortest(*p.stddev)});
  if (p.lambda) s.push_back({"lambda", shortest(*p.lambda)});
  if (p.p) s.push_back({"p", shortest(*p.p)});
  if (p.low) s.push_back({"low", std::to_string(*p.low)});
  if (p.high) s.push_back({"high", std::to_string(*p.high)});
  if (p.table) {
    std::string w;
    for (double x : p.weights) w += (w.empty() ? "" : ",") + shortest(x);
    s.push_back({"weights", w});
  }
  if (!p.count) {
    s.push_back({"blocks", std::to_string(*p.blocks)});
    s.push_back({"threads", std::to_string(*p.threads)});
  }
  return s;
}

/// The text --state-out writes after a run that wrote `count` values (per
/// thread in grid mode).
std::string state_text(const params& p, std::uint64_t seed, std::uint64_t count) {
  settings fields = {{"mode", p.count ? "count" : "grid"}};
  for (auto& f : settings_of(p, seed)) fields.push_back(std::move(f));
  fields.push_back({"written", std::to_string(p.written + count)});
  return gpurand::detail::seal_state(state_magic, state_version, fields) + "\n";
}

struct saved_run {
  bool grid = false;
  settings recorded;
  std::uint64_t written = 0;
};

std::string state_prefix(const std::string& path) { return "--state-in '" + path + "': "; }

/// Reads and checks the file --state-in names (its shape; its settings are
/// checked against the command line by resume()).
saved_run load_state(const std::string& path) {
  const std::string prefix = state_prefix(path);
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) gpurand::detail::bad_state(prefix, std::string("cannot open: ") + std::strerror(errno));
  std::string text(state_max_bytes + 1, '\0');
  const std::size_t got = std::fread(text.data(), 1, text.size(), f);
  const int read_errno = errno;
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed)
    gpurand::detail::bad_state(prefix, std::string("cannot read: ") + std::strerror(read_errno));
  if (got > state_max_bytes)
    gpurand::detail::bad_state(prefix, "longer than " + std::to_string(state_max_bytes) +
                                           " bytes: not a gpurand generate state");
  text.resize(got);
  const auto fields = gpurand::detail::open_state(text, state_magic, state_version, prefix,
                                                  "a gpurand generate state");
  if (fields.size() < 2 || fields.front().key != "mode" || fields.back().key != "written")
    gpurand::detail::bad_state(prefix, "expected the fields mode=... first and written=N last");
  saved_run r;
  const std::string_view mode = fields.front().value;
  if (mode != "count" && mode != "grid")
    gpurand::detail::bad_state(prefix,
                               "mode: expected count or grid, got '" + std::string(mode) + "'");
  r.grid = mode == "grid";
  r.written = gpurand::detail::state_u64(fields.back().value, "written", prefix);
  std::set<std::string_view> seen;
  for (std::size_t i = 1; i + 1 < fields.size(); ++i) {
    const auto [key, value] = fields[i];
    const bool name_ok = std::all_of(key.begin(), key.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
    if (!name_ok || !seen.insert(key).second || key == "mode" || key == "written")
      gpurand::detail::bad_state(
          prefix, "field '" + std::string(key) + "' is not a setting, or given twice");
    r.recorded.push_back({std::string(key), std::string(value)});
  }
  return r;
}

/// What a resumed command line must give and may not give, knowing only its
/// own flags: the length of the run (--count or --per-thread), one mode.
void check_resume_flags(const params& p) {
  check_one_mode(p);
  if (!p.count && !p.per_thread)
    throw Error(errc::invalid_argument,
                "--state-in: give the length of the resumed run: --count N (a count-mode state) "
                "or --per-thread K (a grid-mode state)");
}

/// The resumed run: the command line's flags plus the saved settings it does
/// not give, checked against the state (a given setting that differs is exit 2).
params resume(const std::vector<std::string>& args, const params& p, const saved_run& saved) {
  const std::string prefix = state_prefix(*p.state_in);
  check_resume_flags(p);
  if (saved.grid && p.count)
    throw Error(errc::invalid_argument,
                prefix +
                    "it continues a grid-mode run (--per-thread K), the command line gives "
                    "--count");
  if (!saved.grid && (p.per_thread || p.blocks || p.threads || p.interleave))
    throw Error(errc::invalid_argument,
                prefix +
                    "it continues a count-mode run (--count N), the command line gives "
                    "grid-mode flags");
  std::vector<std::string> merged = args;
  for (const auto& [key, value] : saved.recorded)
    if (!p.given.count("--" + key) && !(key == "weights" && p.given.count("--weights-file"))) {
      merged.push_back("--" + key);
      merged.push_back(value);
    }
  if (saved.grid && !p.interleave) merged.push_back("--interleave");
  std::optional<params> r;
  try {
    std::ostringstream unused;
    r = read_flags(merged, unused);
  } catch (const Error& e) {  // the command line's own flags were read before: the file's are bad
    throw Error(errc::invalid_argument, prefix + "a saved setting is not valid: " + e.what());
  }
  if (!r->seed) throw Error(errc::invalid_argument, prefix + "it records no seed");
  const settings now = settings_of(*r, *r->seed);
  for (const auto& saved_setting : saved.recorded) {
    // Named, not a structured binding: a lambda cannot capture one in C++17.
    const std::string& key = saved_setting.first;
    const std::string& value = saved_setting.second;
    const auto it = std::find_if(now.begin(), now.end(), [&](auto& s) { return s.first == key; });
    if (it == now.end())
      throw Error(errc::invalid_argument, prefix + "it records " + key + "=" + value +
                                              ", which is not a setting of this run");
    if (it->second != value)
      throw Error(errc::invalid_argument, prefix + "it continues a run with --" + key + " " +
                                              value + ", the command line gives --" + key + " " +
                                              it->second);
  }
  for (const auto& setting : now)
    if (std::none_of(saved.recorded.begin(), saved.recorded.end(),
                     [&](auto& s) { return s.first == setting.first; }))
      throw Error(errc::invalid_argument, prefix + "it records no " + setting.first +
                                              " (this run has --" + setting.first + " " +
                                              setting.second + ")");
  r->written = saved.written;
  return *r;
}

/// Grid mode: thread g of B x T writes K draws of curand_init(seed, g, offset),
/// thread-major, or round-robin across threads with --interleave.
void run_grid(const params& p, std::uint64_t seed, backend_kind backend, output_sink& out) {
  const std::uint64_t threads = *p.blocks * *p.threads;  // checked by check()
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
    detail::write_interleaved(
        req, chunk_values,
        [&](const void* values, std::uint64_t n) { out.write(values, n, p.kind); }, p.written);
    return;
  }
  std::vector<unsigned char> buf;
  auto emit = [&](std::uint64_t first, std::uint64_t count, std::uint64_t k0, std::uint64_t kc) {
    // A piece starting at draw k0 (even, so normals stay on pair boundaries)
    // is the same stream re-initialised draws_for(k0) further on; check()
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

/// Count mode: values [written, written + N) of one bulk fill at (seed,
/// offset) in the bulk layout (value i is lane i % per of group i / per).
void run_count(const params& p, std::uint64_t seed, backend_kind backend, output_sink& out) {
  const std::uint64_t begin = p.written, end = p.written + *p.count;  // check() ruled out overflow
  const std::uint64_t per = gpurand::detail::values_per_group(p.kind);
  const std::size_t size = value_size(p.kind);
  bulk_request req;
  req.kind = p.kind;
  req.seed = seed;
  req.offset = p.offset;
  req.backend = backend;
  set_dist_params(p, req);
  std::vector<unsigned char> buf;
  // Pieces end on multiples of chunk_values (a multiple of 4, so on groups);
  // only the first can start inside a group, whose leading values were written before.
  for (std::uint64_t i = begin; i < end;) {
    const std::uint64_t take = std::min(chunk_values - i % chunk_values, end - i);
    const std::uint64_t lead = i % per;
    req.first_group = i / per;
    req.n = lead + take;
    buf.resize(req.n * size);
    fill(req, buf.data());
    out.write(buf.data() + lead * size, take, p.kind);
    i += take;
  }
}

}  // namespace

namespace detail {

void write_interleaved(const grid_request& base, std::uint64_t piece_values,
                       const std::function<void(const void* values, std::uint64_t count)>& emit,
                       std::uint64_t first_row) {
  const std::uint64_t threads = base.threads, k = base.per_thread;
  if (threads == 0 || k == 0) return;
  // Normals come in Box-Muller pairs (the table's `pairs`): a piece must start on a pair (even k0).
  bool normal = false;
  gpurand::detail::visit(
      base.kind, [&](auto c) { normal = gpurand::detail::dist_traits<decltype(c)::value>::pairs; });
  const std::uint64_t step = normal ? 2 : 1;
  piece_values = std::max(piece_values, step);
  const std::size_t size = value_size(base.kind);
  if (first_row > UINT64_MAX - (k - 1))
    throw Error(errc::exhausted, "--per-thread: rows " + std::to_string(first_row) + " + " +
                                     std::to_string(k) + " run past row 2^64-1");
  const std::uint64_t last = first_row + (k - 1);  // the last row written
  const std::uint64_t last_skip = draws_for(base.eng, base.kind, last);
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
  if (is_variable(base.kind)) {
    // A variable-draw row is only produced from row 0 (draws_for is a cap, so a stream cannot
    // restart mid-way; check() refuses to resume such a grid).
    if (first_row != 0)
      throw Error(errc::invalid_argument, std::string("--state-in: a ") + to_string(base.kind) +
                                              " grid cannot be resumed at a row");
    if (threads <= piece_values / k) {  // every row of every thread fits: one piece
      produce(0, threads, 0, k);
      emit(buf.data(), threads * k);
      return;
    }
    // Row r of a range of threads is the last row of their first r + 1 values, recomputed
    // (K(K+1)/2 values per thread instead of K).
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
  // Rows are produced from a pair boundary: an odd first row of a normal
  // (the second value of a pair) takes its pair and drops the first row.
  const std::uint64_t start = first_row - first_row % step;
  if (threads <= piece_values / step) {
    // Whole rows fit: a few rows of every thread per piece.
    const std::uint64_t rows = piece_values / threads / step * step;
    for (std::uint64_t k0 = start;; k0 += rows) {
      const std::uint64_t n = std::min(rows - 1, last - k0) + 1;  // rows [k0, k0 + n)
      produce(0, threads, k0, n);
      const std::uint64_t drop = k0 < first_row ? first_row - k0 : 0;
      emit(buf.data() + drop * threads * size, threads * (n - drop));
      if (last - k0 < rows) break;
    }
    return;
  }
  // Not even `step` rows fit: each row is written as successive thread
  // ranges. For normals the pair is computed for each of its two rows, twice
  // the work, which only grids with over piece_values/2 threads pay.
  const std::uint64_t chunk = piece_values / step;
  for (std::uint64_t row = first_row;; ++row) {
    const std::uint64_t k0 = row - row % step, rows = std::min(step - 1, last - k0) + 1;
    for (std::uint64_t g = 0; g < threads; g += chunk) {
      const std::uint64_t c = std::min(chunk, threads - g);
      produce(g, c, k0, rows);
      emit(buf.data() + (row - k0) * c * size, c);
    }
    if (row == last) break;
  }
}

bool check_generate_args(const std::vector<std::string>& args, std::ostream& out) {
  const std::optional<params> p = read_flags(args, out);
  if (!p) return false;
  // A resumed run's other settings are in its file, which is not read here.
  if (p->state_in)
    check_resume_flags(*p);
  else
    check(*p);
  return true;
}

}  // namespace detail

int generate_main(const std::vector<std::string>& args) {
  std::optional<params> p = read_flags(args, std::cout);
  if (!p) return 0;  // --help
  if (p->state_in) p = resume(args, *p, load_state(*p->state_in));
  check(*p);
  // Two files that would overwrite each other (checked before either is opened).
  const std::pair<const std::optional<std::string>*, const char*> states[] = {
      {&p->state_in, "--state-in"}, {&p->state_out, "--state-out"}};
  for (const auto& [state, flag] : states)
    if (p->output != "-" && *state && same_file(p->output, **state))
      throw Error(errc::invalid_argument,
                  "--output: '" + p->output + "' is also the " + flag + " file");
  // --backend, else $GPURAND_BACKEND, else auto; gpu without a device is exit 2.
  const backend_kind backend = gpurand::detail::default_backend(p->backend);
  // The outputs are opened (a directory or an impossible path is exit 2)
  // before any number is drawn; the state file is replaced only after the
  // output is complete, so a failed run leaves the old one.
  output_sink out(p->output, p->fmt);
  std::optional<output_sink> state;
  if (p->state_out) state.emplace(*p->state_out, format::raw, "--state-out");
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
  if (state) state->write_text(state_text(*p, seed, p->count ? *p->count : *p->per_thread));
  out.commit();
  if (state) state->commit();
  return 0;
}

}  // namespace gpurand::cli
