// The transport-only application: routes, and a store subscription that feeds
// the broadcaster. LEAD: the command pipeline replaces the subscription.
#include "api/app.h"

namespace tranche::api {
namespace {

class SubscriptionApp : public App {
 public:
  explicit SubscriptionApp(std::unique_ptr<eventstore::Subscription> subscription)
      : subscription_(std::move(subscription)) {}
  void Drain() override {
    if (subscription_) subscription_->Unsubscribe();
  }

 private:
  std::unique_ptr<eventstore::Subscription> subscription_;
};

}  // namespace

StatusOr<std::unique_ptr<App>> StartApp(AppContext& context) {
  RegisterAllRoutes(context.router, context.routes);
  if (context.seed_file) {
    return Status::Unavailable("seed_not_supported",
                               "--seed needs the command pipeline, which is not plugged in yet");
  }
  Broadcaster* broadcaster = &context.broadcaster;
  Metrics* metrics = &context.metrics;
  const uint64_t from = context.store.GetHead().position + 1;
  metrics->head_position.Set(static_cast<double>(from - 1));
  auto subscription = context.store.Subscribe(
      from, eventstore::ReadFilter{}, [broadcaster, metrics](const eventstore::RecordedEvent& event) {
        broadcaster->Publish({event});
        metrics->head_position.Set(static_cast<double>(event.position));
        return true;
      });
  return std::unique_ptr<App>(new SubscriptionApp(std::move(subscription)));
}

}  // namespace tranche::api
