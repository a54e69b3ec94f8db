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
  explicit ServiceApp(std::unique_ptr<service::Service> service) : service_(std::move(service)) {}
  void Drain() override {
    service_->Stop();  // Every accepted command is durable and answered.
    if (subscription_) subscription_->Unsubscribe();
  }
  service::Service& service() { return *service_; }
  void set_subscription(std::unique_ptr<eventstore::Subscription> subscription) {
    subscription_ = std::move(subscription);
  }

 private:
  std::unique_ptr<service::Service> service_;
  std::unique_ptr<eventstore::Subscription> subscription_;
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
  auto opened = service::Service::Open(context.store, std::move(options));
  if (!opened.ok()) return opened.status();
  auto app = std::make_unique<ServiceApp>(std::move(opened).value());
  LogLine({{"level", "info"},
           {"msg", "replayed"},
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
        broadcaster->Publish({event});
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
