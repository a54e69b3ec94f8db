// One /v1/stream subscriber: catch-up, live, bounded queue, stall detection.
#include "api/server/websocket_session.h"

#include <algorithm>
#include <charconv>

#include "api/server/error_response.h"

namespace tranche::api {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {
constexpr size_t kStreamTypesMax = 32;
constexpr std::chrono::milliseconds kTimerTickMin{10};
}  // namespace

std::optional<Response> ParseStreamQuery(const std::map<std::string, std::string>& query,
                                         StreamQuery* out) {
  if (auto it = query.find("from"); it != query.end()) {
    uint64_t from = 0;
    const std::string& text = it->second;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), from);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
      return BadField("from", "not_a_position", "from must be a position (an unsigned integer)");
    }
    out->from = std::max<uint64_t>(from, 1);
  }
  if (auto it = query.find("stream"); it != query.end()) {
    if (it->second.size() > eventstore::kStreamNameBytesMax) {
      return BadField("stream", "too_long", "stream prefix is too long");
    }
    out->filter.stream_prefix = it->second;
  }
  if (auto it = query.find("type"); it != query.end()) {
    // "type=" is no filter; otherwise every item between commas must be a
    // type, so "A,,B", ",A" and "A," are all refused alike.
    std::string_view rest = it->second;
    for (bool more = !rest.empty(); more;) {
      size_t comma = rest.find(',');
      std::string_view type = rest.substr(0, comma);
      more = comma != std::string_view::npos;
      if (more) rest.remove_prefix(comma + 1);
      if (type.empty() || type.size() > eventstore::kEventTypeBytesMax) {
        return BadField("type", "invalid_type_list",
                        "type must be a comma-separated list of event types");
      }
      out->filter.types.emplace_back(type);
    }
    if (out->filter.types.size() > kStreamTypesMax) {
      return BadField("type", "too_many_types", "too many types");
    }
  }
  if (auto it = query.find("frames"); it != query.end()) {
    if (it->second != "single" && it->second != "batch") {
      return BadField("frames", "unknown_frames", "frames must be single or batch");
    }
    out->batch_frames = it->second == "batch";
  }
  return std::nullopt;
}

WebSocketSession::WebSocketSession(tcp::socket socket, ConnectionSlot slot,
                                   std::shared_ptr<ServerContext> context, StreamQuery query,
                                   std::string remote)
    : ws_(std::move(socket)),
      timer_(ws_.get_executor()),
      slot_(std::move(slot)),
      context_(std::move(context)),
      query_(std::move(query)),
      remote_(std::move(remote)) {}

WebSocketSession::~WebSocketSession() { context_->Unregister(registry_id_); }

void WebSocketSession::Run(beast::http::request<beast::http::string_body> request) {
  websocket::stream_base::timeout timeout{};
  timeout.handshake_timeout = kWebSocketHandshakeTimeout;
  timeout.idle_timeout = websocket::stream_base::none();  // Our own timer watches stalls.
  timeout.keep_alive_pings = false;
  ws_.set_option(timeout);
  ws_.read_message_max(kWebSocketIncomingBytesMax);
  // One message, one frame, one write: Beast's default splits every message
  // longer than its 4 KiB write buffer into frames of that size, each its own
  // system call here and its own header read at the client (a batch frame of
  // a 20 ms flush is ~8 KiB; docs/DECISIONS.md §11, §13).
  ws_.auto_fragment(false);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& response) { response.set(beast::http::field::server, "tranched"); }));
  // Runs inside our reads, so on the io thread: any frame from the client shows it reads.
  ws_.control_callback([this](websocket::frame_type, beast::string_view) {
    last_heard_ = Clock::now();
  });
  registry_id_ = context_->Register(shared_from_this());
  ws_.async_accept(request, beast::bind_front_handler(&WebSocketSession::OnAccept, shared_from_this()));
}

void WebSocketSession::OnAccept(beast::error_code ec) {
  if (ec) {
    Finish("handshake_failed");
    return;
  }
  context_->metrics.websocket_sessions.Increment();
  context_->broadcaster.Join(shared_from_this());
  next_position_ = query_.from ? *query_.from : context_->store.GetHead().position + 1;
  queued_position_ = written_position_ = next_position_ - 1;
  last_heard_ = last_ping_sent_ = Clock::now();
  mode_ = Mode::kCatchUp;
  if (context_->stopping.load()) {
    CloseWith(websocket::close_code::going_away, "shutdown", "server shutting down; resume from=");
    return;
  }
  DoRead();
  ArmTimer();
  PumpCatchUp();
}

