#include "units/units.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

namespace gpuplan {
namespace {

TEST(ParseQuantity, SuffixesAndScientific) {
  const struct {
    const char* text;
    double expected;
  } cases[] = {
      {"70B", 7e10},      {"15T", 1.5e13},   {"2.5e23", 2.5e23}, {"512", 512}, {"8k", 8e3},
      {"1.8e12", 1.8e12}, {" 37B ", 3.7e10}, {"3M", 3e6},        {"1P", 1e15},
  };
  for (const auto& c : cases) {
    auto v = ParseQuantity(c.text, "--x");
    ASSERT_TRUE(v) << c.text << ": " << v.error().message;
    EXPECT_DOUBLE_EQ(*v, c.expected) << c.text;
  }
}

TEST(ParseQuantity, RejectsGarbageWithFieldName) {
  for (const char* bad : {"", "abc", "70X", "7BB", "nan", "inf", "0x10", "1e400"}) {
    auto v = ParseQuantity(bad, "--params");
    ASSERT_FALSE(v) << bad;
    EXPECT_NE(v.error().message.find("--params"), std::string::npos) << v.error().message;
  }
}

TEST(ParseDurationS, Units) {
  EXPECT_DOUBLE_EQ(*ParseDurationS("30d", "d"), 30 * 86400.0);
  EXPECT_DOUBLE_EQ(*ParseDurationS("12h", "d"), 12 * 3600.0);
  EXPECT_DOUBLE_EQ(*ParseDurationS("90m", "d"), 90 * 60.0);
  EXPECT_DOUBLE_EQ(*ParseDurationS("45", "d"), 45.0);
  // The year of every per-year rate (MTBF in years, failures per GPU-year): 365.25 days.
  EXPECT_DOUBLE_EQ(*ParseDurationS("2y", "d"), 2 * 365.25 * 86400.0);
  EXPECT_DOUBLE_EQ(*ParseDurationS("2w", "d"), 14 * 86400.0);
  EXPECT_FALSE(ParseDurationS("3 fortnights", "d"));
}

TEST(FormatQuantity, RoundTripsCommonSizes) {
  EXPECT_EQ(FormatQuantity(7e10), "70B");
  EXPECT_EQ(FormatQuantity(1.5e13), "15T");
  EXPECT_EQ(FormatQuantity(405e9), "405B");
}

TEST(Rng, SameSeedSameStreamAndForksIndependent) {
  Rng a(42), b(42);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.Next(), b.Next());
  // A fork depends only on the seed and the stream name, not on draws already made.
  Rng c(42);
  const uint64_t f1 = c.Fork("arrivals").Next();
  c.Next();
  EXPECT_EQ(c.Fork("arrivals").Next(), f1);
  EXPECT_NE(c.Fork("durations").Next(), f1);
}

TEST(Rng, ExponentialMeanMatches) {
  Rng r(7);
  double sum = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) sum += r.Exponential(2.0);
  // Mean 0.5, standard error 0.5/sqrt(n) ~ 0.0011: 5 sigma.
  EXPECT_NEAR(sum / n, 0.5, 0.0056);
}

TEST(Rng, UniformIntCoversRangeUniformly) {
  Rng r(3);
  int counts[6] = {};
  for (int i = 0; i < 60000; ++i) ++counts[r.UniformInt(6)];
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
}

TEST(NearestName, PrefixAndTypos) {
  const std::vector<std::string> ids = {"h100-sxm5-80gb", "h200-sxm-141gb", "mi300x", "b200"};
  EXPECT_EQ(NearestName("h100", ids), "h100-sxm5-80gb");
  EXPECT_EQ(NearestName("mi300", ids), "mi300x");
  EXPECT_EQ(NearestName("b20O", ids), "b200");
  EXPECT_EQ(NearestName("completely-different-thing", ids), "");
}

