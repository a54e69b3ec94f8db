// Service: the write side and the read side of Tranche over one event store.
//
// Open replays the whole log into the write model (core::State) and the read
// model (projections::ReadModel), then starts the command pipeline, whose
// commit listener applies each durable event to the read model and hands it
// to `publish` (the WebSocket broadcaster) in position order.
//
// Threads: Open and Stop on one thread; pipeline() and read_model() from any
// thread. The store must outlive the Service.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "api/service/command_pipeline.h"
#include "api/service/snapshot.h"
#include "core/status.h"
#include "eventstore/event_store.h"
#include "projections/read_model.h"

namespace tranche::service {

struct ServiceOptions {
  // Receives every durable event after start-up, in position order (store's
  // writer or completion thread). May be empty.
  std::function<void(const std::vector<eventstore::RecordedEvent>&)> publish;
  CommandObserver observer;
  // Where the start-up snapshot is kept (api/service/snapshot.h); empty: no
  // snapshots. Open loads it when it is usable and folds only the events
  // after it; WriteSnapshot replaces it.
  std::string snapshot_path;
};

// What a replay did: the events folded and the CPU time each stage spent,
// which on a shared machine says more than the wall time does.
struct ReplayStats {
  uint64_t events = 0;
  double scan_cpu_seconds = 0;         // Reading and decoding (the calling thread).
  double write_model_cpu_seconds = 0;  // 0 when the write model was not folded.
  double read_model_cpu_seconds = 0;   // 0 when the read model was not folded.
};

class Service {
 public:
  // Errors: whatever reading or decoding the log returns (kDataLoss on a
  // record that fails its checks or does not decode).
  static StatusOr<std::unique_ptr<Service>> Open(eventstore::EventStore& store,
                                                 ServiceOptions options);
  ~Service();

  CommandPipeline& pipeline() { return *pipeline_; }
  const projections::ReadModel& read_model() const { return read_model_; }
  // Events replayed at start-up, how long it took and what each stage cost.
  uint64_t replayed_events() const { return replay_stats_.events; }
  int64_t replay_micros() const { return replay_micros_; }
  const ReplayStats& replay_stats() const { return replay_stats_; }
  // The snapshot start-up loaded (position 0 when none), and when none was
  // loaded, why not (kNotFound "no_snapshot" when there was none to load;
  // Ok when snapshots are off).
  const SnapshotInfo& loaded_snapshot() const { return loaded_snapshot_; }
  const Status& snapshot_refusal() const { return snapshot_refusal_; }

  // Writes both models to the snapshot path. Only after Stop(), so that the
  // models hold exactly the log's events. Errors: kFailedPrecondition
  // "snapshot_unavailable" when snapshots are off, the pipeline is running
  // or failed, or the log holds events the models do not (another writer);
  // kIOError from the file.
  StatusOr<SnapshotInfo> WriteSnapshot();

  // Stops the pipeline (see CommandPipeline::Stop). Idempotent.
  void Stop();

 private:
  Service() = default;

  eventstore::EventStore* store_ = nullptr;
  std::string snapshot_path_;
  projections::ReadModel read_model_;
  std::unique_ptr<CommandPipeline> pipeline_;
  ReplayStats replay_stats_;
  int64_t replay_micros_ = 0;
  SnapshotInfo loaded_snapshot_;
  Status snapshot_refusal_;
  std::atomic<bool> stopped_{false};  // Stop() may run on another thread.
};

// Folds the log from position `from` up to the head into `state` and
// `read_model` (either may be null), which hold the events before `from`. Used by Service::Open and by offline tools. Errors:
// kDataLoss when a record fails its checks or does not decode, or when the
// events of a batch break a cluster invariant of the write model
// ("invariant_violated": a log no decider wrote).
Status ReplayLog(const eventstore::EventStore& store, core::State* state,
                 projections::ReadModel* read_model, ReplayStats* stats = nullptr,
                 uint64_t from = 1);

// The projections' view of a stored event's envelope: its strings view
// `record`'s, so it is good while `record` is.
projections::EventEnvelope EnvelopeOf(const eventstore::RecordedEvent& record);

}  // namespace tranche::service
