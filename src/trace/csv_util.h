// Internals of the trace readers: an RFC 4180 record reader, a header mapper and field parsers
// whose errors name file:line and the field.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trace/trace.h"
#include "units/units.h"

namespace gpuplan::trace::detail {

// The physical lines of a trace: views of a text in memory, or a file streamed in blocks so that
// reading holds the longest line plus a block, not the file (a 2.1 GB trace needed 15.7 GB).
class LineSource {
 public:
  static constexpr size_t kBlockBytes = 1 << 20;
  // Lines of `text` (not copied; it must outlive the source).
  explicit LineSource(std::string_view text);
  // A regular file, checked as ReadFile checks it: a missing path is bad input; a directory,
  // FIFO, device or a file over kDefaultMaxFileBytes is an I/O error.
  static Result<std::unique_ptr<LineSource>> Open(const std::string& path,
                                                  size_t block_bytes = kBlockBytes);
  // `text` read through the block buffer as a file would be (tests and fuzzing of the refills).
  static std::unique_ptr<LineSource> Blocks(std::string_view text, size_t block_bytes);
  ~LineSource();
  LineSource(const LineSource&) = delete;
  LineSource& operator=(const LineSource&) = delete;

  // The next line without its '\n' (a '\r' before it is kept), valid until the next call. False
  // at the end; a final line without '\n' is still returned. An I/O error if a read fails.
  Result<bool> Next(std::string_view& line);
  // Back to the first line (the PAI reader tells its table from the header).
  Result<void> Rewind();
  int64_t line_number() const { return line_number_; }  // of the last line returned, from 1
  uint64_t size_bytes() const { return size_bytes_; }   // of the whole input
  uint64_t offset() const { return offset_; }           // bytes returned so far

  // StreamTrace's state while it reads through this source (null otherwise): AddJob hands jobs
  // to its sink instead of the trace, FinishTrace checks what it kept.
  struct Stream {
    JobSink* sink = nullptr;
    bool shift = false;  // the reader's times are shifted: the first job's submit to 0
    double first_submit_s = 0, last_submit_s = 0;
    int64_t num_jobs = 0;
    std::vector<uint64_t> id_hashes = {};  // a repeat (or a collision) stops the stream
  };
  Stream* stream = nullptr;  // borrowed

 private:
  LineSource() = default;
  Result<void> Refill();

  std::string_view text_;  // the input in memory, or the unread part of a Blocks() text
  bool blocks_ = false;    // lines come through buf_
  int fd_ = -1;
  std::string path_;
  std::string buf_;  // [begin_, end_) read and not yet returned
  size_t begin_ = 0, end_ = 0, scanned_ = 0, block_bytes_ = kBlockBytes;
  bool eof_ = false;
  uint64_t size_bytes_ = 0, offset_ = 0, read_bytes_ = 0;
  int64_t line_number_ = 0;
};

// LineSource's lines with a trailing '\r' removed (LF or CRLF), for the line formats (SWF, PAI,
// sacct).
class LineReader {
 public:
  explicit LineReader(LineSource& source) : source_(source) {}
  Result<bool> Next(std::string_view& line);
  int64_t line_number() const { return source_.line_number(); }

 private:
  LineSource& source_;
};

// RFC 4180 records as pandas, Excel and spreadsheets write them: fields separated by `sep`,
// optionally in double quotes (a quote inside doubled: ""), a quoted field may hold separators
// and line breaks; LF or CRLF; a UTF-8 byte order mark at the start is skipped. Blank lines, and
// with `comments` lines starting with '#', are skipped.
class CsvReader {
 public:
  CsvReader(LineSource& source, char sep, const std::string& path, bool comments = false);
  // Over a text in memory (tests).
  CsvReader(std::string_view text, char sep, const std::string& path, bool comments = false);
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;
  // Reads the next record into `fields` (views valid until the next call). False at the end;
  // an Error for a quote that never closes or text after a closing quote.
  Result<bool> Next(std::vector<std::string_view>& fields);
  int64_t line() const { return record_line_; }  // the line the last record started on
  bool had_bom() const { return had_bom_; }
  const LineSource& source() const { return *source_; }

 private:
  std::unique_ptr<LineSource> own_;  // the text constructor's source
  LineSource* source_;
  char sep_;
  const std::string& path_;
  bool comments_;
  bool had_bom_ = false;
  bool first_ = true;
  int64_t record_line_ = 0;
  std::string record_;  // a record continued over lines (a quoted line break)
  std::string buffer_;  // unescaped quoted fields
  struct Span {         // a field: (start, size) in the record or, if owned, in buffer_
    size_t start, size;
    bool owned;
  };
  std::vector<Span> spans_;
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
// With a streaming `source` (LineSource::stream): the same checks on what the stream kept, an
// Error for a repeated id hash, and an Error if `shift` is not what the stream assumed.
Result<void> FinishTrace(Trace& trace, bool shift = false, const LineSource* source = nullptr);

// Appends a job read from `source` (line `job.line`); an error past kMaxJobs. The vector grows to
// what the rest of the input should hold (jobs per byte so far): doubling kept up to twice the
// jobs in memory, and three times while it moved them.
Result<void> AddJob(Trace& trace, const LineSource& source, Job&& job);

// The readers over a source (the public Parse*(text) and ReadTrace wrap these).
Result<Trace> ParseGpuplanCsv(LineSource& source, const std::string& path);
Result<Trace> ParseOpenbPods(LineSource& source, const std::string& path);
Result<std::vector<OpenbNode>> ParseOpenbNodes(LineSource& source, const std::string& path);
Result<Trace> ParsePai2020(LineSource& source, const std::string& path);
Result<Trace> ParseSwf(LineSource& source, const std::string& path);
Result<Trace> ParseSacct(LineSource& source, const std::string& path);
Result<Trace> ParseTrace(LineSource& source, const std::string& path, TraceFormat format);
// StreamTrace over a source (the public one opens the file; fuzzing streams a text in blocks).
Result<Trace> StreamTrace(LineSource& source, const std::string& path, TraceFormat format,
                          JobSink& sink);

// A field for a CSV line: quoted (RFC 4180) when it holds a comma, quote or line break.
std::string CsvField(std::string_view s);

}  // namespace gpuplan::trace::detail
