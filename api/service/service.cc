// Service: start-up replay and the wiring of pipeline, read model and publisher.
#include "api/service/service.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <functional>
#include <malloc.h>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/evolve.h"
#include "core/prefault.h"

namespace tranche::service {
namespace {

// Fills `*out` from `record`, reusing the capacity of its strings.
template <typename Record>  // RecordedEvent or RecordView.
void AssignEnvelope(const Record& record, projections::EventEnvelope* out) {
  out->position = record.position;
  out->stream = record.stream;
  out->version = record.version;
  out->recorded_at_us = record.recorded_at_us;
  out->actor = record.actor;
  out->command_id = record.command_id;
  out->reason = record.reason;
}

}  // namespace

projections::EventEnvelope EnvelopeOf(const eventstore::RecordedEvent& record) {
  projections::EventEnvelope envelope;
  AssignEnvelope(record, &envelope);
  return envelope;
}

namespace {

// Decoded events handed from the scanning thread to the folding threads. A
// batch is shared, read-only, by every fold; the last one done gives it back
// to the pool, and the scanner decodes into it again. Its first `size` slots
// are the batch; slots past them are kept only for their capacity.
struct ReplayBatch {
  size_t size = 0;
  std::vector<projections::EventEnvelope> envelopes;  // Their strings view `text`.
  std::vector<core::Event> events;
  // The envelopes' strings, one after another. Never grown while the batch
  // holds events, so the views stay put: a batch that cannot take the next
  // event's strings is handed over as it is.
  std::string text;
};
using SharedBatch = std::shared_ptr<const ReplayBatch>;
constexpr size_t kReplayBatchEvents = 4096;
constexpr size_t kReplayBatchTextBytes = kReplayBatchEvents * 256;
constexpr size_t kReplayBatchesInFlightMax = 8;

// Batches for reuse. Every batch of a replay is decoded into one of a few
// dozen slots whose strings keep their capacity, so that in the steady state
// decoding allocates nothing and no thread frees what another allocated.
class ReplayBatchPool {
 public:
  // An empty batch: a given-back one when there is one, else a new one.
  ReplayBatch* Take() {
    std::lock_guard lock(mutex_);
    if (free_.empty()) {
      // Sized once and populated in one call (core/prefault.h), where
      // growing by appends would move every event several times over.
      auto fresh = std::make_unique<ReplayBatch>();
      ReservePrefaulted(fresh->events, kReplayBatchEvents);
      ReservePrefaulted(fresh->envelopes, kReplayBatchEvents);
      fresh->text.reserve(kReplayBatchTextBytes);
      PrefaultForWrite(fresh->text.data(), fresh->text.capacity());
      owned_.push_back(std::move(fresh));
      free_.push_back(owned_.back().get());
    }
    ReplayBatch* batch = free_.back();
    free_.pop_back();
    batch->size = 0;
    batch->text.clear();
    return batch;
  }
  // Shares `batch` read-only; the last holder's release gives it back. The
  // pool must outlive every holder.
  SharedBatch Share(ReplayBatch* batch) {
    return SharedBatch(batch, [this](const ReplayBatch* done) {
      std::lock_guard lock(mutex_);
      free_.push_back(const_cast<ReplayBatch*>(done));  // Taken non-const from owned_.
    });
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<ReplayBatch>> owned_;
  std::vector<ReplayBatch*> free_;
};

// A bounded, closable queue of batches from the scanner to one fold.
class ReplayChannel {
 public:
  void Push(SharedBatch batch) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return batches_.size() < kReplayBatchesInFlightMax; });
    batches_.push_back(std::move(batch));
    changed_.notify_all();
  }
  // False once closed and drained.
  bool Pop(SharedBatch* batch) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return closed_ || !batches_.empty(); });
    if (batches_.empty()) return false;
    *batch = std::move(batches_.front());
    batches_.pop_front();
    changed_.notify_all();
    return true;
  }
  void Close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<SharedBatch> batches_;
  bool closed_ = false;
};

// One model folded on its own thread from a channel.
struct Fold {
  // Not ok stops this fold: later batches are only drained.
  std::function<Status(const ReplayBatch&)> apply;
  Status error;                   // The first failure; read after join.
  double* cpu_seconds = nullptr;  // Where the thread's CPU time goes when it ends.
  ReplayChannel channel;
  std::thread thread;
};

// CPU time of the calling thread since it started.
double ThreadCpuSeconds() {
  timespec cpu{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
  return static_cast<double>(cpu.tv_sec) + static_cast<double>(cpu.tv_nsec) / 1e9;
}

}  // namespace

