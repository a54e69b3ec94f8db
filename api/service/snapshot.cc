// WriteSnapshot / LoadSnapshot: the file around the two models' sections.
#include "api/service/snapshot.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string_view>
#include <thread>
#include <utility>

#include "core/checksum.h"
#include "core/state_snapshot.h"

namespace tranche::service {
namespace {

constexpr std::string_view kMagic = "TRNCHSNP";
constexpr size_t kSections = 2;
constexpr size_t kHashBytes = 32;
constexpr size_t kHeaderBytes = 96;
constexpr size_t kHeaderChecksumAt = 88;

double SecondsSince(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

void Put32(char* at, uint32_t value) {
  for (int i = 0; i < 4; ++i) at[i] = static_cast<char>(value >> (8 * i));
}
void Put64(char* at, uint64_t value) {
  for (int i = 0; i < 8; ++i) at[i] = static_cast<char>(value >> (8 * i));
}
uint32_t Get32(const char* at) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= static_cast<uint32_t>(static_cast<uint8_t>(at[i])) << (8 * i);
  return value;
}
uint64_t Get64(const char* at) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= static_cast<uint64_t>(static_cast<uint8_t>(at[i])) << (8 * i);
  return value;
}

Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError("snapshot_io", what + " " + path + ": " + std::strerror(errno));
}

// Writes all of `bytes` at the file's current offset.
Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("cannot write", path);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// Reads exactly `size` bytes at `offset` into `out`.
Status ReadAt(int fd, uint64_t offset, size_t size, char* out, const std::string& path) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot read", path);
    if (n == 0) return Status::DataLoss("corrupt_snapshot", path + " is shorter than its header says");
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// The file mapped read-only: the sections are checked and decoded straight
// from the page cache, with no copy into a buffer (which cost a page fault
// per 4 KiB besides the copy), and the read model keeps the mapping to read
// its per-event strings in place. A new snapshot is a new file renamed over
// this one, so the mapped one never changes.
class Mapping {
 public:
  Mapping(int fd, size_t size) : size_(size) {
    void* at = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (at != MAP_FAILED) data_ = static_cast<const char*>(at);
  }
  ~Mapping() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  bool ok() const { return data_ != nullptr; }
  std::string_view bytes(uint64_t offset, uint64_t length) const {
    return std::string_view(data_ + offset, length);
  }

 private:
  const char* data_ = nullptr;
  size_t size_;
};

// One section checked and decoded on the calling thread.
template <class Decode>
Status LoadSection(std::string_view bytes, uint64_t checksum, const std::string& path,
                   const char* name, Decode decode) {
  if (core::Checksum64(bytes) != checksum) {
    return Status::DataLoss("corrupt_snapshot",
                            std::string("the ") + name + " section of " + path +
                                " does not match its checksum");
  }
  return decode(bytes);
}

}  // namespace

StatusOr<SnapshotInfo> WriteSnapshot(const std::string& path, const eventstore::Head& head,
                                     const core::State& state,
                                     const projections::ReadModel& read_model) {
  TRANCHE_CHECK_MSG(head.hash.size() == kHashBytes, "a head hash is 32 bytes");
  TRANCHE_CHECK_MSG(read_model.head() == head.position, "the read model is not at the head");
  const auto started = std::chrono::steady_clock::now();
  std::string sections[kSections];
  std::thread write_model([&] { core::EncodeStateSnapshot(state, &sections[0]); });
  read_model.EncodeSnapshot(&sections[1]);
  write_model.join();

  char header[kHeaderBytes] = {};
  std::memcpy(header, kMagic.data(), kMagic.size());
  Put32(header + 8, kSnapshotFormatVersion);
  Put32(header + 12, kSections);
  Put64(header + 16, head.position);
  std::memcpy(header + 24, head.hash.data(), kHashBytes);
  for (size_t i = 0; i < kSections; ++i) {
    Put64(header + 56 + 16 * i, sections[i].size());
    Put64(header + 64 + 16 * i, core::Checksum64(sections[i]));
  }
  Put64(header + kHeaderChecksumAt,
        core::Checksum64(std::string_view(header, kHeaderChecksumAt)));

  // Beside the old one, then renamed over it: a crash leaves one whole file.
  const std::string temporary = path + ".tmp";
  Fd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) return Errno("cannot create", temporary);
  Status written = WriteAll(fd.get(), std::string_view(header, kHeaderBytes), temporary);
  for (size_t i = 0; written.ok() && i < kSections; ++i) {
    written = WriteAll(fd.get(), sections[i], temporary);
  }
  if (written.ok() && ::fdatasync(fd.get()) != 0) written = Errno("cannot sync", temporary);
  if (::close(fd.Release()) != 0 && written.ok()) written = Errno("cannot close", temporary);
  if (written.ok() && ::rename(temporary.c_str(), path.c_str()) != 0) {
    written = Errno("cannot rename to", path);
  }
  if (!written.ok()) {
    ::unlink(temporary.c_str());
    return written;
  }
  // The rename is durable once the directory is.
  const std::string directory = std::filesystem::path(path).parent_path().string();
  Fd dir(::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0) return Errno("cannot sync directory of", path);

  SnapshotInfo info;
  info.position = head.position;
  info.bytes = kHeaderBytes + sections[0].size() + sections[1].size();
  info.seconds = SecondsSince(started);
  return info;
}

