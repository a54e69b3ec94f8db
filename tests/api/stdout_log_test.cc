// StdoutLog: every appended line is written once, in each thread's order,
// Flush returns only when the lines are out, and destruction writes the rest.
#include "api/server/stdout_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <sstream>
#include <thread>
#include <vector>

namespace tranche::api {
namespace {

std::string ReadAll(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string text;
  char buffer[65536];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  return text;
}

TEST(StdoutLogTest, FlushReturnsOnceEveryLineIsWritten) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  StdoutLog log(file);
  log.Append("{\"msg\":\"one\"}");
  log.Append("{\"msg\":\"two\"}");
  log.Flush();
  EXPECT_EQ(ReadAll(file), "{\"msg\":\"one\"}\n{\"msg\":\"two\"}\n");
  log.Flush();  // Nothing waiting: returns at once.
  std::fclose(file);
}

TEST(StdoutLogTest, ConcurrentLinesAreAllWrittenInEachThreadsOrder) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  constexpr int kThreads = 4;
  constexpr int kLines = 50'000;  // ~1 MiB per thread: the writer batches.
  {
    StdoutLog log(file);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < kLines; ++i) {
          log.Append(std::to_string(t) + " " + std::to_string(i) + " padding-padding");
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }  // Destruction writes what is still waiting.
  std::istringstream lines(ReadAll(file));
  std::map<int, int> next;
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    int t = -1, i = -1;
    fields >> t >> i;
    ASSERT_GE(t, 0) << line;
    ASSERT_EQ(i, next[t]) << "thread " << t << " out of order or lost";
    next[t] = i + 1;
    ++count;
  }
  EXPECT_EQ(count, kThreads * kLines);
  std::fclose(file);
}

// A reader slower than the writers: Append waits for room, nothing is lost.
TEST(StdoutLogTest, ASlowReaderHoldsWritersBackWithoutLosingLines) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::FILE* out = fdopen(fds[1], "w");
  ASSERT_NE(out, nullptr);
  const std::string line(1000, 'x');
  const size_t kLines = 2 * kStdoutLogBufferBytesMax / line.size();  // Twice the buffer.
  size_t received = 0;
  std::thread reader([&] {
    char buffer[4096];
    ssize_t n = 0;
    while ((n = read(fds[0], buffer, sizeof buffer)) > 0) received += static_cast<size_t>(n);
  });
  {
    StdoutLog log(out);
    for (size_t i = 0; i < kLines; ++i) log.Append(line);
  }
  std::fclose(out);  // The reader sees the end of the pipe.
  reader.join();
  close(fds[0]);
  EXPECT_EQ(received, kLines * (line.size() + 1));
}

}  // namespace
}  // namespace tranche::api
