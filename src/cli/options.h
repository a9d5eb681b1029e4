// cli internals: the option helpers the commands share over CLI11 (cli.h keeps CLI11 out of
// the files that only run commands).
#pragma once

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/cli.h"

namespace gpuplan::cli {

// `--set key.path=value` (repeatable) on a command that reads a scenario: scenario::LoadScenario's
// overrides, applied in order.
inline void AddSetOption(CLI::App* cmd, std::vector<std::string>& overrides) {
  cmd->add_option("--set", overrides,
                  "change a scenario key, checked as the file's own (repeatable): "
                  "budget.capex_per_year.2027=1.5e12, candidate.b200.node_price=4.1e5, "
                  "tenant.startups.demand."
                  "jobs_per_day=60, plan.objective=min-cost")
      ->allow_extra_args(false);
}

// A flag validator for unsigned integers: CLI11 would read "-1" as 2^64 - 1, and 2^64 (one past
// the largest) as some other seed, silently.
inline CLI::Validator NonNegativeInteger() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) {
          return "must be a whole number >= 0, got '" + Abbreviate(s) + "'";
        }
        uint64_t v = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || end != s.data() + s.size()) {
          return "must be a whole number in [0, 18446744073709551615], got '" + Abbreviate(s) + "'";
        }
        return "";
      },
      "INT>=0");
}

}  // namespace gpuplan::cli
