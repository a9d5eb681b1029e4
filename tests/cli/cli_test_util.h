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

// A small buy scenario: one H200 candidate over three quarters, a 100-GPU milestone in 2027Q1.
inline constexpr const char* kSmallBuyScenario = R"(name = "small"
[horizon]
first = "2026Q4"
last = "2027Q2"
[budget]
capex_per_year = { "2026" = 1e7, "2027" = 1e7 }
[[candidate]]
accelerator = "h200-sxm-141gb"
node_price = 320000
node_power_kw = 10.2
max_nodes_per_quarter = 100
lead_time_quarters = 1
[power]
facility_mw = { "2026Q4" = 5 }
[[milestone]]
quarter = "2027Q1"
gpus = 100
)";

}  // namespace gpuplan::cli
