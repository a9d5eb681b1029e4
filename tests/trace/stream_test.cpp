// Streaming trace reading (issue 12: a 2.1 GB trace needed 15.7 GB): a file is read through a
// block buffer, never whole. Every reader must give through blocks of any size, and from a file,
// exactly what it gives over the text in memory; jobs are stored without vector slack; the
// sort and the duplicate check keep their contracts.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "trace/csv_util.h"
#include "trace/trace.h"

namespace gpuplan::trace {
namespace {

namespace fs = std::filesystem;

struct Sample {
  TraceFormat format;
  std::string text;
};

// One input per format, with what stresses the line layer: CRLF, a BOM, blank and comment lines,
// quoted separators and a quoted line break, a final line without '\n', unsorted submits.
std::vector<Sample> Samples() {
  return {
      {TraceFormat::kGpuplan,
       "\xEF\xBB\xBF# a comment\r\njob_id,tenant,submit_s,gpus,duration_s,priority\r\n"
       "a,t1,30,8,3600,1\r\n\r\n\"b,\"\"x\"\"\",\"lab\nnorth\",10,1,60,0\r\nc,t1,10,2,5,0"},
      {TraceFormat::kOpenb,
       "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
       "deletion_time,scheduled_time\n"
       "p1,1,1,1,500,V100M16|T4,LS,Running,100,200,110\n"
       "p2,1,1,0,0,,BE,Running,0,10,0\n"
       "p3,1,1,2,1000,,BE,Running,50,90,60\n"},
      {TraceFormat::kSwf,
       "; Version: 2\n; comment\n"
       "1 100 5 3600 8 -1 -1 8 7200 -1 1 7 1 1 1 1 -1 -1\n"
       "2 50 0 60 -1 -1 -1 4 120 -1 1 8 1 1 1 1 -1 -1\r\n"
       "3 60 0 -1 4 -1 -1 4 120 -1 1 8 1 1 1 1 -1 -1"},
      {TraceFormat::kSacct,
       "JobID|Account|Submit|Start|End|State|AllocTRES|Timelimit\n"
       "11|lab|2024-03-01T12:00:00|2024-03-01T12:01:00|2024-03-01T13:00:00|COMPLETED|"
       "cpu=8,gres/gpu=8|02:00:00\n"
       "11.batch|lab|2024-03-01T12:00:00|2024-03-01T12:01:00|2024-03-01T13:00:00|COMPLETED|"
       "cpu=8|\n"
       "10|ops|2024-03-01T11:00:00|2024-03-01T11:00:30|2024-03-01T11:30:00|COMPLETED|"
       "gres/gpu=1|UNLIMITED\n"},
      {TraceFormat::kPai2020,
       "job_id,num_inst,submit_time,num_cpu,num_gpu,gpu_type,duration,user\n"
       "j1,2,100,8,1,V100,600,u1\nj2,1,40,8,8,T4,60,u2\nj3,1,50,8,0,MISC,60,u2\n"},
      {TraceFormat::kPai2020,
       "a,w,1,Terminated,100,200,600,29,50,T4\nb,ps,1,Terminated,90,150,600,29,100,MISC\n"},
  };
}

// A trace as text: the gpuplan CSV it writes, its tenants, types and notes.
std::string Describe(const Result<Trace>& t) {
  if (!t) return "error: " + t.error().message;
  std::string s = WriteGpuplanCsv(*t);
  for (const Tenant& tenant : t->tenants) s += "tenant " + tenant.name + "\n";
  for (const std::string& type : t->type_names) s += "type " + type + "\n";
  for (const std::string& note : t->notes) s += "note " + note + "\n";
  for (const Job& j : t->jobs) s += fmt::format("line {}\n", j.line);
  return s;
}

fs::path TempFile(const std::string& name, const std::string& content) {
  const fs::path p =
      fs::temp_directory_path() / fmt::format("gpuplan_stream_{}_{}", getpid(), name);
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

TEST(Stream, EveryReaderGivesThroughBlocksWhatItGivesInMemory) {
  int i = 0;
  for (const Sample& s : Samples()) {
    SCOPED_TRACE(fmt::format("sample {} ({})", i, ToString(s.format)));
    const std::string whole = Describe(ParseTrace(s.text, "in.csv", s.format));
    ASSERT_EQ(whole.find("error"), std::string::npos) << whole;
    for (size_t block : {1, 2, 3, 5, 16, 1 << 20}) {
      auto source = detail::LineSource::Blocks(s.text, block);
      EXPECT_EQ(Describe(detail::ParseTrace(*source, "in.csv", s.format)), whole)
          << "block " << block;
    }
    const fs::path file = TempFile(fmt::format("{}.csv", i), s.text);
    auto from_file = ReadTrace(file.string(), s.format);
    ASSERT_TRUE(from_file) << from_file.error().message;
    from_file->source = "in.csv";
    EXPECT_EQ(Describe(from_file), whole);
    fs::remove(file);
    ++i;
  }
}

TEST(Stream, ErrorsNameTheSameLineThroughBlocks) {
  const std::string text =
      "job_id,tenant,submit_s,gpus,duration_s\na,t,0,1,5\n\"b\nc\",t,0,1,5\nd,t,0,x,5\n";
  const auto whole = ParseGpuplanCsv(text, "in.csv");
  ASSERT_FALSE(whole);
  EXPECT_NE(whole.error().message.find("in.csv:5: field 'gpus'"), std::string::npos)
      << whole.error().message;
  for (size_t block : {1, 4, 9}) {
    auto source = detail::LineSource::Blocks(text, block);
    auto t = detail::ParseGpuplanCsv(*source, "in.csv");
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().message, whole.error().message);
  }
  auto unclosed =
      detail::LineSource::Blocks("job_id,tenant,submit_s,gpus,duration_s\n\"a,\n\n\n", 2);
  auto u = detail::ParseGpuplanCsv(*unclosed, "in.csv");
  ASSERT_FALSE(u);
  EXPECT_NE(u.error().message.find("in.csv:2: a quoted field opened here never closes"),
            std::string::npos)
      << u.error().message;
}

// A line longer than the block grows the buffer; the line is whole.
TEST(Stream, LongLinesAndLineNumbers) {
  const std::string long_line(100'000, 'x');
  const std::string text = "a\r\n" + long_line + "\n\nend";
  auto source = detail::LineSource::Blocks(text, 64);
  std::string_view line;
  std::vector<std::string> got;
  while (true) {
    auto more = source->Next(line);
    ASSERT_TRUE(more);
    if (!*more) break;
    got.emplace_back(line);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"a\r", long_line, "", "end"}));
  EXPECT_EQ(source->line_number(), 4);
  EXPECT_EQ(source->offset(), text.size());
  ASSERT_TRUE(source->Rewind());
  ASSERT_TRUE(*source->Next(line));
  EXPECT_EQ(line, "a\r");
  EXPECT_EQ(source->line_number(), 1);
}

TEST(Stream, OpenChecksTheFile) {
  auto missing = detail::LineSource::Open("/nonexistent/jobs.csv");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kBadInput);
  EXPECT_EQ(missing.error().message, "/nonexistent/jobs.csv: no such file");
  auto dir = ReadTrace(fs::temp_directory_path().string(), TraceFormat::kGpuplan);
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().kind, ErrorKind::kIo);
  EXPECT_NE(dir.error().message.find("is a directory, not a file gpuplan can read"),
            std::string::npos);
}

