// Service: start-up replay and the wiring of pipeline, read model and publisher.
#include "api/service/service.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "core/evolve.h"

namespace tranche::service {

projections::EventEnvelope EnvelopeOf(const eventstore::RecordedEvent& record) {
  return projections::EventEnvelope{record.position,       record.stream,
                                    record.version,        record.recorded_at_us,
                                    record.actor,          record.command_id,
                                    record.reason};
}

namespace {

// Decoded events handed from the scanning thread to the folding threads. A
// batch is shared, read-only, by every fold and freed by the last one done.
struct ReplayBatch {
  std::vector<projections::EventEnvelope> envelopes;
  std::vector<core::Event> events;
};
using SharedBatch = std::shared_ptr<const ReplayBatch>;
constexpr size_t kReplayBatchEvents = 4096;
constexpr size_t kReplayBatchesInFlightMax = 8;

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
  std::function<void(const ReplayBatch&)> apply;
  ReplayChannel channel;
  std::thread thread;
};

}  // namespace

// Replay is a pipeline of up to three threads: this one scans the log and
// decodes each event once; each wanted model folds the same decoded batches,
// in position order, on a thread of its own. The models share nothing, so
// start-up takes about the longest of the three stages, not their sum
// (bench/README.md has the figures).
Status ReplayLog(const eventstore::EventStore& store, core::State* state,
                 projections::ReadModel* read_model, uint64_t* replayed) {
  std::deque<Fold> folds;  // A deque: a Fold holds a mutex and never moves.
  if (state != nullptr) {
    folds.emplace_back().apply = [state](const ReplayBatch& batch) {
      for (size_t i = 0; i < batch.events.size(); ++i) {
        core::Evolve(*state, batch.envelopes[i].stream, batch.events[i]);
      }
    };
  }
  if (read_model != nullptr) {
    folds.emplace_back().apply = [read_model](const ReplayBatch& batch) {
      for (size_t i = 0; i < batch.events.size(); ++i) {
        read_model->Apply(batch.envelopes[i], batch.events[i]);
      }
    };
  }
  for (Fold& fold : folds) {
    fold.thread = std::thread([&fold] {
      SharedBatch batch;
      while (fold.channel.Pop(&batch)) fold.apply(*batch);

    });
  }
  auto hand_over = [&folds](ReplayBatch&& batch) {
    SharedBatch shared = std::make_shared<const ReplayBatch>(std::move(batch));
    for (Fold& fold : folds) fold.channel.Push(shared);
  };

  uint64_t count = 0;
  Status decode_error;
  ReplayBatch batch;
  batch.envelopes.reserve(kReplayBatchEvents);
  batch.events.reserve(kReplayBatchEvents);
  Status scan = store.ScanAll(1, [&](const eventstore::RecordedEvent& record) {
    Status decoded = core::DecodeEventInto(record.type, record.schema, record.data,
                                           &batch.events.emplace_back());
    if (!decoded.ok()) {
      decode_error = Status::DataLoss(decoded.reason(),
                                      "event at position " + std::to_string(record.position) +
                                          " does not decode: " + decoded.message());
      batch.events.pop_back();
      return false;
    }
    batch.envelopes.push_back(EnvelopeOf(record));
    if (batch.events.size() == kReplayBatchEvents) {
      hand_over(std::exchange(batch, {}));
      batch.envelopes.reserve(kReplayBatchEvents);
      batch.events.reserve(kReplayBatchEvents);
    }
    ++count;
    return true;
  });
  if (!batch.events.empty()) hand_over(std::move(batch));
  for (Fold& fold : folds) {
    fold.channel.Close();
    fold.thread.join();
  }
  if (replayed != nullptr) *replayed = count;
  if (!scan.ok()) return scan;
  return decode_error;
}

StatusOr<std::unique_ptr<Service>> Service::Open(eventstore::EventStore& store,
                                                 ServiceOptions options) {
  std::unique_ptr<Service> service(new Service());
  const auto started = std::chrono::steady_clock::now();
  core::State state;
  Status replay = ReplayLog(store, &state, &service->read_model_, &service->replayed_events_);
  if (!replay.ok()) return replay;
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
  service->pipeline_ = std::make_unique<CommandPipeline>(store, std::move(state),
                                                         std::move(on_commit),
                                                         std::move(options.observer));
  return service;
}

Service::~Service() { Stop(); }

void Service::Stop() {
  if (pipeline_) pipeline_->Stop();
}

}  // namespace tranche::service
