// Internals of the trace readers: a line splitter and field parsers whose errors name
// file:line and the field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trace/trace.h"
#include "units/units.h"

namespace gpuplan::trace::detail {

// Iterates the lines of a text (LF or CRLF), counting from 1.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}
  // False at the end. A final line without '\n' is still returned.
  bool Next(std::string_view& line);
  int64_t line_number() const { return line_number_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  int64_t line_number_ = 0;
};

// Splits on `sep`; no quoting (none of the supported formats quotes fields).
void SplitFields(std::string_view line, char sep, std::vector<std::string_view>& fields);
// Splits on runs of spaces and tabs.
void SplitWhitespace(std::string_view line, std::vector<std::string_view>& fields);
std::string_view TrimView(std::string_view s);

// Where a field came from, for messages: "<path>:<line>: field '<name>'".
struct FieldPos {
  const std::string& path;
  int64_t line = 0;
  std::string_view field;
};

Result<double> ParseDouble(std::string_view text, const FieldPos& pos);
Result<int64_t> ParseInt(std::string_view text, const FieldPos& pos);
Error FieldError(const FieldPos& pos, std::string_view what, std::string_view value);

// Error unless a data line has as many fields as the header (truncated or malformed lines).
Result<void> CheckFieldCount(size_t got, size_t expected, const std::string& path, int64_t line);

// Sorts jobs by submit time, keeping file order for ties; errors if there are none.
Result<void> FinishTrace(Trace& trace);

}  // namespace gpuplan::trace::detail
