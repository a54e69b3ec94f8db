// Fan-out benchmark: the real tranched (a child process on a fresh temporary
// data directory with the HIEC seed) with 1,000 WebSocket subscribers on
// /v1/stream while a paced client commits record-tranche commands over HTTP
// keep-alive at 1,000 commands/s. Run once without and once with one stalled
// subscriber (it completes the handshake, then never reads; its receive
// buffer is 4 KiB so that it stalls at once). Prints JSON lines.
//
//   fanout_bench [--tranched PATH] [--seed FILE] [--subscribers 1000]
//                [--rate 1000] [--seconds 10] [--warmup 2]
//                [--command-connections 16]
//                [--server-threads 2] [--phases plain,stalled]
//                [--frames batch|single] [--stream-flush-ms MS]
//                [--subscriber-threads 2]
//
// Subscribers ask for frames=batch (as the dashboard does): each frame is a
// JSON array of messages, one per line; --frames single asks for one message
// per frame, the protocol's default. --stream-flush-ms passes tranched's flag
// of that name (the least time between two live flushes; absent: the
// server's default).
//
// --warmup: the paced client commits for this long first, at the same
// rate, to the same subscribers; every one of those events is checked like
// the rest, but the latency percentiles, the CPU and the server's figures
// cover only the --seconds after it (the warm-up's own p99 is reported as
// warmup_latency_ms_from_recorded_at_p99). On this VM the first second or
// two of load after 1,000 subscribers connect builds a backlog of up to
// ~0.5 s that then drains (bench/README.md, "Fan-out: where the two cores
// go"); the measured phase is the steady state that follows.
//
// The subscribers run on --subscriber-threads io_contexts (a thread each), the
// command client on another; the main thread starts them, waits (polling
// with deadlines) and reports.
//
// What is checked, per phase:
//   * every command is answered 200; its answer's position is recorded;
//   * every subscriber (the stalled one aside) subscribes from head + 1,
//     receives caught_up at the head, then every committed event: positions
//     strictly consecutive, count = number of committed events;
//   * commit → delivery latency, two ways (bench/README.md says why both):
//     from the event's recorded_at (stamped before the fsync, so it
//     over-states the latency; the target applies to this one) and from the
//     moment the command's 200 arrived (after the commit, so it
//     under-states it). The true figure lies between the two. Percentiles
//     are over the deliveries that happened: when "undelivered" is not 0 they
//     are a lower bound, and the complete-subscribers target is missed.
//
// Exit status 1 on a defect (a refused command, a gap or repeat, a
// subscriber error, an unclean server stop); late answers or deliveries only
// miss targets. 2 on bad arguments or too few file descriptors/connections.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/auth/token_store.h"
#include "api/server/limits.h"
#include "bench/bench_support.h"
#include "core/check.h"
#include "core/date.h"

extern char** environ;

namespace tranche::bench {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using nlohmann::json;

constexpr double kDeliveryP99MsMax = 50;
constexpr int kStalledReceiveBufferBytes = 4096;
constexpr int kConnectsInFlightMax = 64;
constexpr size_t kSeedClusters = 17;  // In ops/seed/hiec-2009.json.
constexpr auto kReadyTimeout = std::chrono::seconds(60);
constexpr auto kSubscribeTimeout = std::chrono::seconds(60);
// After the planned run: for the last answers, then for the last deliveries.
constexpr auto kDrainTimeout = std::chrono::seconds(15);
constexpr auto kStopTimeout = std::chrono::seconds(60);
constexpr auto kPollInterval = std::chrono::milliseconds(10);
// File descriptors beyond the sockets: the store's files, pipes, headroom.
constexpr rlim_t kDescriptorHeadroom = 512;

struct Options {
  std::string tranched = "build/bench/api/tranched";
  std::string seed = "ops/seed/hiec-2009.json";
  int subscribers = 1000;
  double rate = 1000;
  double seconds = 10;
  double warmup_seconds = 2;
  int command_connections = 16;
  int server_threads = 2;
  std::vector<std::string> phases = {"plain", "stalled"};
  std::string frames = "batch";
  int stream_flush_ms = -1;  // -1: tranched's default.
  int subscriber_threads = 2;  // One per core: one thread alone saturates at 1,000 subscribers.
};

int64_t WallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void PrintJson(const json& line) {
  std::printf("%s\n", line.dump().c_str());
  std::fflush(stdout);
}

double Ms(uint64_t micros) { return std::round(micros / 10.0) / 100.0; }

// --- the server as a child process -----------------------------------------

struct Tokens {
  std::string viewer = api::NewToken();
  std::string finance = api::NewToken();
  std::string auditor = api::NewToken();
};

class ChildServer {
 public:
  ChildServer(const Options& options, const std::string& dir, const Tokens& tokens)
      : log_path_(dir + "/tranched.log") {
    std::vector<api::TokenRecord> records = {
        {"bench-viewer", {api::Role::kViewer}, api::HashToken(tokens.viewer), ""},
        {"bench-finance", {api::Role::kFinance}, api::HashToken(tokens.finance), ""},
        {"bench-auditor", {api::Role::kAuditor}, api::HashToken(tokens.auditor), ""}};
    Status written = api::WriteTokenFile(api::TokenFilePath(dir), records);
    TRANCHE_CHECK_MSG(written.ok(), written.ToString().c_str());

    const std::string threads = std::to_string(options.server_threads);
    std::vector<std::string> args = {options.tranched, "--data",    dir,
                                     "--listen",       "127.0.0.1:0", "--seed",
                                     options.seed,     "--threads", threads};
    if (options.stream_flush_ms >= 0) {
      args.push_back("--stream-flush-ms");
      args.push_back(std::to_string(options.stream_flush_ms));
    }
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int spawned = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    TRANCHE_CHECK_MSG(spawned == 0, ("cannot start " + options.tranched).c_str());

    const auto deadline = Clock::now() + kReadyTimeout;
    while (!port_) {
      std::ifstream log(log_path_);
      for (std::string line; std::getline(log, line);) {
        json entry = json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (entry.is_object() && entry.value("msg", "") == "ready") {
          port_ = entry["port"].get<uint16_t>();
        }
      }
      if (port_) break;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        Fail("tranched exited before it was ready");
      }
      if (Clock::now() > deadline) Fail("tranched was not ready in time");
      std::this_thread::sleep_for(kPollInterval);
    }
  }

