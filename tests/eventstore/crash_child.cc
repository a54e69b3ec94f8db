// The crash test's child: crash_child STORE_PATH ROUND PIPE_FD. Several
// threads append one-event commands as fast as the store takes them and
// write (position, sequence) to the pipe after each acknowledgement. It runs
// until the parent kills it with SIGKILL.
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "eventstore/event_store.h"
#include "tests/eventstore/crash_protocol.h"

namespace {

constexpr int kSubmitters = 4;

}  // namespace

int main(int argc, char** argv) {
  using namespace tranche::eventstore;
  using tranche::eventstore::testing::Acknowledged;
  if (argc != 4) return 2;
  const std::string path = argv[1];
  const int round = std::atoi(argv[2]);
  const int pipe_fd = std::atoi(argv[3]);
  // Small spare logs of zeros, ready within a round: most rounds then write
  // into a log that was a spare and die with zeros after its last record.
  Options options;
  options.wal_spare_bytes = 1 << 20;
  auto opened = EventStore::Open(path, options);
  if (!opened.ok()) return 3;
  std::unique_ptr<EventStore> store = std::move(opened).value();
  std::mutex pipe_mutex;
  std::atomic<uint64_t> next_sequence{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kSubmitters; ++t) {
    threads.emplace_back([&, t] {
      while (true) {
        const uint64_t sequence = next_sequence++;
        AppendRequest request;
        request.command_id = testing::CrashCommandId(round, sequence);
        request.actor = "crash-child";
        request.streams.push_back({"crash-" + std::to_string(t),
                                   ExpectedVersion::Any(),
                                   {{"Tick", 1, "", testing::CrashPayload(round, sequence)}}});
        AppendOutcome outcome = store->Append(std::move(request));
        if (!outcome.ok()) _exit(4);
        const Acknowledged ack{outcome.result().first_position, sequence};
        std::lock_guard<std::mutex> lock(pipe_mutex);
        if (write(pipe_fd, &ack, sizeof ack) != sizeof ack) _exit(5);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  return 6;
}
