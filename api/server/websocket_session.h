// WebSocketSession: one /v1/stream subscriber (chat-multi's
// websocket_session), with catch-up from the store, live delivery from the
// Broadcaster, and a bounded send queue.
//
// Protocol (DESIGN.md "Live stream"): event messages in strictly increasing
// position, {"kind":"caught_up"} once when catch-up reaches the head, and
// {"kind":"checkpoint"} after ServerOptions::websocket_checkpoint_positions
// positions without a matching event. One message per text frame, unless the
// client asked for frames=batch: then every frame is a JSON array of one or
// more messages in order, "[m1,\nm2,\nm3]" (no message holds a raw newline,
// so a client may also split on newlines), as many as are queued when the
// previous frame's write completes, up to kWebSocketBatchFrameBytesMax. A
// subscriber that keeps up gets one frame per broadcaster flush (an
// unfiltered one sends the flush's shared frame as it is, without a copy);
// one that falls behind gets fewer, larger frames instead of a growing
// backlog (docs/DECISIONS.md §11, §13).
//
// How it never gaps, never duplicates and never slows the writer:
// `next_position_` is the first position not yet handled. In catch-up mode the
// session reads the store from there in batches while its queue has room and
// ignores live batches; when a read ends short of its limit it has seen every
// durable event, so it turns live. Everything published after that read
// reaches it as a live batch (the broadcaster publishes only durable events,
// in order); positions below `next_position_` are dropped as already handled.
// A live batch that finds the queue full turns the session back to catch-up
// (tranche_websocket_catchup_fallbacks_total); the writer only ever posts.
//
// A session whose write has not completed, or that has sent no frame (not even
// a pong to our pings), for the stall timeout is closed with
// "stalled; resume from=N", N being one past the last message completely
// written (the close frame follows the message in flight, if any). An incoming message over
// kWebSocketIncomingBytesMax closes it with 1009.
//
// Live batches wait in a mailbox guarded by its own mutex; the broadcaster
// posts a drain only when the mailbox was empty, so a session that is behind
// costs the publisher one push per batch, not one post.
//
// Threads: all members on the session's io thread, except mailbox_ (under
// mailbox_mutex_); OnLive/Shutdown any thread.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/server/broadcaster.h"
#include "api/server/server_context.h"

namespace tranche::api {

inline constexpr char kStreamRoute[] = "/v1/stream";

struct StreamQuery {
  std::optional<uint64_t> from;  // Absent: the head (only what comes next).
  eventstore::ReadFilter filter;
  bool batch_frames = false;  // frames=batch: every frame is an array of messages.
};
// Parses from, stream, type and frames; the 400 response on bad input.
std::optional<Response> ParseStreamQuery(const std::map<std::string, std::string>& query,
                                         StreamQuery* out);

class WebSocketSession : public LiveSubscriber,
                         public StoppableSession,
                         public std::enable_shared_from_this<WebSocketSession> {
 public:
  WebSocketSession(boost::asio::ip::tcp::socket socket, ConnectionSlot slot,
                   std::shared_ptr<ServerContext> context, StreamQuery query, std::string remote);
  ~WebSocketSession() override;

  // Completes the handshake for the upgrade request, then streams.
  void Run(boost::beast::http::request<boost::beast::http::string_body> request);
  void OnLive(LiveBatch batch) override;
  void Shutdown() override;

 private:
  using Clock = std::chrono::steady_clock;
  enum class Mode { kHandshake, kCatchUp, kLive, kClosing, kClosed };
  struct Outgoing {
    // One message, or (array) a whole flush's batch frame "[m1,\nm2]".
    std::shared_ptr<const std::string> message;
    uint64_t covered_position;  // Everything up to here is delivered once this is.
    size_t messages = 1;
    bool array = false;
  };

  void OnAccept(boost::beast::error_code ec);
  void DoRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void PumpCatchUp();
  void DrainMailbox();
  void HandleLive(const LiveBatch& batch);
  bool Matches(const std::string& stream, const std::string& type) const;
  // Queues; DoWrite() starts the write, so a burst of messages leaves together.
  void Enqueue(std::shared_ptr<const std::string> message, uint64_t covered_position,
               size_t messages = 1, bool array = false);
  void MaybeCheckpoint();
  void DoWrite();
  void OnWrite(boost::beast::error_code ec, size_t bytes);
  void ArmTimer();
  void OnTimer(boost::beast::error_code ec);
  void CloseWith(boost::beast::websocket::close_code code, const std::string& label,
                 const std::string& reason_prefix);
  void StartClose();
  void Finish(const std::string& reason);
  void CloseSocket();  // Idempotent; pending operations fail.
  uint64_t ResumePosition() const;
  bool QueueHasRoom() const;

  // Over the plain socket: the session keeps its own stall timer, so
  // beast::tcp_stream's per-operation timeout layer would be work per frame
  // for nothing.
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
  boost::asio::steady_timer timer_;
  boost::beast::flat_buffer buffer_;
  ConnectionSlot slot_;
  std::shared_ptr<ServerContext> context_;
  StreamQuery query_;
  std::string remote_;
  uint64_t registry_id_ = 0;

  Mode mode_ = Mode::kHandshake;
  uint64_t next_position_ = 1;      // First position not yet handled.
  uint64_t queued_position_ = 0;    // Covered by the last queued message.
  uint64_t written_position_ = 0;   // Covered by the last completely written message.
  bool caught_up_sent_ = false;
  bool catch_up_posted_ = false;
  std::deque<Outgoing> queue_;  // Waiting; what is being written has left it.
  size_t queued_messages_ = 0;  // Messages in queue_ (an array entry holds several).
  bool writing_ = false;
  // The write in flight: a queued message or flush frame itself, or
  // (frames=batch) frame_ built from several entries.
  std::shared_ptr<const std::string> in_flight_message_;
  std::string frame_;
  uint64_t in_flight_covered_ = 0;
  size_t in_flight_messages_ = 0;
  std::mutex mailbox_mutex_;
  std::vector<LiveBatch> mailbox_;  // Live batches not yet drained on the io thread.
  std::vector<LiveBatch> draining_;  // On the io thread: swapped with mailbox_, keeps its capacity.
  bool ping_pending_ = false;
  Clock::time_point write_started_;
  Clock::time_point last_ping_sent_;
  Clock::time_point last_heard_;  // Last frame from the client (data, pong, ping).
  Clock::time_point closing_since_;
  std::string close_label_;
  boost::beast::websocket::close_code close_code_ = boost::beast::websocket::close_code::normal;
  std::string close_reason_prefix_;
  bool close_started_ = false;
  bool finished_ = false;
};

}  // namespace tranche::api
