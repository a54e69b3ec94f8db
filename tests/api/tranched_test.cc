// The tranched binary end to end: start on an ephemeral port, SIGHUP reloads
// tokens, SIGTERM stops gracefully with exit 0, logs never hold a token; a
// clean stop writes a start-up snapshot that the next start loads.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "tests/api/test_support.h"

namespace tranche::api {
namespace {

using namespace testing;  // NOLINT

class Tranched {
 public:
  explicit Tranched(const std::string& data_dir, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"tranched", "--data", data_dir, "--listen", "127.0.0.1:0",
                                     "--threads", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    int fds[2];
    TRANCHE_CHECK(pipe(fds) == 0);
    pid_ = fork();
    TRANCHE_CHECK(pid_ >= 0);
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      execv(TRANCHE_TRANCHED_BINARY, argv.data());
      _exit(127);
    }
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
  }
  ~Tranched() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_) fclose(out_);
  }
  // Reads log lines until one has msg == `msg`; returns it (or null at EOF).
  nlohmann::json WaitFor(const std::string& msg) {
    char line[8192];
    while (fgets(line, sizeof line, out_)) {
      lines_ += line;
      auto json = nlohmann::json::parse(line, nullptr, false);
      if (!json.is_discarded() && json.value("msg", "") == msg) return json;
    }
    return nullptr;
  }
  void Signal(int signal_number) { kill(pid_, signal_number); }
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  const std::string& lines() const { return lines_; }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::string lines_;
};

std::string AddToken(const std::string& data_dir, const std::string& name, const std::string& role) {
  std::string command = std::string(TRANCHE_CLI_BINARY) + " token add --data " + data_dir +
                        " --name " + name + " --role " + role + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[256] = {0};
  TRANCHE_CHECK(fgets(buffer, sizeof buffer, pipe) != nullptr);
  pclose(pipe);
  std::string token = buffer;
  return token.substr(0, token.find('\n'));
}

TEST(TranchedTest, ServesReloadsTokensOnSighupAndStopsOnSigterm) {
  TempDir dir;
  const std::string first = AddToken(dir.path(), "ann", "auditor");
  Tranched tranched(dir.path());
  nlohmann::json ready = tranched.WaitFor("ready");
  ASSERT_FALSE(ready.is_null()) << tranched.lines();
  const uint16_t port = ready["port"];
  EXPECT_EQ(Http(port, "GET", "/healthz").status, 200u);
  EXPECT_EQ(Http(port, "GET", "/v1/audit/verify", first).status, 200u);

  const std::string second = AddToken(dir.path(), "ben", "viewer");
  EXPECT_EQ(Http(port, "GET", "/v1/events", second).status, 401u);
  tranched.Signal(SIGHUP);
  ASSERT_FALSE(tranched.WaitFor("tokens_reloaded").is_null());
  EXPECT_EQ(Http(port, "GET", "/v1/events", second).status, 200u);
  EXPECT_EQ(Http(port, "GET", "/v1/audit/verify", second).status, 403u);

  tranched.Signal(SIGTERM);
  EXPECT_FALSE(tranched.WaitFor("stopped").is_null());
  EXPECT_EQ(tranched.Wait(), 0);
  EXPECT_EQ(tranched.lines().find(first), std::string::npos);
  EXPECT_EQ(tranched.lines().find(second), std::string::npos);
  EXPECT_NE(tranched.lines().find("\"msg\":\"request\""), std::string::npos);
}

