// Server: the Beast HTTP + WebSocket server on one port: a Listener, its
// sessions and the io threads that run them.
//
// One io_context per io thread, each connection on one of them (round robin
// at accept): a session's handlers all run on its thread, so it needs no
// strand, and work posted to it (answers, live batches) wakes that thread
// alone. One io_context shared by every thread made them hand work to each
// other through its condition variable (docs/DECISIONS.md §19).
//
// Lifetime: the Router, Authenticator, Metrics, Broadcaster and EventStore
// passed in must outlive the Server. Start() once; Stop() once (the destructor
// stops if needed).
//
// Threads: Start/Stop from one controlling thread (main); port() any thread.
#pragma once

#include <boost/asio.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "api/server/listener.h"
#include "api/server/server_context.h"

namespace tranche::api {

class Server {
 public:
  Server(ServerOptions options, const Router& router, const Authenticator& authenticator,
         Metrics& metrics, Broadcaster& broadcaster, eventstore::EventStore& store);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds options.address:options.port and runs `threads` io threads.
  Status Start(int threads);
  // The bound port (useful with port 0).
  uint16_t port() const { return port_; }
  // Stops accepting, lets in-flight requests finish and be answered, closes
  // WebSocket sessions with "server shutting down; resume from=N", waits for
  // every connection to end (at most `grace`, then cuts them), joins threads.
  void Stop(std::chrono::milliseconds grace = kShutdownGraceTimeout);
  size_t open_connections() const { return context_->connections.load(); }

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> io_contexts_;  // One per io thread.
  std::vector<WorkGuard> work_;
  std::shared_ptr<ServerContext> context_;
  std::shared_ptr<Listener> listener_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace tranche::api
