// The RFC 4180 layer every CSV trace reader shares, and the failures of issue 12 the readers
// must refuse (duplicates, repeated columns, times past the clock, silent clamps).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "param_name.h"
#include "trace/csv_util.h"
#include "trace/trace.h"

namespace gpuplan::trace {
namespace {

std::vector<std::vector<std::string>> Records(std::string_view text, char sep = ',') {
  const std::string path = "t.csv";
  detail::CsvReader r(text, sep, path);
  std::vector<std::string_view> f;
  std::vector<std::vector<std::string>> out;
  while (true) {
    auto more = r.Next(f);
    EXPECT_TRUE(more) << more.error().message;
    if (!more || !*more) break;
    out.emplace_back(f.begin(), f.end());
  }
  return out;
}

TEST(CsvReader, QuotesEmbeddedSeparatorsNewlinesBomAndCrlf) {
  const auto r = Records(
      "\xEF\xBB\xBF"
      "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n\r\n1,,3");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0], (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(r[1], (std::vector<std::string>{"x, y", "say \"hi\"", "two\nlines"}));
  EXPECT_EQ(r[2], (std::vector<std::string>{"1", "", "3"}));
}

TEST(CsvReader, CountsLinesInsideQuotesAndNamesUnclosedQuotes) {
  const std::string path = "t.csv";
  detail::CsvReader r("h\n\"a\nb\"\nnext\n\"open\n", ',', path);
  std::vector<std::string_view> f;
  ASSERT_TRUE(*r.Next(f));
  ASSERT_TRUE(*r.Next(f));
  EXPECT_EQ(r.line(), 2);
  ASSERT_TRUE(*r.Next(f));
  EXPECT_EQ(r.line(), 4);
  auto bad = r.Next(f);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("t.csv:5: a quoted field opened here never closes"),
            std::string::npos)
      << bad.error().message;
  detail::CsvReader r2("\"a\"b,c\n", ',', path);
  auto after = r2.Next(f);
  ASSERT_FALSE(after);
  EXPECT_NE(after.error().message.find("text after the closing quote"), std::string::npos);
}

// Written by pandas: DataFrame.to_csv() with its index (an unnamed first column), a quoted
// tenant holding a comma, and ISO 8601 submit times (datetime64 columns).
TEST(GpuplanCsv, ReadsWhatPandasWrites) {
  auto t = ParseGpuplanCsv(
      ",job_id,tenant,submit_s,gpus,duration_s\n"
      "0,j1,\"lab, north\",2024-03-01 12:00:00,8,3600.0\n"
      "1,j2,lab,2024-03-01 12:00:30.5,1,60.0\n",
      "pandas.csv");
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_EQ(t->jobs.size(), 2u);
  EXPECT_EQ(t->tenants[0].name, "lab, north");
  EXPECT_DOUBLE_EQ(t->jobs[1].submit_s, 30.5);
  bool noted = false;
  for (const auto& n : t->notes) noted |= n.find("(unnamed)") != std::string::npos;
  EXPECT_TRUE(noted);
}

// Written by Excel ("CSV UTF-8"): a byte order mark, CRLF, every text field quoted, an extra
// column, ISO times with a zone.
TEST(GpuplanCsv, ReadsWhatExcelWrites) {
  auto t = ParseGpuplanCsv(
      "\xEF\xBB\xBF\"job_id\",\"tenant\",\"submit_s\",\"gpus\",\"duration_s\",\"comment\"\r\n"
      "\"a\",\"t1\",\"2024-03-01T09:00:00+09:00\",\"4\",\"100\",\"first, of two\"\r\n"
      "\"b\",\"t1\",\"2024-03-01T00:01:00Z\",\"2\",\"50\",\"\"\r\n",
      "excel.csv");
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_EQ(t->jobs.size(), 2u);
  EXPECT_EQ(t->jobs[0].id, "a");
  EXPECT_DOUBLE_EQ(t->jobs[1].submit_s, 60);  // 09:00+09:00 is 00:00Z
  std::string notes;
  for (const auto& n : t->notes) notes += n + "\n";
  EXPECT_NE(notes.find("'comment'"), std::string::npos) << notes;
  EXPECT_NE(notes.find("byte order mark"), std::string::npos) << notes;
}

TEST(GpuplanCsv, WriterQuotesWhatNeedsIt) {
  auto t = ParseGpuplanCsv("job_id,tenant,submit_s,gpus,duration_s\n\"a,1\",\"q\"\"t\",0,1,5\n",
                           "in.csv");
  ASSERT_TRUE(t) << t.error().message;
  const std::string out = WriteGpuplanCsv(*t);
  auto back = ParseGpuplanCsv(out, "out.csv");
  ASSERT_TRUE(back) << back.error().message << "\n" << out;
  EXPECT_EQ(back->jobs[0].id, "a,1");
  EXPECT_EQ(back->tenants[0].name, "q\"t");
}

struct BadCase {
  std::string text;
  TraceFormat format;
  std::string expected;
};

class TraceBad : public ::testing::TestWithParam<BadCase> {};

TEST_P(TraceBad, NamesFileLine) {
  auto t = ParseTrace(GetParam().text, "in.csv", GetParam().format);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().kind, ErrorKind::kBadInput);
  EXPECT_NE(t.error().message.find(GetParam().expected), std::string::npos) << t.error().message;
}

