// A RocksDB FileSystem that can run out of space on demand.
#include "tests/eventstore/fault_file_system.h"

#include <algorithm>
#include <utility>

namespace tranche::eventstore::testing {
namespace {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

IOStatus NoSpace(std::atomic<uint64_t>* faults, const char* call) {
  faults->fetch_add(1);
  return IOStatus::NoSpace("injected by FaultFileSystem", call);
}

// A writable file whose writes consult the shared switch and budget.
class FaultWritableFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultWritableFile(std::unique_ptr<rocksdb::FSWritableFile> target,
                    std::shared_ptr<FaultFileSystem::State> state)
      : FSWritableFileOwnerWrapper(std::move(target)), state_(std::move(state)) {}

  IOStatus Append(const Slice& data, const IOOptions& options, IODebugContext* debug) override {
    return Write(data, "Append", [&](const Slice& part) {
      return target()->Append(part, options, debug);
    });
  }
  IOStatus Append(const Slice& data, const IOOptions& options,
                  const rocksdb::DataVerificationInfo&, IODebugContext* debug) override {
    // A torn write has no valid checksum for the whole; write without one.
    return Append(data, options, debug);
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& options,
                            IODebugContext* debug) override {
    return Write(data, "PositionedAppend", [&](const Slice& part) {
      return target()->PositionedAppend(part, offset, options, debug);
    });
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& options,
                            const rocksdb::DataVerificationInfo&, IODebugContext* debug) override {
    return PositionedAppend(data, offset, options, debug);
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* debug) override {
    if (Full()) return NoSpace(&state_->faults_injected, "Sync");
    return target()->Sync(options, debug);
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* debug) override {
    if (Full()) return NoSpace(&state_->faults_injected, "Fsync");
    return target()->Fsync(options, debug);
  }
  IOStatus RangeSync(uint64_t offset, uint64_t bytes, const IOOptions& options,
                     IODebugContext* debug) override {
    if (Full()) return NoSpace(&state_->faults_injected, "RangeSync");
    return target()->RangeSync(offset, bytes, options, debug);
  }

 private:
  bool Full() const {
    std::lock_guard lock(state_->mutex);
    return state_->full;
  }

  // Writes what the budget allows; past it the disk is full from then on.
  template <typename WriteFn>
  IOStatus Write(const Slice& data, const char* call, WriteFn write) {
    size_t allowed = 0;
    {
      std::lock_guard lock(state_->mutex);
      if (!state_->full) {
        allowed = static_cast<size_t>(std::min<uint64_t>(state_->budget_bytes, data.size()));
        if (state_->budget_bytes != UINT64_MAX) state_->budget_bytes -= allowed;
        if (allowed < data.size()) state_->full = true;
      }
    }
    if (allowed > 0) {
      IOStatus status = write(Slice(data.data(), allowed));
      if (!status.ok()) return status;
      state_->bytes_written.fetch_add(allowed);
    }
    if (allowed < data.size()) return NoSpace(&state_->faults_injected, call);
    return IOStatus::OK();
  }

  std::shared_ptr<FaultFileSystem::State> state_;
};

}  // namespace

FaultFileSystem::FaultFileSystem()
    : FileSystemWrapper(rocksdb::FileSystem::Default()), state_(std::make_shared<State>()) {}

void FaultFileSystem::SetDiskFull(bool full) {
  std::lock_guard lock(state_->mutex);
  state_->full = full;
  state_->budget_bytes = UINT64_MAX;
}

void FaultFileSystem::SetWriteBudget(uint64_t bytes) {
  std::lock_guard lock(state_->mutex);
  state_->full = false;
  state_->budget_bytes = bytes;
}

bool FaultFileSystem::disk_full() const {
  std::lock_guard lock(state_->mutex);
  return state_->full;
}

IOStatus FaultFileSystem::GetFreeSpace(const std::string& path, const IOOptions& options,
                                       uint64_t* free_bytes, IODebugContext* debug) {
  IOStatus status = target()->GetFreeSpace(path, options, free_bytes, debug);
  if (!status.ok()) return status;
  std::lock_guard lock(state_->mutex);
  if (state_->full) *free_bytes = 0;
  *free_bytes = std::min(*free_bytes, state_->budget_bytes);
  return status;
}

IOStatus FaultFileSystem::Wrap(IOStatus opened, std::unique_ptr<rocksdb::FSWritableFile>* file) {
  if (opened.ok()) *file = std::make_unique<FaultWritableFile>(std::move(*file), state_);
  return opened;
}

IOStatus FaultFileSystem::NewWritableFile(const std::string& name,
                                          const rocksdb::FileOptions& options,
                                          std::unique_ptr<rocksdb::FSWritableFile>* result,
                                          IODebugContext* debug) {
  return Wrap(target()->NewWritableFile(name, options, result, debug), result);
}

IOStatus FaultFileSystem::ReopenWritableFile(const std::string& name,
                                             const rocksdb::FileOptions& options,
                                             std::unique_ptr<rocksdb::FSWritableFile>* result,
                                             IODebugContext* debug) {
  return Wrap(target()->ReopenWritableFile(name, options, result, debug), result);
}

IOStatus FaultFileSystem::ReuseWritableFile(const std::string& name, const std::string& old_name,
                                            const rocksdb::FileOptions& options,
                                            std::unique_ptr<rocksdb::FSWritableFile>* result,
                                            IODebugContext* debug) {
  return Wrap(target()->ReuseWritableFile(name, old_name, options, result, debug), result);
}

}  // namespace tranche::eventstore::testing
