// A command's 200 body, written as text by CommandResultBody, is byte for
// byte the JSON object the route used to build and dump: EventToJson of each
// event without its hashes, the store's event id rule, nlohmann's key order,
// escaping and replacement of invalid UTF-8.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/routes/domain_routes.h"
#include "api/server/event_json.h"
#include "core/events.h"
#include "core/json/json_codec.h"

namespace tranche::api {
namespace {

using nlohmann::json;

// The reference: the answer as a JSON object, dumped.
std::string ReferenceBody(const service::CommandResult& result, const EventRenderer& renderer) {
  json events = json::array();
  for (size_t i = 0; i < result.events.size(); ++i) {
    json event = EventToJson(result.events[i], renderer);
    if (result.events[i].event_id.empty()) {
      event["event_id"] = result.command_id + "#" + std::to_string(i);
    }
    event.erase("hash");
    event.erase("prev_hash");
    events.push_back(std::move(event));
  }
  return json{{"command_id", result.command_id},
              {"first_position", result.first_position},
              {"last_position", result.last_position},
              {"stream", result.stream},
              {"version", result.version},
              {"events", std::move(events)}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

eventstore::RecordedEvent Event(uint64_t position, std::string stream, std::string data) {
  eventstore::RecordedEvent event;
  event.position = position;
  event.stream = std::move(stream);
  event.version = position * 3;
  event.type = "TrancheRecorded";
  event.schema = 2;
  event.data = std::move(data);
  event.command_id = "cmd-1";
  event.actor = "finance-officer";
  event.recorded_at_us = 1'764'100'000'123'456;
  event.hash = std::string(32, '\x11');
  event.prev_hash = std::string(32, '\x22');
  return event;
}

service::CommandResult Result(std::vector<eventstore::RecordedEvent> events) {
  service::CommandResult result;
  result.command_id = "cmd-1";
  result.first_position = events.empty() ? 0 : events.front().position;
  result.last_position = events.empty() ? 0 : events.back().position;
  result.stream = events.empty() ? "" : events.back().stream;
  result.version = events.empty() ? 0 : events.back().version;
  result.events = std::move(events);
  return result;
}

TEST(CommandResultBodyTest, MatchesTheDumpedObject) {
  const EventRenderer object_renderer = [](const eventstore::RecordedEvent& event) -> json {
    return json{{"amount_pence", 1}, {"payment_reference", event.command_id}, {"z", {1, 2.5}}};
  };
  std::vector<service::CommandResult> results;
  results.push_back(Result({Event(86, "cluster-wessex", "x")}));
  results.push_back(Result({Event(7, "programme-hiec", "a"), Event(8, "cluster-a", "b")}));
  {
    service::CommandResult stored = Result({Event(9, "cluster-b", "c"), Event(10, "cluster-b", "")});
    stored.events[0].event_id = "stored-9";  // A replay read from the log.
    stored.events[1].event_id = "stored-10";
    stored.events[1].reason = "correcting a \"typo\"\\ in line\n2";
    stored.duplicate = true;
    results.push_back(stored);
  }
  {
    service::CommandResult odd = Result({Event(11, "cluster-caf\xc3\xa9", "\xff")});
    odd.command_id = "id with \x01 control and \xfe invalid";
    odd.events[0].actor = "tab\tactor";
    odd.events[0].recorded_at_us = -1;  // Before 1970: still a timestamp.
    results.push_back(odd);
  }
  results.push_back(Result({}));
  for (const service::CommandResult& result : results) {
    for (const EventRenderer& renderer : {object_renderer, DomainEventRenderer(), EventRenderer()}) {
      EXPECT_EQ(CommandResultBody(result, renderer), ReferenceBody(result, renderer));
    }
  }
}

// A fresh result carries its events as decided; their payloads are written
// from those, and read as the domain renderer reads the stored bytes.
TEST(CommandResultBodyTest, EventsAsDecidedAreWrittenAsTheDomainRendererReadsThem) {
  const core::FinancialYear year = *core::FinancialYear::Parse("2009/10");
  const core::Date paid_on = *core::ParseDate("2010-03-31");
  const core::Pence amount(35'000'000);
  const std::vector<core::Event> decided = {
      core::TrancheRecorded{"hiec", "wessex", year, amount, paid_on, "HIEC/\"0001\""},
      core::TrancheReversed{"hiec", "wessex", "HIEC/\"0001\"", year, amount, paid_on,
                            "entered twice\n"}};
  std::vector<eventstore::RecordedEvent> records;
  for (size_t i = 0; i < decided.size(); ++i) {
    eventstore::RecordedEvent record =
        Event(20 + i, "cluster-wessex", core::EncodeEvent(decided[i]));
    record.type = std::string(core::EventTypeName(decided[i]));
    record.schema = core::kEventSchemaVersion;
    records.push_back(std::move(record));
  }
  service::CommandResult result = Result(records);
  result.domain_events = decided;
  const std::string body = CommandResultBody(result, DomainEventRenderer());
  EXPECT_EQ(body, ReferenceBody(result, DomainEventRenderer()));
  EXPECT_NE(body.find("\"amount_pence\":35000000"), std::string::npos);
  // The events as decided are what is written, whatever the renderer.
  EXPECT_EQ(CommandResultBody(result, EventRenderer()), body);
  result.domain_events.clear();  // A retry: rendered from the stored bytes.
  EXPECT_EQ(CommandResultBody(result, DomainEventRenderer()), body);
}

TEST(CommandResultBodyTest, AThrowingRendererFallsBackAsBefore) {
  const EventRenderer throwing = [](const eventstore::RecordedEvent&) -> json {
    throw std::runtime_error("unreadable");
  };
  service::CommandResult result = Result({Event(5, "cluster-x", "\x01\x02\x03")});
  EXPECT_EQ(CommandResultBody(result, throwing), ReferenceBody(result, throwing));
  EXPECT_NE(CommandResultBody(result, throwing).find("\"data\":\"AQID\""), std::string::npos);
}

}  // namespace
}  // namespace tranche::api
