// Internals of the trace readers: an RFC 4180 record reader, a header mapper and field parsers
// whose errors name file:line and the field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trace/trace.h"
#include "units/units.h"

namespace gpuplan::trace::detail {

// Iterates the lines of a text (LF or CRLF), counting from 1. For whitespace formats (SWF).
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

// RFC 4180 records as pandas, Excel and spreadsheets write them: fields separated by `sep`,
// optionally in double quotes (a quote inside doubled: ""), a quoted field may hold separators
// and line breaks; LF or CRLF; a UTF-8 byte order mark at the start is skipped. Blank lines, and
// with `comments` lines starting with '#', are skipped.
class CsvReader {
 public:
  CsvReader(std::string_view text, char sep, const std::string& path, bool comments = false);
  // Reads the next record into `fields` (views valid until the next call). False at the end;
  // an Error for a quote that never closes or text after a closing quote.
  Result<bool> Next(std::vector<std::string_view>& fields);
  int64_t line() const { return record_line_; }  // the line the last record started on
  bool had_bom() const { return had_bom_; }

 private:
  std::string_view text_;
  char sep_;
  const std::string& path_;
  bool comments_;
  bool had_bom_ = false;
  size_t pos_ = 0;
  int64_t line_ = 1;
  int64_t record_line_ = 0;
  std::string buffer_;  // unescaped quoted fields
};

// Splits on `sep`; no quoting (TRES lists, '|' lists inside a field).
void SplitFields(std::string_view line, char sep, std::vector<std::string_view>& fields);
// Splits on runs of spaces and tabs.
void SplitWhitespace(std::string_view line, std::vector<std::string_view>& fields);
std::string_view TrimView(std::string_view s);

// A header's columns mapped to the names a reader knows (exact, or ignoring case). Repeated
// columns are an error naming file:line; columns the reader does not know are ignored and listed
// in `notes` (a pandas index column, an extra export column).
struct HeaderMap {
  std::vector<int> col;  // per known name: the field index, or -1
  size_t num_fields = 0;
};
Result<HeaderMap> MapHeader(const std::vector<std::string_view>& fields,
                            const std::vector<std::string_view>& names, bool ignore_case,
                            const std::string& path, int64_t line, std::vector<std::string>& notes);

// Where a field came from, for messages: "<path>:<line>: field '<name>'".
struct FieldPos {
  const std::string& path;
  int64_t line = 0;
  std::string_view field;
};

Result<double> ParseDouble(std::string_view text, const FieldPos& pos);
Result<int64_t> ParseInt(std::string_view text, const FieldPos& pos);
Error FieldError(const FieldPos& pos, std::string_view what, std::string_view value);
// A time in seconds (a number) or an ISO 8601 date-time ("2024-03-01T12:00:00", "2024-03-01
// 12:00:00.5", with "Z" or "+09:00"), as seconds since 1970-01-01 (UTC when a zone is given,
// else the file's local clock; only differences are used). `iso` tells which it was.
Result<double> ParseTimeS(std::string_view text, const FieldPos& pos, bool& iso);
Result<double> ParseIsoTime(std::string_view text, const FieldPos& pos);
// A duration or time read from a trace: finite and within [0, kMaxTimeS].
Result<void> CheckTraceTime(double seconds, const FieldPos& pos, std::string_view text);

// Error unless a data line has as many fields as the header (truncated or malformed lines).
// More fields than the header: an error too (a separator inside an unquoted field).
Result<void> CheckFieldCount(size_t got, size_t expected, const std::string& path, int64_t line);

// Sorts jobs by submit time, keeping file order for ties; with `shift` moves the first job to 0.
// Errors (naming file:line) for no jobs (saying why rows were skipped), a job id that repeats,
// times past kMaxTimeS, and more than kMaxJobs jobs or kMaxTenants tenants.
Result<void> FinishTrace(Trace& trace, bool shift = false);

// A field for a CSV line: quoted (RFC 4180) when it holds a comma, quote or line break.
std::string CsvField(std::string_view s);

}  // namespace gpuplan::trace::detail
