#include "gpurand/device.cuh"  // and under g++ (the CPU backend's view)
