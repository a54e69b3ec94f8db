// One HTTP/1.1 connection: bounded reads, in-order answers, the upgrade.
#include "api/server/http_session.h"

#include <array>
#include <boost/beast/websocket.hpp>

#include "api/server/error_response.h"
#include "api/server/http_request.h"
#include "api/server/websocket_session.h"

namespace tranche::api {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {
constexpr size_t kFirstReadBytes = 4096;
constexpr size_t kLoggedPathBytesMax = 200;
constexpr std::chrono::milliseconds kDrainTimeoutMax{2000};

std::string LoggedPath(std::string_view target) {
  // The query is never logged: it may hold an access token.
  std::string_view path = target.substr(0, target.find('?'));
  return std::string(path.substr(0, kLoggedPathBytesMax));
}
}  // namespace

HttpSession::HttpSession(tcp::socket socket, ConnectionSlot slot,
                         std::shared_ptr<ServerContext> context)
    : stream_(std::move(socket)), slot_(std::move(slot)), context_(std::move(context)) {
  beast::error_code ec;
  auto endpoint = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_ = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

HttpSession::~HttpSession() { context_->Unregister(registry_id_); }

void HttpSession::Run() {
  registry_id_ = context_->Register(shared_from_this());
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    if (self->context_->stopping.load()) self->stopping_ = true;
    self->DoRead();
  });
}

void HttpSession::Shutdown() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->upgraded_) return;
    self->stopping_ = true;
    if (self->pending_.empty() && !self->writing_) {
      self->read_closed_ = true;
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      self->stream_.close();
    }
  });
}

void HttpSession::DoRead() {
  if (reading_ || read_closed_ || stopping_ || upgraded_) return;
  if (pending_.size() >= kHttpPipelinedRequestsMax) return;  // Resumed by OnWrite.
  reading_ = true;
  parser_.emplace();
  ApplyRequestLimits(&*parser_);
  if (buffer_.size() > 0) {
    DoReadRequest();
    return;
  }
  // Between requests the idle timeout applies; once a byte arrives, the read
  // timeout bounds the rest of the request (slow headers, slow bodies).
  stream_.expires_after(context_->options.http_idle_timeout);
  stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                          beast::bind_front_handler(&HttpSession::OnFirstBytes, shared_from_this()));
}

void HttpSession::OnFirstBytes(beast::error_code ec, size_t bytes) {
  if (ec) {
    OnReadError(ec);
    return;
  }
  buffer_.commit(bytes);
  DoReadRequest();
}

void HttpSession::DoReadRequest() {
  // What is already buffered (usually the whole request: one read brings it)
  // is parsed here, with the parser Beast's async_read uses; only a request
  // still incomplete waits for more bytes, under the read timeout. This spares
  // the post that async_read makes when it completes without reading.
  beast::error_code ec;
  while (buffer_.size() > 0 && !parser_->is_done()) {
    const size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec || used == 0) break;
  }
  if (ec == http::error::need_more) ec = {};
  if (ec || parser_->is_done()) {
    OnRead(ec, 0);
    return;
  }
  stream_.expires_after(context_->options.http_read_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpSession::OnRead, shared_from_this()));
}

void HttpSession::OnReadError(beast::error_code ec) {
  reading_ = false;
  read_closed_ = true;
  if (std::optional<Response> answer = ReadErrorResponse(ec)) {
    AnswerAndClose(std::move(*answer));
  } else {
    if (ec == beast::error::timeout) {
      context_->Log({{"level", "info"}, {"msg", "http_timeout"}, {"remote", remote_}});
    }
    // End of stream, a reset or a timeout: answer what is pending, then close.
    if (pending_.empty() && !writing_) Close();
  }
}

void HttpSession::OnRead(beast::error_code ec, size_t) {
  if (ec) {
    OnReadError(ec);
    return;
  }
  reading_ = false;
  if (read_closed_) {
    // Shutdown closed the socket while this read was completing: no answer
    // can be sent, so the request must not run (a command would become
    // durable without an acknowledgement). The client sees a closed
    // connection and may retry with the same command id.
    return;
  }
  Request request = parser_->release();
  if (beast::websocket::is_upgrade(request)) {
    HandleUpgrade(std::move(request));
    return;
  }
  HandleRequest(std::move(request));
  DoRead();
}

HttpSession::Pending& HttpSession::PushPending(const Request* request) {
  Pending& pending = pending_.emplace_back();
  pending.id = next_request_id_++;
  pending.started = std::chrono::steady_clock::now();
  if (request != nullptr) {
    pending.keep_alive = request->keep_alive();
    pending.version = request->version();
    pending.method = std::string(request->method_string());
    pending.path = LoggedPath(request->target());
  }
  return pending;
}

