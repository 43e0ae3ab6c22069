// gpurand/mpi.hpp under mpiexec (CTest runs it on 4 ranks). Every rank runs
// every test in the same order, so the collectives inside the tests match.
//
// The MPI calls the header could make are interposed here through MPI's
// profiling interface (each MPI_X forwards to PMPI_X): the tests count them
// ("no hidden collectives" is a number, not a hope) and can make one fail
// on purpose to check the error path.

#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <gpurand/audit.hpp>
#include <gpurand/gpurand.hpp>
#include <gpurand/mpi.hpp>
#include <string>
#include <utility>
#include <vector>

namespace {

// Calls made through the interposed MPI functions below.
int g_calls = 0;
int g_bcasts = 0;
int g_allreduces = 0;
// When not MPI_SUCCESS, MPI_Bcast and MPI_Allreduce return it unperformed
// (set on every rank at once, so no rank waits).
int g_inject = MPI_SUCCESS;

}  // namespace

// The profiling interface: these definitions take precedence over the MPI
// library's for calls made from this program, including gpurand/mpi.hpp's.
extern "C" {
int MPI_Bcast(void* buffer, int count, MPI_Datatype type, int root, MPI_Comm comm) {
  ++g_calls;
  ++g_bcasts;
  if (g_inject != MPI_SUCCESS) return g_inject;
  return PMPI_Bcast(buffer, count, type, root, comm);
}
int MPI_Allreduce(const void* in, void* out, int count, MPI_Datatype type, MPI_Op op,
                  MPI_Comm comm) {
  ++g_calls;
  ++g_allreduces;
  if (g_inject != MPI_SUCCESS) return g_inject;
  return PMPI_Allreduce(in, out, count, type, op, comm);
}
int MPI_Reduce(const void* in, void* out, int count, MPI_Datatype type, MPI_Op op, int root,
               MPI_Comm comm) {
  ++g_calls;
  return PMPI_Reduce(in, out, count, type, op, root, comm);
}
int MPI_Barrier(MPI_Comm comm) {
  ++g_calls;
  return PMPI_Barrier(comm);
}
int MPI_Gather(const void* in, int in_count, MPI_Datatype in_type, void* out, int out_count,
               MPI_Datatype out_type, int root, MPI_Comm comm) {
  ++g_calls;
  return PMPI_Gather(in, in_count, in_type, out, out_count, out_type, root, comm);
}
int MPI_Allgather(const void* in, int in_count, MPI_Datatype in_type, void* out, int out_count,
                  MPI_Datatype out_type, MPI_Comm comm) {
  ++g_calls;
  return PMPI_Allgather(in, in_count, in_type, out, out_count, out_type, comm);
}
int MPI_Scan(const void* in, void* out, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm) {
  ++g_calls;
  return PMPI_Scan(in, out, count, type, op, comm);
}
int MPI_Exscan(const void* in, void* out, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm) {
  ++g_calls;
  return PMPI_Exscan(in, out, count, type, op, comm);
}
int MPI_Comm_dup(MPI_Comm comm, MPI_Comm* out) {
  ++g_calls;
  return PMPI_Comm_dup(comm, out);
}
int MPI_Comm_split(MPI_Comm comm, int color, int key, MPI_Comm* out) {
  ++g_calls;
  return PMPI_Comm_split(comm, color, key, out);
}
int MPI_Send(const void* buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm) {
  ++g_calls;
  return PMPI_Send(buf, count, type, dest, tag, comm);
}
int MPI_Recv(void* buf, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm,
             MPI_Status* status) {
  ++g_calls;
  return PMPI_Recv(buf, count, type, source, tag, comm, status);
}
}