  ~ChildServer() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  uint16_t port() const { return *port_; }
  pid_t pid() const { return pid_; }

  // SIGTERM, then the exit code; -1 if it had to be killed or died of a signal.
  int Stop() {
    kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + kStopTimeout;
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) != pid_) {
      if (Clock::now() > deadline) return -1;  // The destructor kills it.
      std::this_thread::sleep_for(kPollInterval);
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // User + system CPU seconds the server has used so far.
  double CpuSeconds() const {
    std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    uint64_t utime = 0, stime = 0;
    for (int i = 3; fields >> field; ++i) {
      if (i == 14) utime = std::stoull(field);
      if (i == 15) {
        stime = std::stoull(field);
        break;
      }
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }

  [[noreturn]] void Fail(const std::string& why) {
    std::ifstream log(log_path_);
    std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "fanout_bench: %s; its log:\n%s\n", why.c_str(), text.c_str());
    std::exit(1);
  }

 private:
  std::string log_path_;
  pid_t pid_ = -1;
  std::optional<uint16_t> port_;
};

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// One synchronous GET on a fresh connection (set-up and reports only).
std::pair<unsigned, std::string> HttpGet(uint16_t port, const std::string& target,
                                         const std::string& token) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> request(http::verb::get, target, 11);
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::authorization, "Bearer " + token);
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return {response.result_int(), response.body()};
}

