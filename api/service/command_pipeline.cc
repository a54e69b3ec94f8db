// CommandPipeline: the decider thread and the durable-commit callback.
#include "api/service/command_pipeline.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

#include "api/service/content_digest.h"
#include "core/check.h"
#include "core/evolve.h"
#include "core/thread_name.h"

namespace tranche::service {
namespace {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t SteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

CommandOutcome ErrorOutcome(Status status) {
  CommandOutcome outcome;
  outcome.error = std::move(status);
  return outcome;
}

CommandOutcome RejectionOutcome(core::Rejection rejection) {
  CommandOutcome outcome;
  outcome.rejection = std::move(rejection);
  return outcome;
}

// Every command answered after the store failed: whether its own write failed
// or it came later, it was not acknowledged, and a retry with the same
// command id after a restart records it at most once.
Status Refusal(const Status& failure) {
  return Status::Unavailable(
      "pipeline_failed",
      "not taking commands: the event store could not write (" + failure.ToString() +
          "); this command was not acknowledged: retry it with the same command_id once the "
          "disk is fixed and the server restarted");
}

core::Rejection CommandIdReused(const std::string& command_id) {
  return core::Rejection{std::string(core::rejection::kCommandIdReused),
                         "command id '" + command_id +
                             "' was already used for a command with different content",
                         {{"field", "command_id"}, {"command_id", command_id}}};
}

// "accepted", "duplicate", the rejection code, or "error".
std::string OutcomeLabel(const CommandOutcome& outcome) {
  if (outcome.result) return outcome.result->duplicate ? "duplicate" : "accepted";
  if (outcome.rejection) return outcome.rejection->code;
  return "error";
}

// The pipeline whose Process is inside a store append call on this thread:
// a callback that runs there learns it was not deferred.
thread_local const CommandPipeline* t_appending = nullptr;

}  // namespace

CommandPipeline::CommandPipeline(eventstore::EventStore& store, core::State state,
                                 CommitListener on_commit, CommandObserver observer,
                                 int64_t last_recorded_at_us)
    : store_(store),
      on_commit_(std::move(on_commit)),
      observer_(std::move(observer)),
      state_(std::move(state)),
      last_recorded_at_us_(last_recorded_at_us) {
  decider_ = std::thread([this] { DeciderLoop(); });
  NameThread(decider_, "cmd-decider");
}

CommandPipeline::~CommandPipeline() { Stop(); }

Status CommandPipeline::RefusalLocked() const {
  if (!failure_.ok()) return Refusal(failure_);
  if (stopping_) return Status::Unavailable("pipeline_stopping", "the server is shutting down");
  if (queue_.size() >= kCommandQueueCommandsMax) {
    return Status::Unavailable("command_queue_full",
                               "too many commands waiting; retry with the same command_id");
  }
  return Status::Ok();
}

void CommandPipeline::Submit(core::CommandEnvelope command, CommandCallback done) {
  Admit(Queued{std::move(command), std::move(done), SteadyMicros()}, Here::kNothing);
}

void CommandPipeline::SubmitMayDecideHere(core::CommandEnvelope command, CommandCallback done) {
  Admit(Queued{std::move(command), std::move(done), SteadyMicros()}, Here::kDecide);
}

CommandOutcome CommandPipeline::Execute(core::CommandEnvelope command) {
  // Usually the answer comes on this very thread before Admit returns. A
  // mutex and condition variable cost no system call then; std::promise's
  // set_value always made one (glibc's pthread_once wakes unconditionally).
  struct Answer {
    std::mutex mutex;
    std::condition_variable ready;
    std::optional<CommandOutcome> outcome;
  };
  auto answer = std::make_shared<Answer>();
  Admit(Queued{std::move(command),
               [answer](CommandOutcome result) {
                 std::lock_guard lock(answer->mutex);
                 answer->outcome = std::move(result);
                 answer->ready.notify_one();
               },
               SteadyMicros()},
        Here::kDecideAndWrite);
  std::unique_lock lock(answer->mutex);
  answer->ready.wait(lock, [&answer] { return answer->outcome.has_value(); });
  return std::move(*answer->outcome);
}

void CommandPipeline::Admit(Queued item, Here here) {
  Status refusal;
  bool decide_here = false;
  {
    std::lock_guard lock(mutex_);
    refusal = RefusalLocked();
    if (refusal.ok() && here != Here::kNothing && !deciding_ && queue_.empty()) {
      deciding_ = true;  // The decider thread waits for this call.
      decide_here = true;
    } else if (refusal.ok()) {
      queue_.push_back(std::move(item));
      queue_changed_.notify_one();
    }
  }
  if (!refusal.ok()) {
    Finish(item, ErrorOutcome(std::move(refusal)));
  } else if (decide_here) {
    Process(std::move(item), /*write_if_idle=*/here == Here::kDecideAndWrite);
    std::lock_guard lock(mutex_);
    deciding_ = false;
    if (stopping_ || !queue_.empty()) queue_changed_.notify_one();
  }
}

void CommandPipeline::DeciderLoop() {
  std::deque<Queued> batch;  // Everything queued, taken under one lock.
  bool held = false;         // This thread holds deciding_.
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (held) deciding_ = false;
      queue_changed_.wait(lock,
                          [this] { return !deciding_ && (!queue_.empty() || stopping_); });
      if (queue_.empty()) return;  // Stopping, and everything queued was decided.
      deciding_ = held = true;
      batch.swap(queue_);
    }
    for (Queued& item : batch) Process(std::move(item), /*write_if_idle=*/false);
    batch.clear();
  }
}

