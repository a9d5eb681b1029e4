#include "config/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace gpuplan::config {
namespace {

Document Parse(const std::string& text, const std::string& path = "t.toml") {
  auto doc = Document::Parse(text, path);
  EXPECT_TRUE(doc) << doc.error().message;
  return std::move(*doc);
}

// A folder of its own per test, removed afterwards.
class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : dir_(std::filesystem::temp_directory_path() /
             ("gpuplan_config_" + name + "_" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir_);
  }
  ~TempDir() { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }

 private:
  std::filesystem::path dir_;
};

TEST(Document, MalformedTomlNamesFileAndLine) {
  auto doc = Document::Parse("a = 1\nb = = 2\n", "bad.toml");
  ASSERT_FALSE(doc);
  EXPECT_NE(doc.error().message.find("bad.toml:2: malformed TOML"), std::string::npos)
      << doc.error().message;
}

TEST(Document, GuardRunsBeforeTheParser) {
  // toml++ 3.3.0 has undefined behaviour on some inputs; a NUL byte is refused before it.
  auto doc = Document::Parse(std::string("a = \"x\0y\"\n", 10), "nul.toml");
  ASSERT_FALSE(doc);
  EXPECT_NE(doc.error().message.find("nul.toml"), std::string::npos) << doc.error().message;
}

TEST(Table, NumberChecksRangeAtTheKeysLine) {
  Document doc = Parse("[budget]\n\ntotal = -5\n");
  auto budget = doc.Root().Subtable("budget");
  ASSERT_TRUE(budget && *budget);
  auto total = (*budget)->Number("total", 0.0, 0);
  ASSERT_FALSE(total);
  EXPECT_EQ(total.error().message, "t.toml:3: budget: 'total' must be >= 0, got -5");
  EXPECT_EQ(total.error().kind, ErrorKind::kBadInput);
}

TEST(Table, NumberReadsQuantitiesAndFallsBack) {
  Document doc = Parse("tokens = \"15T\"\nratio = 0.5\n");
  const Table root = doc.Root();
  EXPECT_DOUBLE_EQ(*root.Number("tokens", std::nullopt, 0), 15e12);
  EXPECT_DOUBLE_EQ(*root.Number("missing", 7.0, 0), 7.0);
  auto open = root.Number("ratio", std::nullopt, 0.5, 1, /*lo_open=*/true);
  ASSERT_FALSE(open);
  EXPECT_NE(open.error().message.find("must be > 0.5 and <= 1, got 0.5"), std::string::npos);
  auto missing = root.Number("gone", std::nullopt, 0);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("missing 'gone'"), std::string::npos);
}

TEST(Table, IntRefusesFractionsAndOutOfRange) {
  Document doc = Parse("a = 2.5\nb = 11\nc = 4\n");
  const Table root = doc.Root();
  EXPECT_NE(root.Int("a", 0, 0, 10).error().message.find("whole number, got 2.5"),
            std::string::npos);
  EXPECT_NE(root.Int("b", 0, 0, 10).error().message.find("between 0 and 10, got 11"),
            std::string::npos);
  EXPECT_EQ(*root.Int("c", 0, 0, 10), 4);
}

TEST(Table, TypesAreChecked) {
  Document doc = Parse("s = 1\nb = \"yes\"\nl = [1, 2]\nt = 3\n");
  const Table root = doc.Root();
  EXPECT_NE(root.String("s", "").error().message.find("'s' must be a string"), std::string::npos);
  EXPECT_NE(root.Bool("b", false).error().message.find("'b' must be true or false"),
            std::string::npos);
  EXPECT_NE(root.StringList("l").error().message.find("array of strings"), std::string::npos);
  EXPECT_NE(root.Subtable("t").error().message.find("'t' must be a table"), std::string::npos);
}

TEST(Table, UnknownKeySuggestsTheNearest) {
  Document doc = Parse("[power]\nfacilty_mw = 30\n");
  auto power = doc.Root().Subtable("power");
  auto ok = (*power)->CheckKeys({"facility_mw", "pue"});
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().message,
            "t.toml:2: power: unknown key 'facilty_mw' (did you mean 'facility_mw'?)");
}

TEST(Table, ChoiceListsTheChoices) {
  Document doc = Parse("policy = \"fifoo\"\n");
  auto c = doc.Root().Choice("policy", "fifo", {"fifo", "easy"});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("fifo"), std::string::npos) << c.error().message;
  EXPECT_EQ(*doc.Root().Choice("other", "easy", {"fifo", "easy"}), "easy");
}

TEST(Table, TableArrayEntriesKeepTheirLines) {
  Document doc = Parse("[[candidate]]\nid = \"a\"\n\n[[candidate]]\nid = 3\n");
  auto rows = doc.Root().TableArray("candidate");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].line(), 1);
  auto id = (*rows)[1].String("id", std::nullopt);
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().message, "t.toml:5: candidate: 'id' must be a string");
  Document scalar = Parse("candidate = 1\n");
  EXPECT_NE(scalar.Root().TableArray("candidate").error().message.find("[[candidate]]"),
            std::string::npos);
}

