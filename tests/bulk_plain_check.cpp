#include "gpurand/detail/bulk.hpp"  // plain C++17, no CUDA include path (tests/CMakeLists.txt)

// Instantiates every Philox bulk body, so the check covers the template bodies too: a CPU-only
// build computes each bulk fill without the CUDA toolkit.
void gpurand_header_check_bulk_bodies(std::uint32_t* u, float* f, double* d);
void gpurand_header_check_bulk_bodies(std::uint32_t* u, float* f, double* d) {
  using namespace gpurand;
  using namespace gpurand::detail;
  bulk_group<dist::u32>(1, 2, 3, {}, u);
  bulk_group<dist::uniform>(1, 2, 3, {}, f);
  bulk_group<dist::normal>(1, 2, 3, {0.0f, 1.0f}, f);
  bulk_group<dist::uniform_double>(1, 2, 3, {}, d);
  bulk_group<dist::normal_double>(1, 2, 3, {0.0, 1.0}, d);
}
