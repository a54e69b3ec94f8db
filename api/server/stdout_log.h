// StdoutLog: the server's JSON log lines, written to stdout in batches by one
// writer thread, so that a request never waits for a write(2).
//
// Every line given to Append is written, in the order given, as soon as the
// writer gets to it (microseconds when the writer is idle; under load the
// writer takes everything appended while it wrote, in one write). Nothing is
// dropped: when kStdoutLogBufferBytesMax bytes wait (stdout is a pipe nobody
// reads, or a full disk is slow), Append blocks until the writer catches up,
// as a direct write would. Flush waits until everything appended so far is
// written and fflush-ed. The process-wide instance flushes and stops its
// writer when it is destroyed at exit; a process killed outright loses only
// lines still waiting, which were appended at most one write(2) earlier.
//
// Threads: Append and Flush may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace tranche::api {

inline constexpr size_t kStdoutLogBufferBytesMax = 4 * 1024 * 1024;

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
  std::condition_variable wake_writer_;  // Lines wait, or stopping_.
  std::condition_variable written_;      // A batch was written.
  std::string waiting_;                  // Guarded by mutex_.
  uint64_t appended_batches_ = 0;        // Guarded by mutex_: batches handed to the writer.
  uint64_t written_batches_ = 0;         // Guarded by mutex_.
  bool writer_idle_ = false;             // Guarded by mutex_: waiting on wake_writer_.
  bool stopping_ = false;                // Guarded by mutex_.
  std::thread writer_;
};

}  // namespace tranche::api
