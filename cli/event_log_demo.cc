// event_log_demo DATA_DIR: appends a few events to a demo stream of the event
// store in DATA_DIR, reads the stream back, prints it and the Verify result.
#include <cstdio>
#include <string>
#include <vector>

#include "eventstore/event_store.h"

namespace {

using tranche::eventstore::AppendOutcome;
using tranche::eventstore::AppendRequest;
using tranche::eventstore::EventStore;
using tranche::eventstore::ExpectedVersion;
using tranche::eventstore::kNoVersion;
using tranche::eventstore::Options;
using tranche::eventstore::RecordedEvent;
using tranche::eventstore::VerifyReport;

std::string Hex(const std::string& bytes, size_t max_bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < max_bytes; ++i) {
    out.push_back(kDigits[static_cast<unsigned char>(bytes[i]) >> 4]);
    out.push_back(kDigits[static_cast<unsigned char>(bytes[i]) & 0xf]);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
    return 2;
  }
  auto opened = EventStore::Open(argv[1], Options{});
  if (!opened.ok()) {
    std::fprintf(stderr, "open %s: %s\n", argv[1], opened.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<EventStore> store = std::move(opened).value();
  const std::string stream = "cluster-demo";
  auto version = store->StreamVersion(stream);
  if (!version.ok()) {
    std::fprintf(stderr, "stream version: %s\n", version.status().ToString().c_str());
    return 1;
  }
  // Each run appends one command of three events after whatever is there.
  const uint64_t run = store->GetHead().position;
  AppendRequest request;
  request.command_id = "demo-" + std::to_string(run);
  request.actor = "event_log_demo";
  request.reason = "demonstration";
  request.streams.push_back(
      {stream,
       *version == kNoVersion ? ExpectedVersion::NoStream() : ExpectedVersion::Exact(*version),
       {{"BidSubmitted", 1, "", R"({"cluster_id":"demo","requested_pence":100000})"},
        {"BidAwarded", 1, "", R"({"cluster_id":"demo","awards":{"2009/10":90000}})"},
        {"TrancheRecorded", 1, "", R"({"cluster_id":"demo","amount_pence":45000})"}}});
  AppendOutcome outcome = store->Append(std::move(request));
  if (!outcome.ok()) {
    std::fprintf(stderr, "append: %s\n", outcome.status().ToString().c_str());
    return 1;
  }
  std::printf("appended positions %llu..%llu\n",
              static_cast<unsigned long long>(outcome.result().first_position),
              static_cast<unsigned long long>(outcome.result().last_position));

  std::vector<RecordedEvent> events;
  auto status = store->ReadStreamForward(stream, 0, 1000, &events);
  if (!status.ok()) {
    std::fprintf(stderr, "read: %s\n", status.ToString().c_str());
    return 1;
  }
  for (const RecordedEvent& e : events) {
    std::printf("#%llu %s@%llu %-16s %s hash=%s… %s\n", static_cast<unsigned long long>(e.position),
                e.stream.c_str(), static_cast<unsigned long long>(e.version), e.type.c_str(),
                e.command_id.c_str(), Hex(e.hash, 8).c_str(), e.data.c_str());
  }
  const VerifyReport report = store->Verify();
  if (report.ok) {
    std::printf("verify: ok, %llu events, head %llu\n",
                static_cast<unsigned long long>(report.events_checked),
                static_cast<unsigned long long>(report.head_position));
  } else {
    std::printf("verify: FAILED at position %llu: %s (%s)\n",
                static_cast<unsigned long long>(report.first_bad_position), report.damage.c_str(),
                report.detail.c_str());
  }
  store->Close();
  return report.ok ? 0 : 1;
}
