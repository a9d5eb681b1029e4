// cli: gpuplan's command line. One file per verb; each has a flags struct, Add<Verb>Command()
// that registers it on CLI11, and Run<Verb>() that returns the exit code and writes only to the
// streams it is given, so tests call it in-process.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "units/units.h"

namespace gpuplan::cli {

// Exit codes (DESIGN): 0 ok, 1 any other failure, 2 bad input.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;

// Options every command shares.
struct CommonFlags {
  std::string data_dir;  // empty: the built-in data folder
  bool json = false;
};

// `--set key.path=value` (repeatable) on a command that reads a scenario: scenario::LoadScenario's
// overrides, applied in order.
inline void AddSetOption(CLI::App* cmd, std::vector<std::string>& overrides) {
  cmd->add_option("--set", overrides,
                  "change a scenario key, checked as the file's own (repeatable): "
                  "budget.capex_per_year.2027=1.5e12, candidate.b200.node_price=4.1e5, tenant.startups.demand."
                  "jobs_per_day=60, plan.objective=min-cost")
      ->allow_extra_args(false);
}

// Prints "error: <message>" on err and returns kExitBadInput.
int ReportBadInput(const Error& error, std::ostream& err);

// Runs the whole command line; the entry point of main() and of CLI tests.
int RunMain(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

// Registration, one per verb (each in its own file). `exit_code` receives Run<Verb>'s result.
void AddCatalogCommand(CLI::App& app, int& exit_code, std::ostream& out, std::ostream& err);
void AddSizeCommand(CLI::App& app, int& exit_code, std::ostream& out, std::ostream& err);
void AddSizeTrainCommand(CLI::App& size, int& exit_code, std::ostream& out, std::ostream& err);
void AddSizeServeCommand(CLI::App& size, int& exit_code, std::ostream& out, std::ostream& err);
void AddSimulateCommand(CLI::App& app, int& exit_code, std::ostream& out, std::ostream& err);
void AddTraceCommand(CLI::App& app, int& exit_code, std::ostream& out, std::ostream& err);
void AddBuyCommand(CLI::App& app, int& exit_code, std::ostream& out, std::ostream& err);
void AddPlanCommand(CLI::App& app, int& exit_code, std::ostream& out, std::ostream& err);
void AddSlurmConfigCommand(CLI::App& app, int& exit_code, std::ostream& out, std::ostream& err);

}  // namespace gpuplan::cli
