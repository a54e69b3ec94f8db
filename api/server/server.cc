// Starting and gracefully stopping the server.
#include "api/server/server.h"

#include "core/thread_name.h"

namespace tranche::api {
namespace net = boost::asio;

Server::Server(ServerOptions options, const Router& router, const Authenticator& authenticator,
               Metrics& metrics, Broadcaster& broadcaster, eventstore::EventStore& store)
    : context_(std::make_shared<ServerContext>(std::move(options), router, authenticator, metrics,
                                               broadcaster, store)) {}

Server::~Server() { Stop(); }

Status Server::Start(int threads) {
  TRANCHE_CHECK(!started_);
  TRANCHE_CHECK(threads >= 1);
  boost::system::error_code ec;
  auto address = net::ip::make_address(context_->options.address, ec);
  if (ec) return Status::InvalidArgument("bad_listen_address", "cannot parse the listen address");
  std::vector<net::io_context*> contexts;
  for (int i = 0; i < threads; ++i) {
    io_contexts_.push_back(std::make_unique<net::io_context>(1));  // Run by one thread.
    contexts.push_back(io_contexts_.back().get());
  }
  listener_ = std::make_shared<Listener>(std::move(contexts), context_);
  Status status = listener_->Open(net::ip::tcp::endpoint(address, context_->options.port));
  if (!status.ok()) return status;
  port_ = listener_->port();
  started_ = true;
  // Held until Stop(): answers from other threads (commands made durable) are
  // posted to sessions that may have no operation pending meanwhile.
  for (auto& io_context : io_contexts_) work_.push_back(net::make_work_guard(*io_context));
  listener_->Run();
  for (auto& io_context : io_contexts_) {
    NameThread(threads_.emplace_back([context = io_context.get()] { context->run(); }), "http-io");
  }
  context_->Log({{"level", "info"}, {"msg", "listening"}, {"address", context_->options.address},
                 {"port", port_}, {"threads", threads}});
  return Status::Ok();
}

void Server::Stop(std::chrono::milliseconds grace) {
  if (!started_ || stopped_) return;
  stopped_ = true;
  context_->stopping.store(true);
  context_->broadcaster.Stop();  // No live flush posts into an io_context after this.
  listener_->Stop();
  context_->ShutdownSessions();
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (context_->connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const size_t cut = context_->connections.load();
  work_.clear();
  if (cut > 0) {
    for (auto& io_context : io_contexts_) io_context->stop();  // Past the grace time: cut what is left.
  }
  for (auto& thread : threads_) thread.join();
  threads_.clear();
  context_->Log({{"level", "info"}, {"msg", "server_stopped"}, {"connections_cut", cut}});
}

}  // namespace tranche::api
