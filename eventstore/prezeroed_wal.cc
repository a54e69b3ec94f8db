// New write-ahead logs from spare files of zeros.
#include "eventstore/prezeroed_wal.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string_view>
#include <thread>
#include <utility>

#include "core/thread_name.h"

namespace tranche::eventstore {
namespace {

constexpr std::string_view kTempSuffix = ".tmp";
constexpr size_t kZeroChunkBytes = 1 << 20;
// Zeros go to the disk a MiB at a time, with a pause after each, so that the
// commits' fsyncs never wait behind a whole spare's write-back.
constexpr std::chrono::milliseconds kZeroChunkPause{10};

bool IsWriteAheadLog(const std::string& name) {
  return name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0;
}

// A log that was a spare: closing it cuts the zeros after what was written,
// even when nothing was (RocksDB trims only a file it preallocated itself).
class SpareLogFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  explicit SpareLogFile(std::unique_ptr<rocksdb::FSWritableFile> target)
      : FSWritableFileOwnerWrapper(std::move(target)) {}

  rocksdb::IOStatus Close(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* debug) override {
    rocksdb::IOStatus trimmed = target()->Truncate(target()->GetFileSize(options, debug),
                                                   options, debug);
    rocksdb::IOStatus closed = target()->Close(options, debug);
    return closed.ok() ? trimmed : closed;
  }
};

}  // namespace

bool WaitForWalSpare(const std::string& store_dir, uint64_t bytes,
                     std::chrono::milliseconds timeout) {
  const std::filesystem::path spare = std::filesystem::path(store_dir) / kWalSpareFileName;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::error_code ec;
    if (std::filesystem::file_size(spare, ec) == bytes) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

PrezeroedWalFileSystem::PrezeroedWalFileSystem(std::shared_ptr<rocksdb::FileSystem> target,
                                               std::string dir, uint64_t spare_bytes)
    : FileSystemWrapper(std::move(target)),
      dir_(std::move(dir)),
      spare_path_(dir_ + "/" + kWalSpareFileName),
      spare_bytes_(spare_bytes) {
  // A spare left by an earlier run is whole: it only ever gets its name
  // after all its zeros were written and synced. Ready at once, it becomes
  // the log RocksDB opens next.
  uint64_t size = 0;
  const rocksdb::IOStatus found =
      this->target()->GetFileSize(spare_path_, rocksdb::IOOptions(), &size, nullptr);
  spare_ready_ = spare_bytes_ > 0 && found.ok() && size == spare_bytes_;
}

PrezeroedWalFileSystem::~PrezeroedWalFileSystem() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    changed_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void PrezeroedWalFileSystem::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable() || spare_bytes_ == 0) return;
  thread_ = std::thread([this] { Run(); });
  NameThread(thread_, "store-walspare");
}

rocksdb::IOStatus PrezeroedWalFileSystem::NewWritableFile(
    const std::string& name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* debug) {
  if (IsWriteAheadLog(name)) {
    bool take = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      take = spare_ready_;
      spare_ready_ = false;
      ++logs_created_;
      changed_.notify_all();  // A thread that gave up may try again.
    }
    if (take) {
      rocksdb::IOStatus reused = target()->ReuseWritableFile(name, spare_path_, options, result,
                                                             debug);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        changed_.notify_all();  // Time for the next spare.
      }
      if (reused.ok()) {
        *result = std::make_unique<SpareLogFile>(std::move(*result));
        return reused;
      }
    }
  }
  return target()->NewWritableFile(name, options, result, debug);
}

void PrezeroedWalFileSystem::Run() {
  bool ready = false;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (ready) {
        spare_ready_ = true;
        changed_.notify_all();
      }
      changed_.wait(lock, [this] { return stopping_ || !spare_ready_; });
      if (stopping_) return;
    }
    // A failure (a full disk, say) only means no spare: logs are then
    // created as usual. Try again once another log has been created since
    // this attempt began.
    uint64_t logs = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      logs = logs_created_;
    }
    ready = MakeSpare().ok();
    if (!ready) {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || logs_created_ != logs; });
      if (stopping_) return;
    }
  }
}

rocksdb::IOStatus PrezeroedWalFileSystem::MakeSpare() {
  const std::string temp = spare_path_ + std::string(kTempSuffix);
  rocksdb::IOOptions io;
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus status = target()->NewWritableFile(temp, rocksdb::FileOptions(), &file,
                                                       nullptr);
  const std::string zeros(kZeroChunkBytes, '\0');
  for (uint64_t written = 0; status.ok() && written < spare_bytes_;) {
    uint64_t free_bytes = 0;
    if (target()->GetFreeSpace(dir_, io, &free_bytes, nullptr).ok() &&
        free_bytes < kSpareFreeSpaceFactor * spare_bytes_) {
      status = rocksdb::IOStatus::NoSpace("too little free space for a spare log");
      break;
    }
    const size_t part =
        static_cast<size_t>(std::min<uint64_t>(zeros.size(), spare_bytes_ - written));
    status = file->Append(rocksdb::Slice(zeros.data(), part), io, nullptr);
    if (status.ok()) status = file->Flush(io, nullptr);
    // Start this MiB's write-back now (sync_file_range), without waiting.
    if (status.ok()) status = file->RangeSync(written, part, io, nullptr);
    written += part;
    std::unique_lock<std::mutex> lock(mutex_);
    if (changed_.wait_for(lock, kZeroChunkPause, [this] { return stopping_; })) {
      status = rocksdb::IOStatus::Aborted("stopping");
    }
  }
  if (status.ok()) status = file->Sync(io, nullptr);
  if (file) {
    rocksdb::IOStatus closed = file->Close(io, nullptr);
    if (status.ok()) status = closed;
  }
  if (status.ok()) status = target()->RenameFile(temp, spare_path_, io, nullptr);
  if (status.ok()) {
    std::unique_ptr<rocksdb::FSDirectory> directory;
    status = target()->NewDirectory(dir_, io, &directory, nullptr);
    if (status.ok()) {
      status = directory->FsyncWithDirOptions(io, nullptr, rocksdb::DirFsyncOptions());
    }
  }
  if (!status.ok()) target()->DeleteFile(temp, io, nullptr).PermitUncheckedError();
  return status;
}

}  // namespace tranche::eventstore
