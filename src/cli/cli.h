// cli: gpuplan's command line. One file per verb; each has a flags struct, Add<Verb>Command()
// that registers it on CLI11, and Run<Verb>() that returns the exit code and writes only to the
// streams it is given, so tests call it in-process.
#pragma once

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <string>
#include <vector>

#include "units/units.h"

namespace gpuplan::cli {

// Exit codes (DESIGN, README, --help): 0 ok; 1 an internal error (a bug, out of memory) or an
// answer that is a failure (buy: infeasible); 2 bad input (a file, flag or value to fix); 3 a
// file that could not be read or written (permissions, full disk, not a regular file, locked).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitIo = 3;

// The exit code of an error, from its kind: the one mapping.
int ExitCodeOf(ErrorKind kind);

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
                  "budget.capex_per_year.2027=1.5e12, candidate.b200.node_price=4.1e5, "
                  "tenant.startups.demand."
                  "jobs_per_day=60, plan.objective=min-cost")
      ->allow_extra_args(false);
}

// Prints "error: <message>" on err and returns ExitCodeOf(error.kind).
int ReportError(const Error& error, std::ostream& err);
// The same (the name predates error kinds): the exit code follows error.kind.
int ReportBadInput(const Error& error, std::ostream& err);

// A flag validator for unsigned integers: CLI11 would read "-1" as 2^64 - 1.
inline CLI::Validator NonNegativeInteger() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) {
          return "must be a whole number >= 0, got '" + s + "'";
        }
        return "";
      },
      "INT>=0");
}

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
void AddSweepCommand(CLI::App& app, int& exit_code, std::ostream& out, std::ostream& err);
void AddSlurmConfigCommand(CLI::App& app, int& exit_code, std::ostream& out, std::ostream& err);

}  // namespace gpuplan::cli
