// Test support for tests/api: a real server on an ephemeral loopback port
// over a real RocksDB store in a temporary directory, and real clients
// (Beast's synchronous HTTP and WebSocket clients).
#pragma once

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/app.h"
#include "api/auth/token_store.h"
#include "api/server/server.h"
#include "eventstore/event_store.h"

namespace tranche::api::testing {

// How many times slower than a plain build this build runs. A test multiplies
// the windows it picks itself (a stall timeout, a wait for a log line) by it,
// so that a ThreadSanitizer build (or an unoptimised Debug one, whose JSON
// parsing alone made a reader of 8 KiB messages look stalled) keeps the same
// margins.
#if defined(__SANITIZE_THREAD__)
inline constexpr int kSlowdownFactor = 10;
#elif !defined(__OPTIMIZE__)
inline constexpr int kSlowdownFactor = 4;
#else
inline constexpr int kSlowdownFactor = 1;
#endif

// Tokens of the test principals: "<role>-token" for each role, and the
// principal is named after the role.
std::string TokenFor(Role role);
inline const std::string kFinanceToken = "finance-token";
inline const std::string kProgrammeToken = "programme-token";
inline const std::string kAuditorToken = "auditor-token";
inline const std::string kViewerToken = "viewer-token";
inline const std::string kAdminToken = "admin-token";

// A temporary directory removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Where and how a TestServer opens its store: tests that restart a server on
// the same directory, or make its disk fail, say so here.
struct StoreSetup {
  std::string data_dir;  // Empty: a fresh temporary directory, removed at the end.
  std::shared_ptr<rocksdb::FileSystem> file_system;  // Null: the machine's.
};

class TestServer {
 public:
  // `adjust` may change the options (short timeouts) and add routes before start.
  // `seed_file` is loaded into the empty log, as tranched --seed does.
  explicit TestServer(std::function<void(ServerOptions&)> adjust_options = nullptr,
                      std::function<void(Router&)> add_routes = nullptr, int threads = 2,
                      std::optional<std::string> seed_file = std::nullopt,
                      StoreSetup store_setup = {});
  ~TestServer();

  uint16_t port() const { return server_->port(); }
  eventstore::EventStore& store() { return *store_; }
  Metrics& metrics() { return metrics_; }
  Broadcaster& broadcaster() { return broadcaster_; }
  Server& server() { return *server_; }
  Router& router() { return router_; }
  Authenticator& authenticator() { return authenticator_; }
  const std::string& data_dir() const { return data_dir_; }
  // Stops the server and the app (idempotent).
  void Stop();
  // Log lines the server wrote, and a wait for one matching a predicate.
  std::vector<nlohmann::json> Logs();
  bool WaitForLog(const std::function<bool(const nlohmann::json&)>& match, int timeout_ms);
  // The value of a metric line ("name{labels}") in /metrics text, or -1.
  double MetricValue(const std::string& series);

 private:
  TempDir dir_;
  std::string data_dir_;  // dir_, or the StoreSetup's.
  std::unique_ptr<eventstore::EventStore> store_;
  Metrics metrics_;
  Authenticator authenticator_;
  Broadcaster broadcaster_;
  Router router_;
  std::unique_ptr<App> app_;
  std::unique_ptr<Server> server_;
  std::mutex logs_mutex_;
  std::vector<nlohmann::json> logs_;
  bool stopped_ = false;
};

// Appends `count` events to `stream`, one command, each payload `payload`.
// Returns the last position.
uint64_t AppendEvents(eventstore::EventStore& store, const std::string& stream, size_t count,
                      const std::string& type = "TestHappened",
                      const std::string& payload = "{\"n\":1}");

struct HttpResult {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  nlohmann::json Json() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string ErrorCode() const;
};

// One request on a fresh connection.
HttpResult Http(uint16_t port, const std::string& method, const std::string& target,
                const std::string& token = "", const std::string& body = "",
                const std::map<std::string, std::string>& headers = {});

// A connected loopback socket with a receive timeout (so a test never hangs).
boost::asio::ip::tcp::socket Connect(boost::asio::io_context& io, uint16_t port,
                                     int receive_timeout_ms = 10000, int receive_buffer_bytes = 0);
// Reads whatever the server sends until it closes; "" if it closed at once.
std::string ReadUntilClosed(boost::asio::ip::tcp::socket& socket);

// A synchronous WebSocket client.
class WsClient {
 public:
  // Connects and upgrades `target`; `token` goes in the Authorization header
  // when not empty. `receive_buffer_bytes` > 0 shrinks SO_RCVBUF.
  WsClient(uint16_t port, const std::string& target, const std::string& token = "",
           int receive_buffer_bytes = 0);
  bool connected() const { return connected_; }
  unsigned handshake_status() const { return handshake_status_; }
  // The next message, or nullopt once closed (see close_reason()).
  std::optional<nlohmann::json> Read();
  // The next message's raw text; nullopt once closed.
  std::optional<std::string> ReadText();
  void Write(const std::string& text);
  void Close();
  // Drops the TCP connection without a close handshake.
  void Abort();
  const boost::beast::websocket::close_reason& close_reason() const { return close_reason_; }

 private:
  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
  boost::beast::flat_buffer buffer_;
  boost::beast::websocket::close_reason close_reason_;
  bool connected_ = false;
  bool closed_ = false;
  unsigned handshake_status_ = 0;
};

}  // namespace tranche::api::testing
