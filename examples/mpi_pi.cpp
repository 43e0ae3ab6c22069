// Monte Carlo estimate of pi over MPI ranks, with the audit as the proof that
// no two ranks drew the same numbers.
//
//   mpirun -np 4 example_mpi_pi [--seed N] [--per-rank K] [--same-seed-negative-control]
//
// Every rank takes its own stream from gpurand::mpi::generator (rank r of n
// is spawn(r, n) of one shared seed), draws K uniform floats (K/2 points in
// the unit square) and counts the points inside the quarter circle. Rank 0
// sums the counts (MPI_Reduce), gathers every rank's K draws (MPI_Gather)
// and audits the ranks x K grid, one audited "thread" per rank. It prints pi,
// the seed that reproduces the run and the audit verdict; exit 0 only when
// the audit is clean.
//
// --same-seed-negative-control plants the classic bug instead: every rank
// builds Generator(seed) itself, without spawn, so all ranks draw the same
// numbers. The audit must report the duplicate streams; the program then
// exits 0 only if it did (a negative control a test can assert on).
//
// Bad arguments: a message and exit 2 on every rank.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <gpurand/audit.hpp>
#include <gpurand/gpurand.hpp>
#include <gpurand/mpi.hpp>
#include <optional>
#include <string>
#include <vector>