// "name{labels}" → value, from the Prometheus text exposition.
std::map<std::string, double> Metrics(uint16_t port, const std::string& token) {
  auto [status, body] = HttpGet(port, "/metrics", token);
  TRANCHE_CHECK_MSG(status == 200, "GET /metrics failed");
  std::map<std::string, double> values;
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    values[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return values;
}

// --- the clients ------------------------------------------------------------

// What every client records, indexed by position - first (the first position
// the run commits). Written on the io thread only; read by main after join.
struct Ledger {
  uint64_t first = 0;
  int64_t epoch_us = 0;                  // Wall clock at the phase's start.
  std::vector<int64_t> ack_us;           // When the command's 200 arrived; -1 before.
  std::vector<int64_t> recorded_us;      // The event's recorded_at; -1 before first seen.
};

class Subscriber : public std::enable_shared_from_this<Subscriber> {
 public:
  Subscriber(net::io_context& ioc, Ledger& ledger, bool stalled)
      : ws_(ioc), ledger_(ledger), stalled_(stalled) {}

  void Start(const tcp::endpoint& endpoint, std::string target, std::function<void()> on_open) {
    target_ = std::move(target);
    on_open_ = std::move(on_open);
    next_ = ledger_.first;
    // Sized up front: a vector doubling mid-phase in all 1,000 subscribers at
    // once (at 2,048, 4,096, 8,192 events) stalled the client for tens of
    // milliseconds, which showed up as delivery latency.
    received_at_us_.reserve(ledger_.recorded_us.size());
    auto& socket = ws_.next_layer();
    if (stalled_) {
      socket.open(tcp::v4());
      socket.set_option(net::socket_base::receive_buffer_size(kStalledReceiveBufferBytes));
    }
    socket.async_connect(
        endpoint, [self = shared_from_this()](beast::error_code ec) { self->OnConnect(ec); });
  }

  bool open() const { return open_.load(); }
  bool caught_up() const { return caught_up_.load(); }
  uint64_t next() const { return next_position_.load(); }
  // After the io thread has stopped (error() is not synchronised).
  const std::string& error() const { return error_; }
  // Any thread.
  bool failed() const { return failed_.load(); }
  uint64_t out_of_order() const { return out_of_order_; }
  uint64_t checkpoints() const { return checkpoints_; }
  uint64_t messages() const { return messages_; }
  uint64_t frames() const { return frames_; }
  const std::vector<uint32_t>& received_at_us() const { return received_at_us_; }

  void Close() {
    beast::error_code ec;
    ws_.next_layer().close(ec);
  }

 private:
  void OnConnect(beast::error_code ec) {
    if (ec) return Fail("connect: " + ec.message());
    // A handshake deadline, but no idle timer: the phase's own deadlines
    // catch a silent server, and re-arming a timer per read is client CPU
    // taken from the server on the same two cores.
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = std::chrono::seconds(30);
    timeout.idle_timeout = websocket::stream_base::none();
    timeout.keep_alive_pings = false;
    ws_.set_option(timeout);
    ws_.async_handshake("127.0.0.1", target_, [self = shared_from_this()](beast::error_code e) {
      self->OnHandshake(e);
    });
  }

  void OnHandshake(beast::error_code ec) {
    if (ec) return Fail("handshake: " + ec.message());
    open_ = true;
    on_open_();
    if (!stalled_) DoRead();  // The stalled subscriber never reads.
  }

  void DoRead() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->OnRead(ec);
    });
  }

  void OnRead(beast::error_code ec) {
    if (ec) return Fail("read: " + ec.message());
    const int64_t now = WallMicros();
    const auto data = buffer_.cdata();
    std::string_view frame(static_cast<const char*>(data.data()), data.size());
    if (!frame.empty() && frame.front() == '[') {
      // frames=batch: "[m1,\nm2,\nm3]", one message per line.
      frame.remove_prefix(1);
      while (!frame.empty()) {
        size_t end = frame.find('\n');
        std::string_view line = frame.substr(0, end);
        frame.remove_prefix(end == std::string_view::npos ? frame.size() : end + 1);
        if (!line.empty() && (line.back() == ',' || (end == std::string_view::npos &&
                                                     line.back() == ']'))) {
          line.remove_suffix(1);
        }
        ++messages_;
        if (!OnMessage(line, now)) return;
      }
      ++frames_;
    } else {
      ++messages_;
      ++frames_;
      if (!OnMessage(frame, now)) return;
    }
    buffer_.consume(buffer_.size());
    DoRead();
  }

  // One stream message; false (after Fail) when the subscriber must stop.
  bool OnMessage(std::string_view text, int64_t now) {
    // Keys are in sorted order and "data" (the payload) comes before
    // "kind" and "position": the last occurrences are the envelope's, and
    // "kind" is the key just before "position".
    const size_t position_at = text.rfind("\"position\":");
    const size_t kind_at = position_at == std::string_view::npos
                               ? std::string_view::npos
                               : text.rfind("\"kind\":\"", position_at);
    uint64_t position = 0;
    if (kind_at == std::string_view::npos || position_at == std::string_view::npos) {
      Fail("unexpected message: " + std::string(text.substr(0, 200)));
      return false;
    }
    const char* digits = text.data() + position_at + 11;
    std::from_chars(digits, text.data() + text.size(), position);
    const std::string_view kind = text.substr(kind_at + 8, 5);
    if (kind == "event") {
      if (position != next_ || position < ledger_.first) {
        ++out_of_order_;
        if (error_.empty()) {
          error_ = "expected position " + std::to_string(next_) + ", got " +
                   std::to_string(position);
        }
      } else {
        const size_t index = position - ledger_.first;
        if (index >= ledger_.recorded_us.size()) {
          Fail("event beyond the planned commands: " + std::to_string(position));
          return false;
        }
        // Subscribers on different threads fill the same slot with the same value.
        std::atomic_ref<int64_t> recorded(ledger_.recorded_us[index]);
        if (recorded.load(std::memory_order_relaxed) < 0) {
          recorded.store(RecordedAt(text), std::memory_order_relaxed);
        }
        received_at_us_.push_back(static_cast<uint32_t>(now - ledger_.epoch_us));
      }
      next_ = position + 1;
      next_position_.store(next_);
    } else if (kind == "caugh") {
      if (position + 1 != ledger_.first) {
        Fail("caught_up at " + std::to_string(position) + ", expected " +
             std::to_string(ledger_.first - 1));
        return false;
      }
      caught_up_ = true;
    } else if (kind == "check") {
      ++checkpoints_;
    } else {
      Fail("unexpected message: " + std::string(text.substr(0, 200)));
      return false;
    }
    return true;
  }

  static int64_t RecordedAt(std::string_view text) {
    const size_t at = text.find("\"recorded_at\":\"");
    if (at == std::string_view::npos) return 0;
    const size_t start = at + 15;
    auto parsed = core::ParseTimestamp(text.substr(start, text.find('"', start) - start));
    return parsed.ok() ? parsed->unix_micros() : 0;
  }

  void Fail(const std::string& why) {
    if (error_.empty()) error_ = why;
    failed_ = true;
    if (!open_) on_open_();  // Counted, so that the start does not wait for it.
  }

  // A plain socket under the stream: beast::tcp_stream's per-operation
  // timer bookkeeping is not needed here.
  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer buffer_;
  Ledger& ledger_;
  const bool stalled_;
  std::string target_;
  std::function<void()> on_open_;
  uint64_t next_ = 0;
  std::atomic<uint64_t> next_position_{0};
  std::atomic<bool> open_{false};
  std::atomic<bool> caught_up_{false};
  std::atomic<bool> failed_{false};
  uint64_t out_of_order_ = 0;
  uint64_t checkpoints_ = 0;
  uint64_t messages_ = 0;
  uint64_t frames_ = 0;
  std::string error_;
  std::vector<uint32_t> received_at_us_;  // Microseconds after the epoch, per event in order.
};

