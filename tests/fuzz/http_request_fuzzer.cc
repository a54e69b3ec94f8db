// Fuzzes the HTTP server from the bytes of a connection to the responses,
// without a socket: Beast's request parser with the server's limits
// (ApplyRequestLimits), the error answers of a failed read
// (ReadErrorResponse), then each request as HttpSession hands it on — a
// WebSocket upgrade to CheckStreamUpgrade, anything else through ToRawRequest
// to the real router, whose handlers run on a real Service (the command
// pipeline and read model) over a RocksDB store in a temporary directory,
// opened once and seeded with the HIEC programme (ops/seed/hiec-2009.json).
//
// Input: the bytes a client sends on one connection; up to
// kHttpPipelinedRequestsMax requests are read from it, as a session would
// before it stops reading.
// Properties checked for every response:
//   - nothing crashes and every request is answered (a forgotten answer is a 500);
//   - the status is one the API documents (never 500);
//   - an error is {"error":{"code","message","details"}} JSON;
//   - a JSON response parses;
//   - a 200 for /dashboard/{file} is one of the dashboard's own files.
// The store is shared by all inputs, so accepted commands accumulate; the
// properties hold in any state.
#include <boost/asio/buffer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <variant>

#include "api/app.h"
#include "api/auth/token_store.h"
#include "api/server/http_request.h"
#include "api/server/limits.h"
#include "core/check.h"
#include "eventstore/event_store.h"

namespace {
namespace api = tranche::api;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr std::chrono::seconds kAnswerTimeout{60};

// A SyncReadStream over the input: what a client sent, then the end of the stream.
class BytesStream {
 public:
  explicit BytesStream(std::string_view bytes) : rest_(bytes) {}
  template <typename MutableBuffers>
  size_t read_some(const MutableBuffers& buffers, beast::error_code& ec) {
    if (rest_.empty()) {
      ec = net::error::eof;
      return 0;
    }
    ec = {};
    const size_t copied = net::buffer_copy(buffers, net::buffer(rest_.data(), rest_.size()));
    rest_.remove_prefix(copied);
    return copied;
  }
  template <typename MutableBuffers>
  size_t read_some(const MutableBuffers& buffers) {
    beast::error_code ec;
    const size_t copied = read_some(buffers, ec);
    if (ec) throw beast::system_error(ec);
    return copied;
  }