// Replay is a pipeline of up to three threads: this one scans the log and
// decodes each event once; each wanted model folds the same decoded batches,
// in position order, on a thread of its own. The models share nothing, so
// start-up takes about the longest of the three stages given three cores, and
// about half their sum on two (bench/README.md has the figures).
Status ReplayLog(const eventstore::EventStore& store, core::State* state,
                 projections::ReadModel* read_model, ReplayStats* stats, uint64_t from) {
  ReplayStats local_stats;
  if (stats == nullptr) stats = &local_stats;
  *stats = ReplayStats{};
  const double scan_started = ThreadCpuSeconds();
  std::deque<Fold> folds;  // A deque: a Fold holds a mutex and never moves.
  if (state != nullptr) {
    folds.emplace_back().cpu_seconds = &stats->write_model_cpu_seconds;
    folds.back().apply = [state, touched = std::unordered_set<std::string_view>()](
                             const ReplayBatch& batch) mutable {
      // The cluster invariants are checked once per batch, not after every
      // event: for every cluster when there are few (a programme has tens),
      // else for each cluster the batch touched.
      constexpr size_t kCheckEveryClusterMax = 256;
      const bool check_every_cluster = state->clusters().size() <= kCheckEveryClusterMax;
      // Each recorded tranche inserts into the write model's reference index
      // and its cluster's tranche table, and each reversal probes the table:
      // cache misses in large tables, so ask for the slots a few events ahead.
      constexpr size_t kAhead = 8;
      const size_t count = batch.size;
      for (size_t i = 0; i < count; ++i) {
        if (i + kAhead < count) {
          const core::Event& ahead = batch.events[i + kAhead];
          if (const auto* recorded = std::get_if<core::TrancheRecorded>(&ahead)) {
            state->PrefetchPaymentReference(recorded->payment_reference);
            state->PrefetchClusterTranche(recorded->cluster_id, recorded->payment_reference);
          } else if (const auto* reversed = std::get_if<core::TrancheReversed>(&ahead)) {
            state->PrefetchClusterTranche(reversed->cluster_id, reversed->payment_reference);
          }
        }
        const std::string_view cluster_id = core::EvolveDeferringClusterCheck(
            *state, batch.envelopes[i].stream, batch.events[i]);
        if (!check_every_cluster && !cluster_id.empty()) touched.insert(cluster_id);
      }
      // A broken invariant here means a log no decider wrote: start-up stops
      // with kDataLoss naming the batch, as for an event that does not decode.
      Status broken;
      auto check = [state, &broken](std::string_view cluster_id) {
        if (broken.ok()) broken = core::CheckClusterInvariants(*state, cluster_id);
      };
      if (check_every_cluster) {
        // Also those this batch submitted, even past the bound.
        for (const auto& [cluster_id, cluster] : state->clusters()) check(cluster_id);
      } else {
        for (const std::string_view cluster_id : touched) check(cluster_id);
      }
      touched.clear();  // Its views point into this batch's events.
      if (broken.ok()) return Status::Ok();
      return Status::DataLoss("invariant_violated",
                              "the events at positions " +
                                  std::to_string(batch.envelopes[0].position) + ".." +
                                  std::to_string(batch.envelopes[count - 1].position) +
                                  " break an invariant: " + broken.message());
    };
  }
  if (read_model != nullptr) {
    folds.emplace_back().cpu_seconds = &stats->read_model_cpu_seconds;
    folds.back().apply = [read_model](const ReplayBatch& batch) {
      read_model->ApplyBatch(batch.envelopes.data(), batch.events.data(), batch.size);
      return Status::Ok();
    };
  }
  if (read_model != nullptr) read_model->ReserveForReplay(store.GetHead().position);
  std::atomic<bool> failed{false};  // A fold failed: the scan may stop early.
  for (Fold& fold : folds) {
    fold.thread = std::thread([&fold, &failed] {
      SharedBatch batch;
      while (fold.channel.Pop(&batch)) {
        if (fold.error.ok()) fold.error = fold.apply(*batch);
        if (!fold.error.ok()) failed.store(true, std::memory_order_relaxed);
      }
      *fold.cpu_seconds = ThreadCpuSeconds();  // Read after join.
    });
  }
  // Declared after `folds`, so destroyed before them, but every fold is
  // joined below before either goes, and with it every batch is given back.
  ReplayBatchPool pool;
  auto hand_over = [&folds, &pool](ReplayBatch* batch) {
    const SharedBatch shared = pool.Share(batch);
    for (Fold& fold : folds) fold.channel.Push(shared);
  };

  uint64_t count = 0;
  Status decode_error;
  ReplayBatch* batch = pool.Take();
  Status scan = store.ScanAll(from, [&](const eventstore::RecordView& record) {
    if (failed.load(std::memory_order_relaxed)) return false;
    const size_t text_bytes = record.stream.size() + record.actor.size() +
                              record.command_id.size() + record.reason.size();
    if (batch->text.size() + text_bytes > batch->text.capacity()) {
      if (batch->size > 0) {
        hand_over(batch);
        batch = pool.Take();
      }
      batch->text.reserve(text_bytes);  // Empty: no view to move.
    }
    const size_t slot = batch->size;
    if (slot == batch->events.size()) {
      batch->events.emplace_back();
      batch->envelopes.emplace_back();
    }
    Status decoded =
        core::DecodeEventInto(record.type, record.schema, record.data, &batch->events[slot]);
    if (!decoded.ok()) {
      decode_error = Status::DataLoss(decoded.reason(),
                                      "event at position " + std::to_string(record.position) +
                                          " does not decode: " + decoded.message());
      return false;
    }
    projections::EventEnvelope& envelope = batch->envelopes[slot];
    AssignEnvelope(record, &envelope);
    // Its strings view the iterator's value until here: move them into the batch.
    for (std::string_view* field :
         {&envelope.stream, &envelope.actor, &envelope.command_id, &envelope.reason}) {
      const size_t at = batch->text.size();
      batch->text.append(*field);
      *field = std::string_view(batch->text.data() + at, field->size());
    }
    if (++batch->size == kReplayBatchEvents) {
      hand_over(batch);
      batch = pool.Take();
    }
    ++count;
    return true;
  });
  if (batch->size > 0) hand_over(batch);
  stats->scan_cpu_seconds = ThreadCpuSeconds() - scan_started;
  for (Fold& fold : folds) {
    fold.channel.Close();
    fold.thread.join();
  }
  stats->events = count;
  if (!scan.ok()) return scan;
  if (!decode_error.ok()) return decode_error;
  for (const Fold& fold : folds) {
    if (!fold.error.ok()) return fold.error;
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<Service>> Service::Open(eventstore::EventStore& store,
                                                 ServiceOptions options) {
  std::unique_ptr<Service> service(new Service());
  service->store_ = &store;
  service->snapshot_path_ = options.snapshot_path;
  const auto started = std::chrono::steady_clock::now();
  core::State state;
  if (!service->snapshot_path_.empty()) {
    // A snapshot that cannot be used leaves both models empty: start-up then
    // folds the whole log, and says why.
    StatusOr<SnapshotInfo> loaded =
        LoadSnapshot(service->snapshot_path_, store, &state, &service->read_model_);
    if (loaded.ok()) {
      service->loaded_snapshot_ = *loaded;
    } else {
      service->snapshot_refusal_ = loaded.status();
    }
  }
  Status replay = ReplayLog(store, &state, &service->read_model_, &service->replay_stats_,
                            service->loaded_snapshot_.position + 1);
  if (!replay.ok()) return replay;
  // The replay's batches (ReplayLog) are freed by now, but the allocator
  // keeps their pages: hand them back, so the server runs in what its
  // models hold.
  malloc_trim(0);
  service->replay_micros_ = std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now() - started)
                                .count();

  projections::ReadModel* read_model = &service->read_model_;
  auto publish = std::move(options.publish);
  CommitListener on_commit = [read_model, publish](
                                 const std::vector<eventstore::RecordedEvent>& records,
                                 const std::vector<core::Event>& events) {
    for (size_t i = 0; i < records.size(); ++i) read_model->Apply(EnvelopeOf(records[i]), events[i]);
    if (publish) publish(records);
  };
  // Recorded times never go backwards, not even across a restart on a
  // clock that went back: the pipeline stamps from the log's latest on.
  const int64_t last_recorded_at_us = service->read_model_.RecordedAt(service->read_model_.head());
  service->pipeline_ = std::make_unique<CommandPipeline>(
      store, std::move(state), std::move(on_commit), std::move(options.observer),
      last_recorded_at_us);
  return service;
}

Service::~Service() { Stop(); }

void Service::Stop() {
  if (pipeline_) pipeline_->Stop();
  stopped_ = true;
}

StatusOr<SnapshotInfo> Service::WriteSnapshot() {
  auto unavailable = [](const std::string& why) {
    return Status::FailedPrecondition("snapshot_unavailable", why);
  };
  if (snapshot_path_.empty()) return unavailable("snapshots are off");
  if (!stopped_) return unavailable("the pipeline is still taking commands");
  if (Status writer = store_->WriterError(); !writer.ok()) {
    return unavailable("the store failed: " + writer.ToString());
  }
  if (Status health = pipeline_->health(); health.reason() != "pipeline_stopped") {
    return unavailable("the pipeline failed: " + health.ToString());
  }
  // Stop() waited for every append to be answered, so the models hold every
  // event the pipeline wrote; anything else in the log came from elsewhere.
  const eventstore::Head head = store_->GetHead();
  if (read_model_.head() != head.position) {
    return unavailable("the log holds events up to " + std::to_string(head.position) +
                       ", the models up to " + std::to_string(read_model_.head()));
  }
  return service::WriteSnapshot(snapshot_path_, head, pipeline_->StateAfterStop(), read_model_);
}

}  // namespace tranche::service
