// Child processes for the CLI tests.
#include "tests/cli/cli_test_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/check.h"

namespace tranche::cli::testing {
namespace {

std::atomic<int> next_file_number{0};

std::string ScratchPath(const std::string& stem) {
  return (std::filesystem::temp_directory_path() /
          ("tranche-cli-" + std::to_string(getpid()) + "-" + std::to_string(next_file_number++) +
           "-" + stem))
      .string();
}

// fork + exec with stdout/stderr redirected to files; env entries "K=V" set.
pid_t Spawn(const std::string& binary, const std::vector<std::string>& args,
            const std::vector<std::string>& env, const std::string& out_path,
            const std::string& err_path) {
  std::vector<std::string> argv_storage = {binary};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  TRANCHE_CHECK(pid >= 0);
  if (pid == 0) {
    unsetenv("TRANCHE_URL");
    unsetenv("TRANCHE_TOKEN");
    for (const std::string& entry : env) putenv(const_cast<char*>(entry.c_str()));
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

// Waits up to `timeout_ms`; kills on timeout. Exit code or -1.
int WaitFor(pid_t pid, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  for (;;) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "tranche-cli-XXXXXX").string();
  TRANCHE_CHECK(mkdtemp(pattern.data()) != nullptr);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

CliResult RunCli(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  const std::string out_path = ScratchPath("out"), err_path = ScratchPath("err");
  const pid_t pid = Spawn(TRANCHE_CLI_BINARY, args, env, out_path, err_path);
  CliResult result;
  result.exit_code = WaitFor(pid, 60000);
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  std::filesystem::remove(out_path);
  std::filesystem::remove(err_path);
  return result;
}

CliProcess::CliProcess(const std::vector<std::string>& args, const std::string& out_path) {
  pid_ = Spawn(TRANCHE_CLI_BINARY, args, {}, out_path, out_path + ".err");
}

CliProcess::~CliProcess() {
  if (pid_ > 0) WaitFor(pid_, 0);
}

int CliProcess::Wait(int timeout_ms) {
  const int code = WaitFor(pid_, timeout_ms);
  pid_ = -1;
  return code;
}

TranchedProcess::TranchedProcess(const std::string& data_dir, const std::string& seed,
                                 uint16_t port) {
  log_path_ = ScratchPath("tranched.log");
  std::vector<std::string> args = {"--data", data_dir, "--listen",
                                   "127.0.0.1:" + std::to_string(port), "--threads", "2"};
  if (!seed.empty()) {
    args.push_back("--seed");
    args.push_back(seed);
  }
  pid_ = Spawn(TRANCHE_TRANCHED_BINARY, args, {}, log_path_, log_path_);
  // The server logs one JSON line {"msg":"ready","port":N} when it listens.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::istringstream lines(ReadFile(log_path_));
    for (std::string line; std::getline(lines, line);) {
      auto json = nlohmann::json::parse(line, nullptr, false);
      if (!json.is_discarded() && json.is_object() && json.value("msg", "") == "ready") {
        port_ = json["port"].get<uint16_t>();
        return;
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

TranchedProcess::~TranchedProcess() {
  if (pid_ > 0) Stop();
  std::filesystem::remove(log_path_);
}

int TranchedProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  const int code = WaitFor(pid_, 30000);
  pid_ = -1;
  return code;
}

std::string TranchedProcess::Log() const { return ReadFile(log_path_); }

std::string AddToken(const std::string& data_dir, const std::string& name,
                     const std::string& role) {
  CliResult result =
      RunCli({"token", "add", "--data", data_dir, "--name", name, "--role", role});
  TRANCHE_CHECK(result.exit_code == 0);
  return result.out.substr(0, result.out.find('\n'));
}

}  // namespace tranche::cli::testing
