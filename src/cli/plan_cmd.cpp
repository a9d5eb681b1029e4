// Placeholder registration until the plan issue lands; replaced by its own implementation.
#include <ostream>

#include "cli/cli.h"

namespace gpuplan::cli {

void AddPlanCommand(CLI::App& app, int& exit_code, std::ostream& out, std::ostream& err) {
  (void)out;
  CLI::App* cmd = app.add_subcommand("plan", "(not implemented yet)");
  cmd->allow_extras();
  cmd->callback([&exit_code, &err] {
    err << "error: 'plan' is not implemented yet\n";
    exit_code = kExitFailure;
  });
}

}  // namespace gpuplan::cli
