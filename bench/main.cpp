// gpurand-bench: gpurand's throughput against cuRAND and the memory roofline, on the CPU and
// the GPU, measured in one run on one machine. See bench/README.md.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "bench.hpp"
#include "gpurand/gpurand.hpp"

namespace gpurand::bench {
namespace {

constexpr const char* usage_text =
    R"(usage: gpurand-bench [--backend auto|cpu|gpu] [--quick] [--json FILE]
                     [--sizes LIST] [--cases LIST] [--help]

Measures gpurand against cuRAND and the memory roofline; prints a table, then a
"targets" section (PASS/MISS with the measured ratio). Exit status 0 whether or
not targets are met, 1 on a runtime failure (a failed audit child included), 2
on a bad argument.

  --backend B   cpu: CPU cases only. gpu: GPU cases only (exit 2 without a
                usable GPU). auto (default): CPU cases, plus the GPU cases when
                a usable GPU exists.
  --quick       fewer sizes and repeats (CPU: under a minute on 2 cores); the
                CI smoke run. Not for recorded results.
  --json FILE   also write the records as a JSON array to FILE (atomically:
                written to a temporary file in the same folder, then renamed).
  --sizes LIST  comma list of n (values per fill, values audited) for the fill,
                roofline and audit cases: plain integers or 2^k, e.g.
                2^20,2^24,1000000. Default: CPU 2^20,2^22,2^24,2^26 (quick
                2^20,2^22); GPU 2^20..2^30 every power (quick 2^20,2^24,2^28);
                audit 2^26 (quick 2^22).
  --cases LIST  comma list from (default: all):
                  fill      bulk fills u32, uniform, normal, uniform-double:
                            gpurand::fill (CPU) / detail::gpu_bulk (GPU) vs
                            cuRAND's host generator (CPU) / host API (GPU),
                            Philox4_32_10, same n, same buffer
                  roofline  write bandwidth of the same buffers: memset on
                            all cores (CPU); a plain store kernel and
                            cudaMemsetAsync (GPU). Fill rows always carry it.
                  init      GPU: 2^20 per-thread gpurand streams vs
                            curand_init for XORWOW and Philox (subsequence =
                            thread id), one draw stored per thread
                  consume   GPU: 2^20 threads x 1024 draws reduced in-kernel,
                            gpurand device API vs raw curand()/curand_uniform()
                            /curand_normal() on curandStatePhilox4_32_10_t
                  scaling   CPU: uniform fill at the largest size on 1 thread
                            and on all cores, at every SIMD level the CPU has,
                            and memset on 1 thread: explains the CPU numbers
                  audit     CPU: gpurand::audit::run on n honest per-thread
                            u32 streams (threads x 4096 values), each run in
                            its own forked child: seconds, peak RSS, and (peak
                            RSS - RSS before the input) / input bytes
  --help        this text
)";

[[noreturn]] void bad_argument(const std::string& message) {
  std::fprintf(stderr, "gpurand-bench: %s\n(see gpurand-bench --help)\n", message.c_str());
  std::exit(2);
}

std::vector<std::string> split_commas(const std::string& list) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = list.find(',', start);
    items.push_back(list.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return items;
}

bench_case parse_case(const std::string& name) {
  for (bench_case c : {bench_case::fill, bench_case::roofline, bench_case::init,
                       bench_case::consume, bench_case::scaling, bench_case::audit})
    if (name == to_string(c)) return c;
  bad_argument("--cases: unknown case '" + name +
               "' (expected fill, roofline, init, consume, scaling or audit)");
}

/// Refuses a --json path whose folder is missing or read-only before any minute is spent
/// measuring, so the error names the argument rather than surfacing at the end.
void check_json_path(const std::string& path) {
  if (path.empty()) bad_argument("--json: expected a file name, got ''");
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    bad_argument("--json: '" + path + "' is a directory, expected a file name");
  const auto slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    bad_argument("--json: folder '" + dir + "' of '" + path + "' does not exist");
  if (access(dir.c_str(), W_OK) != 0)
    bad_argument("--json: folder '" + dir + "' of '" + path + "' is not writable");
  // The same temporary name write_json_atomically() will use: a name that cannot be created
  // (too long, a read-only file system) fails here, not after the measurements.
  const std::string probe = path + ".tmp." + std::to_string(getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    bad_argument("--json: cannot create '" + probe + "' next to '" + path +
                 "': " + std::strerror(errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

options parse_args(int argc, char** argv) {
  options opt;
  std::string backend = "auto";
  bool cases_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    // Accept both "--flag value" and "--flag=value".
    if (arg.rfind("--", 0) == 0) {
      const auto eq = arg.find('=');
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        has_value = true;
      }
    }
    auto take_value = [&]() -> std::string {
      if (has_value) return value;
      if (i + 1 >= argc) bad_argument(arg + ": missing value");
      return argv[++i];
    };
    auto no_value = [&] {
      if (has_value) bad_argument(arg + ": takes no value, got '" + value + "'");
    };
    if (arg == "--help" || arg == "-h") {
      no_value();
      std::fputs(usage_text, stdout);
      std::exit(0);
    } else if (arg == "--quick") {
      no_value();
      opt.quick = true;
    } else if (arg == "--backend") {
      backend = take_value();
      if (backend != "auto" && backend != "cpu" && backend != "gpu")
        bad_argument("--backend: expected auto, cpu or gpu, got '" + backend + "'");
    } else if (arg == "--json") {
      opt.json_path = take_value();
      check_json_path(opt.json_path);
    } else if (arg == "--sizes") {
      opt.sizes.clear();
      for (const std::string& item : split_commas(take_value())) {
        try {
          opt.sizes.push_back(parse_size(item, "--sizes"));
        } catch (const Error& e) {
          bad_argument(e.what());
        }
      }
    } else if (arg == "--cases") {
      opt.cases.clear();
      cases_given = true;
      for (const std::string& item : split_commas(take_value())) {
        const bench_case c = parse_case(item);
        if (!opt.has(c)) opt.cases.push_back(c);
      }
    } else {
      bad_argument("unknown argument '" + std::string(argv[i]) + "'");
    }
  }
  if (!cases_given)
    opt.cases = {bench_case::fill,    bench_case::roofline, bench_case::init,
                 bench_case::consume, bench_case::scaling,  bench_case::audit};
  if (backend == "cpu") {
    opt.run_cpu = true;
    opt.run_gpu = false;
  } else if (backend == "gpu") {
    if (!have_gpu())
      bad_argument(
          "--backend: 'gpu' requested, but no usable CUDA device was found (use "
          "--backend auto or cpu)");
    opt.run_cpu = false;
    opt.run_gpu = true;
  } else {
    opt.run_cpu = true;
    opt.run_gpu = have_gpu();
  }
  return opt;
}

int run(int argc, char** argv) {
  const options opt = parse_args(argc, argv);
  run_timestamp();  // fix the run's date and the load before measuring
  load_at_start();
  mark_run_start();
  std::vector<record> records;
  try {
    if (opt.run_cpu) run_cpu_cases(opt, records);
    if (opt.run_gpu) run_gpu_cases(opt, records);
  } catch (const std::exception& e) {
    // Print what was measured before the failure, but write no JSON: a file must never look
    // like a complete run when it is not.
    print_report(opt, records);
    std::fprintf(stderr, "gpurand-bench: failed: %s\n", e.what());
    return 1;
  }
  print_report(opt, records);
  // A case that failed in its own child process (the audit) is a row with `error` set: the run
  // went on and everything else is reported, but the exit status must still say it failed.
  const bool failed_rows =
      std::any_of(records.begin(), records.end(), [](const record& r) { return !r.error.empty(); });
  if (!opt.json_path.empty()) {
    try {
      write_json_atomically(opt.json_path, records);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "gpurand-bench: %s\n", e.what());
      return 1;
    }
    std::printf("\nwrote %zu records to %s\n", records.size(), opt.json_path.c_str());
  }
  if (failed_rows) {
    std::fprintf(stderr, "gpurand-bench: failed: some rows could not be measured (see above)\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace gpurand::bench

int main(int argc, char** argv) { return gpurand::bench::run(argc, argv); }