TEST(TranchedTest, ACleanStopWritesASnapshotThatTheNextStartLoads) {
  TempDir dir;
  const std::string token = AddToken(dir.path(), "ann", "auditor");
  const std::string seed = std::string(TRANCHE_SOURCE_DIR) + "/ops/seed/hiec-2009.json";
  std::string programme;
  uint64_t head = 0;
  {
    Tranched tranched(dir.path(), {"--seed", seed, "--snapshot-after", "1"});
    nlohmann::json seeded = tranched.WaitFor("seeded");
    ASSERT_FALSE(seeded.is_null()) << tranched.lines();
    head = seeded["head"];
    ASSERT_GT(head, 17u);
    const uint16_t port = tranched.WaitFor("ready")["port"];
    programme = Http(port, "GET", "/v1/programmes/hiec", token).body;
    tranched.Signal(SIGTERM);
    nlohmann::json written = tranched.WaitFor("snapshot_written");
    ASSERT_FALSE(written.is_null()) << tranched.lines();
    EXPECT_EQ(written["position"], head);
    EXPECT_EQ(tranched.Wait(), 0);
  }
  {
    // Loaded: nothing left to fold, and the same answers.
    Tranched tranched(dir.path(), {"--snapshot-after", "1"});
    nlohmann::json replayed = tranched.WaitFor("replayed");
    ASSERT_FALSE(replayed.is_null()) << tranched.lines();
    EXPECT_EQ(replayed["snapshot_position"], head);
    EXPECT_EQ(replayed["events"], 0u);
    const uint16_t port = tranched.WaitFor("ready")["port"];
    EXPECT_EQ(Http(port, "GET", "/v1/programmes/hiec", token).body, programme);
    tranched.Signal(SIGTERM);
    ASSERT_FALSE(tranched.WaitFor("stopped").is_null());
    // Nothing came after the snapshot, so none was written.
    EXPECT_EQ(tranched.lines().find("snapshot_written"), std::string::npos);
    EXPECT_EQ(tranched.Wait(), 0);
  }
  {
    // Snapshots off: the whole log is folded.
    Tranched tranched(dir.path(), {"--snapshot-after", "0"});
    nlohmann::json replayed = tranched.WaitFor("replayed");
    ASSERT_FALSE(replayed.is_null()) << tranched.lines();
    EXPECT_EQ(replayed["snapshot_position"], 0u);
    EXPECT_EQ(replayed["events"], head);
    tranched.Signal(SIGTERM);
    EXPECT_EQ(tranched.Wait(), 0);
  }
  {
    // A damaged snapshot is refused, said so, and the whole log folded.
    std::FILE* file = std::fopen((dir.path() + "/snapshot").c_str(), "r+b");
    ASSERT_NE(file, nullptr);
    std::fseek(file, 200, SEEK_SET);
    std::fputc(0x5A, file);
    std::fclose(file);
    Tranched tranched(dir.path(), {"--snapshot-after", "1"});
    nlohmann::json refused = tranched.WaitFor("snapshot_not_used");
    ASSERT_FALSE(refused.is_null()) << tranched.lines();
    EXPECT_NE(refused["status"].get<std::string>().find("corrupt_snapshot"), std::string::npos);
    nlohmann::json replayed = tranched.WaitFor("replayed");
    EXPECT_EQ(replayed["events"], head);
    const uint16_t port = tranched.WaitFor("ready")["port"];
    EXPECT_EQ(Http(port, "GET", "/v1/programmes/hiec", token).body, programme);
    tranched.Signal(SIGTERM);
    EXPECT_EQ(tranched.Wait(), 0);
  }
}


TEST(TranchedTest, BadFlagValuesAreRefusedWithUsageAndExitCode2) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"--stream-flush-ms", "1001"}, {"--stream-flush-ms", "-1"}, {"--stream-flush-ms", "20ms"},
      {"--snapshot-after", "-5"},    {"--threads", "0"}};
  for (const auto& [flag, value] : bad) {
    const std::string command = std::string(TRANCHE_TRANCHED_BINARY) + " --data " + dir.path() +
                                " " + flag + " " + value + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string output;
    char buffer[512];
    while (fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
    const int status = pclose(pipe);
    ASSERT_TRUE(WIFEXITED(status)) << flag << " " << value;
    EXPECT_EQ(WEXITSTATUS(status), 2) << flag << " " << value << ": " << output;
    EXPECT_NE(output.find(flag), std::string::npos) << "the error names the flag: " << output;
    EXPECT_NE(output.find("usage:"), std::string::npos) << output;
  }
}

}  // namespace
}  // namespace tranche::api