namespace {

using gpurand::errc;
using gpurand::Error;
namespace gmpi = gpurand::mpi;

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int world_size() {
  int s = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

// What the header promises rank r of n gets: the child spawn(r, n) of
// Generator(seed), explicitly seeded.
gpurand::Generator expected_rank_generator(std::uint64_t seed, int rank, int size) {
  gpurand::options o;
  o.seed = seed;
  const gpurand::Generator root(o);
  return root.spawn(static_cast<std::uint64_t>(rank), static_cast<std::uint64_t>(size));
}

// Every rank's `mine` (all the same length) gathered on rank 0, rank-major;
// empty on the other ranks.
std::vector<std::uint32_t> gather_to_root(const std::vector<std::uint32_t>& mine) {
  std::vector<std::uint32_t> all(world_rank() == 0 ? mine.size() * world_size() : 0);
  const int n = static_cast<int>(mine.size());
  EXPECT_EQ(MPI_SUCCESS, PMPI_Gather(mine.data(), n, MPI_UINT32_T, all.data(), n, MPI_UINT32_T, 0,
                                     MPI_COMM_WORLD));
  return all;
}

// Each rank draws from `gen` the way a simulation would: three launches of
// 64 threads x 32 values through thread_streams, then one bulk fill of 2048
// values cut into 64 rows of 32. Returns the rank's 256 rows of 32, so that
// the grid over all ranks is (ranks x 256) threads x 32 values.
constexpr std::uint64_t rows_per_rank = 256;
constexpr std::uint64_t per_row = 32;
std::vector<std::uint32_t> draw_rows(gpurand::Generator& gen) {
  std::vector<std::uint32_t> rows(rows_per_rank * per_row);
  for (int launch = 0; launch < 3; ++launch)
    gen.thread_streams(gpurand::dist::u32, 64, per_row, rows.data() + launch * 64 * per_row);
  gen.generate(rows.data() + 3 * 64 * per_row, 64 * per_row);
  return rows;
}

// `parts` groups of rows per rank: one audited block per group.
gpurand::audit::report audit_rows(const std::vector<std::uint32_t>& all, int parts = 1) {
  gpurand::audit::layout shape;
  shape.blocks = static_cast<std::uint64_t>(world_size()) * static_cast<std::uint64_t>(parts);
  shape.threads_per_block = rows_per_rank;
  shape.per_thread = per_row;
  shape.type = gpurand::audit::dtype::u32;
  return gpurand::audit::run(all.data(), shape);
}

TEST(MpiGenerator, RankGetsSpawnRankSizeOfTheSharedSeed) {
  const int rank = world_rank(), size = world_size();
  gpurand::Generator gen = gmpi::generator(MPI_COMM_WORLD, 99);
  gpurand::Generator ref = expected_rank_generator(99, rank, size);
  EXPECT_EQ(gen.seed(), 99u);  // printable on every rank: the child keeps the seed
  EXPECT_FALSE(gen.seeded_from_os());
  EXPECT_EQ(gen.offset(), ref.offset());
  EXPECT_EQ(gen.window_end(), ref.window_end());
  std::vector<std::uint32_t> a(64), b(64);
  gen.generate(a.data(), a.size());
  ref.generate(b.data(), b.size());
  EXPECT_EQ(a, b);
}

TEST(MpiGenerator, RanksArePairwiseDisjoint) {
  const int size = world_size();
  gpurand::Generator gen = gmpi::generator(MPI_COMM_WORLD, 2024);
  // The offset windows first: [offset, window_end) of every rank.
  const std::uint64_t window[2] = {gen.offset(), gen.window_end()};
  std::vector<std::uint64_t> windows(2 * static_cast<std::size_t>(size));
  ASSERT_EQ(MPI_SUCCESS, PMPI_Allgather(window, 2, MPI_UINT64_T, windows.data(), 2, MPI_UINT64_T,
                                        MPI_COMM_WORLD));
  for (int i = 0; i < size; ++i) {
    EXPECT_LT(windows[2 * i], windows[2 * i + 1]) << "rank " << i;
    for (int j = i + 1; j < size; ++j)
      EXPECT_TRUE(windows[2 * i + 1] <= windows[2 * j] || windows[2 * j + 1] <= windows[2 * i])
          << "ranks " << i << " and " << j << " share offsets";
  }
  // Then the draws themselves, audited on rank 0.
  const std::vector<std::uint32_t> all = gather_to_root(draw_rows(gen));
  if (world_rank() != 0) return;
  const gpurand::audit::report r = audit_rows(all);
  EXPECT_TRUE(r.stream_checks_run);
  EXPECT_TRUE(r.clean()) << gpurand::audit::format(r);
}

// A rank x device tree: each rank's generator spawns two "device" children
// and all three draw; every stream over all ranks is distinct.
TEST(MpiGenerator, RankByDeviceTreeIsDisjoint) {
  gpurand::Generator gen = gmpi::generator(MPI_COMM_WORLD, 31);
  gpurand::Generator dev0 = gen.spawn(0, 2), dev1 = gen.spawn(1, 2);
  std::vector<std::uint32_t> mine;
  for (gpurand::Generator* g : {&gen, &dev0, &dev1}) {
    const std::vector<std::uint32_t> rows = draw_rows(*g);
    mine.insert(mine.end(), rows.begin(), rows.end());
  }
  const std::vector<std::uint32_t> all = gather_to_root(mine);
  if (world_rank() != 0) return;
  const gpurand::audit::report r = audit_rows(all, 3);
  EXPECT_TRUE(r.clean()) << gpurand::audit::format(r);
}

// The negative control of RanksArePairwiseDisjoint: the same draws from Generator(seed)
// on every rank, without spawn, must be flagged, every rank after rank 0 as
// a duplicate of rank 0, row for row.
TEST(MpiGenerator, SameSeedWithoutSpawnIsCaughtByTheAudit) {
  const int size = world_size();
  if (size < 2) GTEST_SKIP() << "needs at least 2 ranks, got " << size;
  gpurand::Generator gen(2024);
  const std::vector<std::uint32_t> all = gather_to_root(draw_rows(gen));
  if (world_rank() != 0) return;
  const gpurand::audit::report r = audit_rows(all);
  EXPECT_FALSE(r.clean());
  EXPECT_EQ(r.duplicate_threads, static_cast<std::uint64_t>(size - 1) * rows_per_rank);
}

TEST(MpiGenerator, ExplicitSeedIsReproducible) {
  gpurand::Generator a = gmpi::generator(MPI_COMM_WORLD, 7);
  gpurand::Generator b = gmpi::generator(MPI_COMM_WORLD, 7);
  EXPECT_EQ(a.offset(), b.offset());
  std::vector<float> x(1000), y(1000);
  a.uniform(x.data(), x.size());
  b.uniform(y.data(), y.size());
  EXPECT_EQ(0, std::memcmp(x.data(), y.data(), x.size() * sizeof(float)));
  // A different seed gives different numbers.
  gpurand::Generator c = gmpi::generator(MPI_COMM_WORLD, 8);
  std::vector<float> z(1000);
  c.uniform(z.data(), z.size());
  EXPECT_NE(0, std::memcmp(x.data(), z.data(), x.size() * sizeof(float)));
}

TEST(MpiGenerator, ExplicitSeedCommunicatesNothing) {
  const int before = g_calls;
  gpurand::Generator gen = gmpi::generator(MPI_COMM_WORLD, 7);
  gpurand::options o;
  o.seed = 8;
  o.offset = 1000;
  gpurand::Generator gen2 = gmpi::generator(MPI_COMM_WORLD, o);
  // (ASSERT: every rank counts the same, so all ranks stop here together
  // rather than leave rank 0 below waiting in a hidden collective.)
  ASSERT_EQ(g_calls, before) << "generator(comm, seed) made an MPI call that communicates";
  // So it may be called on one rank alone without waiting for the others.
  if (world_rank() == 0) {
    gpurand::Generator alone = gmpi::generator(MPI_COMM_WORLD, 9);
    EXPECT_EQ(alone.seed(), 9u);
  }
  EXPECT_EQ(g_calls, before);
}

TEST(MpiGenerator, OsSeedIsOneBroadcastAndReproducible) {
  const int calls = g_calls, bcasts = g_bcasts;
  gpurand::Generator gen = gmpi::generator(MPI_COMM_WORLD);
  EXPECT_EQ(g_bcasts - bcasts, 1);
  EXPECT_EQ(g_calls - calls, 1) << "generator(comm) must be exactly one MPI_Bcast";
  // Explicit to the Generator: the ranks share it, so no rank reseeds alone.
  EXPECT_FALSE(gen.seeded_from_os());
  // Every rank got the same seed...
  EXPECT_NO_THROW(gmpi::check_same_seed(MPI_COMM_WORLD, gen.seed()));
  // ...and the seed it prints reproduces its stream.
  gpurand::Generator again = gmpi::generator(MPI_COMM_WORLD, gen.seed());
  std::vector<std::uint32_t> a(256), b(256);
  gen.generate(a.data(), a.size());
  again.generate(b.data(), b.size());
  EXPECT_EQ(a, b);
  // A second run draws a new seed (equal with probability 2^-64).
  gpurand::Generator other = gmpi::generator(MPI_COMM_WORLD);
  EXPECT_NE(other.seed(), gen.seed());
}

TEST(MpiGenerator, CheckSameSeedIsOneAllreduceAndCatchesMismatch) {
  const int rank = world_rank(), size = world_size();
  const int calls = g_calls, allreduces = g_allreduces;
  EXPECT_NO_THROW(gmpi::check_same_seed(MPI_COMM_WORLD, 11));
  EXPECT_EQ(g_allreduces - allreduces, 1);
  EXPECT_EQ(g_calls - calls, 1);
  if (size < 2) GTEST_SKIP() << "a mismatch needs at least 2 ranks, got " << size;
  // One rank disagrees: every rank throws, naming both ends of the range.
  const std::pair<std::uint64_t, std::uint64_t> cases[] = {{11, 12}, {0, UINT64_MAX}};
  for (const auto& [common, odd] : cases) {
    const std::uint64_t seed = rank == size - 1 ? odd : common;
    try {
      gmpi::check_same_seed(MPI_COMM_WORLD, seed);
      ADD_FAILURE() << "mismatched seeds " << common << " and " << odd << " were not caught";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), errc::invalid_argument);
      const std::string expect =
          "smallest " + std::to_string(common) + ", largest " + std::to_string(odd);
      EXPECT_NE(std::string(e.what()).find(expect), std::string::npos) << e.what();
    }
  }
}