// Jobs are stored without a doubling vector's slack (up to 2x, 3x while it moved; 1.75x here):
// capacity is sized from the jobs per byte of the first 4096 jobs. Lines here grow longer down the
// file, as ids and times do, so that estimate is high (1.16x).
TEST(Stream, JobStorageHasLittleSlack) {
  std::string csv = "job_id,tenant,submit_s,gpus,duration_s\n";
  constexpr int kJobs = 300'000;
  for (int i = 0; i < kJobs; ++i) {
    // Lines of varying length, as real ids and times are.
    csv += fmt::format("job{},tenant{},{},{},{}\n", i, i % 97, i / 3, 1 + i % 8,
                       i % 5 == 0 ? 3600.123456789 : 60.0);
  }
  const fs::path file = TempFile("slack.csv", csv);
  auto t = ReadTrace(file.string(), TraceFormat::kGpuplan);
  fs::remove(file);
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_EQ(t->jobs.size(), static_cast<size_t>(kJobs));
  EXPECT_LE(static_cast<double>(t->jobs.capacity()), 1.2 * kJobs);
}

// The permutation sort is std::stable_sort's order (ties in file order); the repeated id reported
// is the first repeat in file order, naming the line it repeats.
TEST(Stream, SortIsStableAndRepeatsAreFoundInFileOrder) {
  std::mt19937_64 rng(7);
  std::string csv = "job_id,tenant,submit_s,gpus,duration_s\n";
  std::vector<std::pair<int, int>> expected;  // (submit, line)
  for (int i = 0; i < 5000; ++i) {
    const int submit = static_cast<int>(rng() % 300);
    csv += fmt::format("j{},t,{},1,5\n", i, submit);
    expected.emplace_back(submit, i + 2);
  }
  std::stable_sort(expected.begin(), expected.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  auto t = ParseGpuplanCsv(csv, "in.csv");
  ASSERT_TRUE(t) << t.error().message;
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(t->jobs[i].submit_s, expected[i].first) << i;
    ASSERT_EQ(t->jobs[i].line, expected[i].second) << i;
  }
  auto dup = ParseGpuplanCsv(
      "job_id,tenant,submit_s,gpus,duration_s\na,t,9,1,5\nb,t,8,1,5\nb,t,7,1,5\na,t,6,1,5\n",
      "in.csv");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().message,
            "in.csv:4: job id 'b' repeats the job of line 3 (ids must be unique)");
}

