// The Catch2 main of the gpu-labelled single-process tests: exits 77 (CTest: skipped) when this process sees no
// CUDA device, so `ctest -L gpu` runs everywhere and tests where it can.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdio>

#include "models/device.h"

int main(int argc, char** argv) {
  if (spct::models::cuda_device_count() == 0) {
    std::printf("skipped: no CUDA device\n");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
