// HttpSession: one HTTP/1.1 keep-alive connection (chat-multi's
// http_session). Reads requests, routes them, writes answers in request
// order. Handlers answer at once (on this session's io thread) or later from
// any thread; later answers are posted back to that thread.
//
// Limits: a body over kHttpBodyBytesMax → 413, headers over
// kHttpHeaderBytesMax → 431, both then close. Waiting for a request's first
// byte is bounded by the idle timeout, reading the rest of it by the read
// timeout; at most kHttpPipelinedRequestsMax requests wait for answers before
// the session stops reading. A WebSocket upgrade to /v1/stream becomes a
// WebSocketSession on the same socket.
//
// Threads: all members are touched on the session's io thread only.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>

#include "api/server/request_context.h"
#include "api/server/server_context.h"

namespace tranche::api {

class HttpSession : public StoppableSession, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, ConnectionSlot slot,
              std::shared_ptr<ServerContext> context);
  ~HttpSession() override;

  void Run();
  void Shutdown() override;

 private:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  struct Pending {
    uint64_t id = 0;
    std::optional<Response> response;
    std::string head;  // The status line and headers while the answer is written.
    bool keep_alive = true;
    unsigned version = 11;
    std::string method;
    std::string route;
    std::string path;
    std::string principal;
    std::chrono::steady_clock::time_point started;
  };

  void DoRead();
  void OnFirstBytes(boost::beast::error_code ec, size_t bytes);
  void DoReadRequest();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void OnReadError(boost::beast::error_code ec);
  void HandleRequest(Request request);
  void HandleUpgrade(Request request);
  void AnswerAndClose(Response response);
  void OnResponse(uint64_t id, Response response);
  void DoWrite();
  void OnWrite(bool close, boost::beast::error_code ec, size_t bytes);
  void Close();
  Pending& PushPending(const Request* request);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  ConnectionSlot slot_;
  std::shared_ptr<ServerContext> context_;
  std::string remote_;
  uint64_t registry_id_ = 0;
  uint64_t next_request_id_ = 1;
  std::deque<Pending> pending_;
  // The counter of the last answer's route and status: a keep-alive client
  // mostly repeats them, and finding a labelled counter costs a lock and a
  // map lookup.
  std::string counted_route_;
  unsigned counted_status_ = 0;
  prometheus::Counter* counted_ = nullptr;
  uint64_t handling_id_ = 0;                // The request inside router.Handle, or 0.
  std::optional<Response> inline_response_;  // Its answer, when given there.
  bool reading_ = false;
  bool writing_ = false;
  bool read_closed_ = false;  // No more requests will be read.
  bool stopping_ = false;
  bool upgraded_ = false;
};

}  // namespace tranche::api
