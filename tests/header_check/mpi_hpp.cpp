#include "gpurand/mpi.hpp"  // must compile with MPI and no CUDA include path