TEST(WriteFileAtomic, WritesAndLeavesNoTemp) {
  const auto dir = std::filesystem::temp_directory_path() / "gpuplan_units_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "out.txt").string();
  ASSERT_TRUE(WriteFileAtomic(path, "hello"));
  EXPECT_EQ(*ReadFile(path), "hello");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  EXPECT_FALSE(WriteFileAtomic((dir / "no/such/dir/x").string(), "x"));
  EXPECT_FALSE(ReadFile(path, 2));  // over the size limit
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gpuplan

namespace gpuplan {
namespace {

namespace fs = std::filesystem;

fs::path FreshDir(const char* name) {
  const fs::path d = fs::temp_directory_path() / fmt::format("gpuplan_units_{}_{}", name, getpid());
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string Slurp(const fs::path& p) { return *ReadFile(p.string()); }

// Issue 12 (2): infinity and values past the clock's range are refused with the limit.
TEST(ParseDurationS, RefusesOverflowWithTheLimit) {
  for (const char* bad : {"1e308y", "1e15", "1e300d", "inf", "1e400"}) {
    auto v = ParseDurationS(bad, "--gpu-mtbf");
    ASSERT_FALSE(v) << bad;
    EXPECT_NE(v.error().message.find("--gpu-mtbf"), std::string::npos) << v.error().message;
  }
  EXPECT_NE(ParseDurationS("1e308y", "--x").error().message.find("317 years"), std::string::npos);
  EXPECT_TRUE(ParseDurationS("50000h", "--x"));
}

TEST(ParseQuantity, RefusesInfiniteProducts) {
  auto v = ParseQuantity("1e308P", "--tokens");
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("too large"), std::string::npos) << v.error().message;
}

TEST(CheckRange, NamesTheFieldAndLimits) {
  auto r = CheckRange(-5, 0, 1e9, "--jobs-per-day");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "--jobs-per-day must be in [0, 1e+09], got -5");
  EXPECT_TRUE(CheckRange(0, 0, 1, "x"));
  EXPECT_FALSE(CheckRange(std::nan(""), 0, 1, "x"));
}

// Issue 12 (5): a directory, FIFO or device is named as such, not "no such file".
TEST(ReadFile, NamesDirectoryFifoAndDevice) {
  const fs::path d = FreshDir("read");
  EXPECT_NE(ReadFile(d.string()).error().message.find("is a directory"), std::string::npos);
  const fs::path fifo = d / "fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto f = ReadFile(fifo.string());
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("FIFO"), std::string::npos) << f.error().message;
  EXPECT_EQ(f.error().kind, ErrorKind::kIo);
  EXPECT_NE(ReadFile("/dev/null").error().message.find("character device"), std::string::npos);
  auto none = ReadFile((d / "none").string());
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("no such file"), std::string::npos);
  EXPECT_EQ(none.error().kind, ErrorKind::kBadInput);  // a misspelt path: exit 2
  fs::remove_all(d);
}

TEST(WriteFileAtomic, ReplacesWholeAndLeavesNoTempFiles) {
  const fs::path d = FreshDir("write");
  const std::string p = (d / "out.csv").string();
  ASSERT_TRUE(WriteFileAtomic(p, "old"));
  ASSERT_TRUE(WriteFileAtomic(p, "new content"));
  EXPECT_EQ(Slurp(p), "new content");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(d)) ++entries;
  EXPECT_EQ(entries, 1);  // no ".tmp" left behind
  fs::remove_all(d);
}

// Issue 12 (1): two writers of one path never corrupt it (each writes its own temp file).
TEST(WriteFileAtomic, ConcurrentWritersLeaveOneWholeFile) {
  const fs::path d = FreshDir("concurrent");
  const std::string p = (d / "out.csv").string();
  const std::string a(1 << 20, 'a'), b(1 << 20, 'b');
  std::thread ta([&] {
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(WriteFileAtomic(p, a));
  });
  std::thread tb([&] {
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(WriteFileAtomic(p, b));
  });
  ta.join();
  tb.join();
  const std::string got = Slurp(p);
  EXPECT_TRUE(got == a || got == b);
  fs::remove_all(d);
}