void HttpSession::HandleRequest(Request request) {
  Pending& pending = PushPending(&request);
  if (!pending.keep_alive) read_closed_ = true;
  const uint64_t id = pending.id;
  RawRequest raw = ToRawRequest(std::move(request), remote_);
  // A handler that answers at once (every GET) runs on this io thread, inside
  // router.Handle below: its answer is kept in inline_response_ and handled
  // after Handle returns, once the route and principal are known, without a
  // post. An answer from another thread (a command, after its fsync) is
  // posted to this thread and runs after this handler has finished.
  Responder responder([self = shared_from_this(), id](Response response) {
    net::dispatch(self->stream_.get_executor(),
                  [self, id, response = std::move(response)]() mutable {
                    if (self->handling_id_ == id) {
                      self->inline_response_ = std::move(response);
                    } else {
                      self->OnResponse(id, std::move(response));
                    }
                  });
  });
  std::string principal;
  handling_id_ = id;
  std::string route = context_->router.Handle(std::move(raw), context_->authenticator,
                                              std::move(responder), &principal);
  handling_id_ = 0;
  for (auto& item : pending_) {
    if (item.id == id) {
      item.route = std::move(route);
      item.principal = std::move(principal);
    }
  }
  if (inline_response_) {
    Response response = std::move(*inline_response_);
    inline_response_.reset();
    OnResponse(id, std::move(response));
  }
}

void HttpSession::AnswerAndClose(Response response) {
  read_closed_ = true;
  Pending& pending = PushPending(nullptr);
  pending.keep_alive = false;
  pending.method = "-";
  pending.route = "unmatched";
  OnResponse(pending.id, std::move(response));
}

void HttpSession::OnResponse(uint64_t id, Response response) {
  for (auto& pending : pending_) {
    if (pending.id != id) continue;
    if (counted_ == nullptr || counted_status_ != response.status ||
        counted_route_ != pending.route) {
      counted_ = &context_->metrics.HttpRequestCounter(pending.route, response.status);
      counted_route_ = pending.route;
      counted_status_ = response.status;
    }
    counted_->Increment();
    auto elapsed = std::chrono::steady_clock::now() - pending.started;
    context_->LogRequest(
        {pending.method, pending.path, pending.route, response.status,
         std::chrono::duration<double, std::milli>(elapsed).count(), pending.principal, remote_});
    pending.response = std::move(response);
  }
  DoWrite();
}

void HttpSession::DoWrite() {
  if (writing_ || pending_.empty() || !pending_.front().response) return;
  Pending& pending = pending_.front();
  const bool last = read_closed_ && pending_.size() == 1;
  const bool close = !pending.keep_alive || (stopping_ && pending_.size() == 1) || last;
  writing_ = true;
  stream_.expires_after(context_->options.http_write_timeout);
  auto done = [self = shared_from_this(), close](beast::error_code ec, size_t n) {
    self->OnWrite(close, ec, n);
  };
  // Usually the head is a string and the body is written from where the
  // response keeps it (a shared cached body is not copied); both stay in
  // pending_.front() until OnWrite.
  if (std::optional<std::string> head = ResponseHead(*pending.response, pending.version, close)) {
    pending.head = std::move(*head);
    const std::string_view body = pending.response->Body();
    const std::array<net::const_buffer, 2> buffers{net::buffer(pending.head),
                                                   net::buffer(body.data(), body.size())};
    net::async_write(stream_, buffers, std::move(done));
    return;
  }
  auto message = std::make_shared<http::response<http::string_body>>(
      ResponseMessage(*pending.response, pending.version, close));
  http::async_write(stream_, *message,
                    [message, done = std::move(done)](beast::error_code ec, size_t n) mutable {
                      done(ec, n);
                    });
}

void HttpSession::OnWrite(bool close, beast::error_code ec, size_t) {
  writing_ = false;
  pending_.pop_front();
  if (ec) {
    read_closed_ = true;
    stream_.close();
    return;
  }
  if (close || (stopping_ && pending_.empty())) {
    read_closed_ = true;
    if (pending_.empty()) Close();
    else DoWrite();
    return;
  }
  DoWrite();
  DoRead();
}

void HttpSession::Close() {
  // Half-close, then let the client close its side (or the drain time out),
  // so the last answer is not lost to a reset.
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  if (reading_) return;
  reading_ = true;
  stream_.expires_after(std::min(context_->options.http_read_timeout, kDrainTimeoutMax));
  buffer_.clear();
  stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                          [self = shared_from_this()](beast::error_code, size_t) {
                            self->stream_.close();
                          });
}

void HttpSession::HandleUpgrade(Request request) {
  if (!pending_.empty() || writing_) {
    AnswerAndClose(ErrorResponse(kHttpBadRequest, "bad_request", "upgrade while requests pend"));
    return;
  }
  auto checked = CheckStreamUpgrade(request, context_->router, context_->authenticator);
  if (auto* refused = std::get_if<Response>(&checked)) {
    AnswerAndClose(std::move(*refused));
    return;
  }
  StreamUpgrade& upgrade = std::get<StreamUpgrade>(checked);
  upgraded_ = true;
  context_->metrics.RecordHttpRequest(kStreamRoute, 101);
  context_->Log({{"level", "info"},
                 {"msg", "websocket_upgrade"},
                 {"path", upgrade.path},
                 {"principal", upgrade.principal ? upgrade.principal->name : ""},
                 {"remote", remote_}});
  stream_.expires_never();
  std::make_shared<WebSocketSession>(stream_.release_socket(), std::move(slot_), context_,
                                     std::move(upgrade.query), remote_)
      ->Run(std::move(request));
}

}  // namespace tranche::api