 private:
  std::string_view rest_;
};

// The server's parts as tranched builds them, less the listener and sessions.
struct World {
  std::string dir;
  std::unique_ptr<tranche::eventstore::EventStore> store;
  api::Metrics metrics;
  std::unique_ptr<api::Authenticator> authenticator;
  api::Broadcaster broadcaster;
  api::Router router;
  std::unique_ptr<api::App> app;
  std::set<std::string> dashboard_files;  // Their contents.
};
World* world = nullptr;

void StopWorld() {
  world->app->Drain();
  world->store->Close();
  std::error_code ignored;
  std::filesystem::remove_all(world->dir, ignored);
}

api::Response Route(api::RawRequest raw) {
  auto answer = std::make_shared<std::promise<api::Response>>();
  std::future<api::Response> future = answer->get_future();
  api::Responder responder(
      [answer](api::Response response) { answer->set_value(std::move(response)); });
  world->router.Handle(std::move(raw), *world->authenticator, std::move(responder));
  TRANCHE_CHECK_MSG(future.wait_for(kAnswerTimeout) == std::future_status::ready,
                    "a request was not answered in time");
  return future.get();
}

void CheckResponse(const api::Response& response, std::string_view target) {
  static const std::set<unsigned> kDocumented = {200, 400, 401, 403, 404, 405,
                                                 409, 413, 422, 431, 503};
  TRANCHE_CHECK_MSG(kDocumented.count(response.status) == 1,
                    std::to_string(response.status).c_str());
  const bool is_json = response.content_type.rfind("application/json", 0) == 0;
  if (response.status >= 400) {
    TRANCHE_CHECK_MSG(is_json, "an error is not JSON");
    nlohmann::json body = nlohmann::json::parse(response.Body(), nullptr, false);
    TRANCHE_CHECK_MSG(!body.is_discarded() && body.is_object() && body.contains("error"),
                      "an error body is not {\"error\": ...}");
    const nlohmann::json& error = body["error"];
    TRANCHE_CHECK_MSG(error.is_object() && error.contains("code") && error["code"].is_string() &&
                          error.contains("message") && error["message"].is_string() &&
                          error.contains("details") && error["details"].is_object(),
                      "an error lacks code, message or details");
    return;
  }
  if (is_json) {
    TRANCHE_CHECK_MSG(nlohmann::json::accept(response.Body()), "a JSON response does not parse");
  }
  if (target.rfind("/dashboard/", 0) == 0) {
    TRANCHE_CHECK_MSG(world->dashboard_files.count(std::string(response.Body())) == 1,
                      "/dashboard/{file} served something that is not a dashboard file");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  world = new World();  // Lives for the whole run; StopWorld closes it at exit.
  std::string pattern =
      (std::filesystem::temp_directory_path() / "tranche-fuzz-http-XXXXXX").string();
  TRANCHE_CHECK(mkdtemp(pattern.data()) != nullptr);
  world->dir = pattern;
  auto opened = tranche::eventstore::EventStore::Open(world->dir + "/events", {});
  TRANCHE_CHECK_MSG(opened.ok(), "cannot open the fuzzer's store");
  world->store = std::move(opened).value();
  world->authenticator = std::make_unique<api::Authenticator>(api::TokenFilePath(world->dir));
  std::vector<api::TokenRecord> records;
  for (api::Role role : api::kAllRoles) {
    // The token of each role is "<role>-token" (admin-token, finance-token, ...).
    const std::string name(api::RoleName(role));
    records.push_back(
        api::TokenRecord{name, api::RoleSet{role}, api::HashToken(name + "-token"), ""});
  }
  world->authenticator->SetRecordsForTest(std::move(records));
  api::AppContext context{*world->store,
                          world->router,
                          world->broadcaster,
                          world->metrics,
                          api::RouteContext{world->store.get(), &world->metrics,
                                            &world->broadcaster, TRANCHE_DASHBOARD_DIR},
                          world->dir,
                          std::string(TRANCHE_SEED_FILE)};
  auto app = api::StartApp(context);
  TRANCHE_CHECK_MSG(app.ok(), "the application does not start");
  world->app = std::move(app).value();
  for (const auto& entry : std::filesystem::directory_iterator(TRANCHE_DASHBOARD_DIR)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    world->dashboard_files.insert(content.str());
  }
  std::atexit(StopWorld);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  BytesStream stream(std::string_view(reinterpret_cast<const char*>(data), size));
  beast::flat_buffer buffer;
  for (size_t i = 0; i < api::kHttpPipelinedRequestsMax; ++i) {
    api::HttpRequestParser parser;
    api::ApplyRequestLimits(&parser);
    beast::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec) {
      // A session answers a bad request, then closes; at the end of the
      // stream there is no one to answer.
      if (auto answer = api::ReadErrorResponse(ec)) CheckResponse(*answer, "");
      return 0;
    }
    api::HttpRequest request = parser.release();
    const bool keep_alive = request.keep_alive();
    if (beast::websocket::is_upgrade(request)) {
      // Past this point the connection is a WebSocket (not fuzzed here).
      auto checked = api::CheckStreamUpgrade(request, world->router, *world->authenticator);
      if (auto* refused = std::get_if<api::Response>(&checked)) CheckResponse(*refused, "");
      return 0;
    }
    api::RawRequest raw = api::ToRawRequest(std::move(request), "127.0.0.1:1");
    std::string path, error;
    std::map<std::string, std::string> query;
    if (!api::ParseTarget(raw.target, &path, &query, &error)) path.clear();
    CheckResponse(Route(std::move(raw)), path);
    if (!keep_alive) return 0;
  }
  return 0;
}
