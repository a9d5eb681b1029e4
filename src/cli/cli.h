// cli: gpuplan's command line. One file per verb; each has a flags struct, Add<Verb>Command()
// that registers it on CLI11, and Run<Verb>() that returns the exit code and writes only to the
// streams it is given, so tests call it in-process.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "units/units.h"

// CLI11 is included by the commands (cli/options.h), not by this header: it costs ~6 s of
// compile per file, and the tests that include cli.h never touch it.
namespace CLI {
class App;
}  // namespace CLI

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

// Prints "error: <message>" on err and returns ExitCodeOf(error.kind).
int ReportError(const Error& error, std::ostream& err);
// The same (the name predates error kinds): the exit code follows error.kind.
int ReportBadInput(const Error& error, std::ostream& err);

// The files a scenario was read from or names (scenario::Scenario::files_read: its extends
// chain, extra_catalog, model files, trace) as CheckOutputs inputs, checked again once the
// scenario has loaded: before, only the file on the command line is known.
std::vector<NamedPath> ScenarioInputs(const std::vector<std::string>& files_read);

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