TEST(Table, SubtableContextNestsUnlessGiven) {
  Document doc = Parse("[a.b]\nx = -1\n[c]\ny = -1\n");
  auto a = doc.Root().Subtable("a");
  auto b = (*a)->Subtable("b");
  EXPECT_EQ((*b)->ctx(), "a.b");
  auto c = doc.Root().Subtable("c", "tenant 'x' demand");
  EXPECT_NE((*c)->Number("y", 0.0, 0).error().message.find("tenant 'x' demand: 'y'"),
            std::string::npos);
  EXPECT_EQ((*b)->Keys(), std::vector<std::string>{"x"});
}

TEST(Table, PathIsRelativeToTheFileThatWroteIt) {
  Document doc = Parse("trace = \"jobs.csv\"\nabs = \"/x/y.csv\"\n", "/data/scen/korea.toml");
  EXPECT_EQ(*doc.Root().Path("trace"), "/data/scen/jobs.csv");
  EXPECT_EQ(*doc.Root().Path("abs"), "/x/y.csv");
  EXPECT_EQ(*doc.Root().Path("none"), "");
}

TEST(Extends, MergesTablesAndReplacesArraysKeepingEachFilesLines) {
  TempDir dir("extends");
  dir.Write("base.toml",
            "name = \"base\"\n[budget]\ntotal = 5\ncarry = true\n[[c]]\nid = \"x\"\n[[c]]\nid = "
            "\"y\"\n");
  const std::string text = "extends = \"base.toml\"\n[budget]\ntotal = -1\n[[c]]\nid = \"z\"\n";
  auto doc = Document::ParseWithExtends(text, dir.Write("top.toml", text), "extends", 8);
  ASSERT_TRUE(doc) << doc.error().message;
  const Table root = doc->Root();
  EXPECT_EQ(*root.String("name", ""), "base");
  auto budget = root.Subtable("budget");
  EXPECT_TRUE(*(*budget)->Bool("carry", false));    // kept from the base
  auto total = (*budget)->Number("total", 0.0, 0);  // replaced by top
  ASSERT_FALSE(total);
  EXPECT_NE(total.error().message.find("top.toml:3"), std::string::npos) << total.error().message;
  auto name_where = root.Where("name");  // a base value names the base file
  EXPECT_NE(name_where.find("base.toml:1"), std::string::npos) << name_where;
  EXPECT_EQ(root.TableArray("c")->size(), 1u);  // arrays are replaced whole
  EXPECT_FALSE(root.Has("extends"));
}

TEST(Extends, CyclesAndDepthAreRefused) {
  TempDir dir("cycle");
  dir.Write("a.toml", "extends = \"b.toml\"\n");
  const std::string b = dir.Write("b.toml", "extends = \"a.toml\"\n");
  auto cyc = Document::ParseWithExtends("extends = \"a.toml\"\n", b, "extends", 8);
  ASSERT_FALSE(cyc);
  EXPECT_NE(cyc.error().message.find("makes a cycle"), std::string::npos) << cyc.error().message;
  auto missing = Document::ParseWithExtends("extends = \"nope.toml\"\n", b, "extends", 8);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find(":1: 'extends'"), std::string::npos)
      << missing.error().message;
  auto deep =
      Document::ParseWithExtends("extends = \"d.toml\"\n", dir.Write("c.toml", ""), "extends", 1);
  ASSERT_FALSE(deep);
  EXPECT_NE(deep.error().message.find("deeper than 1"), std::string::npos);
}

TEST(Override, SetsCreatesAndSelectsEntries) {
  Document doc = Parse(
      "[[candidate]]\naccelerator = \"h100\"\nprice = 1\n"
      "[[candidate]]\naccelerator = \"b200\"\nprice = 2\n");
  const std::vector<std::string> ids = {"name", "accelerator"};
  ASSERT_TRUE(doc.Override("candidate.b200.price=5", ids));
  ASSERT_TRUE(doc.Override("candidate.0.price = 3", ids));
  ASSERT_TRUE(doc.Override("plan.objective=service-level", ids));  // a bare word is a string
  auto rows = doc.Root().TableArray("candidate");
  EXPECT_DOUBLE_EQ(*(*rows)[0].Number("price", 0.0, 0), 3);
  EXPECT_DOUBLE_EQ(*(*rows)[1].Number("price", 0.0, 0), 5);
  auto plan = doc.Root().Subtable("plan");
  EXPECT_EQ(*(*plan)->String("objective", ""), "service-level");
  // An overridden value's errors name the override, not a line.
  ASSERT_TRUE(doc.Override("candidate.h100.price=-1", ids));
  auto bad = (*doc.Root().TableArray("candidate"))[0].Number("price", 0.0, 0);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("--set candidate.h100.price: candidate: 'price'"),
            std::string::npos)
      << bad.error().message;
}

