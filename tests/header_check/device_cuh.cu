#include "gpurand/device.cuh"  // compiles on its own under nvcc
