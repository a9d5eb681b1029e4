#include <ostream>
#include <sstream>

#include "cli/cli.h"
#include "cli/output.h"

namespace gpuplan::cli {

namespace {

// Each command's description is "one line\n\nlonger text and examples". Command lists show the
// line; the command's own --help shows the rest below its options.
void SplitDescriptions(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands({})) {
    const std::string text = sub->get_description();
    const size_t cut = text.find("\n\n");
    if (cut != std::string::npos) {
      sub->description(text.substr(0, cut));
      sub->footer(text.substr(cut + 2));
    }
    SplitDescriptions(*sub);
  }
}

}  // namespace

int ReportBadInput(const Error& error, std::ostream& err) {
  err << "error: " << error.message << "\n";
  return kExitBadInput;
}

namespace {

int RunCommand(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "gpuplan: plan, buy and share the GPUs of a national AI computing center.\n\n"
      "Examples:\n"
      "  gpuplan plan                                  # the built-in default scenario, end to end\n"
      "  gpuplan size train --model llama3-70b --tokens 15T --accelerator h100-sxm5-80gb --days 30\n"
      "  gpuplan size serve --model llama3-70b --accelerator h200-sxm-141gb --rps 20\n"
      "  gpuplan buy --scenario data/scenarios/korea.toml\n"
      "  gpuplan simulate --cluster h100-sxm5-80gb:128x8 --trace jobs.csv --policy easy\n"
      "  gpuplan catalog list\n\n"
      "Every command takes --json (exactly one JSON object on stdout). Bad input exits 2.",
      "gpuplan"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "gpuplan 0.1.0");
  int exit_code = kExitOk;
  AddPlanCommand(app, exit_code, out, err);
  AddSizeCommand(app, exit_code, out, err);
  AddBuyCommand(app, exit_code, out, err);
  AddSimulateCommand(app, exit_code, out, err);
  AddTraceCommand(app, exit_code, out, err);
  AddCatalogCommand(app, exit_code, out, err);
  AddSlurmConfigCommand(app, exit_code, out, err);
  SplitDescriptions(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp& e) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::CallForVersion& e) {
    out << e.what() << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    // Subcommand help is raised as CallForHelp from the subcommand; CLI11 formats it for us.
    if (e.get_exit_code() == 0) {
      std::ostringstream help_out, help_err;
      app.exit(e, help_out, help_err);
      out << help_out.str();
      return kExitOk;
    }
    err << "error: " << e.what() << "\n";
    err << "run 'gpuplan --help' or 'gpuplan <command> --help' for usage\n";
    return kExitBadInput;
  }
  return exit_code;
}

}  // namespace

int RunMain(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  if (!WantsJson(argc, argv)) return RunCommand(argc, argv, out, err);
  // Under --json the command's streams are held so that its object gets schema_version, or its
  // error becomes a JSON object on stdout.
  std::ostringstream command_out, command_err;
  const int exit_code = RunCommand(argc, argv, command_out, command_err);
  return FinishJsonOutput(exit_code, command_out.str(), command_err.str(), out, err);
}

}  // namespace gpuplan::cli
