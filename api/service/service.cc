// Service: start-up replay and the wiring of pipeline, read model and publisher.
#include "api/service/service.h"

#include <chrono>

#include "core/evolve.h"

namespace tranche::service {

projections::EventEnvelope EnvelopeOf(const eventstore::RecordedEvent& record) {
  return projections::EventEnvelope{record.position,       record.stream,
                                    record.version,        record.recorded_at_us,
                                    record.actor,          record.command_id,
                                    record.reason};
}

Status ReplayLog(const eventstore::EventStore& store, core::State* state,
                 projections::ReadModel* read_model, uint64_t* replayed) {
  uint64_t count = 0;
  Status decode_error;
  Status scan = store.ScanAll(1, [&](const eventstore::RecordedEvent& record) {
    StatusOr<core::Event> event = core::DecodeEvent(record.type, record.schema, record.data);
    if (!event.ok()) {
      decode_error = Status::DataLoss(event.status().reason(),
                                      "event at position " + std::to_string(record.position) +
                                          " does not decode: " + event.status().message());
      return false;
    }
    if (state != nullptr) core::Evolve(*state, record.stream, *event);
    if (read_model != nullptr) read_model->Apply(EnvelopeOf(record), *event);
    ++count;
    return true;
  });
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
