#include <gtest/gtest.h>

#include <string>

#include "trace/trace.h"

namespace gpuplan::trace {
namespace {

// The header `sacct --parsable2 --allocations --format=JobID,User,Account,Partition,Submit,Start,
// End,Elapsed,AllocTRES,ReqTRES,Timelimit,State` prints (sacct(1): field names as given).
constexpr char kHeader[] =
    "JobID|User|Account|Partition|Submit|Start|End|Elapsed|AllocTRES|ReqTRES|Timelimit|State\n";

std::string Row(std::string_view id, std::string_view submit, std::string_view start,
                std::string_view end, std::string_view elapsed, std::string_view alloc,
                std::string_view limit = "04:00:00", std::string_view state = "COMPLETED",
                std::string_view account = "academia-kaist") {
  return std::string(id) + "|alice|" + std::string(account) + "|gpu|" + std::string(submit) + "|" +
         std::string(start) + "|" + std::string(end) + "|" + std::string(elapsed) + "|" +
         std::string(alloc) + "|" + std::string(alloc) + "|" + std::string(limit) + "|" +
         std::string(state) + "\n";
}

TEST(Sacct, ReadsTheShippedSample) {
  auto t = ReadTrace(DefaultDataDir() + "/traces/sample_sacct.txt", TraceFormat::kSacct);
  ASSERT_TRUE(t) << t.error().message;
  // The file has 16 rows: 4104 has no GPU, 4107 was cancelled before it started, 4116 is pending.
  EXPECT_EQ(t->jobs.size(), 13u);
  EXPECT_EQ(t->jobs.front().id, "4101");
  EXPECT_DOUBLE_EQ(t->jobs.front().submit_s, 0);
  // 4103: 32 GPUs, 2024-03-01T08:15:02 .. 2024-03-03T02:20:19 = 1-18:05:17 = 151517 s, submitted
  // 15 min after 4101; Timelimit 2-00:00:00.
  const Job& j = t->jobs[2];
  EXPECT_EQ(j.id, "4103");
  EXPECT_EQ(j.gpus, 32);
  EXPECT_DOUBLE_EQ(j.duration_s, 151517);
  EXPECT_DOUBLE_EQ(j.submit_s, 15 * 60);
  EXPECT_DOUBLE_EQ(j.estimate_s, 2 * 86400);
  EXPECT_EQ(t->tenants[j.tenant_idx].name, "industry-naver");
  EXPECT_EQ(t->tenants[j.tenant_idx].tenant_class, TenantClass::kIndustry);
  bool grace = false;  // 4111 has no Account: the user is the tenant; UNLIMITED: no estimate
  for (const Job& k : t->jobs) {
    if (k.id != "4111") continue;
    grace = true;
    EXPECT_EQ(t->tenants[k.tenant_idx].name, "grace");
    EXPECT_DOUBLE_EQ(k.estimate_s, 0);
  }
  EXPECT_TRUE(grace);
  std::string notes;
  for (const auto& n : t->notes) notes += n + "\n";
  EXPECT_NE(notes.find("1 pending or never-started jobs skipped"), std::string::npos) << notes;
  EXPECT_NE(notes.find("1 jobs cancelled before they started skipped"), std::string::npos);
  EXPECT_NE(notes.find("1 jobs without GPUs"), std::string::npos);
  EXPECT_NE(notes.find("h100 (4)"), std::string::npos) << notes;
}

// One row, one expectation: GPU count, duration and estimate as the sacct(1) formats define them.
struct RowCase {
  const char* name;
  std::string row;
  int gpus;
  double duration_s;
  double estimate_s;
};

TEST(Sacct, RowsTable) {
  const std::string s = "2024-03-01T12:00:00";
  const RowCase cases[] = {
      {"plain gres/gpu", Row("1", s, s, "2024-03-01T13:00:00", "01:00:00", "cpu=8,gres/gpu=2"), 2,
       3600, 4 * 3600},
      {"typed only: sum",
       Row("2", s, s, "2024-03-01T12:00:30", "00:00:30", "gres/gpu:a100=4,gres/gpu:h100=2,mem=1G"),
       6, 30, 4 * 3600},
      {"plain wins over typed",
       Row("3", s, s, "2024-03-01T12:00:30", "00:00:30", "gres/gpu:a100=8,gres/gpu=8"), 8, 30,
       4 * 3600},
      {"gpumem is not a GPU count",
       Row("4", s, s, "2024-03-01T12:00:30", "00:00:30", "gres/gpumem=80G,gres/gpu=1"), 1, 30,
       4 * 3600},
      {"across midnight and a leap day",
       Row("5", s, "2024-02-28T23:00:00", "2024-03-01T01:00:00", "1-02:00:00", "gres/gpu=1"), 1,
       26 * 3600, 4 * 3600},
      {"still running: Elapsed",
       Row("6", s, s, "Unknown", "1-00:00:01", "gres/gpu=1", "UNLIMITED", "RUNNING"), 1, 86401, 0},
      {"minutes:seconds limit",
       Row("7", s, s, "2024-03-01T12:01:00", "00:01:00", "gres/gpu=1", "30:00"), 1, 60, 1800},
      {"Partition_Limit",
       Row("8", s, s, "2024-03-01T12:01:00", "00:01:00", "gres/gpu=1", "Partition_Limit"), 1, 60,
       0},
      {"cancelled after it started runs",
       Row("9", s, s, "2024-03-01T12:10:00", "00:10:00", "gres/gpu=4", "01:00:00",
           "CANCELLED by 1001"),
       4, 600, 3600},
  };
  for (const RowCase& c : cases) {
    auto t = ParseSacct(std::string(kHeader) + c.row, "jobs.sacct");
    ASSERT_TRUE(t) << c.name << ": " << t.error().message;
    ASSERT_EQ(t->jobs.size(), 1u) << c.name;
    EXPECT_EQ(t->jobs[0].gpus, c.gpus) << c.name;
    EXPECT_DOUBLE_EQ(t->jobs[0].duration_s, c.duration_s) << c.name;
    EXPECT_DOUBLE_EQ(t->jobs[0].estimate_s, c.estimate_s) << c.name;
  }
}

TEST(Sacct, ColumnsInAnyOrderAndElapsedWithoutEnd) {
  // No End column: duration comes from Elapsed; no Account: tenant is the user.
  auto t = ParseSacct(
      "State|ReqTRES|Elapsed|Start|Submit|User|JobID\n"
      "COMPLETED|cpu=2,gres/gpu=2|2-01:00:00|2024-01-01T00:00:10|2024-01-01T00:00:00|bob|7\n"
      "COMPLETED|gres/gpu=1|00:00:05|2024-01-01T01:00:00|2024-01-01T00:30:00|eve|8\n",
      "x.sacct");
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_EQ(t->jobs.size(), 2u);
  EXPECT_EQ(t->jobs[0].gpus, 2);
  EXPECT_DOUBLE_EQ(t->jobs[0].duration_s, 49 * 3600);
  EXPECT_DOUBLE_EQ(t->jobs[1].submit_s, 1800);
  EXPECT_EQ(t->tenants[t->jobs[1].tenant_idx].name, "eve");
}

TEST(Sacct, SkipsAndCounts) {
  const std::string s = "2024-03-01T12:00:00";
  auto t = ParseSacct(
      std::string(kHeader) + Row("1", s, s, "2024-03-01T13:00:00", "01:00:00", "gres/gpu=1") +
          Row("1.batch", s, s, "2024-03-01T13:00:00", "01:00:00", "gres/gpu=1") +
          Row("2", s, "Unknown", "Unknown", "00:00:00", "gres/gpu=1", "01:00:00", "PENDING") +
          Row("3", s, "None", "None", "00:00:00", "gres/gpu=1", "01:00:00", "CANCELLED by 0") +
          Row("4", s, s, s, "00:00:00", "gres/gpu=1") +
          Row("5", s, s, "2024-03-01T13:00:00", "01:00:00", "cpu=4,mem=1G"),
      "jobs.sacct");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->jobs.size(), 1u);
  ASSERT_EQ(t->notes.size(), 5u);
  EXPECT_NE(t->notes[0].find("1 job step rows"), std::string::npos) << t->notes[0];
  EXPECT_NE(t->notes[1].find("1 pending"), std::string::npos) << t->notes[1];
  EXPECT_NE(t->notes[2].find("1 jobs cancelled before"), std::string::npos) << t->notes[2];
  EXPECT_NE(t->notes[3].find("1 jobs without GPUs"), std::string::npos) << t->notes[3];
  EXPECT_NE(t->notes[4].find("1 jobs with End <= Start"), std::string::npos) << t->notes[4];
}

// Malformed input: the message names file, line and field.
struct BadCase {
  const char* name;
  std::string text;
  const char* message;
};

TEST(Sacct, MalformedTable) {
  const std::string s = "2024-03-01T12:00:00";
  const std::string e = "2024-03-01T13:00:00";
  const std::string h = kHeader;
  const BadCase cases[] = {
      {"empty", "", "jobs.sacct: empty trace"},
      {"header only", h, "jobs.sacct: the trace has no jobs"},
      {"missing State",
       "JobID|Submit|Start|End|AllocTRES|Account\n1|" + s + "|" + s + "|" + e + "|gres/gpu=1|a\n",
       "jobs.sacct:1: header lacks the column 'State'"},
      {"neither End nor Elapsed", "JobID|Submit|Start|State|AllocTRES|User\n",
       "header lacks the column 'End' or 'Elapsed'"},
      {"truncated line", h + "1|alice|a|gpu|" + s + "|" + s + "|" + e,
       "jobs.sacct:2: expected 12 fields as in the header, got 7"},
      {"bad submit", h + Row("1", "2024-03-01_12:00:00", s, e, "01:00:00", "gres/gpu=1"),
       "jobs.sacct:2: field 'Submit' must be an ISO 8601 time"},
      {"bad month", h + Row("1", "2024-13-01T12:00:00", s, e, "01:00:00", "gres/gpu=1"),
       "jobs.sacct:2: field 'Submit' has a month outside 1-12"},
      {"Feb 30", h + Row("1", s, "2023-02-29T00:00:00", e, "01:00:00", "gres/gpu=1"),
       "jobs.sacct:2: field 'Start' has a day outside its month"},
      {"bad end", h + Row("1", s, s, "2024-03-01T25:00:00", "01:00:00", "gres/gpu=1"),
       "jobs.sacct:2: field 'End' has a time of day out of range"},
      {"bad TRES", h + Row("1", s, s, e, "01:00:00", "cpu8,gres/gpu=1"),
       "jobs.sacct:2: field 'AllocTRES' must be a TRES list"},
      {"negative GPUs", h + Row("1", s, s, e, "01:00:00", "gres/gpu=-2"),
       "jobs.sacct:2: field 'AllocTRES' must give GPU counts as whole numbers"},
      {"bad limit", h + Row("1", s, s, e, "01:00:00", "gres/gpu=1", "4h"),
       "jobs.sacct:2: field 'Timelimit' must be a duration"},
      {"bad elapsed while running",
       h + Row("1", s, s, "Unknown", "1-2:61:00", "gres/gpu=1", "UNLIMITED", "RUNNING"),
       "jobs.sacct:2: field 'Elapsed' must be a duration"},
      {"empty JobID", h + Row("", s, s, e, "01:00:00", "gres/gpu=1"),
       "jobs.sacct:2: field 'JobID' must not be empty"},
  };
  for (const BadCase& c : cases) {
    auto t = ParseSacct(c.text, "jobs.sacct");
    ASSERT_FALSE(t) << c.name;
    EXPECT_NE(t.error().message.find(c.message), std::string::npos)
        << c.name << ": " << t.error().message;
  }
}

TEST(Sacct, FormatNameRoundTrips) {
  auto f = ParseTraceFormat("sacct");
  ASSERT_TRUE(f);
  EXPECT_EQ(*f, TraceFormat::kSacct);
  EXPECT_EQ(ToString(*f), "sacct");
}

}  // namespace
}  // namespace gpuplan::trace
