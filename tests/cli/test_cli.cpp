// Runs the built `clearbounce` program as a user would and checks its exit
// status and output. Tests whose name ends in _NeedsClassifier assert what
// the classifier decides, not only what the command line does.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support.hpp"

namespace fs = std::filesystem;
using cbtest::Json;
using cbtest::RunResult;

namespace {

const std::string kProgram = CLEARBOUNCE_BINARY;
const fs::path kSamples = fs::path(CLEARBOUNCE_SOURCE_DIR) / "packaging" / "samples";

const char kOrdinaryMail[] =
    "From: Alice <alice@example.com>\n"
    "To: Bob <bob@example.net>\n"
    "Subject: Lunch tomorrow?\n"
    "Date: Tue, 14 Mar 2023 10:00:00 +0100\n"
    "Message-ID: <lunch-1@example.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "\n"
    "Shall we meet at noon?\n";

class ClassifyCli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "clearbounce-cli-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    // Give back permissions taken away by a test so that removal works.
    for (const auto& entry : fs::recursive_directory_iterator(dir_, fs::directory_options::skip_permission_denied, ec)) {
      fs::permissions(entry.path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }

  RunResult run(const std::vector<std::string>& args, const std::string& stdin_file = {}) {
    return cbtest::run(kProgram, args, dir_, stdin_file);
  }

  // Runs `classify --json` and parses every line; any invalid line fails the test.
  std::vector<Json> classify_json(std::vector<std::string> inputs, const std::string& stdin_file = {}) {
    inputs.insert(inputs.begin(), {"classify", "--json"});
    last_ = run(inputs, stdin_file);
    EXPECT_EQ(last_.exit_code, 0) << last_.err;
    std::vector<Json> objects;
    for (const std::string& line : cbtest::split_lines(last_.out)) {
      Json value;
      std::string error;
      EXPECT_TRUE(cbtest::parse_json(line, value, error)) << error << "\n" << line;
      EXPECT_EQ(value.type, Json::Type::object) << line;
      objects.push_back(std::move(value));
    }
    return objects;
  }

  fs::path sample(const std::string& name) const { return kSamples / name; }
  fs::path write(const std::string& name, std::string_view content) const {
    const fs::path path = dir_ / name;
    fs::create_directories(path.parent_path());
    cbtest::write_file(path, content);
    return path;
  }

  static void expect_error_object(const Json& object, const std::string& file) {
    EXPECT_EQ(object["file"].string, file);
    EXPECT_TRUE(object.has("category"));
    EXPECT_TRUE(object["category"].is_null());
    EXPECT_EQ(object["error"].type, Json::Type::string);
    EXPECT_FALSE(object["error"].string.empty());
    EXPECT_FALSE(object.has("recipient"));
  }

  fs::path dir_;
  RunResult last_;
};

// --- the command line itself --------------------------------------------

TEST_F(ClassifyCli, NoArgumentsIsUsageError) {
  const RunResult r = run({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("Usage:"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST_F(ClassifyCli, UnknownCommandIsUsageError) {
  for (const std::string command : {"frobnicate", "--frobnicate"}) {
    const RunResult r = run({command});
    EXPECT_EQ(r.exit_code, 2) << command;
    EXPECT_NE(r.err.find("Usage:"), std::string::npos) << command;
  }
}

TEST_F(ClassifyCli, TextCommandsWithoutTheirArgumentsAreUsageErrors) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"rewrite"}, {"preview"}, {"preview", "--category", "no.such.category"},
        {"lint", "--frobnicate"}, {"rewrite", "--locale"}}) {
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 2) << args.front();
    EXPECT_NE(r.err.find("clearbounce"), std::string::npos) << args.front();
  }
}