TEST(WriteFileAtomic, FollowsSymlinksAndRefusesDevicesAndFolders) {
  const fs::path d = FreshDir("links");
  const fs::path target = d / "target.csv";
  ASSERT_TRUE(WriteFileAtomic(target.string(), "x"));
  fs::create_symlink(target, d / "link.csv");
  ASSERT_TRUE(WriteFileAtomic((d / "link.csv").string(), "through the link"));
  EXPECT_TRUE(fs::is_symlink(d / "link.csv"));
  EXPECT_EQ(Slurp(target), "through the link");
  // /dev/stdout is a link to a pipe or terminal: refused, never replaced by a file.
  for (const std::string& bad : {std::string("/dev/null"), d.string()}) {
    auto w = WriteFileAtomic(bad, "x");
    ASSERT_FALSE(w) << bad;
    EXPECT_EQ(w.error().kind, ErrorKind::kIo);
    EXPECT_NE(w.error().message.find("regular files"), std::string::npos) << w.error().message;
  }
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  fs::remove_all(d);
}

TEST(WriteFilesAtomic, WritesAllOrNone) {
  const fs::path d = FreshDir("pair");
  ASSERT_TRUE(WriteFilesAtomic({{(d / "a.json").string(), "A1"}, {(d / "a.html").string(), "H1"}}));
  // The second file cannot be written (its path is a folder): the first keeps its old content.
  fs::create_directories(d / "blocked");
  auto w = WriteFilesAtomic({{(d / "a.json").string(), "A2"}, {(d / "blocked").string(), "H2"}});
  ASSERT_FALSE(w);
  EXPECT_EQ(Slurp(d / "a.json"), "A1");
  fs::remove_all(d);
}

