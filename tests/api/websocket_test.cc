// /v1/stream: access, catch-up → live, resume without gap or duplicate under
// concurrent appends, fallback to catch-up, checkpoints, limits, shutdown.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "tests/api/test_support.h"

namespace tranche::api {
namespace {

using namespace testing;  // NOLINT
namespace websocket = boost::beast::websocket;

// Reads until an event at `position` (or a marker covering it) arrives;
// appends every event position to `positions`. Returns false on close.
bool ReadThrough(WsClient& client, uint64_t position, std::vector<uint64_t>* positions) {
  for (;;) {
    auto message = client.Read();
    if (!message) return false;
    uint64_t at = (*message)["position"];
    if ((*message)["kind"] == "event") positions->push_back(at);
    if (at >= position) return true;
  }
}

TEST(WebSocketTest, UpgradeChecksTokenRoleAndQuery) {
  TestServer server;
  EXPECT_EQ(WsClient(server.port(), "/v1/stream").handshake_status(), 401u);
  EXPECT_EQ(WsClient(server.port(), "/v1/stream?access_token=nope").handshake_status(), 401u);
  EXPECT_EQ(WsClient(server.port(), "/v1/stream", kFinanceToken).handshake_status(), 403u);
  EXPECT_EQ(WsClient(server.port(), "/v1/stream?from=x", kViewerToken).handshake_status(), 400u);
  EXPECT_EQ(WsClient(server.port(), "/v1/elsewhere", kViewerToken).handshake_status(), 404u);
  WsClient by_query(server.port(), "/v1/stream?access_token=" + kViewerToken);
  EXPECT_TRUE(by_query.connected());
  WsClient by_header(server.port(), "/v1/stream", kAuditorToken);
  EXPECT_TRUE(by_header.connected());
}

TEST(WebSocketTest, CatchesUpThenGoesLive) {
  TestServer server;
  AppendEvents(server.store(), "cluster-a", 10, "BidSubmitted");
  WsClient client(server.port(), "/v1/stream?from=1", kViewerToken);
  ASSERT_TRUE(client.connected());
  for (uint64_t p = 1; p <= 10; ++p) {
    auto message = client.Read();
    ASSERT_TRUE(message);
    EXPECT_EQ((*message)["kind"], "event");
    EXPECT_EQ((*message)["position"], p);
    EXPECT_EQ((*message)["stream"], "cluster-a");
    EXPECT_EQ((*message)["version"], p - 1);
    EXPECT_EQ((*message)["type"], "BidSubmitted");
    EXPECT_EQ((*message)["actor"], "tester");
    EXPECT_TRUE((*message).contains("recorded_at"));
    EXPECT_TRUE((*message).contains("data"));
  }
  auto caught_up = client.Read();
  ASSERT_TRUE(caught_up);
  EXPECT_EQ(*caught_up, (nlohmann::json{{"kind", "caught_up"}, {"position", 10}}));
  AppendEvents(server.store(), "cluster-b", 5);
  for (uint64_t p = 11; p <= 15; ++p) {
    auto message = client.Read();
    ASSERT_TRUE(message);
    EXPECT_EQ((*message)["position"], p);
  }
}

TEST(WebSocketTest, DefaultFromIsTheHead) {
  TestServer server;
  AppendEvents(server.store(), "cluster-a", 3);
  WsClient client(server.port(), "/v1/stream", kViewerToken);
  auto caught_up = client.Read();
  ASSERT_TRUE(caught_up);
  EXPECT_EQ(*caught_up, (nlohmann::json{{"kind", "caught_up"}, {"position", 3}}));
  AppendEvents(server.store(), "cluster-a", 1);
  EXPECT_EQ((*client.Read())["position"], 4);
}

void ExpectExactly(const std::vector<uint64_t>& positions, uint64_t last) {
  ASSERT_EQ(positions.size(), last);
  for (uint64_t i = 0; i < last; ++i) ASSERT_EQ(positions[i], i + 1) << "gap or duplicate";
}

// The messages of one frame: the frame itself, or with frames=batch its
// array's elements (checked to be one per line, as the protocol promises).
std::optional<std::vector<nlohmann::json>> ReadFrame(WsClient& client, bool batch,
                                                     size_t* messages_in_frame = nullptr) {
  auto text = client.ReadText();
  if (!text) return std::nullopt;
  nlohmann::json frame = nlohmann::json::parse(*text);
  std::vector<nlohmann::json> messages;
  if (!batch) {
    EXPECT_TRUE(frame.is_object()) << *text;
    messages.push_back(std::move(frame));
  } else {
    EXPECT_TRUE(frame.is_array() && !frame.empty()) << text->substr(0, 200);
    const size_t lines = static_cast<size_t>(std::count(text->begin(), text->end(), '\n')) + 1;
    EXPECT_EQ(lines, frame.size()) << "one message per line";
    for (auto& message : frame) messages.push_back(std::move(message));
  }
  if (messages_in_frame) *messages_in_frame = messages.size();
  return messages;
}

void ResumeUnderConcurrentAppends(bool batch) {
  TestServer server([](ServerOptions& o) { o.websocket_queue_messages_max = 32; });
  const uint32_t seed = 20240401;
  std::printf("seed %u, frames=%s\n", seed, batch ? "batch" : "single");
  std::mt19937 random(seed);
  constexpr uint64_t kEvents = 1500;
  std::atomic<uint64_t> appended{0};
  std::thread writer([&] {
    std::mt19937 writer_random(seed + 1);
    while (appended.load() < kEvents) {
      size_t count = std::min<uint64_t>(1 + writer_random() % 5, kEvents - appended.load());
      appended = AppendEvents(server.store(), "cluster-" + std::to_string(writer_random() % 3), count);
    }
  });
  std::vector<uint64_t> positions;
  int reconnects = 0;
  while (positions.empty() || positions.back() < kEvents) {
    uint64_t from = positions.empty() ? 1 : positions.back() + 1;
    WsClient client(server.port(), std::string("/v1/stream?frames=") +
                                       (batch ? "batch" : "single") + "&from=" + std::to_string(from),
                    kViewerToken);
    ASSERT_TRUE(client.connected());
    size_t take = 1 + random() % 200;
    for (size_t i = 0; i < take; ++i) {
      auto messages = ReadFrame(client, batch);
      ASSERT_TRUE(messages) << "closed unexpectedly";
      for (const auto& message : *messages) {
        if (message["kind"] == "event") positions.push_back(message["position"]);
      }
      if (!positions.empty() && positions.back() >= kEvents) break;
    }
    if (random() % 2) client.Close(); else client.Abort();
    ++reconnects;
  }
  writer.join();
  std::printf("reconnects %d\n", reconnects);
  ExpectExactly(positions, kEvents);
}

TEST(WebSocketTest, ResumingUnderConcurrentAppendsHasNoGapAndNoDuplicate) {
  ResumeUnderConcurrentAppends(/*batch=*/false);
}

TEST(WebSocketTest, BatchFramesResumeUnderConcurrentAppendsWithNoGapAndNoDuplicate) {
  ResumeUnderConcurrentAppends(/*batch=*/true);
}

TEST(WebSocketTest, BatchFramesCarryWhatQueuedWhileTheLastFrameWasWritten) {
  TestServer server;
  EXPECT_EQ(WsClient(server.port(), "/v1/stream?frames=many", kViewerToken).handshake_status(), 400u);
  AppendEvents(server.store(), "cluster-a", 600, "BidSubmitted");
  WsClient client(server.port(), "/v1/stream?frames=batch&from=1", kViewerToken);
  ASSERT_TRUE(client.connected());
  // Catch-up queues a store read at a time while the first frame is written,
  // so later frames carry many messages; together exactly 1..600, then caught_up.
  std::vector<uint64_t> positions;
  size_t frames = 0, largest = 0;
  bool caught_up = false;
  while (!caught_up) {
    size_t in_frame = 0;
    auto messages = ReadFrame(client, /*batch=*/true, &in_frame);
    ASSERT_TRUE(messages);
    ++frames;
    largest = std::max(largest, in_frame);
    for (const auto& message : *messages) {
      ASSERT_FALSE(caught_up) << "a message after caught_up in the same catch-up";
      if (message["kind"] == "event") {
        EXPECT_EQ(message["type"], "BidSubmitted");
        EXPECT_TRUE(message.contains("data"));
        positions.push_back(message["position"]);
      } else {
        EXPECT_EQ(message, (nlohmann::json{{"kind", "caught_up"}, {"position", 600}}));
        caught_up = true;
      }
    }
  }
  ExpectExactly(positions, 600);
  EXPECT_LT(frames, 601u) << "catch-up was never batched";
  EXPECT_GT(largest, 1u);
  // Live: what comes next arrives too, still as arrays.
  AppendEvents(server.store(), "cluster-b", 5);
  while (positions.size() < 605) {
    auto messages = ReadFrame(client, /*batch=*/true);
    ASSERT_TRUE(messages);
    for (const auto& message : *messages) positions.push_back(message["position"]);
  }
  ExpectExactly(positions, 605);
  // Messages, not frames, are counted as sent: at least the 601 catch-up ones.
  EXPECT_GE(server.MetricValue("tranche_websocket_messages_sent_total"), 601);
}

TEST(WebSocketTest, LiveEventsOfOneFlushIntervalTravelInOneFrame) {
  TestServer server;
  // Long enough that the appends below all land inside one interval.
  server.broadcaster().SetFlushInterval(std::chrono::milliseconds(400));
  WsClient batch(server.port(), "/v1/stream?frames=batch", kViewerToken);
  WsClient filtered(server.port(), "/v1/stream?frames=batch&stream=cluster-b", kViewerToken);
  WsClient single(server.port(), "/v1/stream", kViewerToken);
  for (WsClient* client : {&batch, &filtered, &single}) {
    ASSERT_TRUE(client->connected());
    auto caught_up = ReadFrame(*client, /*batch=*/client != &single);
    ASSERT_TRUE(caught_up);
    ASSERT_EQ((*caught_up)[0]["kind"], "caught_up");
  }
  // After a quiet spell the first event is flushed at once, alone.
  const auto start = std::chrono::steady_clock::now();
  AppendEvents(server.store(), "cluster-a", 1);
  size_t in_frame = 0;
  auto first = ReadFrame(batch, /*batch=*/true, &in_frame);
  ASSERT_TRUE(first);
  EXPECT_EQ(in_frame, 1u);
  EXPECT_EQ((*first)[0]["position"], 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300))
      << "the first event after a quiet spell waited for the interval";
  // Six appends (six publishes) inside the next interval: one flush.
  for (int i = 0; i < 3; ++i) {
    AppendEvents(server.store(), "cluster-a", 1);
    AppendEvents(server.store(), "cluster-b", 1);
  }
  auto rest = ReadFrame(batch, /*batch=*/true, &in_frame);
  ASSERT_TRUE(rest);
  ASSERT_EQ(in_frame, 6u) << "the interval's events were not sent as one frame";
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ((*rest)[i]["position"], i + 2);
  // A filtered session gets the matching events of the flush in one frame.
  auto matching = ReadFrame(filtered, /*batch=*/true, &in_frame);
  ASSERT_TRUE(matching);
  ASSERT_EQ(in_frame, 3u);
  EXPECT_EQ((*matching)[0]["position"], 3);
  EXPECT_EQ((*matching)[2]["position"], 7);
  // One message per frame, as always, without frames=batch.
  for (uint64_t position = 1; position <= 7; ++position) {
    auto message = single.Read();
    ASSERT_TRUE(message);
    EXPECT_EQ((*message)["position"], position);
  }
  EXPECT_EQ(server.broadcaster().flushes(), 2u);
}

TEST(WebSocketTest, SlowReaderFallsBackToCatchUpAndRejoinsWithoutGaps) {
  TestServer server([](ServerOptions& o) { o.websocket_queue_messages_max = 8; });
  WsClient client(server.port(), "/v1/stream?from=1", kViewerToken, /*receive_buffer_bytes=*/4096);
  ASSERT_EQ((*client.Read())["kind"], "caught_up");
  // 12.8 MB the client does not read while it is written: more than the
  // socket buffers hold, so the session's queue fills.
  constexpr uint64_t kEvents = 400;
  const std::string payload(32 * 1024, 'p');
  for (uint64_t i = 0; i < kEvents; i += 10) AppendEvents(server.store(), "cluster-a", 10, "X", payload);
  std::thread writer([&] {
    for (uint64_t i = 0; i < kEvents; i += 10) AppendEvents(server.store(), "cluster-b", 10);
  });
  std::vector<uint64_t> positions;
  while (positions.size() < 2 * kEvents) {
    auto message = client.Read();
    ASSERT_TRUE(message);
    if ((*message)["kind"] == "event") positions.push_back((*message)["position"]);
  }
  writer.join();
  ExpectExactly(positions, 2 * kEvents);
  EXPECT_GT(server.MetricValue("tranche_websocket_catchup_fallbacks_total"), 0);
}

TEST(WebSocketTest, FilteredStreamAdvancesByCheckpoints) {
  TestServer server([](ServerOptions& o) { o.websocket_checkpoint_positions = 50; });
  AppendEvents(server.store(), "programme-p", 1, "ProgrammeOpened");   // 1
  AppendEvents(server.store(), "cluster-a", 300, "MemberAdded");      // 2..301
  AppendEvents(server.store(), "programme-p", 1, "FinancialYearClosed");  // 302
  WsClient client(server.port(), "/v1/stream?from=1&stream=programme-", kViewerToken);
  std::vector<nlohmann::json> messages;
  for (;;) {
    auto message = client.Read();
    ASSERT_TRUE(message);
    messages.push_back(*message);
    if ((*message)["kind"] == "caught_up") break;
  }
  EXPECT_EQ(messages.front()["position"], 1);
  EXPECT_EQ(messages.back()["position"], 302);
  int events = 0;
  uint64_t previous = 0;
  for (const auto& m : messages) {
    // Events strictly increase; a marker may repeat the last event's position.
    if (m["kind"] == "event") {
      EXPECT_GT(m["position"].get<uint64_t>(), previous);
      ++events;
    } else {
      EXPECT_GE(m["position"].get<uint64_t>(), previous);
    }
    previous = m["position"];
  }
  EXPECT_EQ(events, 2);
  // Live: a long unmatched stretch yields checkpoints, then the match.
  AppendEvents(server.store(), "cluster-a", 120, "MemberAdded");   // 303..422
  AppendEvents(server.store(), "programme-p", 1, "ProgrammeOpened");  // 423
  int checkpoints = 0;
  previous = 302;
  for (;;) {
    auto message = client.Read();
    ASSERT_TRUE(message);
    EXPECT_GT((*message)["position"].get<uint64_t>(), previous);
    previous = (*message)["position"];
    if ((*message)["kind"] == "event") break;
    EXPECT_EQ((*message)["kind"], "checkpoint");
    EXPECT_LE(previous, 422u);
    ++checkpoints;
  }
  EXPECT_EQ(previous, 423u);
  EXPECT_GE(checkpoints, 1);

  WsClient typed(server.port(), "/v1/stream?from=1&type=FinancialYearClosed,ProgrammeOpened", kViewerToken);
  std::vector<uint64_t> positions;
  ASSERT_TRUE(ReadThrough(typed, 423, &positions));
  EXPECT_EQ(positions, (std::vector<uint64_t>{1, 302, 423}));
}

TEST(WebSocketTest, OverSizeIncomingMessageClosesTheSession) {
  TestServer server;
  WsClient client(server.port(), "/v1/stream", kViewerToken);
  ASSERT_TRUE(client.Read());  // caught_up
  client.Write(std::string(kWebSocketIncomingBytesMax - 100, 'x'));  // Within the limit: ignored.
  client.Write(std::string(kWebSocketIncomingBytesMax + 1, 'x'));
  EXPECT_FALSE(client.Read());
  EXPECT_EQ(client.close_reason().code, websocket::close_code::too_big);
  EXPECT_TRUE(server.WaitForLog([](const nlohmann::json& line) {
    return line.value("msg", "") == "websocket_closed" && line.value("reason", "") == "message_too_big";
  }, 3000));
  EXPECT_EQ(Http(server.port(), "GET", "/healthz").status, 200u);
}

TEST(WebSocketTest, ShutdownClosesWithTheResumePosition) {
  TestServer server;
  AppendEvents(server.store(), "cluster-a", 3);
  WsClient client(server.port(), "/v1/stream?from=1", kViewerToken);
  std::vector<uint64_t> positions;
  ASSERT_TRUE(ReadThrough(client, 3, &positions));
  ASSERT_EQ((*client.Read())["kind"], "caught_up");
  std::thread stopper([&] { server.Stop(); });
  EXPECT_FALSE(client.Read());
  stopper.join();
  EXPECT_EQ(client.close_reason().code, websocket::close_code::going_away);
  EXPECT_EQ(std::string(client.close_reason().reason.data(), client.close_reason().reason.size()), "server shutting down; resume from=4");
}

TEST(WebSocketTest, PythonWebsocketsClientCatchesUpAndResumes) {
  TestServer server;
  AppendEvents(server.store(), "cluster-a", 20);
  std::string command = std::string("/usr/bin/python3 ") + TRANCHE_SOURCE_DIR +
                        "/tests/api/stream_client.py " + std::to_string(server.port()) + " " +
                        kViewerToken + " 20";
  EXPECT_EQ(std::system(command.c_str()), 0);
}

}  // namespace
}  // namespace tranche::api
