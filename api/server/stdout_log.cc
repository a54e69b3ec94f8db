// The batched stdout log writer.
#include "api/server/stdout_log.h"

#include "core/thread_name.h"

namespace tranche::api {

StdoutLog::StdoutLog(std::FILE* out) : out_(out), writer_([this] { Run(); }) {
  NameThread(writer_, "log-writer");
}

StdoutLog::~StdoutLog() {
  Flush();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_writer_.notify_one();
  writer_.join();
}

StdoutLog& StdoutLog::Instance() {
  // Destroyed at exit (after main returns), which flushes the last lines.
  static StdoutLog instance(stdout);
  return instance;
}

void StdoutLog::Append(std::string_view line) {
  std::unique_lock lock(mutex_);
  written_.wait(lock, [this] { return waiting_.size() < kStdoutLogBufferBytesMax; });
  waiting_.append(line);
  waiting_.push_back('\n');
  // A sleeping writer needs a wake-up, and a gathering one when the batch is
  // full; otherwise it takes these lines with its next batch.
  if (writer_idle_ || waiting_.size() >= kStdoutLogBatchBytes) {
    writer_idle_ = false;
    lock.unlock();
    wake_writer_.notify_one();
  }
}

void StdoutLog::Flush() {
  std::unique_lock lock(mutex_);
  // Everything waiting now goes out in a batch numbered at most `target`.
  const uint64_t target = appended_batches_ + (waiting_.empty() ? 0 : 1);
  if (written_batches_ >= target) return;
  ++flushes_waiting_;  // The writer stops gathering.
  wake_writer_.notify_one();
  written_.wait(lock, [&] { return written_batches_ >= target; });
  --flushes_waiting_;
}

void StdoutLog::Run() {
  std::string batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (waiting_.empty()) {
      if (stopping_) return;
      writer_idle_ = true;
      wake_writer_.wait(lock, [this] { return !waiting_.empty() || stopping_; });
      writer_idle_ = false;
      continue;
    }
    // Gather: the lines of the next interval go out in the same write.
    wake_writer_.wait_for(lock, kStdoutLogGatherInterval, [this] {
      return waiting_.size() >= kStdoutLogBatchBytes || flushes_waiting_ > 0 || stopping_;
    });
    batch.clear();
    batch.swap(waiting_);
    ++appended_batches_;
    lock.unlock();
    std::fwrite(batch.data(), 1, batch.size(), out_);
    std::fflush(out_);
    lock.lock();
    ++written_batches_;
    written_.notify_all();
  }
}

}  // namespace tranche::api