// Commits `total` record-tranche commands at `rate` per second over
// `connections` keep-alive connections, one request outstanding on each. A
// command that falls due while every connection is busy waits for the
// first free one (max_backlog says how far pacing fell behind).
class CommandClient {
 public:
  CommandClient(net::io_context& ioc, Ledger& ledger, const Options& options,
                std::vector<std::string> clusters, std::string token, std::string run_id)
      : timer_(ioc), ledger_(ledger), rate_(options.rate),
        total_(static_cast<uint64_t>(options.rate * (options.warmup_seconds + options.seconds))),
        clusters_(std::move(clusters)), token_(std::move(token)), run_id_(std::move(run_id)) {
    for (int i = 0; i < options.command_connections; ++i) {
      connections_.push_back(std::make_unique<Connection>(ioc));
    }
  }

  // done() and last_position() from any thread; the rest once its thread
  // has stopped.
  uint64_t total() const { return total_; }
  bool done() const { return done_.load(); }
  uint64_t answered() const { return answered_.load(); }  // Any thread.
  uint64_t non_200() const { return non_200_; }
  const std::string& first_failure() const { return first_failure_; }
  uint64_t max_backlog() const { return max_backlog_; }
  uint64_t last_position() const { return last_position_.load(); }

  // Connects every connection, then starts the pacing clock.
  void Start(const tcp::endpoint& endpoint) {
    auto remaining = std::make_shared<int>(static_cast<int>(connections_.size()));
    for (auto& connection : connections_) {
      connection->stream.async_connect(endpoint, [this, remaining](beast::error_code ec) {
        if (ec) Failure("connect: " + ec.message());
        if (--*remaining == 0) {
          start_ = Clock::now();
          Tick();
        }
      });
    }
  }

 private:
  struct Connection {
    explicit Connection(net::io_context& ioc) : stream(ioc) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;
    bool busy = false;
  };

  void Tick() {
    const double elapsed = Seconds(Clock::now() - start_);
    const uint64_t due = std::min<uint64_t>(total_, static_cast<uint64_t>(elapsed * rate_) + 1);
    if (due > issued_) {
      backlog_ += due - issued_;
      issued_ = due;
    }
    max_backlog_ = std::max(max_backlog_, backlog_);
    Dispatch();
    if (issued_ < total_) {
      timer_.expires_after(std::chrono::microseconds(static_cast<int64_t>(1e6 / rate_)));
      timer_.async_wait([this](beast::error_code ec) {
        if (!ec) Tick();
      });
    }
  }

  void Dispatch() {
    for (auto& connection : connections_) {
      if (backlog_ == 0) return;
      if (!connection->busy) Send(*connection);
    }
  }

  void Send(Connection& connection) {
    --backlog_;
    const uint64_t n = sent_++;
    const std::string id = run_id_ + "-" + std::to_string(n);
    json body = {{"command_id", id},
                 {"cluster_id", clusters_[n % clusters_.size()]},
                 {"financial_year", "2009/10"},
                 {"amount_pence", 1},
                 {"paid_on", "2010-02-15"},
                 {"payment_reference", id}};
    connection.busy = true;
    connection.request = {http::verb::post, "/v1/commands/record-tranche", 11};
    connection.request.set(http::field::host, "127.0.0.1");
    connection.request.set(http::field::authorization, "Bearer " + token_);
    connection.request.set(http::field::content_type, "application/json");
    connection.request.keep_alive(true);
    connection.request.body() = body.dump();
    connection.request.prepare_payload();
    http::async_write(connection.stream, connection.request,
                      [this, &connection](beast::error_code ec, size_t) {
                        if (ec) return Failure("write: " + ec.message());
                        connection.response = {};
                        http::async_read(connection.stream, connection.buffer, connection.response,
                                         [this, &connection](beast::error_code e, size_t) {
                                           OnResponse(connection, e);
                                         });
                      });
  }

  void OnResponse(Connection& connection, beast::error_code ec) {
    if (ec) return Failure("read: " + ec.message());
    const int64_t now = WallMicros();
    ++answered_;
    if (connection.response.result_int() != 200) {
      ++non_200_;
      if (first_failure_.empty()) {
        first_failure_ = std::to_string(connection.response.result_int()) + " " +
                         connection.response.body().substr(0, 200);
      }
    } else {
      json answer = json::parse(connection.response.body(), nullptr, false);
      const uint64_t first = answer.value("first_position", uint64_t{0});
      const uint64_t last = answer.value("last_position", uint64_t{0});
      for (uint64_t p = first; p <= last && p >= ledger_.first; ++p) {
        if (p - ledger_.first < ledger_.ack_us.size()) ledger_.ack_us[p - ledger_.first] = now;
      }
      last_position_.store(std::max(last_position_.load(), last));
    }
    connection.busy = false;
    if (answered_ == total_) {
      done_ = true;
      return;
    }
    Dispatch();
  }

