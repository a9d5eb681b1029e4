#include <iostream>

#include "cli/cli.h"
#include "units/units.h"

int main(int argc, char** argv) {
  gpuplan::ReexecWithHugePages(argv);
  return gpuplan::cli::RunMain(argc, argv, std::cout, std::cerr);
}
