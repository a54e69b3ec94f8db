// The application: the Service (pipeline + read model) behind the routes.
// The broadcaster is fed by a store subscription from the head after replay:
// the store delivers every durable event once, in position order, whoever
// wrote it, so the live stream has no gap even for events the pipeline did
// not write (a restore, a test's direct append).
#include "api/app.h"

#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "api/routes/domain_routes.h"
#include "api/service/seed_loader.h"
#include "api/service/service.h"

namespace tranche::api {
namespace {

void LogLine(const nlohmann::json& line) {
  std::printf("%s\n", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  std::fflush(stdout);
}

class ServiceApp : public App {
 public:
  ServiceApp(std::unique_ptr<service::Service> service, uint64_t snapshot_after_events)
      : service_(std::move(service)), snapshot_after_events_(snapshot_after_events) {}
  void Drain() override {
    service_->Stop();  // Every accepted command is durable and answered.
    if (subscription_) subscription_->Unsubscribe();
    MaybeWriteSnapshot();
  }
  service::Service& service() { return *service_; }
  void set_subscription(std::unique_ptr<eventstore::Subscription> subscription) {
    subscription_ = std::move(subscription);
  }

 private:
  // A new snapshot when enough events came after the last one: the next
  // start-up then folds at most that many. A failure costs only time at the
  // next start-up, so it is logged, not fatal.
  void MaybeWriteSnapshot() {
    if (snapshot_after_events_ == 0 || snapshot_written_) return;
    const uint64_t since = service_->read_model().head() - service_->loaded_snapshot().position;
    if (since == 0 || since < snapshot_after_events_) return;
    snapshot_written_ = true;
    StatusOr<service::SnapshotInfo> written = service_->WriteSnapshot();
    if (!written.ok()) {
      LogLine({{"level", "warn"},
               {"msg", "snapshot_not_written"},
               {"status", written.status().ToString()}});
      return;
    }
    LogLine({{"level", "info"},
             {"msg", "snapshot_written"},
             {"position", written->position},
             {"bytes", written->bytes},
             {"seconds", written->seconds}});
  }

  std::unique_ptr<service::Service> service_;
  std::unique_ptr<eventstore::Subscription> subscription_;
  uint64_t snapshot_after_events_;
  bool snapshot_written_ = false;
};

}  // namespace

StatusOr<std::unique_ptr<App>> StartApp(AppContext& context) {
  Broadcaster* broadcaster = &context.broadcaster;
  Metrics* metrics = &context.metrics;
  broadcaster->SetRenderer(DomainEventRenderer());

  service::ServiceOptions options;
  options.observer = [metrics](const std::string& name, const std::string& outcome,
                               int64_t latency_us) {
    metrics->RecordCommand(name, outcome);
    metrics->ObserveCommandLatency(static_cast<double>(latency_us) / 1e6);
  };
  if (context.snapshot_after_events > 0) options.snapshot_path = context.data_dir + "/snapshot";
  auto opened = service::Service::Open(context.store, std::move(options));
  if (!opened.ok()) return opened.status();
  auto app = std::make_unique<ServiceApp>(std::move(opened).value(), context.snapshot_after_events);
  const Status& refusal = app->service().snapshot_refusal();
  if (!refusal.ok() && refusal.reason() != "no_snapshot") {
    LogLine({{"level", "warn"},
             {"msg", "snapshot_not_used"},
             {"status", refusal.ToString()},
             {"note", "folding the whole log instead"}});
  }
  LogLine({{"level", "info"},
           {"msg", "replayed"},
           {"snapshot_position", app->service().loaded_snapshot().position},
           {"snapshot_seconds", app->service().loaded_snapshot().seconds},
           {"events", app->service().replayed_events()},
           {"seconds", static_cast<double>(app->service().replay_micros()) / 1e6},
           {"scan_cpu_seconds", app->service().replay_stats().scan_cpu_seconds},
           {"write_model_cpu_seconds", app->service().replay_stats().write_model_cpu_seconds},
           {"read_model_cpu_seconds", app->service().replay_stats().read_model_cpu_seconds}});
  const uint64_t head = context.store.GetHead().position;
  metrics->head_position.Set(static_cast<double>(head));
  app->set_subscription(context.store.Subscribe(
      head + 1, eventstore::ReadFilter{},
      [broadcaster, metrics](const eventstore::RecordedEvent& event) {
        broadcaster->Publish(std::span(&event, 1));  // No copy unless someone listens.
        metrics->head_position.Set(static_cast<double>(event.position));
        return true;
      }));

  context.routes.service = &app->service();
  RegisterAllRoutes(context.router, context.routes);

  if (context.seed_file && context.store.GetHead().position == 0) {
    StatusOr<service::SeedSummary> seeded =
        service::LoadSeed(app->service().pipeline(), *context.seed_file);
    if (!seeded.ok()) {
      app->Drain();
      return seeded.status();
    }
    LogLine({{"level", "info"},
             {"msg", "seeded"},
             {"file", *context.seed_file},
             {"commands", seeded->commands},
             {"head", context.store.GetHead().position},
             {"note", "award amounts are illustrative"}});
  }
  return std::unique_ptr<App>(std::move(app));
}

}  // namespace tranche::api
