// The live stream client behind `tranche watch`.
#include "cli/stream_watcher.h"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/exit_code.h"
#include "cli/view_printer.h"

namespace tranche::cli {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using nlohmann::json;

}  // namespace

int StreamWatcher::RunFromArguments(const Arguments& args) {
  if (std::string unknown = args.FirstUnknownFlag({"from", "cluster", "stream", "type", "count"});
      !unknown.empty() || !args.positional().empty()) {
    std::fprintf(stderr, "tranche watch: unexpected %s (see tranche watch --help)\n",
                 unknown.empty() ? args.positional()[0].c_str() : ("--" + unknown).c_str());
    return kExitUsage;
  }
  Options options;
  std::string url = kDefaultUrl;
  if (const char* env = std::getenv("TRANCHE_URL"); env && *env) url = env;
  if (auto flag = args.Find("url")) url = *flag;
  if (const char* env = std::getenv("TRANCHE_TOKEN"); env && *env) options.token = env;
  if (auto flag = args.Find("token")) options.token = *flag;
  StatusOr<ServerAddress> address = ServerAddress::Parse(url);
  if (!address.ok()) {
    std::fprintf(stderr, "tranche: %s\n", address.status().message().c_str());
    return kExitUsage;
  }
  options.address = *address;
  auto number = [&](const char* flag, uint64_t* value) {
    const std::string text = args.Get(flag);
    if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != text.npos) {
      std::fprintf(stderr, "tranche watch: --%s wants a whole number\n", flag);
      return false;
    }
    *value = std::stoull(text);
    return true;
  };
  if (args.Has("from")) {
    uint64_t from = 0;
    if (!number("from", &from)) return kExitUsage;
    options.from = from;
  }
  if (args.Has("count") && !number("count", &options.events_max)) return kExitUsage;
  if (auto cluster = args.Find("cluster")) options.stream_prefix = "cluster-" + *cluster;
  if (auto stream = args.Find("stream")) options.stream_prefix = *stream;
  options.types = args.Get("type");
  options.json = args.json();
  return StreamWatcher(std::move(options)).Run();
}

int StreamWatcher::Run() {
  next_from_ = options_.from;
  int delay_ms = kReconnectDelayMsMin;
  for (;;) {
    const uint64_t printed_before = events_printed_;
    const Outcome outcome = Connect();
    if (outcome == Outcome::kDone) return kExitOk;
    if (outcome == Outcome::kRefused) return kExitRejected;
    // A connection that delivered something was healthy: start backing off afresh.
    if (events_printed_ > printed_before) delay_ms = kReconnectDelayMsMin;
    std::fprintf(stderr, "-- reconnecting in %d ms from=%s\n", delay_ms,
                 next_from_ ? std::to_string(*next_from_).c_str() : "head");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    delay_ms = std::min(delay_ms * 2, kReconnectDelayMsMax);
  }
}

std::string StreamWatcher::Target() const {
  std::string target = "/v1/stream";
  char separator = '?';
  auto add = [&](const std::string& key, const std::string& value) {
    target += separator + key + "=" + UrlEncode(value);
    separator = '&';
  };
  if (next_from_) add("from", std::to_string(*next_from_));
  if (!options_.stream_prefix.empty()) add("stream", options_.stream_prefix);
  if (!options_.types.empty()) add("type", options_.types);
  return target;
}

StreamWatcher::Outcome StreamWatcher::Connect() {
  // Beast reports failures as exceptions; they end this connection only.
  try {
    net::io_context io;
    net::ip::tcp::resolver resolver(io);
    websocket::stream<net::ip::tcp::socket> ws(io);
    net::connect(ws.next_layer(), resolver.resolve(options_.address.host, options_.address.port));
    ws.set_option(websocket::stream_base::decorator([&](websocket::request_type& request) {
      request.set(beast::http::field::user_agent, "tranche-cli");
      if (!options_.token.empty()) {
        request.set(beast::http::field::authorization, "Bearer " + options_.token);
      }
    }));
    ws.read_message_max(kStreamMessageBytesMax);
    websocket::response_type response;
    beast::error_code error;
    ws.handshake(response, options_.address.host + ":" + options_.address.port, Target(), error);
    if (error) {
      const unsigned status = response.result_int();
      if (status >= 400 && status < 500) {
        std::fprintf(stderr, "rejected: the server refused the stream (HTTP %u): %s\n", status,
                     response.body().c_str());
        return Outcome::kRefused;
      }
      std::fprintf(stderr, "-- cannot open the stream: %s\n", error.message().c_str());
      return Outcome::kDropped;
    }
    std::fprintf(stderr, "-- connected to %s\n", Target().c_str());
    for (;;) {
      beast::flat_buffer buffer;
      ws.read(buffer, error);
      if (error) {
        std::fprintf(stderr, "-- connection lost: %s%s%s\n", error.message().c_str(),
                     ws.reason().reason.empty() ? "" : ": ", ws.reason().reason.c_str());
        return Outcome::kDropped;
      }
      if (Handle(beast::buffers_to_string(buffer.data()))) {
        ws.close(websocket::close_code::normal, error);
        return Outcome::kDone;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "-- cannot reach the server: %s\n", e.what());
    return Outcome::kDropped;
  }
}

bool StreamWatcher::Handle(const std::string& text) {
  const json message = json::parse(text, nullptr, false);
  if (message.is_discarded() || !message.is_object()) return false;
  const std::string kind = message.value("kind", "");
  const uint64_t position = message.value("position", 0ull);
  if (kind == "event") {
    // Positions strictly increase; anything at or before what we printed is
    // a repeat and is dropped (the server should never send one).
    if (next_from_ && position < *next_from_) return false;
    next_from_ = position + 1;
    if (options_.json) {
      std::printf("%s\n", message.dump().c_str());
    } else {
      std::printf("%llu  %s  %s  %s  %s  %s\n", static_cast<unsigned long long>(position),
                  message.value("recorded_at", "").c_str(), message.value("type", "").c_str(),
                  message.value("stream", "").c_str(), message.value("actor", "").c_str(),
                  ViewPrinter::EventSummary(message.value("data", json())).c_str());
    }
    std::fflush(stdout);
    ++events_printed_;
    return options_.events_max != 0 && events_printed_ >= options_.events_max;
  }
  if (kind == "caught_up" || kind == "checkpoint") {
    // Everything up to `position` that matches the filter was delivered.
    next_from_ = std::max(next_from_.value_or(0), position + 1);
    if (kind == "caught_up") {
      std::fprintf(stderr, "-- caught up at position %llu; live\n",
                   static_cast<unsigned long long>(position));
    }
  }
  return false;
}

}  // namespace tranche::cli
