#include <fmt/format.h>

#include <algorithm>
#include <new>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "cli/cli.h"
#include "cli/options.h"
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

int ExitCodeOf(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kBadInput:
      return kExitBadInput;
    case ErrorKind::kIo:
      return kExitIo;
    case ErrorKind::kInternal:
      return kExitFailure;
  }
  return kExitFailure;
}

int ReportError(const Error& error, std::ostream& err) {
  err << "error: " << error.message << "\n";
  return ExitCodeOf(error.kind);
}

int ReportBadInput(const Error& error, std::ostream& err) { return ReportError(error, err); }

std::vector<NamedPath> ScenarioInputs(const std::vector<std::string>& files_read) {
  std::vector<NamedPath> inputs;
  for (const std::string& f : files_read) inputs.push_back({"the scenario reads", f});
  return inputs;
}

namespace {

// "gpuplan simulte", "gpuplan trace frob", "gpuplan trace": CLI11 says only that a subcommand is
// required; name the unknown command (with a suggestion) or the commands to choose from. Words
// are followed down the command tree; "" when the line names known commands all the way.
std::string UnknownCommandMessage(const CLI::App& app, const std::vector<std::string>& args) {
  const CLI::App* level = &app;
  std::string where;  // "trace ": the commands followed so far
  auto names_of = [](const CLI::App& a) {
    std::vector<std::string> names;
    for (const CLI::App* sub : a.get_subcommands({})) names.push_back(sub->get_name());
    return names;
  };
  for (const std::string& a : args) {
    if (a.empty() || a.front() == '-') continue;
    const std::vector<std::string> names = names_of(*level);
    if (names.empty()) return "";  // a positional of a command
    const CLI::App* next = nullptr;
    for (const CLI::App* sub : level->get_subcommands({})) {
      if (sub->get_name() == a) next = sub;
    }
    if (next == nullptr) return UnknownNameMessage(where + "command", a, names);
    where += a + " ";
    level = next;
  }
  const std::vector<std::string> names = names_of(*level);
  if (level == &app || names.empty()) return "";
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
  return fmt::format("'gpuplan {}' needs a command: {}", where.substr(0, where.size() - 1), list);
}

int RunCommand(int argc, const char* const* argv, std::ostream& out, std::ostream& err);
int RunMainUnguarded(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace

int RunMain(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  // Nothing may end in an abort: what escapes a command is an internal error, exit 1.
  try {
    return RunMainUnguarded(argc, argv, out, err);
  } catch (const std::bad_alloc&) {
    err << "error: out of memory (the input is too large for this machine; see the limits in "
           "README)\n";
  } catch (const std::exception& e) {
    err << "error: internal error: " << Abbreviate(e.what()) << "\n";
  } catch (...) {
    err << "error: internal error: an unknown exception\n";
  }
  return kExitFailure;
}

namespace {

int RunCommand(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "gpuplan: plan, buy and share the GPUs of a national AI computing center.\n\n"
      "Examples:\n"
      "  gpuplan plan                                  # the built-in default scenario, end to "
      "end\n"
      "  gpuplan size train --model llama3-70b --tokens 15T --accelerator h100-sxm5-80gb --days "
      "30\n"
      "  gpuplan size serve --model llama3-70b --accelerator h200-sxm-141gb --rps 20\n"
      "  gpuplan buy --scenario data/scenarios/korea.toml\n"
      "  gpuplan simulate --cluster h100-sxm5-80gb:128x8 --trace jobs.csv --policy easy\n"
      "  gpuplan sweep --grid budget.total=1.2e12,1.8e12 --csv sweep.csv\n"
      "  gpuplan catalog list\n\n"
      "Every command takes --json (exactly one JSON object on stdout).\n"
      "Exit codes: 0 ok; 1 internal error (or buy: no feasible plan); 2 bad input (a file, flag "
      "or value to fix); 3 a file that cannot be read or written.",
      "gpuplan"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "gpuplan 0.1.0");
  int exit_code = kExitOk;
  AddPlanCommand(app, exit_code, out, err);
  AddSizeCommand(app, exit_code, out, err);
  AddBuyCommand(app, exit_code, out, err);
  AddSweepCommand(app, exit_code, out, err);
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
    std::string message = e.what();
    // "gpuplan simulte" (nothing parsed), "gpuplan trace frob" (a subcommand is required).
    if (app.get_subcommands().empty() || message.find("subcommand") != std::string::npos) {
      std::vector<std::string> args;
      for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
      const std::string unknown = UnknownCommandMessage(app, args);
      if (!unknown.empty()) message = unknown;
    }
    err << "error: " << Abbreviate(message) << "\n";
    err << "run 'gpuplan --help' or 'gpuplan <command> --help' for usage\n";
    return kExitBadInput;
  }
  return exit_code;
}

}  // namespace

namespace {

int RunMainUnguarded(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  if (!WantsJson(argc, argv)) return RunCommand(argc, argv, out, err);
  // Under --json the command's streams are held so that its object gets schema_version, or its
  // error becomes a JSON object on stdout.
  std::ostringstream command_out, command_err;
  const int exit_code = RunCommand(argc, argv, command_out, command_err);
  return FinishJsonOutput(exit_code, command_out.str(), command_err.str(), out, err);
}

}  // namespace

}  // namespace gpuplan::cli