  void Failure(const std::string& why) {
    ++non_200_;
    ++answered_;
    if (first_failure_.empty()) first_failure_ = why;
    if (answered_ == total_) done_ = true;
  }

  net::steady_timer timer_;
  Ledger& ledger_;
  const double rate_;
  const uint64_t total_;
  const std::vector<std::string> clusters_;
  const std::string token_;
  const std::string run_id_;
  std::vector<std::unique_ptr<Connection>> connections_;
  Clock::time_point start_;
  uint64_t issued_ = 0, sent_ = 0, backlog_ = 0, max_backlog_ = 0;
  std::atomic<uint64_t> answered_{0};
  uint64_t non_200_ = 0;
  std::atomic<uint64_t> last_position_{0};  // Read by main while commands run.
  std::string first_failure_;
  std::atomic<bool> done_{false};
};

// Polls `ready` every kPollInterval until it holds or `timeout` passes.
template <typename Predicate>
bool WaitFor(Predicate ready, std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!ready()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
  return true;
}

// --- one phase ----------------------------------------------------------------

struct PhaseFigures {
  bool correct = false;
  double p99_recorded_ms = 0;
};

PhaseFigures RunPhase(const Options& options, bool with_stalled) {
  const std::string phase = with_stalled ? "stalled" : "plain";
  const std::string dir = MakeTempDir("fanout-bench");
  Tokens tokens;
  ChildServer server(options, dir, tokens);
  const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), server.port());

  // The read model catches up with the seed just after the ready line.
  std::vector<std::string> clusters;
  const bool seeded = WaitFor(
      [&] {
        auto [status, body] = HttpGet(server.port(), "/v1/clusters?programme=hiec", tokens.viewer);
        TRANCHE_CHECK_MSG(status == 200, "GET /v1/clusters failed");
        const json list = json::parse(body);
        clusters.clear();
        for (const auto& cluster : list["clusters"]) clusters.push_back(cluster["id"]);
        return clusters.size() >= kSeedClusters;
      },
      kReadyTimeout);
  if (!seeded) server.Fail("the seed's clusters did not appear");
  uint64_t head = 0;
  {
    auto [status, body] = HttpGet(server.port(), "/v1/events?limit=1", tokens.viewer);
    TRANCHE_CHECK_MSG(status == 200, "GET /v1/events failed");
    head = json::parse(body)["head"].get<uint64_t>();
  }

  Ledger ledger;
  ledger.first = head + 1;
  // Subscribers on --subscriber-threads io_contexts, a thread each (subscriber
  // i on context i mod N); the paced command client on its own, so that
  // reading 1,000 streams cannot delay the pacing.
  std::vector<std::unique_ptr<net::io_context>> iocs;
  for (int i = 0; i < options.subscriber_threads; ++i) {
    iocs.push_back(std::make_unique<net::io_context>(1));
  }
  net::io_context command_ioc(1);
  CommandClient commands(command_ioc, ledger, options, clusters, tokens.finance,
                         "fanout-" + phase + "-" + std::to_string(getpid()));
  ledger.ack_us.assign(commands.total(), -1);
  ledger.recorded_us.assign(commands.total(), -1);

  // Subscribers open kConnectsInFlightMax at a time.
  std::vector<std::shared_ptr<Subscriber>> subscribers;
  for (int i = 0; i < options.subscribers; ++i) {
    subscribers.push_back(std::make_shared<Subscriber>(*iocs[i % iocs.size()], ledger, false));
  }
  std::shared_ptr<Subscriber> stalled;
  if (with_stalled) stalled = std::make_shared<Subscriber>(*iocs[0], ledger, true);
  const std::string target = "/v1/stream?frames=" + options.frames + "&from=" +
                             std::to_string(ledger.first) + "&access_token=" + tokens.viewer;
  std::atomic<int> opened{0};
  std::mutex open_mutex;  // Handshakes complete on every subscriber thread.
  size_t next_to_open = 0;
  std::function<void()> open_next = [&] {
    ++opened;
    std::lock_guard lock(open_mutex);
    if (next_to_open < subscribers.size()) subscribers[next_to_open++]->Start(endpoint, target, open_next);
  };
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> io_threads;
  for (auto& ioc : iocs) {
    work.push_back(net::make_work_guard(*ioc));
    io_threads.emplace_back([&ioc] { ioc->run(); });
  }
  auto command_work = net::make_work_guard(command_ioc);
  std::thread command_thread([&] { command_ioc.run(); });
  const auto subscribe_start = Clock::now();
  {
    std::lock_guard lock(open_mutex);
    for (int i = 0; i < kConnectsInFlightMax && next_to_open < subscribers.size(); ++i) {
      subscribers[next_to_open++]->Start(endpoint, target, open_next);
    }
  }
  const bool all_open = WaitFor([&] { return opened.load() >= options.subscribers; },
                                kSubscribeTimeout);
  const bool all_caught_up =
      all_open && WaitFor(
                      [&] {
                        for (auto& s : subscribers) {
                          if (!s->caught_up() && !s->failed()) return false;
                        }
                        return true;
                      },
                      kSubscribeTimeout);
  const double subscribe_seconds = Seconds(Clock::now() - subscribe_start);
  if (stalled) {
    std::atomic<bool> stalled_open{false};
    net::post(*iocs[0], [&] { stalled->Start(endpoint, target, [&] { stalled_open = true; }); });
    WaitFor([&] { return stalled_open.load(); }, kSubscribeTimeout);
  }

  // Commit at the paced rate: the warm-up, then the measured run; wait for
  // every answer, then for every delivery. The measured figures start when
  // the warm-up's last command is answered.
  const uint64_t warmup_commands = static_cast<uint64_t>(options.rate * options.warmup_seconds);
  ledger.epoch_us = WallMicros();
  net::post(command_ioc, [&] { commands.Start(endpoint); });
  const bool warmed = WaitFor([&] { return commands.answered() >= warmup_commands; },
                              std::chrono::seconds(static_cast<int64_t>(options.warmup_seconds)) +
                                  kDrainTimeout);
  const auto before = Metrics(server.port(), tokens.auditor);
  const double server_cpu_before = server.CpuSeconds();
  const double client_cpu_mid = SelfCpuSeconds();
  const auto run_start = Clock::now();
  const uint64_t answered_before_run = commands.answered();
  const bool answered = warmed && WaitFor([&] { return commands.done(); },
                                          std::chrono::seconds(static_cast<int64_t>(
                                              options.seconds)) +
                                              kDrainTimeout);
  const auto answered_at = Clock::now();
  const uint64_t last = commands.last_position();
  const bool delivered = WaitFor(
      [&] {
        for (auto& s : subscribers) {
          if (s->next() <= last && !s->failed()) return false;
        }
        return true;
      },
      kDrainTimeout);
  const double drain_ms = MillisSince(answered_at);
  const double run_seconds = Seconds(answered_at - run_start);
  const double server_cpu = server.CpuSeconds() - server_cpu_before;
  const auto after = Metrics(server.port(), tokens.auditor);
  uint64_t store_head = 0;
  {
    auto [status, body] = HttpGet(server.port(), "/v1/events?limit=1", tokens.viewer);
    if (status == 200) store_head = json::parse(body)["head"].get<uint64_t>();
  }

  // Stop the clients (io threads first, so nothing runs while we read them).
  command_work.reset();
  command_ioc.stop();
  command_thread.join();
  work.clear();
  for (size_t t = 0; t < iocs.size(); ++t) {
    net::post(*iocs[t], [&, t] {
      for (size_t i = t; i < subscribers.size(); i += iocs.size()) subscribers[i]->Close();
      if (stalled && t == 0) stalled->Close();
      iocs[t]->stop();
    });
  }
  for (auto& thread : io_threads) thread.join();
  const double client_cpu = SelfCpuSeconds() - client_cpu_mid;
  const int exit_code = server.Stop();
  std::filesystem::remove_all(dir);

  // Per subscriber: everything, in order, once.
  const uint64_t events = last >= ledger.first ? last - ledger.first + 1 : 0;
  uint64_t min_count = UINT64_MAX, max_count = 0, complete = 0, out_of_order = 0, failed = 0;
  uint64_t checkpoints = 0, messages = 0, frames = 0;
  std::string first_error;
  std::vector<uint32_t> from_recorded, from_ack;
  // The same latencies by the second of the measured run the event was
  // recorded in, to tell a steady tail from a transient one.
  std::vector<std::vector<uint32_t>> by_second;
  std::vector<uint32_t> warmup_recorded;  // Events of the warm-up: checked, not measured.
  from_recorded.reserve(events * subscribers.size());
  from_ack.reserve(events * subscribers.size());
  uint64_t before_ack = 0, missing_ack = 0, undelivered = 0;
  const int64_t first_recorded = events > warmup_commands ? ledger.recorded_us[warmup_commands] : -1;
  for (auto& s : subscribers) {
    const auto& received = s->received_at_us();
    min_count = std::min<uint64_t>(min_count, received.size());
    max_count = std::max<uint64_t>(max_count, received.size());
    out_of_order += s->out_of_order();
    checkpoints += s->checkpoints();
    messages += s->messages();
    frames += s->frames();
    if (!s->error().empty()) {
      ++failed;
      if (first_error.empty()) first_error = s->error();
    }
    if (received.size() == events && s->out_of_order() == 0 && s->error().empty()) ++complete;
    if (received.size() < events) undelivered += events - received.size();
    for (size_t i = 0; i < received.size() && i < events; ++i) {
      const int64_t at = ledger.epoch_us + received[i];
      const int64_t recorded = ledger.recorded_us[i];
      const auto latency = static_cast<uint32_t>(std::max<int64_t>(0, at - recorded));
      if (i < warmup_commands) {
        warmup_recorded.push_back(latency);
        continue;
      }
      from_recorded.push_back(latency);
      const int64_t second = (recorded - first_recorded) / 1'000'000;
      if (first_recorded >= 0 && second >= 0 && second < 3600) {
        if (by_second.size() <= static_cast<size_t>(second)) by_second.resize(second + 1);
        by_second[second].push_back(latency);
      }
      if (ledger.ack_us[i] < 0) {
        ++missing_ack;
        continue;
      }
      const int64_t after_ack = at - ledger.ack_us[i];
      if (after_ack < 0) ++before_ack;
      from_ack.push_back(static_cast<uint32_t>(std::max<int64_t>(0, after_ack)));
    }
  }
  auto delta = [&](const std::string& series) {
    auto a = after.find(series);
    auto b = before.find(series);
    return (a == after.end() ? 0.0 : a->second) - (b == before.end() ? 0.0 : b->second);
  };
  const double groups = delta("tranche_commit_group_events_count");
  json p99_by_second = json::array();
  for (auto& second : by_second) {
    p99_by_second.push_back(std::round(Ms(Percentile(&second, 0.99)) * 10) / 10);
  }
  const double p50_recorded = Ms(Percentile(&from_recorded, 0.50));
  const double p99_recorded = Ms(Percentile(&from_recorded, 0.99));
  const double max_recorded = Ms(Percentile(&from_recorded, 1.0));
  const double p50_ack = Ms(Percentile(&from_ack, 0.50));
  const double p99_ack = Ms(Percentile(&from_ack, 0.99));
  const double max_ack = Ms(Percentile(&from_ack, 1.0));
  PrintJson({{"kind", "fanout"},
             {"phase", phase},
             {"stalled_subscriber", with_stalled},
             {"frames", options.frames},
             {"stream_flush_ms", options.stream_flush_ms < 0 ? json("default")
                                                               : json(options.stream_flush_ms)},
             {"subscribers", options.subscribers},
             {"subscriber_threads", options.subscriber_threads},
             {"subscribe_seconds", std::round(subscribe_seconds * 100) / 100},
             {"all_caught_up", all_caught_up},
             {"commands", commands.total()},
             {"commands_answered", commands.answered()},
             {"non_200", commands.non_200()},
             {"first_failure", commands.first_failure()},
             {"commands_per_s",
              std::round(static_cast<double>(commands.answered() - answered_before_run) /
                         run_seconds)},
             {"rate_asked", options.rate},
             {"max_backlog", commands.max_backlog()},
             {"first_position", ledger.first},
             {"last_position", last},
             {"store_head", store_head},
             {"events", events},
             {"delivered_min", min_count == UINT64_MAX ? 0 : min_count},
             {"delivered_max", max_count},
             {"subscribers_complete", complete},
             {"undelivered", undelivered},
             {"subscribers_failed", failed},
             {"first_subscriber_error", first_error},
             {"out_of_order", out_of_order},
             {"checkpoints", checkpoints},
             {"messages_per_frame",
              frames == 0 ? 0.0 : std::round(100.0 * messages / frames) / 100},
             {"drain_ms_after_last_answer", std::round(drain_ms)},
             {"warmup_seconds", options.warmup_seconds},
             {"warmup_commands", warmup_commands},
             {"warmup_latency_ms_from_recorded_at_p99", Ms(Percentile(&warmup_recorded, 0.99))},
             {"latency_ms_from_recorded_at_p50", p50_recorded},
             {"latency_ms_from_recorded_at_p99", p99_recorded},
             {"latency_ms_from_recorded_at_p99_by_second", p99_by_second},
             {"latency_ms_from_recorded_at_max", max_recorded},
             {"latency_ms_from_answer_p50", p50_ack},
             {"latency_ms_from_answer_p99", p99_ack},
             {"latency_ms_from_answer_max", max_ack},
             {"delivered_before_answer", before_ack},
             {"missing_answers", missing_ack},
             {"events_per_fsync",
              groups > 0 ? std::round(100 * delta("tranche_commit_group_events_sum") / groups) / 100
                         : 0.0},
             {"server_messages_sent",
              delta("tranche_websocket_messages_sent_total")},
             {"server_catchup_fallbacks", delta("tranche_websocket_catchup_fallbacks_total")},
             {"server_cpu_s", std::round(server_cpu * 100) / 100},
             {"client_cpu_s", std::round(client_cpu * 100) / 100},
             {"server_exit_code", exit_code}});
  const std::string prefix = "fanout_" + phase;
  PrintTarget(prefix + "_subscribers_complete", static_cast<double>(complete),
              options.subscribers, true, "subscribers");
  PrintTarget(prefix + "_out_of_order", static_cast<double>(out_of_order), 0, false, "events");
  PrintTarget(prefix + "_delivery_p99", p99_recorded, kDeliveryP99MsMax, false, "ms");

  PhaseFigures figures;
  // A defect (exit status 1): a refused command, a subscriber error, a gap
  // or repeat, a delivered event with no answer, a head beyond the answers,
  // an unclean stop. Late answers or deliveries are not defects: the target
  // lines show them, and the run says so here.
  const bool all_answered = answered && commands.answered() == commands.total();
  std::vector<std::string> defects;
  if (!all_caught_up) defects.push_back("not every subscriber caught up before the run");
  if (commands.non_200() > 0) defects.push_back("command failed: " + commands.first_failure());
  if (failed > 0) defects.push_back("subscriber error: " + first_error);
  if (out_of_order > 0) defects.push_back(std::to_string(out_of_order) + " events out of order");
  if (all_answered && missing_ack > 0) defects.push_back("events delivered that no answer named");
  if (all_answered && (store_head != last || events != commands.total())) {
    defects.push_back("store head " + std::to_string(store_head) + " is not the last answer " +
                      std::to_string(last));
  }
  if (exit_code != 0) defects.push_back("tranched exit code " + std::to_string(exit_code));
  for (const auto& defect : defects) {
    std::fprintf(stderr, "fanout_bench: phase %s: %s\n", phase.c_str(), defect.c_str());
  }
  if (!all_answered || !delivered) {
    std::fprintf(stderr,
                 "fanout_bench: phase %s: late: %lu of %lu commands answered within %.0f s + "
                 "%ld s; %lu deliveries missing %ld s after the last answer\n",
                 phase.c_str(), static_cast<unsigned long>(commands.answered()),
                 static_cast<unsigned long>(commands.total()), options.warmup_seconds + options.seconds,
                 static_cast<long>(kDrainTimeout.count()), static_cast<unsigned long>(undelivered),
                 static_cast<long>(kDrainTimeout.count()));
  }
  figures.correct = defects.empty();
  figures.p99_recorded_ms = p99_recorded;
  return figures;
}

