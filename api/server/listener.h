// Listener: accepts connections and hands each to an HttpSession. Beyond
// ServerOptions::connections_max open connections it still accepts, answers
// 503 and closes, so a client learns why instead of hanging in the backlog.
//
// Threads: runs on the first io thread; Stop() from any thread. Owns itself via
// shared_from_this while an accept is pending.
#pragma once

#include <boost/asio.hpp>
#include <memory>
#include <vector>

#include "api/server/server_context.h"
#include "core/status.h"

namespace tranche::api {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Accepts on the first io_context; each connection goes to the next one
  // in turn. The io_contexts must outlive the listener.
  Listener(std::vector<boost::asio::io_context*> io_contexts, std::shared_ptr<ServerContext> context);

  // Binds and listens; the port is then known.
  Status Open(const boost::asio::ip::tcp::endpoint& endpoint);
  void Run();
  // Closes the acceptor; no new connection is accepted after this.
  void Stop();
  uint16_t port() const { return port_; }

 private:
  void DoAccept();
  void OnAccept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  std::vector<boost::asio::io_context*> io_contexts_;
  size_t next_context_ = 0;  // Where the next connection goes; on the acceptor's thread.
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<ServerContext> context_;
  uint16_t port_ = 0;
};

}  // namespace tranche::api
