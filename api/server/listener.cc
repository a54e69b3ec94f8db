// Accepting connections, bounded.
#include "api/server/listener.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "api/server/error_response.h"
#include "api/server/http_session.h"

namespace tranche::api {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

// Answers 503 on a connection over the limit, then closes it. Not counted as
// a connection: it lives at most kHttpRejectTimeout.
class RejectSession : public std::enable_shared_from_this<RejectSession> {
 public:
  explicit RejectSession(tcp::socket socket) : stream_(std::move(socket)) {}

  void Run() {
    response_.version(11);
    response_.result(http::status::service_unavailable);
    response_.set(http::field::content_type, "application/json");
    response_.set(http::field::connection, "close");
    response_.set(http::field::retry_after, "1");
    response_.body() = ErrorBody("unavailable", "too many connections; retry later");
    response_.prepare_payload();
    stream_.expires_after(kHttpRejectTimeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code, size_t) {
                        beast::error_code ignored;
                        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                      });
  }

 private:
  beast::tcp_stream stream_;
  http::response<http::string_body> response_;
};

}  // namespace

Listener::Listener(std::vector<net::io_context*> io_contexts, std::shared_ptr<ServerContext> context)
    : io_contexts_(std::move(io_contexts)),
      acceptor_(*io_contexts_.front()),
      context_(std::move(context)) {}

Status Listener::Open(const tcp::endpoint& endpoint) {
  beast::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status::IOError("listen_failed", "cannot listen: " + ec.message());
  port_ = acceptor_.local_endpoint(ec).port();
  return Status::Ok();
}

void Listener::Run() {
  net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->DoAccept(); });
}

void Listener::Stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
  });
}

void Listener::DoAccept() {
  // The connection lives on the next io thread; only that thread runs its
  // handlers, which serialises them as a strand would.
  net::io_context& next = *io_contexts_[next_context_];
  next_context_ = (next_context_ + 1) % io_contexts_.size();
  acceptor_.async_accept(next, beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
}

void Listener::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    context_->Log({{"level", "warn"}, {"msg", "accept_failed"}, {"error", ec.message()}});
  } else if (context_->stopping.load()) {
    return;
  } else if (context_->connections.fetch_add(1) >= context_->options.connections_max) {
    context_->connections.fetch_sub(1);
    context_->metrics.RecordHttpRequest("rejected", kHttpServiceUnavailable);
    context_->Log({{"level", "warn"}, {"msg", "connection_rejected"}, {"reason", "connections_max"}});
    std::make_shared<RejectSession>(std::move(socket))->Run();
  } else {
    // Every write here is a whole response or a whole stream frame: send it
    // now. With Nagle's algorithm a frame written while the previous one is
    // unacknowledged waits for that ACK, which the client may delay by up
    // to 40 ms (docs/DECISIONS.md §19).
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto session = std::make_shared<HttpSession>(std::move(socket), ConnectionSlot(context_), context_);
    session->Run();
  }
  DoAccept();
}

}  // namespace tranche::api
