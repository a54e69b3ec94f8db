// The tranched binary end to end: start on an ephemeral port, SIGHUP reloads
// tokens, SIGTERM stops gracefully with exit 0, logs never hold a token.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "tests/api/test_support.h"

namespace tranche::api {
namespace {

using namespace testing;  // NOLINT

class Tranched {
 public:
  explicit Tranched(const std::string& data_dir) {
    int fds[2];
    TRANCHE_CHECK(pipe(fds) == 0);
    pid_ = fork();
    TRANCHE_CHECK(pid_ >= 0);
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      execl(TRANCHE_TRANCHED_BINARY, "tranched", "--data", data_dir.c_str(), "--listen",
            "127.0.0.1:0", "--threads", "2", static_cast<char*>(nullptr));
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

}  // namespace
}  // namespace tranche::api