void WebSocketSession::DoRead() {
  ws_.async_read(buffer_, beast::bind_front_handler(&WebSocketSession::OnRead, shared_from_this()));
}

void WebSocketSession::OnRead(beast::error_code ec, size_t) {
  if (ec) {
    std::string reason = close_label_;
    if (reason.empty()) {
      if (ec == websocket::error::closed) reason = "client";
      else if (ec == websocket::error::message_too_big) reason = "message_too_big";
      else reason = "error";
    }
    Finish(reason);
    return;
  }
  // Clients have nothing to say on this stream; a message only shows they read.
  last_heard_ = Clock::now();
  buffer_.consume(buffer_.size());
  DoRead();
}

bool WebSocketSession::QueueHasRoom() const {
  return queued_messages_ < std::max<size_t>(context_->options.websocket_queue_messages_max / 2, 1);
}

void WebSocketSession::PumpCatchUp() {
  catch_up_posted_ = false;
  if (mode_ != Mode::kCatchUp || !QueueHasRoom()) return;  // OnWrite pumps again.
  const size_t queue_max = context_->options.websocket_queue_messages_max;
  const size_t limit = std::clamp<size_t>(queue_max - queued_messages_ - 1, 1,
                                          kWebSocketCatchUpBatchEventsMax);
  const eventstore::Head head = context_->store.GetHead();
  std::vector<eventstore::RecordedEvent> events;
  uint64_t scanned_to = 0;
  Status status =
      context_->store.ReadAll(next_position_, query_.filter, limit, &events, &scanned_to);
  if (!status.ok()) {
    context_->Log({{"level", "error"}, {"msg", "stream_read_failed"}, {"error", status.ToString()}});
    CloseWith(websocket::close_code::internal_error, "store_error", "store read failed; resume from=");
    return;
  }
  for (const auto& event : events) {
    if (event.position < next_position_) continue;
    Enqueue(std::make_shared<const std::string>(context_->broadcaster.RenderMessage(event)),
            event.position);
    next_position_ = event.position + 1;
  }
  // Events the filter skipped are handled too.
  next_position_ = std::max(next_position_, scanned_to + 1);
  if (scanned_to >= head.position) {
    // The read saw every event durable before it began, so everything after
    // it arrives as a live batch: turn live.
    mode_ = Mode::kLive;
    if (!caught_up_sent_) {
      caught_up_sent_ = true;
      Enqueue(std::make_shared<const std::string>(StreamMarkerMessage("caught_up", next_position_ - 1)),
              next_position_ - 1);
    }
    MaybeCheckpoint();
    DoWrite();
    return;
  }
  MaybeCheckpoint();
  DoWrite();
  if (QueueHasRoom()) {
    catch_up_posted_ = true;  // One batch per turn, so other sessions on this thread run.
    net::post(ws_.get_executor(), [self = shared_from_this()] { self->PumpCatchUp(); });
  }
}

void WebSocketSession::OnLive(LiveBatch batch) {
  {
    std::lock_guard lock(mailbox_mutex_);
    mailbox_.push_back(std::move(batch));
    if (mailbox_.size() > 1) return;  // A drain is already on its way.
  }
  net::post(ws_.get_executor(), [self = shared_from_this()] { self->DrainMailbox(); });
}

void WebSocketSession::DrainMailbox() {
  // The two vectors trade places, so neither allocates once both have grown.
  {
    std::lock_guard lock(mailbox_mutex_);
    draining_.swap(mailbox_);
  }
  for (const LiveBatch& batch : draining_) HandleLive(batch);
  draining_.clear();
}