// The sockets this process and the server hold: raise the soft limit (the
// server inherits it) or stop if the hard limit is too low.
bool RaiseDescriptorLimit(const Options& options) {
  const rlim_t needed = static_cast<rlim_t>(options.subscribers + 1 + options.command_connections) +
                        kDescriptorHeadroom;
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur >= needed) return true;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed) {
    std::fprintf(stderr, "fanout_bench: RLIMIT_NOFILE hard limit %lu < %lu needed\n",
                 static_cast<unsigned long>(limit.rlim_max), static_cast<unsigned long>(needed));
    return false;
  }
  limit.rlim_cur = needed;
  return setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

int Main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (arg == "--tranched") options.tranched = value();
    else if (arg == "--seed") options.seed = value();
    else if (arg == "--subscribers") options.subscribers = std::stoi(value());
    else if (arg == "--rate") options.rate = std::stod(value());
    else if (arg == "--seconds") options.seconds = std::stod(value());
    else if (arg == "--warmup") options.warmup_seconds = std::max(0.0, std::stod(value()));
    else if (arg == "--command-connections") options.command_connections = std::stoi(value());
    else if (arg == "--server-threads") options.server_threads = std::stoi(value());
    else if (arg == "--stream-flush-ms") options.stream_flush_ms = std::stoi(value());
    else if (arg == "--subscriber-threads") options.subscriber_threads = std::max(1, std::stoi(value()));
    else if (arg == "--frames" && i + 1 < argc &&
             (argv[i + 1] == std::string("batch") || argv[i + 1] == std::string("single"))) {
      options.frames = value();
    } else if (arg == "--phases") {
      options.phases.clear();
      std::stringstream list(value());
      for (std::string item; std::getline(list, item, ',');) options.phases.push_back(item);
    } else {
      std::fprintf(stderr,
                   "usage: fanout_bench [--tranched PATH] [--seed FILE] [--subscribers N] "
                   "[--rate COMMANDS_PER_S] [--seconds S] [--warmup S] [--command-connections N] "
                   "[--server-threads N] [--phases plain,stalled] [--frames batch|single] "
                   "[--stream-flush-ms MS] [--subscriber-threads N]\n");
      return 2;
    }
  }
  // Connections the server holds at once: subscribers, the stalled one, the
  // command connections and one short-lived GET. Over its limit it would
  // answer 503, so the run is refused rather than shrunk.
  const size_t connections =
      static_cast<size_t>(options.subscribers + 1 + options.command_connections + 1);
  PrintMachine("(tranched child, fresh temporary directory per phase)");
  PrintJson({{"kind", "connections"},
             {"subscribers", options.subscribers},
             {"stalled", 1},
             {"command_connections", options.command_connections},
             {"probe", 1},
             {"total", connections},
             {"server_limit", api::kHttpConnectionsMax}});
  if (connections > api::kHttpConnectionsMax) {
    std::fprintf(stderr, "fanout_bench: %zu connections exceed the server's limit of %zu\n",
                 connections, api::kHttpConnectionsMax);
    return 2;
  }
  if (!RaiseDescriptorLimit(options)) return 2;
  signal(SIGPIPE, SIG_IGN);

  bool correct = true;
  std::map<std::string, double> p99;
  for (const std::string& phase : options.phases) {
    if (phase != "plain" && phase != "stalled") {
      std::fprintf(stderr, "fanout_bench: unknown phase '%s'\n", phase.c_str());
      return 2;
    }
    PhaseFigures figures = RunPhase(options, phase == "stalled");
    correct = correct && figures.correct;
    p99[phase] = figures.p99_recorded_ms;
  }
  if (p99.count("plain") && p99.count("stalled")) {
    PrintJson({{"kind", "fanout_compare"},
               {"latency_ms_from_recorded_at_p99_plain", p99["plain"]},
               {"latency_ms_from_recorded_at_p99_stalled", p99["stalled"]},
               {"difference_ms", std::round(100 * (p99["stalled"] - p99["plain"])) / 100}});
  }
  return correct ? 0 : 1;
}

}  // namespace
}  // namespace tranche::bench

int main(int argc, char** argv) { return tranche::bench::Main(argc, argv); }
