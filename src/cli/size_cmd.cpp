// gpuplan size: the group for `size train` and `size serve`.
#include <ostream>

#include "cli/cli.h"
#include "cli/options.h"

namespace gpuplan::cli {

void AddSizeCommand(CLI::App& app, int& exit_code, std::ostream& out, std::ostream& err) {
  CLI::App* size =
      app.add_subcommand("size", "how many accelerators a workload needs (train or serve)");
  size->require_subcommand(1);
  AddSizeTrainCommand(*size, exit_code, out, err);
  AddSizeServeCommand(*size, exit_code, out, err);
}

}  // namespace gpuplan::cli
