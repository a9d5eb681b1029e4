// Mutation fuzzing of every input parser, deterministic and fast enough for every test run (and
// the ASan build in CI): each shipped input is cut, flipped and spliced thousands of ways; a parser
// must return a value or an error that names the file, never crash, hang or throw.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "model/model.h"
#include "scenario/scenario.h"
#include "sim/sim.h"
#include "trace/trace.h"
#include "units/units.h"

namespace gpuplan {
namespace {

constexpr int kMutantsPerInput = 1500;

// One mutant of `text`: a byte flip, an inserted special character, a deleted range, a
// truncation or a duplicated slice; chosen by `rng`, so the run is the same every time.
std::string Mutate(const std::string& text, Rng& rng) {
  static constexpr char kSpecial[] = {'"', '\'', '[', ']', '=', ',',  '\n', '\0', '-', '.',
                                      'e', '9',  '#', '{', '}', '\\', ' ',  '|',  ':', 'x'};
  std::string s = text;
  const int edits = 1 + static_cast<int>(rng.UniformInt(3));
  for (int e = 0; e < edits && !s.empty(); ++e) {
    const size_t at = rng.UniformInt(s.size());
    switch (rng.UniformInt(5)) {
      case 0:
        s[at] = static_cast<char>(rng.UniformInt(256));
        break;
      case 1:
        s.insert(at, 1, kSpecial[rng.UniformInt(sizeof(kSpecial))]);
        break;
      case 2:
        s.erase(at, 1 + rng.UniformInt(16));
        break;
      case 3:
        s.resize(at);
        break;
      default: {
        const size_t len = 1 + rng.UniformInt(std::min<size_t>(64, s.size() - at));
        s.insert(rng.UniformInt(s.size()), s.substr(at, len));
      }
    }
  }
  return s;
}

template <typename Parse>
void Fuzz(const std::string& path, uint64_t seed, Parse parse) {
  auto text = ReadFile(path);
  ASSERT_TRUE(text) << text.error().message;
  Rng rng(seed);
  int errors = 0;
  for (int i = 0; i < kMutantsPerInput; ++i) {
    const std::string mutant = Mutate(*text, rng);
    const std::string message = parse(mutant, "fuzz.input");
    if (!message.empty()) {
      ++errors;
      EXPECT_NE(message.find("fuzz.input"), std::string::npos)
          << "error without the file: " << message;
    }
  }
  // The mutations must actually reach the error paths.
  EXPECT_GT(errors, kMutantsPerInput / 10) << path;
}

const catalog::Catalog& Cat() {
  static const catalog::Catalog* c = new catalog::Catalog(*catalog::Catalog::LoadDefault());
  return *c;
}

template <typename T>
std::string MessageOf(const Result<T>& r) {
  return r ? std::string() : r.error().message;
}

TEST(ParsersFuzz, Catalog) {
  Fuzz(DefaultDataDir() + "/accelerators.toml", 1, [](const std::string& t, const std::string& p) {
    return MessageOf(catalog::Catalog::Parse(t, p));
  });
}

TEST(ParsersFuzz, Model) {
  Fuzz(DefaultDataDir() + "/models/deepseek-v3.toml", 2,
       [](const std::string& t, const std::string& p) {
         return MessageOf(model::ParseModel(t, p));
       });
}

TEST(ParsersFuzz, Scenario) {
  // The scenario's extra catalog is resolved beside `path`; a name in the data folder keeps it.
  Fuzz(scenario::DefaultScenarioPath(), 3, [](const std::string& t, const std::string&) {
    const std::string path = DefaultDataDir() + "/scenarios/fuzz.input";
    return MessageOf(scenario::ParseScenario(t, path, Cat()));
  });
}

TEST(ParsersFuzz, GpuplanCsv) {
  Fuzz(DefaultDataDir() + "/traces/sample.csv", 4, [](const std::string& t, const std::string& p) {
    return MessageOf(trace::ParseGpuplanCsv(t, p));
  });
}

TEST(ParsersFuzz, OpenbPodsAndNodes) {
  const std::string dir = DefaultSharedDir() + "/traces/alibaba-openb-2023/";
  auto pods = ReadFile(dir + "openb_pod_list_default.csv");
  ASSERT_TRUE(pods);
  // The first 300 lines keep the run fast.
  size_t cut = 0;
  for (int i = 0; i < 300 && cut != std::string::npos; ++i) cut = pods->find('\n', cut + 1);
  const std::string head = pods->substr(0, cut);
  const std::string tmp = ::testing::TempDir() + "/openb_head.csv";
  ASSERT_TRUE(WriteFileAtomic(tmp, head));
  Fuzz(tmp, 5, [](const std::string& t, const std::string& p) {
    return MessageOf(trace::ParseOpenbPods(t, p));
  });
  Fuzz(dir + "openb_node_list_gpu_node.csv", 6, [](const std::string& t, const std::string& p) {
    return MessageOf(trace::ParseOpenbNodes(t, p));
  });
}

TEST(ParsersFuzz, SwfAndPai) {
  const std::string swf = ::testing::TempDir() + "/fuzz.swf";
  ASSERT_TRUE(WriteFileAtomic(swf,
                              "; Version: 2.2\n"
                              "1 0 10 3600 8 -1 -1 8 7200 -1 1 3 1 -1 1 -1 -1 -1\n"
                              "2 60 0 1800 16 -1 -1 16 3600 -1 1 4 2 -1 1 -1 -1 -1\n"));
  Fuzz(swf, 7,
       [](const std::string& t, const std::string& p) { return MessageOf(trace::ParseSwf(t, p)); });
  const std::string pai = ::testing::TempDir() + "/fuzz_pai.csv";
  ASSERT_TRUE(WriteFileAtomic(pai,
                              "j1,worker,2,Terminated,100,500,600,29.3,100,V100\n"
                              "j2,ps,1,Terminated,120,900,600,29.3,50,T4\n"));
  Fuzz(pai, 8, [](const std::string& t, const std::string& p) {
    return MessageOf(trace::ParsePai2020(t, p));
  });
}

TEST(ParsersFuzz, Sacct) {
  Fuzz(DefaultDataDir() + "/traces/sample_sacct.txt", 10,
       [](const std::string& t, const std::string& p) {
         return MessageOf(trace::ParseSacct(t, p));
       });
}

TEST(ParsersFuzz, ClusterSpec) {
  Rng rng(9);
  const std::string base = "h100-sxm5-80gb:1250x8,mi300x:250x8";
  for (int i = 0; i < kMutantsPerInput; ++i) {
    (void)sim::ParseClusterSpec(Mutate(base, rng), Cat());  // must not crash or throw
  }
}

}  // namespace
}  // namespace gpuplan
