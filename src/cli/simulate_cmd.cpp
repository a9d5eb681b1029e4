// Placeholder registration until the simulate issue lands; replaced by its own implementation.
#include <ostream>

#include "cli/cli.h"

namespace gpuplan::cli {

void AddSimulateCommand(CLI::App& app, int& exit_code, std::ostream& out, std::ostream& err) {
  (void)out;
  CLI::App* cmd = app.add_subcommand("simulate", "(not implemented yet)");
  cmd->allow_extras();
  cmd->callback([&exit_code, &err] {
    err << "error: 'simulate' is not implemented yet\n";
    exit_code = kExitFailure;
  });
}

}  // namespace gpuplan::cli
