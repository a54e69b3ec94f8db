// StdoutLog: the server's JSON log lines, written to stdout in batches by one
// writer thread, so that a request never waits for a write(2).
//
// Every line given to Append is written, in the order given, within
// kStdoutLogGatherInterval: the first line after a quiet spell wakes the
// writer, which then gathers whatever else arrives in that interval (or until
// kStdoutLogBatchBytes wait) and writes it all at once. So a busy server pays
// one wake-up and one write(2) per interval, not per request. Nothing is
// dropped: when kStdoutLogBufferBytesMax bytes wait (stdout is a pipe nobody
// reads, or a full disk is slow), Append blocks until the writer catches up,
// as a direct write would. Flush waits until everything appended so far is
// written and fflush-ed. The process-wide instance flushes and stops its
// writer when it is destroyed at exit; a process killed outright loses only
// lines still waiting, which were appended at most one write(2) earlier.
//
// Threads: Append and Flush may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace tranche::api {

inline constexpr size_t kStdoutLogBufferBytesMax = 4 * 1024 * 1024;
inline constexpr size_t kStdoutLogBatchBytes = 64 * 1024;  // Written without waiting longer.
inline constexpr std::chrono::milliseconds kStdoutLogGatherInterval{2};

class StdoutLog {
 public:
  // Writes to `out` (stdout for the process-wide instance).
  explicit StdoutLog(std::FILE* out);
  ~StdoutLog();  // Flushes, then stops the writer.
  StdoutLog(const StdoutLog&) = delete;
  StdoutLog& operator=(const StdoutLog&) = delete;

  // The process-wide instance over stdout.
  static StdoutLog& Instance();

  // Queues `line` and a newline.
  void Append(std::string_view line);
  // Returns once every line appended before the call is written and flushed.
  void Flush();

 private:
  void Run();

  std::FILE* const out_;
  std::mutex mutex_;
  std::condition_variable wake_writer_;  // Lines wait, a batch is full, Flush, or stopping_.
  std::condition_variable written_;      // A batch was written.
  std::string waiting_;                  // Guarded by mutex_.
  uint64_t appended_batches_ = 0;        // Guarded by mutex_: batches handed to the writer.
  uint64_t written_batches_ = 0;         // Guarded by mutex_.
  bool writer_idle_ = false;             // Guarded by mutex_: waiting for a first line.
  uint64_t flushes_waiting_ = 0;         // Guarded by mutex_: Flush calls waiting.
  bool stopping_ = false;                // Guarded by mutex_.
  std::thread writer_;
};

}  // namespace tranche::api
