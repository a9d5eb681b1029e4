// Slurm accounting records as printed by
//   sacct --parsable2 --allocations --format=JobID,User,Account,Partition,Submit,Start,End,
//         Elapsed,AllocTRES,ReqTRES,Timelimit,State  (one line)
// Source for the format: the sacct(1) man page (slurm.schedmd.com/sacct.html): --parsable2 writes
// '|'-delimited fields with no '|' at the end (--parsable adds one; both read here, the header
// decides the field count); times are ISO 8601 local times ("2024-03-01T12:00:00"), "Unknown" or
// "None" when not set (a job that never started); elapsed fields are [days-]hours:minutes:seconds;
// Timelimit is [days-]hours:minutes:seconds, minutes:seconds, "UNLIMITED" or "Partition_Limit";
// TRES lists are "billing=64,cpu=64,gres/gpu:a100=8,gres/gpu=8,mem=500G,node=1" (SchedMD, "All
// Things TRES", SC15); cancelled jobs read "CANCELLED by <uid>".
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>

#include "trace/csv_util.h"
#include "trace/trace.h"

namespace gpuplan::trace {

namespace {

using detail::FieldError;
using detail::FieldPos;

enum Column {
  kJobId,
  kSubmit,
  kStart,
  kState,
  kEnd,
  kElapsed,
  kAllocTres,
  kReqTres,
  kAccount,
  kUser,
  kTimelimit,
  kPartition,
  kNumColumns
};
constexpr std::array<std::string_view, kNumColumns> kColumnNames = {
    "JobID",     "Submit",  "Start",   "State", "End",       "Elapsed",
    "AllocTRES", "ReqTRES", "Account", "User",  "Timelimit", "Partition"};
constexpr int kNumRequired = 4;  // JobID .. State; plus one of each pair checked below

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// A non-negative integer made only of digits (no sign, no spaces).
bool ParseDigits(std::string_view s, int64_t& out) {
  if (s.empty() || s.size() > 12) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && s.front() != '-' && s.front() != '+';
}

// "Unknown", "None" and "" mean the time is not set (a job that never started or still runs).
bool IsUnsetTime(std::string_view s) {
  return s.empty() || EqualsIgnoreCase(s, "Unknown") || EqualsIgnoreCase(s, "None");
}

using detail::ParseIsoTime;

// "[days-]hours:minutes:seconds[.fraction]" or "minutes:seconds[.fraction]" -> seconds.
Result<double> ParseSlurmDuration(std::string_view s, const FieldPos& pos) {
  constexpr std::string_view kWhat = "must be a duration [days-]hours:minutes:seconds";
  std::string_view rest = s;
  int64_t days = 0;
  if (const size_t dash = rest.find('-'); dash != std::string_view::npos) {
    if (!ParseDigits(rest.substr(0, dash), days)) return FieldError(pos, kWhat, s);
    rest.remove_prefix(dash + 1);
  }
  std::vector<std::string_view> parts;
  detail::SplitFields(rest, ':', parts);
  if (parts.size() < 2 || parts.size() > 3 || (days > 0 && parts.size() != 3)) {
    return FieldError(pos, kWhat, s);
  }
  // The seconds may carry a fraction (".123456").
  std::string_view sec_text = parts.back();
  double fraction = 0;
  if (const size_t dot = sec_text.find('.'); dot != std::string_view::npos) {
    int64_t frac_digits = 0;
    const std::string_view frac = sec_text.substr(dot + 1);
    if (!ParseDigits(frac, frac_digits)) return FieldError(pos, kWhat, s);
    fraction = static_cast<double>(frac_digits) / std::pow(10.0, static_cast<double>(frac.size()));
    sec_text = sec_text.substr(0, dot);
  }
  int64_t hours = 0, minutes = 0, seconds = 0;
  if (parts.size() == 3 && !ParseDigits(parts[0], hours)) return FieldError(pos, kWhat, s);
  if (!ParseDigits(parts[parts.size() - 2], minutes) || !ParseDigits(sec_text, seconds) ||
      seconds > 59 || (parts.size() == 3 && minutes > 59)) {
    return FieldError(pos, kWhat, s);
  }
  return static_cast<double>(((days * 24 + hours) * 60 + minutes) * 60 + seconds) + fraction;
}

// GPUs in a TRES list: `gres/gpu=N`, else the sum of `gres/gpu:<type>=N`; 0 if none. `type`
// receives the GPU type when exactly one is named.
Result<int64_t> ParseTresGpus(std::string_view tres, const FieldPos& pos, std::string& type) {
  type.clear();
  if (tres.empty()) return int64_t{0};
  std::vector<std::string_view> items;
  detail::SplitFields(tres, ',', items);
  int64_t total = -1, typed_sum = 0;
  int num_types = 0;
  for (std::string_view item : items) {
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return FieldError(pos, "must be a TRES list like cpu=8,gres/gpu=8,mem=64G", tres);
    }
    const std::string_view key = item.substr(0, eq);
    constexpr std::string_view kGpu = "gres/gpu";
    if (key.substr(0, kGpu.size()) != kGpu) continue;
    if (key.size() > kGpu.size() && key[kGpu.size()] != ':') continue;  // e.g. gres/gpumem
    int64_t n = 0;
    if (!ParseDigits(item.substr(eq + 1), n) || n > 1'000'000) {
      return FieldError(pos, "must give GPU counts as whole numbers up to 1000000", tres);
    }
    if (key.size() == kGpu.size()) {
      total = n;
    } else {
      typed_sum += n;
      ++num_types;
      type = std::string(key.substr(kGpu.size() + 1));
    }
  }
  if (num_types != 1) type.clear();
  return total >= 0 ? total : typed_sum;
}

}  // namespace