// Issue 12 (1): `--trace x.csv --jobs x.csv` replaced the input; now refused by inode.
TEST(CheckOutputs, RefusesAnOutputThatIsAnInput) {
  const fs::path d = FreshDir("outputs");
  const std::string in = (d / "x.csv").string();
  ASSERT_TRUE(WriteFileAtomic(in, "job_id\n"));
  fs::create_hard_link(in, d / "alias.csv");
  auto r = CheckOutputs({{"--jobs", (d / "alias.csv").string()}}, {{"--trace", in}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
  EXPECT_NE(r.error().message.find("--jobs"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("--trace"), std::string::npos) << r.error().message;
  auto two = CheckOutputs(
      {{"--timeline", (d / "o.csv").string()}, {"--jobs", (d / "o.csv").string()}}, {});
  ASSERT_FALSE(two);
  EXPECT_NE(two.error().message.find("same file"), std::string::npos);
  EXPECT_TRUE(CheckOutputs({{"--jobs", (d / "new.csv").string()}}, {{"--trace", in}}));
  fs::remove_all(d);
}

TEST(OutputLock, SecondHolderFailsAndTheLockFileGoes) {
  const fs::path d = FreshDir("lock");
  const std::string out = (d / "report").string();
  {
    auto first = OutputLock::Acquire(out);
    ASSERT_TRUE(first) << first.error().message;
    auto second = OutputLock::Acquire(out);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().kind, ErrorKind::kIo);
    EXPECT_NE(second.error().message.find("another gpuplan run"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(d / ".report.lock"));
  EXPECT_TRUE(OutputLock::Acquire(out));
  fs::remove_all(d);
}

// In a forked child: SIGTERM as gpuplan would see it. An ignored SIGTERM (inherited) becomes the
// default, so the cleanup handlers install; one they installed already (an earlier test in this
// process) stays, where resetting it to the default would skip the cleanup this checks.
void UnignoreSigterm() {
  struct sigaction old {};
  sigaction(SIGTERM, nullptr, &old);
  if (old.sa_handler == SIG_IGN) signal(SIGTERM, SIG_DFL);
}

// Issue 12 (1): SIGTERM in the middle of a write leaves no temp file (a child process dies).
TEST(WriteFileAtomic, SignalLeavesNoTempFile) {
  const fs::path d = FreshDir("signal");
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    UnignoreSigterm();
    const std::string big(size_t{64} << 20, 'x');
    for (int i = 0;; ++i) (void)WriteFileAtomic((d / "out.csv").string(), big);
  }
  usleep(300'000);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status));
  for (const auto& e : fs::directory_iterator(d)) {
    EXPECT_EQ(e.path().filename(), "out.csv") << "left behind: " << e.path();
  }
  fs::remove_all(d);
}

// A scratch file for a library that writes to names (COIN-OR): unique, beside its target, gone
// when released and when a signal ends the process.
TEST(ScratchFile, UniqueAndRemovedOnReleaseAndSignal) {
  const fs::path d = FreshDir("scratch");
  const std::string target = (d / "m.lp").string();
  {
    auto a = ScratchFile::Create(target);
    auto b = ScratchFile::Create(target);
    ASSERT_TRUE(a && b);
    EXPECT_NE((*a)->path(), (*b)->path());
    EXPECT_EQ(fs::path((*a)->path()).parent_path(), d);
    EXPECT_TRUE(fs::exists((*a)->path()));
  }
  EXPECT_TRUE(fs::is_empty(d));
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    UnignoreSigterm();
    auto f = ScratchFile::Create(target);
    for (;;) pause();
  }
  for (int i = 0; i < 200 && fs::is_empty(d); ++i) usleep(10'000);
  EXPECT_FALSE(fs::is_empty(d));
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_TRUE(fs::is_empty(d));
  EXPECT_FALSE(ScratchFile::Create((d / "missing" / "m.lp").string()));
  fs::remove_all(d);
}

TEST(Abbreviate, CutsLongTextAndSaysHowLong) {
  const std::string header(5 << 20, 'h');
  const std::string a = Abbreviate(header);
  EXPECT_LT(a.size(), 300u);
  EXPECT_NE(a.find("5242880 bytes"), std::string::npos);
}

}  // namespace
}  // namespace gpuplan

namespace gpuplan {
namespace {

// The re-run gets the huge-page tunable after the user's own, once: the re-run's own call
// returns (a second exec would loop). Run as a probe, the test binary only reports its tunables.
TEST(ReexecWithHugePages, AddsTheTunableOnceAfterTheUsers) {
  if (const char* probe = std::getenv("GPUPLAN_REEXEC_PROBE")) {
    char self[] = "/proc/self/exe";
    char* probe_argv[] = {self, nullptr};
    ReexecWithHugePages(probe_argv);  // must return: the tunable is set
    std::ofstream(probe) << std::getenv("GLIBC_TUNABLES");
    return;
  }
  std::string mode;
  std::getline(std::ifstream("/sys/kernel/mm/transparent_hugepage/enabled"), mode);
  const bool available = !mode.empty() && mode.find("[never]") == std::string::npos;
  const std::string out =
      (std::filesystem::temp_directory_path() / fmt::format("gpuplan-reexec-{}", getpid()))
          .string();
  std::filesystem::remove(out);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setenv("GPUPLAN_REEXEC_PROBE", out.c_str(), 1);
    setenv("GLIBC_TUNABLES", "glibc.malloc.check=0", 1);
    unsetenv("GPUPLAN_HUGE_PAGES");
    std::string filter = "--gtest_filter=ReexecWithHugePages.AddsTheTunableOnceAfterTheUsers";
    char self[] = "/proc/self/exe";
    char* argv[] = {self, filter.data(), nullptr};
    ReexecWithHugePages(argv);
    _exit(42);  // not re-run
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  if (!available) {
    EXPECT_EQ(WEXITSTATUS(status), 42) << "huge pages are off (" << mode << "): no re-run";
    return;
  }
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::string tunables;
  std::getline(std::ifstream(out), tunables);
  EXPECT_EQ(tunables, "glibc.malloc.check=0:glibc.malloc.hugetlb=1");
  std::filesystem::remove(out);
}

}  // namespace
}  // namespace gpuplan
