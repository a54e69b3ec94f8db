// Service: start-up replay and the wiring of pipeline, read model and publisher.
#include "api/service/service.h"

#include <chrono>
#include <condition_variable>
#include <deque>
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

// Events handed from the scanning thread to the read-model thread.
struct ReplayBatch {
  std::vector<projections::EventEnvelope> envelopes;
  std::vector<core::Event> events;
};
constexpr size_t kReplayBatchEvents = 4096;
constexpr size_t kReplayBatchesInFlightMax = 8;

// A bounded, closable queue of batches between exactly two threads.
class ReplayChannel {
 public:
  void Push(ReplayBatch batch) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return batches_.size() < kReplayBatchesInFlightMax; });
    batches_.push_back(std::move(batch));
    changed_.notify_all();
  }
  // False once closed and drained.
  bool Pop(ReplayBatch* batch) {
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
  std::deque<ReplayBatch> batches_;
  bool closed_ = false;
};

}  // namespace

// With both models wanted, replay uses two threads: this one scans the log,
// decodes each event and evolves the write model; a second applies the same
// events, in the same order, to the read model. The two models share nothing,
// so start-up takes about the longer of the two folds, not their sum.
Status ReplayLog(const eventstore::EventStore& store, core::State* state,
                 projections::ReadModel* read_model, uint64_t* replayed) {
  uint64_t count = 0;
  Status decode_error;
  const bool two_threads = state != nullptr && read_model != nullptr;
  ReplayChannel channel;
  std::thread applier;
  if (two_threads) {
    applier = std::thread([&channel, read_model] {
      ReplayBatch batch;
      while (channel.Pop(&batch)) {
        for (size_t i = 0; i < batch.events.size(); ++i) {
          read_model->Apply(batch.envelopes[i], batch.events[i]);
        }
      }
    });
  }
  ReplayBatch batch;
  Status scan = store.ScanAll(1, [&](const eventstore::RecordedEvent& record) {
    StatusOr<core::Event> event = core::DecodeEvent(record.type, record.schema, record.data);
    if (!event.ok()) {
      decode_error = Status::DataLoss(event.status().reason(),
                                      "event at position " + std::to_string(record.position) +
                                          " does not decode: " + event.status().message());
      return false;
    }
    if (state != nullptr) core::Evolve(*state, record.stream, *event);
    if (two_threads) {
      batch.envelopes.push_back(EnvelopeOf(record));
      batch.events.push_back(std::move(event).value());
      if (batch.events.size() == kReplayBatchEvents) channel.Push(std::exchange(batch, {}));
    } else if (read_model != nullptr) {
      read_model->Apply(EnvelopeOf(record), *event);
    }
    ++count;
    return true;
  });
  if (two_threads) {
    if (!batch.events.empty()) channel.Push(std::move(batch));
    channel.Close();
    applier.join();
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
