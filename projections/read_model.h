// ReadModel: the programme, cluster and ledger projections, kept temporally.
//
// Instead of periodic snapshots of the whole state, every fact here carries
// the log position at which it became true (and, where it can stop being
// true, the position at which it did): an award is a list of (position,
// amount) steps, a tranche knows the position that recorded it and the one
// that reversed it, a member the positions that added and removed it. The
// state "as known at position P" is then a filter over the current model, so
// an as-of answer costs the same as a current one, whatever the log's length
// (docs/DECISIONS.md explains the choice and bench/ measures it).
//
// Threads: Apply is called by one thread at a time (the command pipeline's
// commit callback, or start-up replay), in position order, gap-free from 1.
// Queries may run concurrently from any thread; a query sees a whole number
// of applied events.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/events.h"
#include "core/status.h"
#include "projections/views.h"

namespace tranche::projections {

// The envelope fields of a stored event that the projections use. The
// strings are views: what they view must outlive the call given the
// envelope (the model copies what it keeps).
struct EventEnvelope {
  uint64_t position = 0;
  std::string_view stream;
  uint64_t version = 0;
  int64_t recorded_at_us = 0;
  std::string_view actor;
  std::string_view command_id;
  std::string_view reason;
};

class ReadModel {
 public:
  ReadModel();
  ~ReadModel();
  ReadModel(const ReadModel&) = delete;
  ReadModel& operator=(const ReadModel&) = delete;

  // Applies one event. TRANCHE_CHECKs that envelope.position == head() + 1.
  void Apply(const EventEnvelope& envelope, const core::Event& event);
  // A replay's hint: the log's head is `head`. Reserves room for the events
  // up to it (a time each, at most a ledger row each), so the tables fill
  // in place instead of copying themselves to fresh memory as they double;
  // room never used is never touched, so it costs address space only.
  void ReserveForReplay(uint64_t head);
  // Applies the first `count` of each, in order, under one lock (replay).
  void ApplyBatch(const EventEnvelope* envelopes, const core::Event* events, size_t count);

  // The model as bytes, for a start-up snapshot (api/service/snapshot.h);
  // the layout is in read_model_snapshot.cc. Appends to `*out`.
  void EncodeSnapshot(std::string* out) const;
  // Loads what EncodeSnapshot wrote into this empty model (TRANCHE_CHECKed),
  // whose head becomes the snapshot's. The model reads its per-event strings
  // in place from `bytes`, which must stay valid as long as `keep` does; the
  // model keeps `keep` (a snapshot file's mapping) until it is emptied.
  // Errors: kDataLoss "corrupt_snapshot" when the bytes do not decode or do
  // not hang together; the model is then still empty.
  Status DecodeSnapshot(std::string_view bytes, std::shared_ptr<const void> keep);
  // The same, keeping its own copy of `bytes`.
  Status DecodeSnapshot(std::string bytes);
  // Empties the model (a snapshot that loaded while its partner did not).
  void Reset();

  // The last applied position (0 when empty).
  uint64_t head() const;
  // The last position whose recorded_at is ≤ `unix_micros` (0 when none).
  uint64_t PositionAtTime(int64_t unix_micros) const;

  // The moment's position is clamped to head(). NotFound "programme_not_found"
  // / "cluster_not_found" when the id is unknown at the moment.
  StatusOr<ProgrammeView> Programme(std::string_view programme_id, Moment moment) const;
  std::vector<ProgrammeView> Programmes(Moment moment) const;
  StatusOr<ClusterView> Cluster(std::string_view cluster_id, Moment moment) const;
  // Every cluster known at the moment, by id; `programme_id` empty for all.
  std::vector<ClusterView> Clusters(std::string_view programme_id, Moment moment) const;
  // Ledger rows with from_position ≤ position ≤ the moment's (effective
  // filters by paid_on), optionally for one cluster, at most `limit` rows.
  std::vector<LedgerEntry> Ledger(std::string_view cluster_id, Moment moment,
                                  uint64_t from_position = 1, size_t limit = SIZE_MAX) const;
  // The recorded time of `position` (0 when out of range).
  int64_t RecordedAt(uint64_t position) const;

 private:
  struct Model;
  Moment Clamp(Moment moment) const;

  mutable std::shared_mutex mutex_;
  std::unique_ptr<Model> model_;  // Guarded by mutex_.
};

}  // namespace tranche::projections