// The write path. Runs on the thread holding deciding_ only.
void CommandPipeline::Process(Queued item, bool write_if_idle) {
  {
    std::unique_lock lock(mutex_);
    if (!failure_.ok()) {
      Status refusal = Refusal(failure_);
      lock.unlock();
      Finish(item, ErrorOutcome(std::move(refusal)));
      return;
    }
  }
  // 1. Idempotency: a known command id is answered from memory or the log.
  std::string digest = CommandContentDigest(item.command);
  if (AnswerKnownCommand(item, digest)) return;

  // 2. Decide against the write model. Recorded times never go backwards, so
  //    "as known at time T" maps to one log position.
  item.command.recorded_at_us = std::max(NowMicros(), last_recorded_at_us_);
  last_recorded_at_us_ = item.command.recorded_at_us;
  core::Decision decision = core::Decide(state_, item.command);
  if (auto* rejection = std::get_if<core::Rejection>(&decision)) {
    Finish(item, RejectionOutcome(std::move(*rejection)));
    return;
  }
  const auto& decided = std::get<std::vector<core::DomainEvent>>(decision);
  TRANCHE_CHECK(!decided.empty());

  // 3. Hand the events to the store, each stream expected at the write
  //    model's version, which is exact because this thread is the only writer.
  eventstore::AppendRequest request;
  request.command_id = item.command.command_id;
  request.actor = item.command.actor;
  request.recorded_at_us = item.command.recorded_at_us;
  request.reason = item.command.reason;
  request.content_digest = digest;
  std::vector<eventstore::RecordedEvent> records;
  std::vector<core::Event> events;
  for (const core::DomainEvent& domain_event : decided) {
    if (request.streams.empty() || request.streams.back().stream != domain_event.stream) {
      std::optional<uint64_t> version = state_.StreamVersion(domain_event.stream);
      request.streams.push_back(eventstore::StreamAppend{
          domain_event.stream,
          version ? eventstore::ExpectedVersion::Exact(*version)
                  : eventstore::ExpectedVersion::NoStream(),
          {}});
    }
    eventstore::NewEvent new_event{std::string(core::EventTypeName(domain_event.event)),
                                   core::kEventSchemaVersion, "",
                                   core::EncodeEvent(domain_event.event)};
    eventstore::RecordedEvent record;
    record.stream = domain_event.stream;
    record.type = new_event.type;
    record.schema = new_event.schema;
    record.data = new_event.data;
    record.command_id = request.command_id;
    record.actor = request.actor;
    record.recorded_at_us = request.recorded_at_us;
    record.reason = request.reason;
    records.push_back(std::move(record));
    events.push_back(domain_event.event);
    request.streams.back().events.push_back(std::move(new_event));
  }
  std::string command_id = item.command.command_id;
  {
    std::lock_guard lock(mutex_);
    InFlight& in_flight = in_flight_[command_id];
    in_flight.digest = std::move(digest);
    in_flight.waiters.push_back(std::move(item));
  }
  append_refused_ = false;
  auto on_durable = [this, command_id = std::move(command_id), records = std::move(records),
                     events = std::move(events)](eventstore::AppendOutcome outcome) mutable {
    OnDurable(command_id, std::move(records), std::move(events), outcome);
  };
  t_appending = this;
  if (write_if_idle) {
    store_.AppendWriteIfIdle(std::move(request), std::move(on_durable));
  } else {
    store_.AppendAsync(std::move(request), std::move(on_durable));
  }
  t_appending = nullptr;
  if (append_refused_) return;  // Refused, or failed on this thread: nothing to evolve.

  // 4. Evolve, so the next command is decided against these events too.
  for (const core::DomainEvent& domain_event : decided) core::Evolve(state_, domain_event);
}

