#pragma once
/// \file mpi.hpp
/// gpurand over MPI ranks: one generator per rank, disjoint by construction.
///
/// Header-only and thin over `MPI_Comm` (in the style of mpi4py's helpers):
/// it needs the user's MPI (`find_package(gpurand CONFIG REQUIRED COMPONENTS
/// mpi)` and link `gpurand::mpi`), while libgpurand itself never needs MPI.
///
///  - `generator(comm)` is collective: rank 0 takes 64 bits from the OS, one
///    `MPI_Bcast` hands them to every rank, and rank r of n returns the child
///    `spawn(r, n)` of `Generator(seed)`. Every rank can print `gen.seed()`.
///  - `generator(comm, seed)` is the reproducible form. It communicates not at
///    all (no hidden collective): every rank must pass the same seed, which
///    `check_same_seed(comm, seed)` verifies with one `MPI_Allreduce`.
///  - A run is reproduced by the same seed on the same number of ranks: rank
///    r's stream depends on (seed, r, size).
///
/// The seed is always explicit to the Generator, even when rank 0 drew it
/// from the OS: the ranks must share it, and an OS-seeded generator would
/// reseed independently (and lose the shared, printable seed). So a rank that
/// forks (a process pool inside a rank) gets Error(forked) when it uses its
/// rank generator in the child; give each forked worker `gen.spawn(i)` made
/// before the fork. MPI ranks themselves are separate processes started by
/// the launcher, not forks of each other: nothing is inherited between them.
///
/// MPI failures become gpurand::Error(errc::io) naming the MPI call and
/// MPI's error string. Under MPI's default error handler (MPI_ERRORS_ARE_FATAL)
/// MPI aborts before returning, so this is seen only with MPI_ERRORS_RETURN.

#include <mpi.h>

#include <cstdint>
#include <string>

#include "gpurand/gpurand.hpp"

namespace gpurand::mpi {

namespace detail {

/// Throw gpurand::Error(errc::io) naming `call` and MPI's text for `rc`
/// unless rc is MPI_SUCCESS.
inline void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  std::string why;
  if (MPI_Error_string(rc, text, &length) == MPI_SUCCESS && length > 0)
    why.assign(text, static_cast<std::size_t>(length));
  else
    why = "unknown MPI error";
  throw Error(errc::io, std::string("gpurand::mpi: ") + call + " failed (error " +
                            std::to_string(rc) + "): " + why);
}

/// Rank and size of an initialised intracommunicator; rejects what MPI would
/// not survive (MPI not initialised or finalised, MPI_COMM_NULL, an
/// intercommunicator, whose broadcast needs MPI_ROOT) before any MPI call on
/// `comm`. Local calls only.
struct rank_size {
  int rank = 0;
  int size = 0;
};
inline rank_size query(MPI_Comm comm, const char* what) {
  int initialized = 0, finalized = 0;
  check(MPI_Initialized(&initialized), "MPI_Initialized");
  check(MPI_Finalized(&finalized), "MPI_Finalized");
  if (!initialized || finalized)
    throw Error(errc::invalid_argument, std::string(what) + ": MPI is " +
                                            (finalized ? "already finalized" : "not initialized") +
                                            " (call it between MPI_Init and MPI_Finalize)");
  if (comm == MPI_COMM_NULL)
    throw Error(errc::invalid_argument, std::string(what) + ": comm is MPI_COMM_NULL");
  int inter = 0;
  check(MPI_Comm_test_inter(comm, &inter), "MPI_Comm_test_inter");
  if (inter)
    throw Error(errc::invalid_argument,
                std::string(what) +
                    ": comm is an intercommunicator; pass an intracommunicator "
                    "(e.g. from MPI_Intercomm_merge)");
  rank_size rs;
  check(MPI_Comm_rank(comm, &rs.rank), "MPI_Comm_rank");
  check(MPI_Comm_size(comm, &rs.size), "MPI_Comm_size");
  return rs;
}

/// Rank r's child of the root: child r of `size` equal slots of the root's
/// spawn space. The one place that names the spawn call.
inline Generator rank_child(const Generator& root, int rank, int size) {
  return root.spawn(static_cast<std::uint64_t>(rank), static_cast<std::uint64_t>(size));
}

}  // namespace detail

