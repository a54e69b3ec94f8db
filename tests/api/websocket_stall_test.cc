// A subscriber that never reads: the writer and the other subscribers keep
// their pace, and the stalled one is closed with its resume position.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/api/test_support.h"

namespace tranche::api {
namespace {

using namespace testing;  // NOLINT
using Clock = std::chrono::steady_clock;

TEST(WebSocketStallTest, StalledSubscriberIsClosedWithResumePositionWithoutSlowingOthers) {
  TestServer server([](ServerOptions& o) {
    o.websocket_stall_timeout = std::chrono::milliseconds(600) * kSlowdownFactor;
    o.websocket_queue_messages_max = 64;
    o.websocket_close_timeout = std::chrono::milliseconds(10000);
  });
  constexpr uint64_t kEvents = 2000;
  const std::string payload(8 * 1024, 'p');  // 16 MB in all: more than socket buffers hold.
  WsClient stalled(server.port(), "/v1/stream?from=1", kViewerToken, /*receive_buffer_bytes=*/4096);
  ASSERT_TRUE(stalled.connected());

  std::vector<uint64_t> healthy_positions;
  Clock::time_point healthy_done;
  std::thread healthy([&] {
    WsClient client(server.port(), "/v1/stream?from=1", kViewerToken);
    while (healthy_positions.empty() || healthy_positions.back() < kEvents) {
      auto message = client.Read();
      if (!message) return;
      if ((*message)["kind"] == "event") healthy_positions.push_back((*message)["position"]);
    }
    healthy_done = Clock::now();
  });
  const auto write_start = Clock::now();
  for (uint64_t i = 0; i < kEvents; i += 20) AppendEvents(server.store(), "cluster-a", 20, "X", payload);
  const auto write_done = Clock::now();
  healthy.join();
  ASSERT_EQ(healthy_positions.size(), kEvents);
  for (uint64_t i = 0; i < kEvents; ++i) ASSERT_EQ(healthy_positions[i], i + 1);
  std::printf("writer %lld ms, healthy reader done %lld ms after the writer\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(write_done - write_start).count()),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(healthy_done - write_done).count()));
  EXPECT_LT(healthy_done - write_done, std::chrono::seconds(5) * kSlowdownFactor);

  ASSERT_TRUE(server.WaitForLog([](const nlohmann::json& line) {
    return line.value("msg", "") == "websocket_closing" && line.value("reason", "") == "stalled";
  }, 5000 * kSlowdownFactor));
  // Now read what the stalled one was sent: a gap-free prefix, then the close
  // frame naming where to resume.
  uint64_t covered = 0;
  std::vector<uint64_t> positions;
  while (auto message = stalled.Read()) {
    covered = (*message)["position"];
    if ((*message)["kind"] == "event") positions.push_back(covered);
  }
  for (size_t i = 0; i < positions.size(); ++i) ASSERT_EQ(positions[i], i + 1);
  EXPECT_LT(positions.size(), kEvents);
  EXPECT_EQ(stalled.close_reason().code, boost::beast::websocket::close_code::policy_error);
  EXPECT_EQ(std::string(stalled.close_reason().reason.data(), stalled.close_reason().reason.size()),
            "stalled; resume from=" + std::to_string(covered + 1));
  EXPECT_TRUE(server.WaitForLog([](const nlohmann::json& line) {
    return line.value("msg", "") == "websocket_closed" && line.value("reason", "") == "stalled";
  }, 5000 * kSlowdownFactor));
  EXPECT_EQ(server.MetricValue("tranche_websocket_closes_total{reason=\"stalled\"}"), 1);

  // Resuming from the named position continues exactly.
  WsClient resumed(server.port(), "/v1/stream?from=" + std::to_string(covered + 1), kViewerToken);
  uint64_t expected = covered + 1;
  while (expected <= kEvents) {
    auto message = resumed.Read();
    ASSERT_TRUE(message);
    if ((*message)["kind"] == "event") {
      ASSERT_EQ((*message)["position"], expected++);
    }
  }
}

}  // namespace
}  // namespace tranche::api
