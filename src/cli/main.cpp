#include <iostream>

#include "cli/cli.h"

int main(int argc, char** argv) { return gpuplan::cli::RunMain(argc, argv, std::cout, std::cerr); }
