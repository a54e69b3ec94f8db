// Start-up snapshots: the write model and the read model as of one log
// position, in one file, so that start-up loads them and folds only the
// events after it (docs/DECISIONS.md §12).
//
// A snapshot is derived data. The log stays the only record: a snapshot is
// used only when it names a record the log holds (its position and that
// record's hash), its checksums hold and both models decode; otherwise
// start-up says why and folds the whole log, as it did before snapshots.
//
// File layout (little-endian):
//   0   8 bytes  magic "TRNCHSNP"
//   8   u32      format version (kSnapshotFormatVersion)
//   12  u32      section count (2)
//   16  u64      position: the last event the models hold
//   24  32 bytes that event's hash (the log's chain, eventstore/FORMAT.md)
//   56  per section: u64 length, u64 Checksum64 of its bytes
//   88  u64      Checksum64 of bytes 0..87
//   96  section 0: the write model (core/state_snapshot.h)
//       section 1: the read model (projections/read_model_snapshot.cc)
// A new file is written beside the old one and renamed over it after an
// fsync, so a crash leaves either snapshot whole.
//
// Thread-safety: free functions; the caller keeps the models still.
#pragma once

#include <cstdint>
#include <string>

#include "core/state.h"
#include "core/status.h"
#include "eventstore/event_store.h"
#include "projections/read_model.h"

namespace tranche::service {

// 2: the read model's per-event strings have 4-byte lengths, read in place.
// 3: its members' ids and names are interned.
// 4: a tranche's time is written once, with its ledger row.
// 5: the write model's tranches as TrancheTable::EncodeTo writes them.
// A snapshot of another version is refused and the whole log folded.
inline constexpr uint32_t kSnapshotFormatVersion = 5;

struct SnapshotInfo {
  uint64_t position = 0;
  uint64_t bytes = 0;            // The file's size.
  double seconds = 0;            // Wall time to write or to load it.
  // Each model's share of a load: reading, checking and decoding its
  // section, on its own thread.
  double write_model_seconds = 0;
  double read_model_seconds = 0;
};

// Writes both models, which must hold exactly the events 1..head.position
// of the log, to `path`. Errors: kIOError (with the path and errno's text).
StatusOr<SnapshotInfo> WriteSnapshot(const std::string& path, const eventstore::Head& head,
                                     const core::State& state,
                                     const projections::ReadModel& read_model);

// Loads `path` into the empty `state` and `read_model`, decoding straight
// from a read-only mapping of the file on three threads (the write model;
// the read model's clusters; its ledger). Errors, after which both are
// empty again:
//   kNotFound "no_snapshot"               there is no file at `path`;
//   kDataLoss "corrupt_snapshot"          bad magic, checksum or encoding;
//   kFailedPrecondition "snapshot_format" another format version;
//   kFailedPrecondition "snapshot_not_in_log"
//                                         the log has no record at its
//                                         position with its hash (another
//                                         log, or one restored to earlier);
//   kIOError                              reading failed.
StatusOr<SnapshotInfo> LoadSnapshot(const std::string& path, const eventstore::EventStore& store,
                                    core::State* state, projections::ReadModel* read_model);

}  // namespace tranche::service