TEST_F(ClassifyCli, ClassifyWithoutInputIsUsageError) {
  const RunResult r = run({"classify", "--json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("Usage: clearbounce classify"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST_F(ClassifyCli, UnknownOptionIsUsageError) {
  const RunResult r = run({"classify", "--bogus", sample("postfix-unknown-user.eml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--bogus"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST_F(ClassifyCli, JobsMustBeANumberFromOneToSixteen) {
  const std::string file = sample("postfix-unknown-user.eml").string();
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"-j"}, {"-j", "0"}, {"-j", "17"}, {"--jobs", "two"}, {"--jobs=-1"}, {"--jobs=3x"}, {"-j0"}, {"-jx"}}) {
    std::vector<std::string> args = {"classify", file};
    args.insert(args.begin() + 1, bad.begin(), bad.end());
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 2) << bad.back();
    EXPECT_TRUE(r.out.empty()) << bad.back();
  }
  EXPECT_EQ(run({"classify", "--jobs=16", file}).exit_code, 0);
  EXPECT_EQ(run({"classify", "-j2", file}).exit_code, 0);  // as make takes it
}

// Several messages classified at a time give the lines one at a time
// would, in the same order: errors, non-bounces and recipients alike.
TEST_F(ClassifyCli, JobsDoNotChangeTheOutputOrItsOrder_NeedsClassifier) {
  fs::create_directories(dir_ / "tree");
  for (const auto& entry : fs::directory_iterator(kSamples))
    for (int copy = 0; copy < 80; ++copy)  // more inputs than one batch of five jobs
      fs::copy_file(entry.path(), dir_ / "tree" / (std::to_string(copy) + "-" + entry.path().filename().string()));
  write("tree/ordinary.eml", "From: a@example.org\nTo: b@example.org\nSubject: hi\n\nHello.\n");
  write("tree/empty.eml", "");
  const std::vector<std::string> inputs = {(dir_ / "tree").string(), (dir_ / "missing.eml").string(), "-"};
  for (const bool json : {true, false}) {
    std::vector<std::string> one = {"classify", "-j", "1"};
    if (json) one.push_back("--json");
    one.insert(one.end(), inputs.begin(), inputs.end());
    std::vector<std::string> several = one;
    several[2] = "5";
    const RunResult serial = run(one, sample("postfix-unknown-user.eml").string());
    const RunResult parallel = run(several, sample("postfix-unknown-user.eml").string());
    ASSERT_EQ(serial.exit_code, 0) << serial.err;
    EXPECT_EQ(parallel.exit_code, 0) << parallel.err;
    EXPECT_GT(cbtest::split_lines(serial.out).size(), 200u);
    EXPECT_EQ(parallel.out, serial.out);
    EXPECT_EQ(parallel.err, serial.err);
  }
}

TEST_F(ClassifyCli, RulesOptionWithoutFileIsUsageError) {
  EXPECT_EQ(run({"classify", "-r"}).exit_code, 2);
  EXPECT_EQ(run({"classify", "--rules"}).exit_code, 2);
}

TEST_F(ClassifyCli, HelpAndVersion) {
  RunResult r = run({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("classify"), std::string::npos);

  r = run({"classify", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--json"), std::string::npos);

  r = run({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(std::regex_match(r.out, std::regex("clearbounce [0-9]+\\.[0-9]+\\.[0-9]+\n"))) << r.out;
}

TEST_F(ClassifyCli, BadRulesFileIsAConfigurationError) {
  const fs::path rules = dir_ / "missing-rules.toml";
  const RunResult r = run({"classify", "--json", "-r", rules.string(), sample("postfix-unknown-user.eml").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(rules.string()), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << "no input is classified with broken rules";
}

TEST_F(ClassifyCli, LintRefusesAFactThatMayBeUnknownOutsideAnOptionalGroup) {
  write("templates/en.toml",
        "[locale]\ntag = \"en\"\n\n[category.\"recipient.unknown\"]\n"
        "why = \"The server {remote_host} does not know this address.\"\n");
  const auto config = write("clearbounce.toml", "[templates]\ndirectory = \"" + (dir_ / "templates").string() + "\"\n");
  const RunResult bad = run({"lint", "-c", config.string()});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("remote_host"), std::string::npos) << bad.err;

  write("templates/en.toml",
        "[locale]\ntag = \"en\"\n\n[category.\"recipient.unknown\"]\n"
        "why = \"The server{? {remote_host}?} does not know this address.\"\n");
  const RunResult good = run({"lint", "-c", config.string()});
  EXPECT_EQ(good.exit_code, 0) << good.err;
}

TEST_F(ClassifyCli, LintNotesAPatternThatIsRunOnEveryText) {
  std::ifstream shipped(fs::path(CLEARBOUNCE_SOURCE_DIR) / "classifier" / "rules.toml");
  std::stringstream rules;
  rules << shipped.rdbuf();
  rules << "\n[[rule]]\ncategory = \"delivery.expired\"\npatterns = ['\\d+ h']\n";
  const auto rules_file = write("rules.toml", rules.str());
  const auto config = write("clearbounce.toml", "[rules]\nfile = \"" + rules_file.string() + "\"\n");
  const RunResult r = run({"lint", "-c", config.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;  // a cost, not a mistake
  EXPECT_NE(r.out.find("note: the pattern '\\d+ h'"), std::string::npos) << r.out;
  EXPECT_EQ(run({"lint"}).out.find("note:"), std::string::npos) << "the shipped rules need no note";
}

// Lint reports, per locale, how many sample notices are longer than the
// targets of templates/FORMAT.md ("failed median 66, max 70, 0 of 50 over
// 70; delayed ..."): the shipped catalogues are within them, and a longer
// text of the administrator's is counted, not refused.
std::vector<int> counts_over(const std::string& lint_out, const std::string& tag) {
  std::vector<int> over;
  for (const auto& line : cbtest::split_lines(lint_out)) {
    if (line.find("length: " + tag + ",") == std::string::npos &&
        line.find("length: " + tag + " (") == std::string::npos)
      continue;
    for (std::size_t at = line.find(" over "); at != std::string::npos; at = line.find(" over ", at + 1)) {
      const auto of = line.rfind(" of ", at);
      const auto start = line.rfind(' ', of - 1) + 1;
      over.push_back(std::stoi(line.substr(start, of - start)));
    }
  }
  return over;
}

TEST_F(ClassifyCli, LintFindsTheShippedNoticesWithinTheirLengthTargets) {
  const RunResult r = run({"lint"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string tag : {"en", "de", "es", "fr", "it", "ja", "nl", "pl", "pt", "ru", "sv", "zh-Hans"}) {
    // Failed and delayed, for our own reports and for reports from the internet.
    EXPECT_EQ(counts_over(r.out, tag), (std::vector<int>{0, 0, 0, 0})) << tag << "\n" << r.out;
  }
}

TEST_F(ClassifyCli, LintCountsALongerTextOfTheAdministratorsWithoutRefusingIt) {
  write("templates/en.toml",
        "[locale]\ntag = \"en\"\n\n[category.\"recipient.unknown\"]\n"
        "why = \"This sentence of ours goes on and on: one two three four five six seven eight nine ten eleven "
        "twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty.\"\n");
  const auto config = write("clearbounce.toml", "[templates]\ndirectory = \"" + (dir_ / "templates").string() + "\"\n");
  const RunResult r = run({"lint", "-c", config.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto over = counts_over(r.out, "en");
  ASSERT_EQ(over.size(), 4u) << r.out;
  EXPECT_EQ(over[0], 1) << r.out;  // one failure: recipient.unknown
}

// --- bad input never stops a run ------------------------------------------

TEST_F(ClassifyCli, MissingFileGivesErrorObject) {
  const std::string missing = (dir_ / "no-such-file.eml").string();
  const auto objects = classify_json({missing});
  ASSERT_EQ(objects.size(), 1u);
  expect_error_object(objects[0], missing);
}

TEST_F(ClassifyCli, UnreadableFileGivesErrorObjectAndTheRunContinues) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files whatever their mode";
  const fs::path locked = write("locked.eml", kOrdinaryMail);
  fs::permissions(locked, fs::perms::none);
  const fs::path other = write("other.eml", kOrdinaryMail);
  const auto objects = classify_json({locked.string(), other.string()});
  ASSERT_EQ(objects.size(), 2u);
  expect_error_object(objects[0], locked.string());
  EXPECT_NE(objects[0]["error"].string.find("ermission"), std::string::npos) << objects[0]["error"].string;
  EXPECT_EQ(objects[1]["file"].string, other.string());
}

TEST_F(ClassifyCli, UnopenableDirectoryGivesErrorObject) {
  if (::geteuid() == 0) GTEST_SKIP() << "root opens directories whatever their mode";
  write("tree/closed/a.eml", kOrdinaryMail);
  write("tree/open/b.eml", kOrdinaryMail);
  fs::permissions(dir_ / "tree" / "closed", fs::perms::none);
  const auto objects = classify_json({(dir_ / "tree").string()});
  ASSERT_EQ(objects.size(), 2u);
  expect_error_object(objects[0], (dir_ / "tree" / "closed").string());
  EXPECT_EQ(objects[1]["file"].string, (dir_ / "tree" / "open" / "b.eml").string());
}

TEST_F(ClassifyCli, TableModeReportsUnreadableFilesOnStdoutAndStderr) {
  const std::string missing = (dir_ / "no-such-file.eml").string();
  const RunResult r = run({"classify", missing});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find(missing), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("error:"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
}

TEST_F(ClassifyCli, OrdinaryMailGivesErrorObject) {
  const fs::path mail = write("lunch.eml", kOrdinaryMail);
  const auto objects = classify_json({mail.string()});
  ASSERT_EQ(objects.size(), 1u);
  expect_error_object(objects[0], mail.string());
  EXPECT_EQ(objects[0]["kind"].string, "not-bounce");
}

TEST_F(ClassifyCli, EmptyFileGivesErrorObject) {
  const fs::path empty = write("empty.eml", "");
  const auto objects = classify_json({empty.string()});
  ASSERT_EQ(objects.size(), 1u);
  expect_error_object(objects[0], empty.string());
}

TEST_F(ClassifyCli, BinaryGarbageGivesErrorObject) {
  std::mt19937 random(20230314);
  std::string garbage(8192, '\0');
  for (char& c : garbage) c = static_cast<char>(random() & 0xFF);
  const fs::path file = write("garbage.bin", garbage);
  const auto objects = classify_json({file.string()});
  ASSERT_EQ(objects.size(), 1u);
  expect_error_object(objects[0], file.string());
}

TEST_F(ClassifyCli, TruncatedBounceDoesNotStopTheRun) {
  const std::string bounce = cbtest::read_file(sample("postfix-unknown-user.eml"));
  const fs::path cut_headers = write("a-cut-in-headers.eml", bounce.substr(0, 300));
  const fs::path cut_report = write("b-cut-in-report.eml", bounce.substr(0, bounce.find("Action:")));
  const fs::path ordinary = write("c-ordinary.eml", kOrdinaryMail);
  const auto objects = classify_json({cut_headers.string(), cut_report.string(), ordinary.string()});
  ASSERT_GE(objects.size(), 3u);
  expect_error_object(objects[0], cut_headers.string());
  EXPECT_EQ(objects.back()["file"].string, ordinary.string());
}

// --- where input comes from -----------------------------------------------

TEST_F(ClassifyCli, DirectoryIsWalkedRecursivelyInSortedOrder) {
  write("tree/b.eml", kOrdinaryMail);
  write("tree/a/z.eml", kOrdinaryMail);
  write("tree/a/y/x.eml", kOrdinaryMail);
  write("tree/c.eml", kOrdinaryMail);
  write("tree/.hidden.eml", kOrdinaryMail);
  write("tree/.git/objects/d.eml", kOrdinaryMail);
  std::error_code ec;
  fs::create_symlink(dir_ / "tree", dir_ / "tree" / "loop", ec);  // must not be followed
  const auto objects = classify_json({(dir_ / "tree").string()});
  std::vector<std::string> files;
  for (const Json& object : objects) files.push_back(object["file"].string);
  const fs::path tree = dir_ / "tree";
  const std::vector<std::string> expected = {(tree / "a" / "y" / "x.eml").string(), (tree / "a" / "z.eml").string(),
                                             (tree / "b.eml").string(), (tree / "c.eml").string()};
  EXPECT_EQ(files, expected);
}

TEST_F(ClassifyCli, HiddenFileNamedExplicitlyIsRead) {
  const fs::path hidden = write(".hidden.eml", kOrdinaryMail);
  const auto objects = classify_json({hidden.string()});
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0]["file"].string, hidden.string());
}

TEST_F(ClassifyCli, DashReadsStandardInput) {
  const fs::path mail = write("lunch.eml", kOrdinaryMail);
  const auto objects = classify_json({"-"}, mail.string());
  ASSERT_EQ(objects.size(), 1u);
  expect_error_object(objects[0], "-");
  EXPECT_EQ(objects[0]["kind"].string, "not-bounce");
}

TEST_F(ClassifyCli, OptionsMayFollowFilesAndDoubleDashEndsThem) {
  const fs::path odd = write("-odd-name.eml", kOrdinaryMail);
  // A relative name starting with '-' can only be given after "--".
  const RunResult r = cbtest::run(kProgram, {"classify", (dir_ / "x.eml").string(), "--json"}, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("{", 0), 0u) << r.out;

  const fs::path cwd = fs::current_path();
  fs::current_path(dir_);
  const RunResult dashed = cbtest::run(kProgram, {"classify", "--json", "--", odd.filename().string()}, dir_);
  fs::current_path(cwd);
  EXPECT_EQ(dashed.exit_code, 0) << dashed.err;
  EXPECT_NE(dashed.out.find("\"file\":\"-odd-name.eml\""), std::string::npos) << dashed.out;
}

// --- the JSON stays valid whatever comes in ---------------------------------

TEST_F(ClassifyCli, EveryLineIsValidJsonForPython) {
  std::mt19937 random(7);
  std::string garbage(4096, '\0');
  for (char& c : garbage) c = static_cast<char>(random() & 0xFF);
  write("inputs/garbage.bin", garbage);
  write("inputs/latin1-\xe9t\xe9.eml", kOrdinaryMail);  // a file name that is not UTF-8
  write("inputs/control-\x01\x1b[31m.eml", kOrdinaryMail);
  write("inputs/ordinary.eml", kOrdinaryMail);
  const RunResult r = run({"classify", "--json", kSamples.string(), (dir_ / "inputs").string(),
                           (dir_ / "missing.eml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path output = write("output.jsonl", r.out);

  const RunResult check = cbtest::run(
      "python3",
      {"-c",
       "import json, sys\n"
       "lines = sys.stdin.buffer.read().decode('utf-8').splitlines()\n"
       "objects = [json.loads(line) for line in lines]\n"
       "assert objects and all(isinstance(o, dict) and 'file' in o and 'category' in o for o in objects)\n"
       "print(len(objects))\n"},
      dir_, output.string());
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

// --- what the samples say: needs the real parser and classifier -------------

TEST_F(ClassifyCli, UnknownUserSample_NeedsClassifier) {
  const auto objects = classify_json({sample("postfix-unknown-user.eml").string()});
  ASSERT_EQ(objects.size(), 1u);
  const Json& o = objects[0];
  EXPECT_EQ(o["file"].string, sample("postfix-unknown-user.eml").string());
  EXPECT_EQ(o["kind"].string, "delivery-status");
  EXPECT_EQ(o["recipient"].string, "bob@example.net");
  EXPECT_EQ(o["action"].string, "failed");
  EXPECT_EQ(o["status"].string, "5.1.1");
  EXPECT_EQ(o["reply_code"].string, "550");
  EXPECT_EQ(o["remote_mta"].string, "mx.example.net");
  EXPECT_EQ(o["category"].string, "recipient.unknown");
  EXPECT_EQ(o["reason"].string, "userunknown");
  EXPECT_EQ(o["who_can_fix"].string, "sender");
  EXPECT_EQ(o["temporary"].type, Json::Type::boolean);
  EXPECT_FALSE(o["temporary"].boolean);
  EXPECT_EQ(o["facts"].type, Json::Type::object);
  for (const Json& fact : o["facts"].items) EXPECT_EQ(fact.type, Json::Type::string);
  EXPECT_NE(o["diagnostic"].string.find("User unknown in virtual mailbox table"), std::string::npos)
      << o["diagnostic"].string;
  EXPECT_FALSE(o.has("error"));
}

TEST_F(ClassifyCli, MailboxFullSample_NeedsClassifier) {
  const auto objects = classify_json({sample("postfix-mailbox-full.eml").string()});
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0]["recipient"].string, "frank@example.org");
  EXPECT_EQ(objects[0]["status"].string, "5.2.2");
  EXPECT_EQ(objects[0]["reply_code"].string, "552");
  EXPECT_EQ(objects[0]["category"].string, "recipient.mailbox_full");
  EXPECT_EQ(objects[0]["reason"].string, "mailboxfull");
  EXPECT_EQ(objects[0]["who_can_fix"].string, "recipient");
}

TEST_F(ClassifyCli, CertificateDelayWarningSample_NeedsClassifier) {
  const auto objects = classify_json({sample("postfix-certificate-delayed.eml").string()});
  ASSERT_EQ(objects.size(), 1u);
  const Json& o = objects[0];
  EXPECT_EQ(o["recipient"].string, "carol@example.org");
  EXPECT_EQ(o["action"].string, "delayed");
  EXPECT_EQ(o["status"].string, "4.7.5");
  EXPECT_EQ(o["category"].string, "tls.certificate_not_verified");
  EXPECT_EQ(o["who_can_fix"].string, "recipient-admin");
  EXPECT_TRUE(o["temporary"].boolean) << "a delay warning is still being retried";
  EXPECT_EQ(o["diagnostic"].string, "Server certificate not verified");
}

TEST_F(ClassifyCli, ConnectionRefusedSample_NeedsClassifier) {
  const auto objects = classify_json({sample("postfix-connection-refused.eml").string()});
  ASSERT_EQ(objects.size(), 1u);
  const Json& o = objects[0];
  EXPECT_EQ(o["recipient"].string, "dave@example.net");
  EXPECT_EQ(o["action"].string, "failed");
  EXPECT_EQ(o["status"].string, "4.4.1");
  // Given up after the queue lifetime: either name is right for the user.
  EXPECT_TRUE(o["category"].string == "network.connection_refused" || o["category"].string == "delivery.expired")
      << o["category"].string;
  EXPECT_FALSE(o["temporary"].boolean) << "Action: failed means no more retries";
  EXPECT_NE(o["diagnostic"].string.find("connect to mx.example.net[192.0.2.25]:25: Connection refused"),
            std::string::npos)
      << o["diagnostic"].string;
}

TEST_F(ClassifyCli, TwoRecipientsInReportOrder_NeedsClassifier) {
  const auto objects = classify_json({sample("postfix-two-recipients.eml").string()});
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[0]["recipient"].string, "grace@example.net");
  EXPECT_EQ(objects[0]["category"].string, "recipient.unknown");
  EXPECT_EQ(objects[1]["recipient"].string, "heidi@example.org");
  EXPECT_EQ(objects[1]["status"].string, "5.4.4");
  EXPECT_EQ(objects[1]["category"].string, "domain.not_found");
  EXPECT_EQ(objects[1]["reason"].string, "hostunknown");
}

TEST_F(ClassifyCli, SamplesDirectoryGivesOneLinePerRecipient_NeedsClassifier) {
  const auto objects = classify_json({kSamples.string()});
  std::vector<std::string> recipients;
  for (const Json& o : objects) {
    EXPECT_FALSE(o.has("error")) << o["file"].string << ": " << o["error"].string;
    EXPECT_EQ(o["category"].type, Json::Type::string) << o["file"].string;
    recipients.push_back(o["recipient"].string);
  }
  // Sorted by file name, then in each report's order.
  const std::vector<std::string> expected = {"carol@example.org", "dave@example.net",  "frank@example.org",
                                             "grace@example.net", "heidi@example.org", "bob@example.net"};
  EXPECT_EQ(recipients, expected);
}

TEST_F(ClassifyCli, StandardInputSample_NeedsClassifier) {
  const auto objects = classify_json({"-"}, sample("postfix-unknown-user.eml").string());
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0]["file"].string, "-");
  EXPECT_EQ(objects[0]["recipient"].string, "bob@example.net");
  EXPECT_EQ(objects[0]["category"].string, "recipient.unknown");
}

TEST_F(ClassifyCli, TableIsAlignedAndDiagnosticsShortened_NeedsClassifier) {
  const RunResult r = run({"classify", kSamples.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = cbtest::split_lines(r.out);
  ASSERT_EQ(lines.size(), 7u) << r.out;  // header and six recipients
  ASSERT_EQ(lines[0].rfind("FILE", 0), 0u);
  for (const char* header : {"RECIPIENT", "CATEGORY", "REASON", "STATUS", "DIAGNOSTIC"}) {
    const std::size_t column = lines[0].find(header);
    ASSERT_NE(column, std::string::npos) << header;
    for (std::size_t i = 1; i < lines.size(); ++i) {
      ASSERT_GT(lines[i].size(), column) << lines[i];
      EXPECT_NE(lines[i][column], ' ') << header << " column in: " << lines[i];
      EXPECT_EQ(lines[i][column - 1], ' ') << header << " column in: " << lines[i];
    }
  }
  const std::size_t diagnostic_column = lines[0].find("DIAGNOSTIC");
  for (std::size_t i = 1; i < lines.size(); ++i) {
    // Not a terminal: the diagnostic is cut to 60 characters (all ASCII here).
    EXPECT_LE(lines[i].size() - diagnostic_column, 60u) << lines[i];
  }
  EXPECT_NE(r.out.find("recipient.unknown"), std::string::npos);
  EXPECT_NE(r.out.find("..."), std::string::npos) << "long diagnostics are shortened";
}

}  // namespace
