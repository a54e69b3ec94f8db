// RocksEventStore: the EventStore on RocksDB; ties the pieces together.
//
// Owns, in construction order: the Database, the EventReader, the
// SubscriptionHub and (unless read-only) the AppendWriter. Close stops them
// in reverse order. Public reads take a shared lock against Close so that no
// read runs on a closed database.
#pragma once

#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "eventstore/append_writer.h"
#include "eventstore/database.h"
#include "eventstore/event_reader.h"
#include "eventstore/event_store.h"
#include "eventstore/subscription_hub.h"

namespace tranche::eventstore {

// Meta values (projection checkpoints, snapshots) and listings are bounded.
inline constexpr size_t kMetaKeyBytesMax = 256;
inline constexpr size_t kMetaValueBytesMax = 16 * 1024 * 1024;
inline constexpr size_t kListMetaKeysMax = 10000;

class RocksEventStore final : public EventStore {
 public:
  static StatusOr<std::unique_ptr<EventStore>> Open(const std::string& path,
                                                    const Options& options);
  ~RocksEventStore() override;

  void AppendAsync(AppendRequest request, AppendCallback done) override;
  void AppendWriteIfIdle(AppendRequest request, AppendCallback done) override;
  AppendOutcome Append(AppendRequest request) override;
  Head GetHead() const override;
  Status ReadAll(uint64_t from, const ReadFilter& filter, size_t limit,
                 std::vector<RecordedEvent>* out, uint64_t* scanned_to) const override;
  Status ScanAll(uint64_t from, const RecordViewCallback& visit) const override;
  Status ReadStreamForward(const std::string& stream, uint64_t from_version, size_t limit,
                           std::vector<RecordedEvent>* out) const override;
  Status ReadStreamBackward(const std::string& stream, uint64_t from_version, size_t limit,
                            std::vector<RecordedEvent>* out) const override;
  StatusOr<uint64_t> StreamVersion(const std::string& stream) const override;
  StatusOr<AppendResult> LookupCommand(const std::string& command_id) const override;
  std::unique_ptr<Subscription> Subscribe(uint64_t from, ReadFilter filter,
                                          EventCallback callback) override;
  VerifyReport Verify() const override;
  VerifyReport VerifyAgainst(const Head& kept) const override;
  Status PutMeta(const std::string& key, const std::string& value) override;
  StatusOr<std::string> GetMeta(const std::string& key) const override;
  Status ListMeta(const std::string& prefix, std::vector<std::string>* keys) const override;
  Status Checkpoint(const std::string& dir) override;
  void Close() override;
  Status WriterError() const override;
  WriterStats GetWriterStats() const override;

 private:
  RocksEventStore(std::unique_ptr<Database> database, Head head, const Options& options);
  // Under lifecycle_mutex_: when this store takes no appends (closed or
  // read-only), tells `done` why and returns true.
  bool RefusedAppend(const AppendCallback& done) const;
  // Checks the format marker and that the stored head is the log's last
  // record; writes the marker into a new store.
  static Status CheckFormat(Database* database);
  static StatusOr<Head> CheckHead(Database* database);
  // The last position a reader may see: the durable head.
  uint64_t VisibleHead() const;
  static Status Closed();
  VerifyReport RunVerifier(std::optional<Head> kept) const;

  mutable std::shared_mutex lifecycle_mutex_;  // Shared: any use; exclusive: Close.
  bool closed_ = false;
  std::unique_ptr<Database> database_;
  EventReader reader_;
  const Head opened_head_;
  std::unique_ptr<SubscriptionHub> hub_;
  std::unique_ptr<AppendWriter> writer_;  // Null when read-only.
};

}  // namespace tranche::eventstore
