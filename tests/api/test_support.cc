// Test support: a real server and real clients on loopback.
#include "tests/api/test_support.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

namespace tranche::api::testing {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

std::string TokenFor(Role role) { return std::string(RoleName(role)) + "-token"; }

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "tranche-api-XXXXXX").string();
  TRANCHE_CHECK(mkdtemp(pattern.data()) != nullptr);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

TestServer::TestServer(std::function<void(ServerOptions&)> adjust_options,
                       std::function<void(Router&)> add_routes, int threads,
                       std::optional<std::string> seed_file, StoreSetup store_setup)
    : data_dir_(store_setup.data_dir.empty() ? dir_.path() : store_setup.data_dir),
      authenticator_(TokenFilePath(data_dir_)) {
  // As tranched does: each durable commit group feeds the store's metrics.
  eventstore::Options store_options;
  store_options.file_system = std::move(store_setup.file_system);
  store_options.on_group_written = [this](const eventstore::GroupWritten& group) {
    metrics_.RecordCommitGroup(group.appends, group.events,
                               static_cast<double>(group.sync_write_micros) / 1e6,
                               group.head_position);
  };
  auto opened = eventstore::EventStore::Open(data_dir_ + "/events", store_options);
  TRANCHE_CHECK_MSG(opened.ok(), "cannot open the test store");
  store_ = std::move(opened).value();
  std::vector<TokenRecord> records;
  for (Role role : kAllRoles) {
    records.push_back(TokenRecord{std::string(RoleName(role)), RoleSet{role}, HashToken(TokenFor(role)), ""});
  }
  authenticator_.SetRecordsForTest(std::move(records));
  AppContext context{*store_, router_, broadcaster_, metrics_,
                     RouteContext{store_.get(), &metrics_, &broadcaster_, TRANCHE_TEST_DASHBOARD_DIR},
                     data_dir_, std::move(seed_file)};
  auto app = StartApp(context);
  TRANCHE_CHECK(app.ok());
  app_ = std::move(app).value();
  if (add_routes) add_routes(router_);
  ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.log = [this](const nlohmann::json& line) {
    std::lock_guard lock(logs_mutex_);
    logs_.push_back(line);
  };
  if (adjust_options) adjust_options(options);
  server_ = std::make_unique<Server>(options, router_, authenticator_, metrics_, broadcaster_, *store_);
  TRANCHE_CHECK(server_->Start(threads).ok());
}

TestServer::~TestServer() { Stop(); }

void TestServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  server_->Stop();
  app_->Drain();
  store_->Close();
}

std::vector<nlohmann::json> TestServer::Logs() {
  std::lock_guard lock(logs_mutex_);
  return logs_;
}

bool TestServer::WaitForLog(const std::function<bool(const nlohmann::json&)>& match,
                            int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& line : Logs()) {
      if (match(line)) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

double TestServer::MetricValue(const std::string& series) {
  std::istringstream text(metrics_.Serialize());
  std::string line;
  while (std::getline(text, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

uint64_t AppendEvents(eventstore::EventStore& store, const std::string& stream, size_t count,
                      const std::string& type, const std::string& payload) {
  static std::atomic<uint64_t> command_number{0};
  eventstore::AppendRequest request;
  request.command_id = "test-" + std::to_string(command_number.fetch_add(1)) + "-" +
                       std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  request.actor = "tester";
  eventstore::StreamAppend append;
  append.stream = stream;
  for (size_t i = 0; i < count; ++i) append.events.push_back({type, 1, "", payload});
  request.streams.push_back(std::move(append));
  eventstore::AppendOutcome outcome = store.Append(std::move(request));
  TRANCHE_CHECK_MSG(outcome.ok(), "test append failed");
  return outcome.result().last_position;
}

std::string HttpResult::ErrorCode() const {
  auto json = Json();
  if (json.is_discarded() || !json.contains("error")) return "";
  return json["error"].value("code", "");
}

tcp::socket Connect(net::io_context& io, uint16_t port, int receive_timeout_ms,
                    int receive_buffer_bytes) {
  tcp::socket socket(io);
  socket.open(tcp::v4());
  if (receive_buffer_bytes > 0) {
    socket.set_option(net::socket_base::receive_buffer_size(receive_buffer_bytes));
  }
  timeval timeout{receive_timeout_ms / 1000, (receive_timeout_ms % 1000) * 1000};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  return socket;
}

std::string ReadUntilClosed(tcp::socket& socket) {
  std::string out;
  char buffer[4096];
  for (;;) {
    beast::error_code ec;
    size_t n = socket.read_some(net::buffer(buffer), ec);
    out.append(buffer, n);
    if (ec) return out;
  }
}

HttpResult Http(uint16_t port, const std::string& method, const std::string& target,
                const std::string& token, const std::string& body,
                const std::map<std::string, std::string>& headers) {
  net::io_context io;
  tcp::socket socket = Connect(io, port);
  http::request<http::string_body> request(http::string_to_verb(method), target, 11);
  request.set(http::field::host, "127.0.0.1");
  if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
  for (const auto& [name, value] : headers) request.set(name, value);
  if (!body.empty() || method == "POST") {
    request.body() = body;
    request.prepare_payload();
  }
  http::write(socket, request);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  beast::error_code ec;
  http::read(socket, buffer, parser, ec);
  HttpResult result;
  if (ec) return result;
  auto& response = parser.get();
  result.status = response.result_int();
  result.body = response.body();
  for (const auto& field : response) {
    result.headers[std::string(field.name_string())] = std::string(field.value());
  }
  return result;
}

WsClient::WsClient(uint16_t port, const std::string& target, const std::string& token,
                   int receive_buffer_bytes)
    : ws_(Connect(io_, port, 10000, receive_buffer_bytes)) {
  if (!token.empty()) {
    ws_.set_option(websocket::stream_base::decorator([token](websocket::request_type& request) {
      request.set(http::field::authorization, "Bearer " + token);
    }));
  }
  websocket::response_type response;
  beast::error_code ec;
  ws_.handshake(response, "127.0.0.1", target, ec);
  handshake_status_ = response.result_int();
  connected_ = !ec;
}

std::optional<std::string> WsClient::ReadText() {
  if (closed_ || !connected_) return std::nullopt;
  beast::error_code ec;
  buffer_.clear();
  ws_.read(buffer_, ec);
  if (ec) {
    closed_ = true;
    close_reason_ = ws_.reason();
    return std::nullopt;
  }
  return beast::buffers_to_string(buffer_.data());
}

std::optional<nlohmann::json> WsClient::Read() {
  auto text = ReadText();
  if (!text) return std::nullopt;
  return nlohmann::json::parse(*text);
}

void WsClient::Write(const std::string& text) {
  beast::error_code ec;
  ws_.write(net::buffer(text), ec);
}

void WsClient::Close() {
  if (closed_ || !connected_) return;
  beast::error_code ec;
  ws_.close(websocket::close_code::normal, ec);
  // Drain until the server's close frame arrives.
  while (!ec) {
    buffer_.clear();
    ws_.read(buffer_, ec);
  }
  closed_ = true;
}

void WsClient::Abort() {
  beast::error_code ec;
  ws_.next_layer().shutdown(tcp::socket::shutdown_both, ec);
  ws_.next_layer().close(ec);
  closed_ = true;
}

}  // namespace tranche::api::testing