TEST(Override, BadAssignmentsSayWhy) {
  Document doc = Parse("[[candidate]]\naccelerator = \"h100\"\nx = 1\n");
  const std::vector<std::string> ids = {"accelerator"};
  EXPECT_NE(doc.Override("budget.total", ids).error().message.find("expected key.path=value"),
            std::string::npos);
  EXPECT_NE(doc.Override("candidate.mi300x.x=1", ids).error().message.find("there are: h100"),
            std::string::npos);
  EXPECT_NE(doc.Override("candidate.x=1", ids).error().message.find("is a list"),
            std::string::npos);
  EXPECT_NE(doc.Override("candidate.0.x.y=1", ids).error().message.find("a value, not a table"),
            std::string::npos);
  EXPECT_NE(doc.Override("a.b=[1,", ids).error().message.find("not a TOML value"),
            std::string::npos);
  EXPECT_NE(doc.Override("a..b=1", ids).error().message.find("empty part"), std::string::npos);
}

}  // namespace
// Issue 12 (6): the inputs on which toml++ 3.3.0 reaches undefined behaviour (upstream #295
// "\xcc\xaa", #294 "[&", #190, and one found by tests/fuzz) are refused before the parser.
TEST(CheckTomlText, RefusesTheInputsThatBreakTomlpp) {
  const struct {
    std::string text;
    const char* expected;
  } cases[] = {
      {"\xcc\xaa", "non-ASCII character outside a string"},
      {"a = 1\n[&", "s.toml:2: malformed TOML: a table header"},
      {"s = \"\"\"\\\n\xc2\xa7\"\"\"\n", "after a line-ending backslash"},
      {"x =[[[[} 1", "a value is missing before '}'"},
      {"a = \"\xff\"", "invalid UTF-8"},
      {"a = 1\x01", "control character"},
      {"t = {,}", "an inline table needs a key"},
      {"j =-\"\"\"LY\xc2\xa7\"\"\"\n", "a quote inside an unquoted value"},
      // Found by CI's fuzz run: `-.` then a quote, which a dotted key may have but a value not.
      {"j =-.\"\"\"LY\xc2\xa7\"\"\"\n", "a quote inside an unquoted value"},
      {"j =-.=\"\"\"\xd0\x92\"\"\"&mge\n", "a quote inside an unquoted value"},
      // Found by CI's fuzz run (2026-12-04): the value `2` scanned on through the inline table.
      {"t =2{ge_ef.=\"\"\"\xd0\x92\"\"\"&m,e_ege_,}", "'{' right after an unquoted value"},
      {"t =2[\"\xd0\x92\"]", "'[' right after an unquoted value"},
  };
  for (const auto& c : cases) {
    auto r = CheckTomlText(c.text, "s.toml");
    ASSERT_FALSE(r) << c.text;
    EXPECT_NE(r.error().message.find(c.expected), std::string::npos) << r.error().message;
  }
  // What TOML allows stays allowed: non-ASCII in strings and comments, arrays, inline tables.
  for (const char* ok :
       {"name = \"Sejong 세종\"  # 한국\n[a.b]\nx = [1, [2, 3], ]\n",
        "t = { a = 1, b = [] }\n[[arr]]\nk = 'lit x'\nm = '''\n€'''\n",
        "s = \"\"\"\\\n  ok\"\"\"\r\n", "a.\"b c\" = 1\nt = { x.\"y\" = 2, z.'w' = [3] }\n"}) {
    EXPECT_TRUE(CheckTomlText(ok, "s.toml"))
        << ok << ": " << CheckTomlText(ok, "s.toml").error().message;
  }
}

// Issue 12 (5): a byte order mark (Windows editors) was refused as "a non-ASCII character
// outside a string"; a key of megabytes was quoted whole in its error.
TEST(Document, ByteOrderMarkIsSkippedAndHugeKeysAreCut) {
  Document doc = Parse("\xEF\xBB\xBFname = \"x\"\n");
  EXPECT_EQ(*doc.Root().String("name", ""), "x");
  Document huge = Parse(std::string(1'000'000, 'k') + " = 1\n");
  auto bad = huge.Root().CheckKeys({"name"});
  ASSERT_FALSE(bad);
  EXPECT_LT(bad.error().message.size(), 400u);
  EXPECT_NE(bad.error().message.find("t.toml:1: unknown key 'kkk"), std::string::npos);
}

// Issue 12 (5): a table an override creates is sourced at the override, so an unknown key in it
// names "--set budgett.total", not "t.toml:0".
TEST(Override, CreatedTablesNameTheOverride) {
  Document doc = Parse("name = \"x\"\n");
  ASSERT_TRUE(doc.Override("budgett.total=1", {}));
  auto bad = doc.Root().CheckKeys({"name", "budget"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "--set budgett.total: unknown key 'budgett' (did you mean 'budget'?)");
}

}  // namespace gpuplan::config
