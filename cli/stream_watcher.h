// StreamWatcher: `tranche watch`, the live event stream in the terminal.
//
// Connects to /v1/stream (DESIGN.md "Live stream") and prints one line per
// event. It remembers the position after the last event, checkpoint or
// caught-up message it saw; when the connection drops it reconnects with
// from = that position, so nothing is missed and nothing is printed twice.
// Thread-safety: one StreamWatcher, one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cli/arguments.h"
#include "cli/http_client.h"

namespace tranche::cli {

// Reconnect delays: start here, double each failed attempt, stop growing here.
inline constexpr int kReconnectDelayMsMin = 200;
inline constexpr int kReconnectDelayMsMax = 5000;
// The largest message we accept from the server.
inline constexpr size_t kStreamMessageBytesMax = 1024 * 1024;

class StreamWatcher {
 public:
  struct Options {
    ServerAddress address;
    std::string token;
    std::optional<uint64_t> from;  // Empty: the server's head.
    std::string stream_prefix;     // Empty: every stream.
    std::string types;             // Comma-separated; empty: every type.
    uint64_t events_max = 0;       // Stop after this many events; 0: never.
    bool json = false;             // Print each event message as JSON.
  };

  explicit StreamWatcher(Options options) : options_(std::move(options)) {}

  // Runs until events_max events were printed (exit 0) or the server refuses
  // the stream (exit 2); otherwise reconnects for ever.
  int Run();

  // `tranche watch` from its command line.
  static int RunFromArguments(const Arguments& args);

 private:
  enum class Outcome { kDone, kDropped, kRefused };
  // One connection, until it drops or we are done.
  Outcome Connect();
  std::string Target() const;
  // Handles one server message; returns true when we are done.
  bool Handle(const std::string& text);

  Options options_;
  std::optional<uint64_t> next_from_;  // Where a reconnect resumes.
  uint64_t events_printed_ = 0;
};

}  // namespace tranche::cli
