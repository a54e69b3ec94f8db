// Helpers shared by the event store tests: a temporary directory and small
// builders for append requests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "eventstore/event_store.h"
#include "eventstore/prezeroed_wal.h"

namespace tranche::eventstore::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base ? base : "/tmp") + "/tranche-es-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    const char* made = mkdtemp(buffer.data());
    EXPECT_NE(made, nullptr);
    path_ = made ? made : "";
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline AppendRequest OneEvent(const std::string& command_id, const std::string& stream,
                              ExpectedVersion expected, const std::string& data = "{}",
                              const std::string& type = "TestEvent") {
  AppendRequest request;
  request.command_id = command_id;
  request.actor = "tester";
  request.streams.push_back({stream, expected, {{type, 1, "", data}}});
  return request;
}

inline std::unique_ptr<EventStore> OpenOrDie(const std::string& path, Options options = {}) {
  auto store = EventStore::Open(path, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

// Waits until the store in `store_dir` has its spare write-ahead log of
// `bytes` zeros (eventstore/prezeroed_wal.h); false after ten seconds. A
// test that then limits the disk starts from a server's usual state, and
// the spare's background writes cannot take the space it meant for commits.
inline bool WaitForWalSpare(const std::string& store_dir,
                            uint64_t bytes = kWalSpareBytesDefault) {
  return eventstore::WaitForWalSpare(store_dir, bytes, std::chrono::seconds(10));
}

// Every event in the log, in order.
inline std::vector<RecordedEvent> ReadEverything(const EventStore& store) {
  std::vector<RecordedEvent> all;
  Status status = store.ScanAll(1, [&all](const RecordView& view) {
    view.CopyTo(&all.emplace_back());
    return true;
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  return all;
}

}  // namespace tranche::eventstore::testing