namespace {

struct args {
  std::optional<std::uint64_t> seed;
  std::uint64_t per_rank = std::uint64_t{1} << 18;
  bool negative_control = false;
};

// Strict unsigned decimal: the whole text, no sign, no overflow.
bool parse_u64(const char* text, std::uint64_t& out) {
  if (text == nullptr || *text < '0' || *text > '9') return false;
  std::uint64_t v = 0;
  for (const char* p = text; *p; ++p) {
    if (*p < '0' || *p > '9') return false;
    const std::uint64_t d = static_cast<std::uint64_t>(*p - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

// Returns an empty string when the arguments are good, else the message.
std::string parse(int argc, char** argv, args& a) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--same-seed-negative-control") {
      a.negative_control = true;
    } else if (arg == "--seed" || arg == "--per-rank") {
      if (i + 1 >= argc) return arg + ": missing value";
      std::uint64_t v = 0;
      if (!parse_u64(argv[++i], v))
        return arg + ": expected an unsigned 64-bit integer, got '" + argv[i] + "'";
      if (arg == "--seed") {
        a.seed = v;
      } else {
        // Even (points are pairs), at least 4 values (the audit's stream
        // window), and small enough for MPI's int counts and rank 0's memory.
        if (v < 4 || v % 2 != 0 || v > (std::uint64_t{1} << 26))
          return "--per-rank: expected an even count in [4, 2^26], got " + std::to_string(v);
        a.per_rank = v;
      }
    } else {
      return "unknown argument '" + arg +
             "' (usage: example_mpi_pi [--seed N] [--per-rank K] [--same-seed-negative-control])";
    }
  }
  return {};
}

int run(const args& a, MPI_Comm comm) {
  int rank = 0, size = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (a.negative_control && size < 2) {
    if (rank == 0)
      std::fprintf(stderr, "example_mpi_pi: the negative control needs at least 2 ranks, got %d\n",
                   size);
    return 2;
  }

  // The right way: one shared seed, rank r takes spawn(r, size). With
  // --seed nothing is communicated here; without it rank 0 seeds from the
  // OS and broadcasts. Either way every rank knows the seed.
  gpurand::Generator gen =
      a.seed ? gpurand::mpi::generator(comm, *a.seed) : gpurand::mpi::generator(comm);
  const std::uint64_t seed = gen.seed();
  if (a.seed) gpurand::mpi::check_same_seed(comm, seed);  // cheap: one MPI_Allreduce
  if (a.negative_control) {
    // The classic bug: every rank seeds the same generator itself.
    gen = gpurand::Generator(seed);
  }

  const std::size_t k = static_cast<std::size_t>(a.per_rank);
  std::vector<float> draws(k);
  const std::uint64_t first_offset = gen.offset();
  gen.uniform(draws.data(), k);
  std::uint64_t inside = 0;
  for (std::size_t i = 0; i + 1 < k; i += 2)
    inside += draws[i] * draws[i] + draws[i + 1] * draws[i + 1] <= 1.0f;
  std::printf(
      "rank %d of %d: seed %llu, %s, offset %llu, %llu of %zu points inside\n", rank, size,
      static_cast<unsigned long long>(seed),
      a.negative_control
          ? "Generator(seed) without spawn (negative control)"
          : ("stream spawn(" + std::to_string(rank) + ", " + std::to_string(size) + ")").c_str(),
      static_cast<unsigned long long>(first_offset), static_cast<unsigned long long>(inside),
      k / 2);
  std::fflush(stdout);

  std::uint64_t total_inside = 0;
  gpurand::mpi::detail::check(MPI_Reduce(&inside, &total_inside, 1, MPI_UINT64_T, MPI_SUM, 0, comm),
                              "MPI_Reduce");
  std::vector<float> grid(rank == 0 ? k * static_cast<std::size_t>(size) : 0);
  gpurand::mpi::detail::check(MPI_Gather(draws.data(), static_cast<int>(k), MPI_FLOAT, grid.data(),
                                         static_cast<int>(k), MPI_FLOAT, 0, comm),
                              "MPI_Gather");

  int code = 0;
  if (rank == 0) {
    const double points = static_cast<double>(k / 2) * size;
    const double pi = 4.0 * static_cast<double>(total_inside) / points;
    std::printf("pi ~ %.6f (error %.6f, %.0f points on %d ranks)\n", pi, std::fabs(pi - M_PI),
                points, size);
    std::printf("seed %llu: rerun with --seed %llu on %d ranks to reproduce\n",
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed), size);

    gpurand::audit::layout shape;
    shape.blocks = 1;
    shape.threads_per_block = static_cast<std::uint64_t>(size);  // one audited thread per rank
    shape.per_thread = k;
    shape.type = gpurand::audit::dtype::f32;
    gpurand::audit::options opts;
    opts.model = gpurand::audit::value_model::uniform_f32;
    const gpurand::audit::report r = gpurand::audit::run(grid.data(), shape, opts);
    std::printf("audit of %d ranks x %zu draws:\n%s", size, k, gpurand::audit::format(r).c_str());

    // 5 standard errors of the estimate: a correct run fails it about once in 10^6.
    const bool pi_ok = std::fabs(pi - M_PI) < 5.0 * std::sqrt(M_PI * (4.0 - M_PI) / points);
    if (a.negative_control) {
      // Every rank after rank 0 must be reported as a duplicate of rank 0.
      const bool caught = !r.clean() && r.duplicate_threads == static_cast<std::uint64_t>(size - 1);
      std::printf("negative control: %s\n",
                  caught ? "the audit caught the duplicate streams of same-seeded ranks"
                         : "NOT CAUGHT: the audit missed the same-seeded ranks");
      code = caught ? 0 : 1;
    } else {
      std::printf("mpi_pi verdict: %s\n", r.clean() && pi_ok ? "clean"
                                          : r.clean()        ? "pi estimate out of range"
                                                             : "DEFECTS FOUND");
      code = r.clean() && pi_ok ? 0 : 1;
    }
    std::fflush(stdout);
  }
  // Every rank leaves with rank 0's verdict, so mpirun's status is the verdict.
  gpurand::mpi::detail::check(MPI_Bcast(&code, 1, MPI_INT, 0, comm), "MPI_Bcast");
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  args a;
  const std::string bad = parse(argc, argv, a);
  if (!bad.empty()) {
    // Every rank parses the same arguments, so every rank exits here.
    if (rank == 0) std::fprintf(stderr, "example_mpi_pi: %s\n", bad.c_str());
    MPI_Finalize();
    return 2;
  }
  int code = 0;
  try {
    code = run(a, MPI_COMM_WORLD);
  } catch (const std::exception& e) {
    // An error on one rank would leave the others waiting in a collective.
    std::fprintf(stderr, "example_mpi_pi: rank %d: %s\n", rank, e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  return code;
}
