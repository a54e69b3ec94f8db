// CommandPipeline: where a command becomes events on disk.
//
//   Submit ──▶ bounded queue ──▶ decider thread:
//       1. idempotency: a command id already in flight or stored answers with
//          the original result (same content) or command_id_reused;
//       2. Decide(write model, command) → events or a rejection (pure);
//       3. AppendAsync(events) to the store, whose writer joins everything
//          waiting into one WriteBatch (sync = true): group commit;
//       4. Evolve the write model, so the next command is decided against it
//          while this one is being made durable.
//   a store thread, once the batch is durable:
//       5. the commit listener (projections, broadcaster) sees the events in
//          position order;
//       6. the caller hears its result.
// A caller therefore learns of success only after its events are on disk,
// and readers never see a state that is not on disk. The write model may run
// ahead of the disk by the appends in flight; if the store then fails, the
// pipeline stops taking commands for good (the store's error is sticky, so
// nothing decided after the failure is acknowledged either) and health()
// says why; restart rebuilds everything from the log.
//
// A caller that may block can use Execute instead: when the decider is idle
// and nothing is queued it runs steps 1–6 itself, on its own thread, and the
// store writes its events there too when its writer is idle
// (EventStore::AppendWriteIfIdle). A lone in-process submitter so pays one
// fsync and no thread hand-off per command; under load Execute queues like
// Submit and waits, and its command joins the next commit group.
// SubmitMayDecideHere is the half of that for a caller that must not wait
// for an fsync (the HTTP server's threads): when the decider is idle it runs
// steps 1–4 on the caller's thread and returns, the store's writer doing
// the write; it spares a thread wake-up per command when the load is light.
//
// Threads: Submit, SubmitMayDecideHere, Execute, health and Stop may be
// called from any thread (Execute not from a callback, nor from a thread
// that must not wait for an fsync, such as the HTTP server's). Callbacks run
// on the decider thread or the thread in SubmitMayDecideHere (rejections,
// duplicates), a store thread (durable results, failures) or the thread in
// Execute, and must not block. The store must outlive the pipeline.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/commands.h"
#include "core/decider.h"
#include "core/events.h"
#include "core/rejection.h"
#include "core/state.h"
#include "core/status.h"
#include "eventstore/event_store.h"

namespace tranche::service {

// Commands waiting for the decider; beyond this Submit answers
// kUnavailable "command_queue_full" at once (the API's 503).
inline constexpr size_t kCommandQueueCommandsMax = 4096;

struct CommandResult {
  std::string command_id;
  uint64_t first_position = 0;
  uint64_t last_position = 0;
  std::string stream;
  uint64_t version = 0;  // The stream's version after the command.
  std::vector<eventstore::RecordedEvent> events;
  // The same events as decided, when this command wrote them (empty in a
  // retry answered from the log): an answer renders them without decoding.
  std::vector<core::Event> domain_events;
  bool duplicate = false;  // A retry answered from the log.
};

// Exactly one of: a result, a rejection (the command broke a rule or was
// malformed: nothing was written), or an error (the pipeline or the store
// could not take it: kUnavailable, kIOError, kResourceExhausted). Once a
// store write has failed, the command it failed under and every later one
// get kUnavailable "pipeline_failed", whose message carries the store's error.
struct CommandOutcome {
  std::optional<CommandResult> result;
  std::optional<core::Rejection> rejection;
  Status error;
};

using CommandCallback = std::function<void(CommandOutcome)>;

// Sees every durable event exactly once, in position order, before the
// callers of its commit group hear. Runs on a store thread, in position order.
using CommitListener = std::function<void(const std::vector<eventstore::RecordedEvent>& records,
                                          const std::vector<core::Event>& events)>;

// Observations for metrics; optional, called on the thread that finished the
// command: (command name, outcome label, microseconds from Submit).
using CommandObserver =
    std::function<void(const std::string& name, const std::string& outcome, int64_t latency_us)>;

class CommandPipeline {
 public:
  // `state` is the write model rebuilt from the log up to `store`'s head;
  // `last_recorded_at_us` the latest time recorded in that log, below which
  // no new event is stamped (the clock may have gone back across a restart).
  CommandPipeline(eventstore::EventStore& store, core::State state, CommitListener on_commit,
                  CommandObserver observer = nullptr, int64_t last_recorded_at_us = 0);
  ~CommandPipeline();  // Stop().
  CommandPipeline(const CommandPipeline&) = delete;
  CommandPipeline& operator=(const CommandPipeline&) = delete;

  // Queues `command` (actor set by the caller; recorded_at is stamped here).
  void Submit(core::CommandEnvelope command, CommandCallback done);

  // As Submit, but when nobody is deciding and nothing is queued, decides
  // `command` on the calling thread and hands its events to the store
  // there, sparing the decider thread's wake-up. Never waits for an fsync.
  void SubmitMayDecideHere(core::CommandEnvelope command, CommandCallback done);

  // Decides and appends `command` and waits until it is durable (or refused).
  CommandOutcome Execute(core::CommandEnvelope command);

  // Stops taking commands, decides those already queued, and waits until
  // every append handed to the store has completed and its caller heard.
  void Stop();

  // Ok while taking commands; otherwise why not (stopped, or the store's error).
  Status health() const;

  // The write model. Only after Stop(), when the decider thread has ended.
  const core::State& StateAfterStop() const;

 private:
  struct Queued {
    core::CommandEnvelope command;
    CommandCallback done;
    int64_t submitted_us;
  };
  struct InFlight {
    std::string digest;
    std::vector<Queued> waiters;  // The original caller and identical retries.
  };

  // A refusal for a new command, or ok. Under mutex_.
  Status RefusalLocked() const;
  // What the calling thread may do with its own command when idle.
  enum class Here { kNothing, kDecide, kDecideAndWrite };
  // Submit, SubmitMayDecideHere and Execute: queues `item`, or (`here` not
  // kNothing, nobody deciding, nothing queued) decides it on this thread,
  // where the store may write it too (kDecideAndWrite).
  void Admit(Queued item, Here here);
  void DeciderLoop();
  // Steps 1–4. `write_if_idle`: the store may write on this thread.
  void Process(Queued item, bool write_if_idle);
  // True when the command id was seen before and `item` has been answered.
  bool AnswerKnownCommand(Queued& item, const std::string& digest);
  void OnDurable(const std::string& command_id, std::vector<eventstore::RecordedEvent> records,
                 std::vector<core::Event> events, const eventstore::AppendOutcome& outcome);
  void Finish(Queued& item, CommandOutcome outcome);
  void Fail(Status status);

  eventstore::EventStore& store_;
  CommitListener on_commit_;
  CommandObserver observer_;

  // Whoever holds deciding_ only: the decider thread, or a caller in Execute.
  core::State state_;
  int64_t last_recorded_at_us_ = 0;
  bool append_refused_ = false;  // Set by OnDurable when the store refused synchronously.

  mutable std::mutex mutex_;
  std::condition_variable queue_changed_;
  std::condition_variable in_flight_changed_;
  std::deque<Queued> queue_;                       // Guarded by mutex_.
  std::map<std::string, InFlight> in_flight_;      // Guarded by mutex_; by command id.
  // OnDurable calls that took their entry out of in_flight_ and have not yet
  // answered its waiters; Stop() waits for none (guarded by mutex_).
  size_t answering_ = 0;
  bool stopping_ = false;                          // Guarded by mutex_.
  bool deciding_ = false;                          // Guarded by mutex_: someone decides.
  Status failure_;                                 // Guarded by mutex_; sticky.
  std::thread decider_;
};

}  // namespace tranche::service