bool CommandPipeline::AnswerKnownCommand(Queued& item, const std::string& digest) {
  const std::string& command_id = item.command.command_id;
  {
    std::unique_lock lock(mutex_);
    auto it = in_flight_.find(command_id);
    if (it != in_flight_.end()) {
      if (it->second.digest == digest) {
        it->second.waiters.push_back(std::move(item));  // Answered when durable.
        return true;
      }
      lock.unlock();
      Finish(item, RejectionOutcome(CommandIdReused(command_id)));
      return true;
    }
  }
  StatusOr<eventstore::AppendResult> stored = store_.LookupCommand(command_id);
  if (!stored.ok() && stored.status().code() == StatusCode::kNotFound) return false;
  if (!stored.ok()) {
    Finish(item, ErrorOutcome(stored.status()));
    return true;
  }
  if (stored->content_digest != digest) {
    Finish(item, RejectionOutcome(CommandIdReused(command_id)));
    return true;
  }
  CommandResult result;
  result.command_id = command_id;
  result.first_position = stored->first_position;
  result.last_position = stored->last_position;
  result.duplicate = true;
  Status read = store_.ReadAll(stored->first_position, eventstore::ReadFilter{},
                               stored->last_position - stored->first_position + 1,
                               &result.events);
  if (!read.ok() || result.events.empty()) {
    Finish(item, ErrorOutcome(read.ok() ? Status::DataLoss("command_events_missing",
                                                           "stored command has no events")
                                        : read));
    return true;
  }
  result.stream = result.events.back().stream;
  result.version = result.events.back().version;
  CommandOutcome outcome;
  outcome.result = std::move(result);
  Finish(item, std::move(outcome));
  return true;
}