const std::string kHead = "job_id,tenant,submit_s,gpus,duration_s\n";
const std::string kPods =
    "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
    "deletion_time,scheduled_time\n";

INSTANTIATE_TEST_SUITE_P(
    Issue12, TraceBad,
    ::testing::Values(
        // (4) duplicate job ids and a column named twice.
        BadCase{kHead + "a,t,0,1,5\na,t,1,1,5\n", TraceFormat::kGpuplan,
                "in.csv:3: job id 'a' repeats the job of line 2"},
        BadCase{"job_id,tenant,submit_s,gpus,duration_s,gpus\na,t,0,1,5,2\n", TraceFormat::kGpuplan,
                "in.csv:1: column 'gpus' appears twice"},
        BadCase{kPods + "p1,1,1,1,1000,,LS,Running,0,10,0\np1,1,1,1,1000,,LS,Running,0,10,0\n",
                TraceFormat::kOpenb, "in.csv:3: job id 'p1' repeats"},
        // (4) openb num_gpu 99,999,999 was clamped silently.
        BadCase{kPods + "p1,1,1,99999999,1000,,LS,Running,0,10,0\n", TraceFormat::kOpenb,
                "in.csv:2: field 'num_gpu' must be in [0, 1000000], got '99999999'"},
        // (2) times past the clock: 1e15 s, 1e308 s.
        BadCase{kHead + "a,t,1e15,1,5\n", TraceFormat::kGpuplan,
                "in.csv:2: field 'submit_s' must be at most 1e+10 s"},
        BadCase{kHead + "a,t,0,1,1e308\n", TraceFormat::kGpuplan,
                "in.csv:2: field 'duration_s' must be at most 1e+10 s"},
        BadCase{kPods + "p1,1,1,1,1000,,LS,Running,0,1e15,0\n", TraceFormat::kOpenb,
                "field 'deletion_time' must be at most"},
        BadCase{"1 1e15 0 10 4 -1 -1 4 100 -1 1 1 1 1 1 1 -1 -1\n", TraceFormat::kSwf,
                "in.csv:1: field 'submit_time' must be at most"},
        BadCase{"1 0 0 1e308 4 -1 -1 4 100 -1 1 1 1 1 1 1 -1 -1\n", TraceFormat::kSwf,
                "field 'run_time' must be at most"},
        BadCase{"JobID|Account|Submit|Start|End|State|AllocTRES\n"
                "1|a|2024-01-01T00:00:00|2024-01-01T00:00:00|2024-01-01T01:00:00|COMPLETED|"
                "gres/gpu=1\n"
                "2|a|9999-01-01T00:00:00|9999-01-01T00:00:00|9999-01-01T01:00:00|COMPLETED|"
                "gres/gpu=1\n",
                TraceFormat::kSacct, "in.csv:3: job '2': its submit time is outside"},
        BadCase{"1 0 0 10 99999999 -1 -1 4 100 -1 1 1 1 1 1 1 -1 -1\n", TraceFormat::kSwf,
                "field 'allocated_processors' must be a whole number in [1, 1000000]"},
        // (5) "no jobs" says why the rows were skipped.
        BadCase{kPods + "p1,1,1,0,0,,LS,Running,0,10,0\n", TraceFormat::kOpenb,
                "the trace has no jobs (1 CPU-only pods (num_gpu 0) skipped)"},
        BadCase{kHead, TraceFormat::kGpuplan, "the trace has no jobs (no data rows"},
        // (5) a quoted field is not "truncated"; a too-long line says what to do.
        BadCase{kHead + "a,t,0,1,5,6\n", TraceFormat::kGpuplan, "too many separators; quote"},
        BadCase{kHead + "\"a,t,0,1,5\n", TraceFormat::kGpuplan, "never closes"},
        BadCase{kHead + "a,t,0,1,5\nb,t,2024-01-01T00:00:00,1,5\n", TraceFormat::kGpuplan,
                "mixes ISO 8601 times and seconds"}),
    [](const auto& i) { return gpuplan::testing::ParamName(i.param.expected); });

// (5) a 50 MB header line gives a short message.
TEST(GpuplanCsv, HugeHeaderGivesAShortMessage) {
  const std::string header = "job_id,tenant,submit_s,gpus," + std::string(50 << 20, 'x') + "\n";
  auto t = ParseGpuplanCsv(header + "a\n", "big.csv");
  ASSERT_FALSE(t);
  EXPECT_LT(t.error().message.size(), 2000u);
  EXPECT_NE(t.error().message.find("duration_s"), std::string::npos);
}

// (3) 200k tenants: hashed lookup (was a linear scan, 30-40 s); here well under a second.
TEST(Trace, ManyTenantsAreIndexedByHash) {
  std::string csv = kHead;
  constexpr int kTenants = 200'000;
  csv.reserve(kTenants * 24);
  for (int i = 0; i < kTenants; ++i) csv += fmt::format("j{},t{},{},1,5\n", i, i, i);
  auto t = ParseGpuplanCsv(csv, "many.csv");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->tenants.size(), static_cast<size_t>(kTenants));
  EXPECT_EQ(t->TenantIndex("t123"), 123);
  t->tenants.push_back(Tenant{.name = "added"});  // edited by hand: the index catches up
  EXPECT_EQ(t->TenantIndex("added"), kTenants);
}

}  // namespace
}  // namespace gpuplan::trace