Result<Trace> ParseSacct(std::string_view text, const std::string& path) {
  detail::LineSource source(text);
  return detail::ParseSacct(source, path);
}

Result<Trace> detail::ParseSacct(LineSource& source, const std::string& path) {
  Trace trace;
  trace.source = path;
  detail::LineReader lines(source);
  std::string_view line;
  std::vector<std::string_view> fields;
  // Header: the first non-empty line.
  while (true) {
    auto more = lines.Next(line);
    if (!more) return more.error();
    if (!*more) {
      line = {};
      break;
    }
    if (!detail::TrimView(line).empty()) break;
  }
  if (detail::TrimView(line).empty()) {
    return Error{fmt::format("{}: empty trace (no header, no jobs)", path)};
  }
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (lines.line_number() == 1 && line.substr(0, kBom.size()) == kBom) line.remove_prefix(3);
  detail::SplitFields(line, '|', fields);
  auto header = detail::MapHeader(fields, {kColumnNames.begin(), kColumnNames.end()},
                                  /*ignore_case=*/true, path, lines.line_number(), trace.notes);
  if (!header) return header.error();
  const std::vector<int>& col = header->col;
  const size_t num_fields = header->num_fields;
  const int64_t header_line = lines.line_number();
  auto require = [&](std::initializer_list<Column> any_of) -> Result<void> {
    for (Column c : any_of) {
      if (col[c] >= 0) return Ok{};
    }
    std::string names;
    for (Column c : any_of)
      names += (names.empty() ? "'" : "' or '") + std::string(kColumnNames[c]);
    return Error{fmt::format(
        "{}:{}: header lacks the column {}' (write it with sacct --parsable2 --allocations "
        "--format=JobID,User,Account,Partition,Submit,Start,End,Elapsed,AllocTRES,ReqTRES,"
        "Timelimit,State)",
        path, header_line, names)};
  };
  for (int c = 0; c < kNumRequired; ++c) GPUPLAN_TRY(require({static_cast<Column>(c)}));
  GPUPLAN_TRY(require({kEnd, kElapsed}));
  GPUPLAN_TRY(require({kAllocTres, kReqTres}));
  GPUPLAN_TRY(require({kAccount, kUser}));

  auto field = [&](Column c) -> std::string_view {
    return col[c] < 0 ? std::string_view() : detail::TrimView(fields[static_cast<size_t>(col[c])]);
  };
  int64_t num_steps = 0, num_no_gpu = 0, num_pending = 0, num_cancelled = 0, num_nonpositive = 0,
          num_running = 0;
  std::map<std::string, int64_t, std::less<>> gpu_types;
  std::string type;
  while (true) {
    auto more = lines.Next(line);
    if (!more) return more.error();
    if (!*more) break;
    if (detail::TrimView(line).empty()) continue;
    const int64_t ln = lines.line_number();
    detail::SplitFields(line, '|', fields);
    GPUPLAN_TRY(detail::CheckFieldCount(fields.size(), num_fields, path, ln));
    auto pos = [&](Column c) { return FieldPos{path, ln, kColumnNames[c]}; };
    const std::string_view id = field(kJobId);
    if (id.empty()) return FieldError(pos(kJobId), "must not be empty", "");
    if (id.find('.') != std::string_view::npos) {
      ++num_steps;  // "123.batch", "123.0": a step of a job (sacct run without --allocations)
      continue;
    }
    const std::string_view state = field(kState);
    if (state.empty()) return FieldError(pos(kState), "must not be empty", "");
    auto submit = ParseIsoTime(field(kSubmit), pos(kSubmit));
    if (!submit) return submit.error();
    // GPUs: what the job was given, else what it asked for (pending jobs have no AllocTRES).
    int64_t gpus = 0;
    if (col[kAllocTres] >= 0) {
      auto n = ParseTresGpus(field(kAllocTres), pos(kAllocTres), type);
      if (!n) return n.error();
      gpus = *n;
    }
    if (gpus == 0 && col[kReqTres] >= 0) {
      auto n = ParseTresGpus(field(kReqTres), pos(kReqTres), type);
      if (!n) return n.error();
      gpus = *n;
    }
    if (IsUnsetTime(field(kStart))) {
      const bool cancelled = state.substr(0, 9) == "CANCELLED";
      ++(cancelled ? num_cancelled : num_pending);
      continue;
    }
    auto start = ParseIsoTime(field(kStart), pos(kStart));
    if (!start) return start.error();
    if (gpus == 0) {
      ++num_no_gpu;
      continue;
    }
    // Duration: End - Start; a job still running (End unknown) or an export without End: Elapsed.
    double duration = 0;
    if (col[kEnd] >= 0 && !IsUnsetTime(field(kEnd))) {
      auto end = ParseIsoTime(field(kEnd), pos(kEnd));
      if (!end) return end.error();
      duration = *end - *start;
    } else {
      if (col[kElapsed] < 0) {
        return FieldError(pos(kEnd), "must be set when there is no Elapsed column", field(kEnd));
      }
      auto elapsed = ParseSlurmDuration(field(kElapsed), pos(kElapsed));
      if (!elapsed) return elapsed.error();
      duration = *elapsed;
      if (col[kEnd] >= 0) ++num_running;
    }
    if (duration <= 0) {
      ++num_nonpositive;
      continue;
    }
    double estimate = 0;
    const std::string_view limit = field(kTimelimit);
    if (!limit.empty() && !EqualsIgnoreCase(limit, "UNLIMITED") &&
        !EqualsIgnoreCase(limit, "Partition_Limit") && !EqualsIgnoreCase(limit, "INVALID")) {
      auto l = ParseSlurmDuration(limit, pos(kTimelimit));
      if (!l) return l.error();
      estimate = *l;
    }
    const std::string_view account = field(kAccount);
    const std::string_view user = field(kUser);
    Job job;
    job.line = ln;
    job.id = std::string(id);
    job.tenant_idx = trace.TenantIndex(!account.empty() ? account
                                       : !user.empty()  ? user
                                                        : "default");
    job.submit_s = *submit;
    job.duration_s = duration;
    job.estimate_s = estimate;
    job.gpus = static_cast<int32_t>(gpus);
    if (!type.empty()) ++gpu_types[type];
    GPUPLAN_TRY(detail::AddJob(trace, source, std::move(job)));
  }
  if (num_steps > 0) {
    trace.notes.push_back(fmt::format(
        "{} job step rows (JobID with '.') skipped; export with --allocations", num_steps));
  }
  if (num_pending > 0) {
    trace.notes.push_back(fmt::format("{} pending or never-started jobs skipped", num_pending));
  }
  if (num_cancelled > 0) {
    trace.notes.push_back(
        fmt::format("{} jobs cancelled before they started skipped", num_cancelled));
  }
  if (num_no_gpu > 0) {
    trace.notes.push_back(fmt::format("{} jobs without GPUs (no gres/gpu) skipped", num_no_gpu));
  }
  if (num_nonpositive > 0) {
    trace.notes.push_back(fmt::format("{} jobs with End <= Start skipped", num_nonpositive));
  }
  if (num_running > 0) {
    trace.notes.push_back(
        fmt::format("{} jobs still running: replayed for their Elapsed time so far", num_running));
  }
  if (!gpu_types.empty()) {
    std::string list;
    for (const auto& [name, n] : gpu_types)
      list += fmt::format("{}{} ({})", list.empty() ? "" : ", ", name, n);
    trace.notes.push_back(fmt::format(
        "GPU types named in TRES ({}) are Slurm names, not catalog ids: durations are replayed "
        "as measured on the reference type",
        list));
  }
  // Submit times become seconds since the first submission.
  GPUPLAN_TRY(detail::FinishTrace(trace, /*shift=*/true, &source));
  return trace;
}

}  // namespace gpuplan::trace