void expect_invalid(void (*call)(), const char* needle) {
  try {
    call();
    ADD_FAILURE() << "no error; expected one mentioning '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(MpiGenerator, RejectsNullCommunicatorWithoutCommunicating) {
  const int calls = g_calls;
  expect_invalid([] { (void)gmpi::generator(MPI_COMM_NULL, 1); }, "comm is MPI_COMM_NULL");
  expect_invalid([] { (void)gmpi::generator(MPI_COMM_NULL); }, "comm is MPI_COMM_NULL");
  expect_invalid([] { (void)gmpi::broadcast_seed(MPI_COMM_NULL); }, "comm is MPI_COMM_NULL");
  expect_invalid([] { gmpi::check_same_seed(MPI_COMM_NULL, 1); }, "comm is MPI_COMM_NULL");
  EXPECT_EQ(g_calls, calls);
}

MPI_Comm g_inter = MPI_COMM_NULL;

TEST(MpiGenerator, RejectsAnIntercommunicator) {
  const int rank = world_rank(), size = world_size();
  if (size < 2) GTEST_SKIP() << "an intercommunicator needs at least 2 ranks, got " << size;
  // Even and odd ranks, joined by an intercommunicator (leaders: world ranks 0 and 1).
  MPI_Comm half = MPI_COMM_NULL;
  ASSERT_EQ(MPI_SUCCESS, MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &half));
  ASSERT_EQ(MPI_SUCCESS,
            MPI_Intercomm_create(half, 0, MPI_COMM_WORLD, rank % 2 == 0 ? 1 : 0, 77, &g_inter));
  expect_invalid([] { (void)gmpi::generator(g_inter, 1); }, "intercommunicator");
  expect_invalid([] { gmpi::check_same_seed(g_inter, 1); }, "intercommunicator");
  MPI_Comm_free(&g_inter);
  // A subcommunicator is fine: rank r of the half gets spawn(r, half size).
  int half_rank = 0, half_size = 0;
  MPI_Comm_rank(half, &half_rank);
  MPI_Comm_size(half, &half_size);
  gpurand::Generator gen = gmpi::generator(half, 5);
  gpurand::Generator ref = expected_rank_generator(5, half_rank, half_size);
  EXPECT_EQ(gen.offset(), ref.offset());
  EXPECT_EQ(gen.window_end(), ref.window_end());
  MPI_Comm_free(&half);
}

