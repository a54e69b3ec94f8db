// Crash safety: a child appends and reports each acknowledged position; the
// parent kills it with SIGKILL at a random moment and checks that every
// acknowledged event survived, intact, and that Verify passes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "eventstore/event_store.h"
#include "tests/eventstore/crash_protocol.h"
#include "tests/eventstore/test_store.h"

namespace tranche::eventstore {
namespace {

using testing::Acknowledged;
using testing::OpenOrDie;
using testing::TempDir;

constexpr int kRounds = 24;

TEST(EventStoreCrash, EveryAcknowledgedAppendSurvivesSigkillAndVerifyPasses) {
  TempDir dir;
  const std::string path = dir.Sub("store");
  uint64_t total_acknowledged = 0;
  for (int round = 0; round < kRounds; ++round) {
    const unsigned seed = 7000 + round;
    std::mt19937 random(seed);
    const int kill_after_ms = std::uniform_int_distribution<int>(0, 100)(random);
    std::printf("round %d seed %u kill after %d ms\n", round, seed, kill_after_ms);

    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    // Everything exec needs is built before fork: the child only calls
    // async-signal-safe functions until exec, and starts with no inherited
    // RocksDB threads or locks.
    std::string round_text = std::to_string(round);
    std::string fd_text = std::to_string(fds[1]);
    char child_path[] = TRANCHE_CRASH_CHILD_PATH;
    char* argv[] = {child_path, const_cast<char*>(path.c_str()), round_text.data(), fd_text.data(),
                    nullptr};
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      execv(child_path, argv);
      _exit(7);
    }
    close(fds[1]);
    // Wait for the first acknowledgement so that every round kills a child
    // that is busy appending, then let it run for the seeded time.
    std::map<uint64_t, uint64_t> acknowledged;  // position → sequence
    Acknowledged ack;
    pollfd ready{fds[0], POLLIN, 0};
    ASSERT_EQ(poll(&ready, 1, 30000), 1) << "child never acknowledged an append";
    ASSERT_EQ(read(fds[0], &ack, sizeof ack), static_cast<ssize_t>(sizeof ack));
    acknowledged[ack.position] = ack.sequence;
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int wait_status = 0;
    ASSERT_EQ(waitpid(child, &wait_status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(wait_status)) << "child exited early with " << WEXITSTATUS(wait_status);
    // Everything the child wrote before it died is still in the pipe.
    ssize_t n;
    while ((n = read(fds[0], &ack, sizeof ack)) == sizeof ack) {
      acknowledged[ack.position] = ack.sequence;
    }
    close(fds[0]);
    ASSERT_TRUE(n == 0) << "torn pipe record";  // Records of 16 bytes are written atomically.

    Options options;
    options.wal_spare_bytes = 1 << 20;  // As the child's.
    auto store = OpenOrDie(path, options);
    ASSERT_NE(store, nullptr);
    const VerifyReport report = store->Verify();
    ASSERT_TRUE(report.ok) << "round " << round << ": " << report.damage << " at "
                           << report.first_bad_position << ": " << report.detail;
    for (const auto& [position, sequence] : acknowledged) {
      std::vector<RecordedEvent> events;
      ASSERT_TRUE(store->ReadAll(position, {}, 1, &events).ok());
      ASSERT_EQ(events.size(), 1u) << "round " << round << ": position " << position << " lost";
      EXPECT_EQ(events[0].position, position);
      EXPECT_EQ(events[0].data, testing::CrashPayload(round, sequence));
      EXPECT_EQ(events[0].command_id, testing::CrashCommandId(round, sequence));
    }
    total_acknowledged += acknowledged.size();
    EXPECT_GE(store->GetHead().position, acknowledged.rbegin()->first);
  }
  std::printf("acknowledged appends checked: %llu\n", (unsigned long long)total_acknowledged);
  EXPECT_GT(total_acknowledged, 0u);
}

}  // namespace
}  // namespace tranche::eventstore