void CommandPipeline::OnDurable(const std::string& command_id,
                                std::vector<eventstore::RecordedEvent> records,
                                std::vector<core::Event> events,
                                const eventstore::AppendOutcome& outcome) {
  // Called from inside Process's append call: refused before queueing, or
  // written on this very thread.
  const bool on_appending_thread = t_appending == this;
  InFlight in_flight;
  {
    std::lock_guard lock(mutex_);
    auto node = in_flight_.extract(command_id);
    TRANCHE_CHECK(!node.empty());
    in_flight = std::move(node.mapped());
    // in_flight_ may now be empty while the waiters are still unanswered:
    // Stop() must also wait for this call to finish (it touches this object
    // to the end).
    ++answering_;
  }
  if (!outcome.ok()) {
    Status status = outcome.status();
    if (on_appending_thread) {
      // A limit or a full queue (nothing written), or this thread's own
      // write failed: either way the write model must not evolve.
      append_refused_ = true;
      if (status.code() == StatusCode::kIOError) Fail(status);
    } else {
      // Once queued, only the disk can fail an append: a conflict would mean
      // the write model and the log disagree, which is a bug.
      TRANCHE_CHECK_MSG(status.code() == StatusCode::kIOError ||
                            status.code() == StatusCode::kUnavailable,
                        status.ToString().c_str());
      Fail(status);
    }
    // The disk failed under this command: its caller hears the same refusal
    // as every command after it, so that one code means "the store stopped".
    if (status.code() == StatusCode::kIOError) status = Refusal(status);
    for (Queued& waiter : in_flight.waiters) Finish(waiter, ErrorOutcome(status));
  } else {
    const eventstore::AppendResult& appended = outcome.result();
    TRANCHE_CHECK(appended.last_position - appended.first_position + 1 == records.size());
    // Each stream's next version; a command touches one or two streams, so
    // a short list searched in full (a map cost a node and a key per stream).
    std::vector<std::pair<std::string_view, uint64_t>> next_version;
    next_version.reserve(appended.streams.size());
    auto version_of = [&next_version](std::string_view stream) -> uint64_t* {
      for (auto& [name, version] : next_version) {
        if (name == stream) return &version;
      }
      return nullptr;
    };
    for (const auto& stream : appended.streams) {
      if (uint64_t* version = version_of(stream.stream)) {
        *version = stream.first_version;
      } else {
        next_version.emplace_back(stream.stream, stream.first_version);
      }
    }
    for (size_t i = 0; i < records.size(); ++i) {
      records[i].position = appended.first_position + i;
      uint64_t* version = version_of(records[i].stream);
      TRANCHE_CHECK_MSG(version != nullptr, "an event of a stream the store did not append");
      records[i].version = (*version)++;
    }
    if (on_commit_) on_commit_(records, events);
    CommandResult result{command_id,           appended.first_position, appended.last_position,
                         records.back().stream, records.back().version,   std::move(records),
                         std::move(events),     false};
    for (size_t i = 0; i < in_flight.waiters.size(); ++i) {
      CommandOutcome answer;
      // Retries waiting on the same command get copies; the last one (the
      // only one, nearly always) takes the result itself.
      if (i + 1 < in_flight.waiters.size()) {
        answer.result = result;
      } else {
        answer.result = std::move(result);
      }
      answer.result->duplicate = i > 0;
      Finish(in_flight.waiters[i], std::move(answer));
    }
  }
  std::lock_guard lock(mutex_);
  --answering_;
  in_flight_changed_.notify_all();
}

void CommandPipeline::Finish(Queued& item, CommandOutcome outcome) {
  if (observer_) {
    observer_(item.command.name, OutcomeLabel(outcome), SteadyMicros() - item.submitted_us);
  }
  if (item.done) item.done(std::move(outcome));
}

void CommandPipeline::Fail(Status status) {
  std::lock_guard lock(mutex_);
  if (failure_.ok()) failure_ = std::move(status);
}

void CommandPipeline::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_changed_.notify_all();
  }
  if (decider_.joinable() && decider_.get_id() != std::this_thread::get_id()) decider_.join();
  std::unique_lock lock(mutex_);
  in_flight_changed_.wait(lock, [this] { return in_flight_.empty() && answering_ == 0; });
}

const core::State& CommandPipeline::StateAfterStop() const {
  TRANCHE_CHECK(!decider_.joinable());
  return state_;
}

Status CommandPipeline::health() const {
  std::lock_guard lock(mutex_);
  if (!failure_.ok()) return failure_;
  if (stopping_) return Status::Unavailable("pipeline_stopped", "not taking commands");
  return Status::Ok();
}

}  // namespace tranche::service
