// Built by g++ alone against the installed gpurand package's mpi component;
// runs as a singleton MPI process (no mpiexec needed).
#include <mpi.h>

#include <cstdio>
#include <gpurand/mpi.hpp>
#include <vector>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int code = 1;
  {
    gpurand::Generator gen = gpurand::mpi::generator(MPI_COMM_WORLD);
    gpurand::mpi::check_same_seed(MPI_COMM_WORLD, gen.seed());
    gpurand::Generator again = gpurand::mpi::generator(MPI_COMM_WORLD, gen.seed());
    std::vector<float> x(1000), y(1000);
    gen.uniform(x.data(), x.size());
    again.uniform(y.data(), y.size());
    double sum = 0;
    for (float v : x) sum += v;
    std::printf("mpi consumer: seed=%llu mean=%.3f\n", static_cast<unsigned long long>(gen.seed()),
                sum / x.size());
    code = (x == y && sum / x.size() > 0.45 && sum / x.size() < 0.55) ? 0 : 1;
  }
  MPI_Finalize();
  return code;
}