// StreamTrace (issue 12: simulate's memory) hands a trace's jobs over as it reads them, in file
// order, or refuses the trace so that ReadTrace gives the answer.
class Collect : public JobSink {
 public:
  Result<void> Add(const Trace& /*trace*/, const Job& job) override {
    if (job.id == fail_at) return Error{"refused"};
    jobs.push_back(job);
    return Ok{};
  }
  std::vector<Job> jobs;
  std::string fail_at;
};

TEST(Stream, StreamTraceGivesTheJobsReadTraceGivesWhenTheFileIsSorted) {
  const std::vector<Sample> sorted = {
      {TraceFormat::kGpuplan,
       "job_id,tenant,submit_s,gpus,duration_s,accelerator,allowed\n"
       "a,t1,5,8,3600,h100,\nb,t2,5,1,60,,a100|h100\nc,t1,9,2,7,,\n"},
      {TraceFormat::kGpuplan,  // ISO times: shifted to the first job
       "job_id,tenant,submit_s,gpus,duration_s\n"
       "a,t1,2024-03-01T12:00:00,8,3600\nb,t2,2024-03-01T12:30:00,1,60\n"},
      {TraceFormat::kOpenb,
       "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
       "deletion_time,scheduled_time\n"
       "p3,1,1,2,1000,,BE,Running,50,90,60\n"
       "p2,1,1,0,0,,BE,Running,70,80,0\n"
       "p1,1,1,1,500,V100M16|T4,LS,Running,100,200,110\n"},
      {TraceFormat::kSwf,
       "; Version: 2\n"
       "2 50 0 60 -1 -1 -1 4 120 -1 1 8 1 1 1 1 -1 -1\n"
       "1 100 5 3600 8 -1 -1 8 7200 -1 1 7 1 1 1 1 -1 -1\n"},
      {TraceFormat::kSacct,
       "JobID|Account|Submit|Start|End|State|AllocTRES|Timelimit\n"
       "10|ops|2024-03-01T11:00:00|2024-03-01T11:00:30|2024-03-01T11:30:00|COMPLETED|"
       "gres/gpu=1|UNLIMITED\n"
       "11|lab|2024-03-01T12:00:00|2024-03-01T12:01:00|2024-03-01T13:00:00|COMPLETED|"
       "cpu=8,gres/gpu=8|02:00:00\n"},
      {TraceFormat::kPai2020,
       "job_id,num_inst,submit_time,num_cpu,num_gpu,gpu_type,duration,user\n"
       "j2,1,40,8,8,T4,60,u2\nj3,1,50,8,0,MISC,60,u2\nj1,2,100,8,1,V100,600,u1\n"},
      {TraceFormat::kPai2020,
       "b,ps,1,Terminated,90,150,600,29,100,MISC\na,w,1,Terminated,100,200,600,29,50,T4\n"},
  };
  int i = 0;
  for (const Sample& s : sorted) {
    SCOPED_TRACE(fmt::format("sample {} ({})", i, ToString(s.format)));
    const fs::path file = TempFile(fmt::format("sorted{}.csv", i++), s.text);
    Result<Trace> whole = ReadTrace(file.string(), s.format);
    ASSERT_TRUE(whole) << whole.error().message;
    Collect sink;
    Result<Trace> streamed = StreamTrace(file.string(), s.format, sink);
    ASSERT_TRUE(streamed) << streamed.error().message;
    EXPECT_TRUE(streamed->jobs.empty());
    streamed->jobs = sink.jobs;
    EXPECT_EQ(Describe(streamed), Describe(whole));
    fs::remove(file);
  }
}

TEST(Stream, StreamTraceRefusesWhatItCannotStream) {
  const std::string head = "job_id,tenant,submit_s,gpus,duration_s\n";
  const auto refused = [&](const std::string& body, const std::string& fail_at = "") {
    const fs::path file = TempFile("refused.csv", head + body);
    Collect sink;
    sink.fail_at = fail_at;
    const bool ok = static_cast<bool>(StreamTrace(file.string(), TraceFormat::kGpuplan, sink));
    fs::remove(file);
    return !ok;
  };
  EXPECT_FALSE(refused("a,t,0,1,5\nb,t,0,1,5\n"));
  EXPECT_TRUE(refused("a,t,9,1,5\nb,t,8,1,5\n"));                    // unsorted: ReadTrace sorts it
  EXPECT_TRUE(refused("a,t,0,1,5\na,t,1,1,5\n"));                    // a repeated id
  EXPECT_TRUE(refused("a,t,0,1,5\nb,t,1,x,5\n"));                    // a bad row
  EXPECT_TRUE(refused(""));                                          // no jobs
  EXPECT_TRUE(refused("a,t,0,1,5\nb,t,1,1,5\n", "b"));               // the sink's error
  EXPECT_TRUE(refused("a,t,0,1,5\nb,t,2024-03-01T12:00:00,1,5\n"));  // mixed times
}

}  // namespace
}  // namespace gpuplan::trace