void WebSocketSession::HandleLive(const LiveBatch& batch) {
  if (mode_ != Mode::kLive) return;  // Catch-up reads these from the store.
  const size_t queue_max = context_->options.websocket_queue_messages_max;
  const auto& events = batch->events;
  if (events.empty()) return;
  // The common case: an unfiltered frames=batch session that has handled
  // everything before this flush queues the flush's own frame, shared. When
  // it would overfill the queue, the message-by-message path below queues
  // what fits and falls back to catch-up with a write under way (its
  // completion pumps the store reads).
  const bool whole = query_.batch_frames && query_.filter.stream_prefix.empty() &&
                     query_.filter.types.empty() && events.front().position == next_position_ &&
                     events.back().position - events.front().position + 1 == events.size() &&
                     batch->frame.size() <= kWebSocketBatchFrameBytesMax &&
                     queued_messages_ + events.size() <= queue_max;
  if (whole) {
    Enqueue(std::shared_ptr<const std::string>(batch, &batch->frame), events.back().position,
            events.size(), /*array=*/true);
    next_position_ = events.back().position + 1;
    DoWrite();
    return;
  }
  for (const auto& event : events) {
    if (event.position < next_position_) continue;  // Already handled.
    if (event.position > next_position_) {
      // Published with a hole (an append that bypassed the broadcaster): read it.
      mode_ = Mode::kCatchUp;
      DoWrite();
      if (!catch_up_posted_) PumpCatchUp();
      return;
    }
    if (Matches(event.stream, event.type)) {
      if (queued_messages_ >= queue_max) {
        mode_ = Mode::kCatchUp;
        context_->metrics.websocket_catchup_fallbacks.Increment();
        DoWrite();
        return;  // OnWrite resumes with store reads from next_position_.
      }
      Enqueue(event.message, event.position);
      next_position_ = event.position + 1;
    } else {
      next_position_ = event.position + 1;
      MaybeCheckpoint();  // A long unmatched stretch inside one flush.
    }
  }
  MaybeCheckpoint();
  DoWrite();
}

bool WebSocketSession::Matches(const std::string& stream, const std::string& type) const {
  const auto& filter = query_.filter;
  if (!filter.stream_prefix.empty() && stream.compare(0, filter.stream_prefix.size(),
                                                      filter.stream_prefix) != 0) {
    return false;
  }
  return filter.types.empty() ||
         std::find(filter.types.begin(), filter.types.end(), type) != filter.types.end();
}

void WebSocketSession::MaybeCheckpoint() {
  const uint64_t handled = next_position_ - 1;
  if (handled < queued_position_ + context_->options.websocket_checkpoint_positions) return;
  if (queued_messages_ >= context_->options.websocket_queue_messages_max) return;
  Enqueue(std::make_shared<const std::string>(StreamMarkerMessage("checkpoint", handled)), handled);
}

void WebSocketSession::Enqueue(std::shared_ptr<const std::string> message, uint64_t covered,
                               size_t messages, bool array) {
  queue_.push_back(Outgoing{std::move(message), covered, messages, array});
  queued_messages_ += messages;
  queued_position_ = covered;
}

void WebSocketSession::DoWrite() {
  if (writing_ || queue_.empty() || mode_ == Mode::kClosed) return;
  writing_ = true;
  write_started_ = Clock::now();
  net::const_buffer payload;
  if (!query_.batch_frames || (queue_.size() == 1 && queue_.front().array)) {
    // One message, or one flush's frame: sent as it is, shared, no copy.
    in_flight_message_ = std::move(queue_.front().message);
    in_flight_covered_ = queue_.front().covered_position;
    in_flight_messages_ = queue_.front().messages;
    queued_messages_ -= in_flight_messages_;
    queue_.pop_front();
    payload = net::buffer(*in_flight_message_);
  } else {
    // Messages are JSON text already: the array is their concatenation (an
    // array entry contributes what is between its brackets).
    frame_.assign(1, '[');
    in_flight_messages_ = 0;
    while (!queue_.empty()) {
      const Outgoing& next = queue_.front();
      std::string_view text = *next.message;
      if (next.array) text = text.substr(1, text.size() - 2);
      if (in_flight_messages_ > 0 && frame_.size() + text.size() + 3 > kWebSocketBatchFrameBytesMax) {
        break;
      }
      if (in_flight_messages_ > 0) frame_.append(",\n");
      frame_.append(text);
      in_flight_covered_ = next.covered_position;
      in_flight_messages_ += next.messages;
      queued_messages_ -= next.messages;
      queue_.pop_front();
    }
    frame_.push_back(']');
    payload = net::buffer(frame_);
  }
  ws_.text(true);
  ws_.async_write(payload,
                  beast::bind_front_handler(&WebSocketSession::OnWrite, shared_from_this()));
}