/// Collective over `comm` (one MPI_Bcast from rank 0): rank 0 takes 64 bits
/// from the OS (gpurand::os_entropy64) and every rank returns them. If rank 0
/// cannot read the OS source, every rank throws Error(errc::entropy), so no
/// rank is left waiting.
inline std::uint64_t broadcast_seed(MPI_Comm comm) {
  const detail::rank_size rs = detail::query(comm, "gpurand::mpi::broadcast_seed");
  // {ok, seed}: a failure on rank 0 travels in the same single broadcast.
  std::uint64_t message[2] = {0, 0};
  std::string failure;
  if (rs.rank == 0) {
    try {
      message[1] = os_entropy64();
      message[0] = 1;
    } catch (const Error& e) {
      failure = e.what();
    }
  }
  detail::check(MPI_Bcast(message, 2, MPI_UINT64_T, 0, comm), "MPI_Bcast");
  if (message[0] != 1)
    throw Error(errc::entropy,
                "gpurand::mpi::broadcast_seed: rank 0 could not read a seed from the OS" +
                    (failure.empty() ? std::string() : ": " + failure));
  return message[1];
}

/// The reproducible form, and the one that all others reach. Makes
/// `Generator(opts)` with `opts.seed` (an explicit seed: see the file header
/// on fork behaviour) and returns its child `spawn(rank, size)` for this
/// rank of `comm`. Communicates only when `opts.seed` is empty, and then
/// exactly as broadcast_seed() does. The children of all ranks have
/// pairwise disjoint offset windows under the shared seed, and `seed()`
/// returns that seed on every rank.
///
/// Every rank must pass the same options (above all the same seed; nothing
/// checks it, since that would be a hidden collective: call
/// check_same_seed() where ranks could disagree). Throws
/// Error(invalid_argument) for MPI not initialised, MPI_COMM_NULL or an
/// intercommunicator, and whatever spawn() throws (Error(exhausted) when
/// `opts.offset` leaves no room for `size` children).
inline Generator generator(MPI_Comm comm, options opts) {
  const detail::rank_size rs = detail::query(comm, "gpurand::mpi::generator");
  if (!opts.seed) opts.seed = broadcast_seed(comm);
  const Generator root(opts);
  return detail::rank_child(root, rs.rank, rs.size);
}

/// Reproducible: no communication at all. Every rank must pass the same
/// `seed` (see check_same_seed). Rank r of n gets Generator(seed).spawn(r, n).
inline Generator generator(MPI_Comm comm, std::uint64_t seed) {
  options opts;
  opts.seed = seed;
  return generator(comm, opts);
}

/// Collective (one MPI_Bcast): seeded from the OS on rank 0 and shared.
/// Print `gen.seed()` on any rank; generator(comm, that seed) on the same
/// number of ranks reproduces the run.
inline Generator generator(MPI_Comm comm) { return generator(comm, options{}); }

/// Collective (one MPI_Allreduce): throws Error(invalid_argument) on every
/// rank, naming the smallest and largest seed, unless all ranks of `comm`
/// passed the same `seed`. Returns normally on every rank otherwise.
inline void check_same_seed(MPI_Comm comm, std::uint64_t seed) {
  detail::query(comm, "gpurand::mpi::check_same_seed");
  // min(seed) and min(~seed) = ~max(seed) in one reduction.
  std::uint64_t mine[2] = {seed, ~seed};
  std::uint64_t all[2] = {0, 0};
  detail::check(MPI_Allreduce(mine, all, 2, MPI_UINT64_T, MPI_MIN, comm), "MPI_Allreduce");
  const std::uint64_t lowest = all[0], highest = ~all[1];
  if (lowest != highest)
    throw Error(errc::invalid_argument,
                "seed: the ranks passed different seeds (smallest " + std::to_string(lowest) +
                    ", largest " + std::to_string(highest) +
                    "); every rank must pass the same seed to gpurand::mpi::generator");
}

}  // namespace gpurand::mpi