StatusOr<SnapshotInfo> LoadSnapshot(const std::string& path, const eventstore::EventStore& store,
                                    core::State* state, projections::ReadModel* read_model) {
  const auto started = std::chrono::steady_clock::now();
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return Status::NotFound("no_snapshot", "no snapshot at " + path);
    return Errno("cannot open", path);
  }
  struct stat file {};
  if (::fstat(fd.get(), &file) != 0) return Errno("cannot stat", path);
  const uint64_t file_bytes = static_cast<uint64_t>(file.st_size);
  auto corrupt = [&path](const std::string& why) {
    return Status::DataLoss("corrupt_snapshot", path + ": " + why);
  };
  if (file_bytes < kHeaderBytes) return corrupt("shorter than a header");
  char header[kHeaderBytes];
  if (Status read = ReadAt(fd.get(), 0, kHeaderBytes, header, path); !read.ok()) return read;
  if (std::string_view(header, kMagic.size()) != kMagic) return corrupt("not a snapshot");
  if (Get64(header + kHeaderChecksumAt) !=
      core::Checksum64(std::string_view(header, kHeaderChecksumAt))) {
    return corrupt("the header does not match its checksum");
  }
  if (const uint32_t version = Get32(header + 8); version != kSnapshotFormatVersion) {
    return Status::FailedPrecondition(
        "snapshot_format", path + " has format " + std::to_string(version) + ", this build reads " +
                               std::to_string(kSnapshotFormatVersion));
  }
  if (Get32(header + 12) != kSections) return corrupt("unexpected section count");
  uint64_t lengths[kSections], checksums[kSections];
  uint64_t total = kHeaderBytes;
  for (size_t i = 0; i < kSections; ++i) {
    lengths[i] = Get64(header + 56 + 16 * i);
    checksums[i] = Get64(header + 64 + 16 * i);
    if (lengths[i] > file_bytes - total) return corrupt("a section runs past the end");
    total += lengths[i];
  }
  if (total != file_bytes) return corrupt("bytes after the last section");

  // The snapshot must name a record of this log, hash and all.
  const uint64_t position = Get64(header + 16);
  const std::string_view hash(header + 24, kHashBytes);
  if (position > 0) {
    std::vector<eventstore::RecordedEvent> records;
    Status read = store.ReadAll(position, eventstore::ReadFilter{}, 1, &records);
    if (!read.ok()) return read;
    if (records.empty() || records[0].position != position || records[0].hash != hash) {
      return Status::FailedPrecondition(
          "snapshot_not_in_log", path + " is of position " + std::to_string(position) +
                                     ", whose record the log does not hold with that hash");
    }
  }

  // The two models decode on two threads.
  const auto mapping = std::make_shared<const Mapping>(fd.get(), file_bytes);
  if (!mapping->ok()) return Errno("cannot map", path);
  SnapshotInfo info;
  Status write_model;
  std::thread write_model_thread([&] {
    const auto section_started = std::chrono::steady_clock::now();
    write_model = LoadSection(mapping->bytes(kHeaderBytes, lengths[0]), checksums[0], path,
                              "write model", [state](std::string_view bytes) {
                                return core::DecodeStateSnapshot(bytes, state);
                              });
    info.write_model_seconds = SecondsSince(section_started);
  });
  const auto section_started = std::chrono::steady_clock::now();
  Status read_model_status =
      LoadSection(mapping->bytes(kHeaderBytes + lengths[0], lengths[1]), checksums[1], path,
                  "read model", [read_model, &mapping](std::string_view bytes) {
                    return read_model->DecodeSnapshot(bytes, mapping);
                  });
  info.read_model_seconds = SecondsSince(section_started);
  write_model_thread.join();
  Status failed = !write_model.ok() ? write_model : read_model_status;
  if (failed.ok() && read_model->head() != position) {
    failed = corrupt("the read model's head is not the snapshot's position");
  }
  if (!failed.ok()) {
    *state = core::State();
    read_model->Reset();
    return failed;
  }
  info.position = position;
  info.bytes = file_bytes;
  info.seconds = SecondsSince(started);
  return info;
}

}  // namespace tranche::service
