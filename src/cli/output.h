// What every command prints under --json, in one place (RunMain calls it): the command's JSON
// object with "schema_version" first, or, when the command failed without printing one, one
// JSON error object on stdout instead of "error: ..." on stderr.
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>

namespace gpuplan::cli {

// Bumped when a key is renamed or removed or changes meaning (docs/glossary.md).
inline constexpr int kJsonSchemaVersion = 1;

// {"schema_version", "error", "kind", "file", "line", "field"} from an "error: ..." message as
// gpuplan writes them ("path:LINE: 'field' must be ...", "--flag must be ..."); file, line and
// field are null where the message names none. kind: "bad_input" for exit 2, else "failure".
nlohmann::ordered_json ErrorJson(const std::string& message, int exit_code);

// True when argv asks for --json (before any "--").
bool WantsJson(int argc, const char* const* argv);

// Under --json: writes `command_out` to `out` with schema_version added to its JSON object, or,
// if the command printed nothing and failed, ErrorJson of its last "error: " line; the other
// lines of `command_err` (progress, notes) go to `err`. Returns the exit code.
int FinishJsonOutput(int exit_code, const std::string& command_out, const std::string& command_err,
                     std::ostream& out, std::ostream& err);

}  // namespace gpuplan::cli