void WebSocketSession::OnWrite(beast::error_code ec, size_t) {
  writing_ = false;
  in_flight_message_.reset();
  if (ec) {
    queue_.clear();
    queued_messages_ = 0;
    CloseSocket();  // The pending read fails and finishes us.
    return;
  }
  written_position_ = in_flight_covered_;
  context_->metrics.websocket_messages_sent.Increment(static_cast<double>(in_flight_messages_));
  if (mode_ == Mode::kClosing) {
    StartClose();
    return;
  }
  if (mode_ == Mode::kClosed) return;
  DoWrite();
  if (mode_ == Mode::kCatchUp && !catch_up_posted_) PumpCatchUp();
}

void WebSocketSession::ArmTimer() {
  auto tick = std::max<std::chrono::milliseconds>(context_->options.websocket_stall_timeout / 6,
                                                  kTimerTickMin);
  timer_.expires_after(tick);
  timer_.async_wait(beast::bind_front_handler(&WebSocketSession::OnTimer, shared_from_this()));
}

void WebSocketSession::OnTimer(beast::error_code ec) {
  if (ec || mode_ == Mode::kClosed) return;
  const auto now = Clock::now();
  const auto stall = context_->options.websocket_stall_timeout;
  if (mode_ == Mode::kClosing) {
    if (now - closing_since_ >= context_->options.websocket_close_timeout) {
      CloseSocket();  // The client never took the close frame.
      return;
    }
  } else if ((writing_ && now - write_started_ >= stall) || now - last_heard_ >= stall) {
    CloseWith(websocket::close_code::policy_error, "stalled", "stalled; resume from=");
  } else if (now - last_heard_ >= stall / 3 && now - last_ping_sent_ >= stall / 3 &&
             !ping_pending_) {
    ping_pending_ = true;
    last_ping_sent_ = now;
    ws_.async_ping({}, [self = shared_from_this()](beast::error_code) { self->ping_pending_ = false; });
  }
  ArmTimer();
}

void WebSocketSession::CloseSocket() {
  beast::error_code ignored;
  ws_.next_layer().close(ignored);
}

uint64_t WebSocketSession::ResumePosition() const { return written_position_ + 1; }

void WebSocketSession::CloseWith(websocket::close_code code, const std::string& label,
                                 const std::string& reason_prefix) {
  if (mode_ == Mode::kClosing || mode_ == Mode::kClosed) return;
  mode_ = Mode::kClosing;
  close_label_ = label;
  close_code_ = code;
  close_reason_prefix_ = reason_prefix;
  closing_since_ = Clock::now();
  queue_.clear();  // What is in flight has already left the queue.
  queued_messages_ = 0;
  context_->Log({{"level", "info"}, {"msg", "websocket_closing"}, {"reason", label},
                 {"remote", remote_}});
  // The close frame names the resume position, so it waits for the message in
  // flight: only a completed write says what the client will have. (Beast may
  // abandon a write that had not begun when a close starts.) If that write
  // never completes, OnTimer cuts the connection after the close timeout.
  if (!writing_) StartClose();
}

void WebSocketSession::StartClose() {
  if (close_started_) return;
  close_started_ = true;
  const uint64_t resume = ResumePosition();
  context_->Log({{"level", "info"}, {"msg", "websocket_close_sent"}, {"reason", close_label_},
                 {"resume_from", resume}, {"remote", remote_}});
  ws_.async_close(websocket::close_reason(close_code_, close_reason_prefix_ + std::to_string(resume)),
                  [self = shared_from_this()](beast::error_code) {
                    self->Finish(self->close_label_);
                  });
}

void WebSocketSession::Shutdown() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    if (self->mode_ == Mode::kHandshake) return;  // OnAccept sees `stopping`.
    self->CloseWith(websocket::close_code::going_away, "shutdown",
                    "server shutting down; resume from=");
  });
}

void WebSocketSession::Finish(const std::string& reason) {
  if (mode_ == Mode::kClosed) return;
  const bool counted = mode_ != Mode::kHandshake;
  mode_ = Mode::kClosed;
  queue_.clear();
  queued_messages_ = 0;
  timer_.cancel();
  // Counted before the socket closes: a client that has seen the end of the
  // stream then reads metrics that already include this close.
  if (counted) {
    context_->broadcaster.Leave(this);
    context_->metrics.websocket_sessions.Decrement();
    context_->metrics.RecordWebSocketClose(reason);
  }
  CloseSocket();
  if (!counted) return;
  context_->Log({{"level", "info"}, {"msg", "websocket_closed"}, {"reason", reason},
                 {"remote", remote_}});
}

}  // namespace tranche::api
