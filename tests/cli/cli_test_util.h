// Shared by the CLI tests: run a gpuplan command line in-process and keep what it printed.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.h"

namespace gpuplan::cli {

struct CliRun {
  int code = 0;
  std::string out, err;
};

// Runs `gpuplan <command...> <args...>` through RunMain.
inline CliRun RunCli(const std::vector<std::string>& command,
                     const std::vector<std::string>& args) {
  std::vector<const char*> argv = {"gpuplan"};
  for (const auto& c : command) argv.push_back(c.c_str());
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int code = RunMain(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

}  // namespace gpuplan::cli