TEST(MpiGenerator, MpiFailuresNameTheCallAndMpiText) {
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  ASSERT_EQ(MPI_SUCCESS, MPI_Error_string(MPI_ERR_TRUNCATE, text, &length));
  const std::string mpi_text(text, static_cast<std::size_t>(length));
  ASSERT_FALSE(mpi_text.empty());
  // Under MPI_ERRORS_RETURN a failing call returns its code; inject one.
  g_inject = MPI_ERR_TRUNCATE;
  std::string bcast_error, allreduce_error;
  errc bcast_code{}, allreduce_code{};
  try {
    (void)gmpi::generator(MPI_COMM_WORLD);
  } catch (const Error& e) {
    bcast_error = e.what();
    bcast_code = e.code();
  }
  try {
    gmpi::check_same_seed(MPI_COMM_WORLD, 3);
  } catch (const Error& e) {
    allreduce_error = e.what();
    allreduce_code = e.code();
  }
  g_inject = MPI_SUCCESS;
  EXPECT_EQ(bcast_code, errc::io);
  EXPECT_NE(bcast_error.find("MPI_Bcast"), std::string::npos) << bcast_error;
  EXPECT_NE(bcast_error.find(mpi_text), std::string::npos) << bcast_error;
  EXPECT_EQ(allreduce_code, errc::io);
  EXPECT_NE(allreduce_error.find("MPI_Allreduce"), std::string::npos) << allreduce_error;
  EXPECT_NE(allreduce_error.find(mpi_text), std::string::npos) << allreduce_error;
}

