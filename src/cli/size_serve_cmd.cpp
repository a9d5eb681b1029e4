// Placeholder registration until the size_serve issue lands; replaced by its own implementation.
#include <ostream>

#include "cli/cli.h"

namespace gpuplan::cli {

void AddSizeServeCommand(CLI::App& app, int& exit_code, std::ostream& out, std::ostream& err) {
  (void)out;
  CLI::App* cmd = app.add_subcommand("serve", "(not implemented yet)");
  cmd->allow_extras();
  cmd->callback([&exit_code, &err] {
    err << "error: 'size serve' is not implemented yet\n";
    exit_code = kExitFailure;
  });
}

}  // namespace gpuplan::cli
