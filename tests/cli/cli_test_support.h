// Test support for tests/cli: runs the real `tranched` and `tranche`
// binaries as child processes on loopback, over temporary data directories.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tranche::cli::testing {

// A temporary directory removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// What a finished `tranche` run printed and returned.
struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  nlohmann::json Json() const { return nlohmann::json::parse(out, nullptr, false); }
};

// Runs `tranche args...` with stdout and stderr captured (through files in
// `scratch_dir`), waiting at most 60 s. The environment is the test's, minus
// TRANCHE_URL and TRANCHE_TOKEN unless given in `env`.
CliResult RunCli(const std::vector<std::string>& args,
                 const std::vector<std::string>& env = {});

// A tranche child running in the background (for `tranche watch`).
class CliProcess {
 public:
  CliProcess(const std::vector<std::string>& args, const std::string& out_path);
  ~CliProcess();
  // The exit code, or -1 when it did not exit within `timeout_ms` (it is then killed).
  int Wait(int timeout_ms);

 private:
  pid_t pid_ = -1;
};

// A tranched child on 127.0.0.1, its log in DIR/../tranched-N.log.
class TranchedProcess {
 public:
  // `port` 0 picks an ephemeral port. `seed` may be empty.
  TranchedProcess(const std::string& data_dir, const std::string& seed, uint16_t port = 0);
  ~TranchedProcess();
  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  bool ready() const { return port_ != 0; }
  // SIGTERM, then waits; returns the exit code.
  int Stop();
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string log_path_;
};

// Adds a token named `name` with `role` to DIR/tokens.json via `tranche token add`.
std::string AddToken(const std::string& data_dir, const std::string& name, const std::string& role);

// Reads a whole file ("" when missing).
std::string ReadFile(const std::string& path);

}  // namespace tranche::cli::testing