// On ranks other than 0, print only failures, each tagged with its rank.
class rank_failure_printer : public testing::EmptyTestEventListener {
 public:
  explicit rank_failure_printer(int rank) : rank_(rank) {}
  void OnTestPartResult(const testing::TestPartResult& r) override {
    if (!r.failed()) return;
    std::fprintf(stderr, "[rank %d] %s:%d: failure\n%s\n", rank_,
                 r.file_name() ? r.file_name() : "?", r.line_number(), r.message());
  }

 private:
  int rank_;
};

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  testing::InitGoogleTest(&argc, argv);
  const int rank = world_rank(), size = world_size();
  if (rank != 0) {
    testing::TestEventListeners& listeners = testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new rank_failure_printer(rank));
  }
  int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  int any_failed = 1;
  PMPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();

  // After MPI_Finalize: a clear error, not a crash inside MPI.
  bool refused = false;
  try {
    (void)gmpi::generator(MPI_COMM_WORLD, 1);
  } catch (const Error& e) {
    refused = e.code() == errc::invalid_argument &&
              std::string(e.what()).find("MPI is already finalized") != std::string::npos;
  }
  if (!refused) {
    std::fprintf(stderr, "[rank %d] generator() after MPI_Finalize was not refused\n", rank);
    any_failed = 1;
  }
  if (rank == 0)
    std::printf("mpi_test: %s on %d ranks\n", any_failed ? "FAILED" : "all ranks passed", size);
  return any_failed;
}
