// Binary and JSON codecs: round trips for every event type and command, corruption, state JSON.
#include <gtest/gtest.h>

#include "core/byte_codec.h"
#include "core/events.h"
#include "core/json/json_codec.h"
#include "tests/core/domain_fixture.h"

namespace tranche::core {
namespace {

using namespace testing;  // NOLINT: the fixture's builders.

std::vector<Event> OneOfEach() {
  const FinancialYear y1 = Fy("2009/10");
  const FinancialYear y2 = Fy("2010/11");
  return {
      ProgrammeOpened{"hiec", "HIECs", "Department of Health",
                      {{y1, Pence(1'100'000'000)}, {y2, Pence(990'000'000)}}},
      BidSubmitted{"hiec", "wessex", "Wessex HIEC", "South Central", "University of Southampton",
                   "Long-term conditions \xE2\x80\x94 stroke", {{y1, Pence(1)}, {y2, Pence(2)}},
                   D("2009-10-30")},
      BidAwarded{"hiec", "wessex", {{y1, Pence(70'000'000)}}, D("2010-01-05")},
      BidRejected{"hiec", "other", D("2010-01-05"), "Outside scope"},
      AwardAmended{"hiec", "wessex", y1, Pence(70'000'000), Pence(0), "withdrawn"},
      MemberAdded{"hiec", "wessex", "acme", "Acme Ltd", Sector::kIndustry, D("2010-01-10")},
      MemberRemoved{"hiec", "wessex", "acme", D("2010-06-30"), "left"},
      TrancheRecorded{"hiec", "wessex", y1, Pence(35'000'000), D("2010-03-31"), "HIEC/0001"},
      TrancheReversed{"hiec", "wessex", "HIEC/0001", y1, Pence(35'000'000), D("2010-03-31"), "dup"},
      FinancialYearClosed{"hiec", y1, Pence(1'100'000'000), Pence(70'000'000), Pence(35'000'000),
                          Pence(35'000'000),
                          {{"wessex", Pence(70'000'000), Pence(35'000'000), Pence(35'000'000)}}},
  };
}

// A varint read with ten or more bytes left takes a path without a bounds
// check per byte; with fewer, the careful one. Both must agree on every
// length and refuse the same non-canonical forms.
TEST(ByteCodecTest, VarintsReadAlikeWithAndWithoutTenBytesLeft) {
  std::vector<uint64_t> values = {0, 1, 127, 128, 300, UINT64_MAX, UINT64_MAX - 1};
  for (int bits = 7; bits < 64; bits += 7) {
    values.push_back((uint64_t{1} << bits) - 1);
    values.push_back(uint64_t{1} << bits);
  }
  for (const uint64_t value : values) {
    ByteWriter out;
    out.Varint(value);
    const std::string exact = out.Take();
    for (const std::string& bytes : {exact, exact + std::string(10, '\x7F')}) {
      ByteReader in(bytes);
      EXPECT_EQ(in.Varint(), value);
      EXPECT_TRUE(in.ok());
      EXPECT_EQ(in.offset(), exact.size()) << value;
    }
  }
  const std::vector<std::string> refused = {
      std::string("\x80\x00", 2),                              // Overlong zero.
      std::string(9, '\xFF') + "\x02",                         // Past 64 bits.
      std::string(10, '\xFF') + "\x01",                        // Eleven bytes.
      std::string("\x81\x80\x00", 3),                          // A final zero byte.
  };
  for (const std::string& bad : refused) {
    for (const std::string& bytes : {bad, bad + std::string(10, '\x01')}) {
      ByteReader in(bytes);
      (void)in.Varint();
      EXPECT_FALSE(in.ok()) << bytes.size();
    }
  }
  ByteReader cut(std::string_view("\x80\x80", 2));  // Runs out.
  (void)cut.Varint();
  EXPECT_FALSE(cut.ok());
}

TEST(EventCodecTest, OneSampleCoversEveryEventType) {
  std::vector<std::string_view> names;
  for (const Event& event : OneOfEach()) names.push_back(EventTypeName(event));
  EXPECT_EQ(names, AllEventTypeNames());
}

TEST(EventCodecTest, EveryEventTypeRoundTripsThroughBinary) {
  for (const Event& event : OneOfEach()) {
    const std::string bytes = EncodeEvent(event);
    StatusOr<Event> decoded = DecodeEvent(EventTypeName(event), kEventSchemaVersion, bytes);
    ASSERT_TRUE(decoded.ok()) << EventTypeName(event) << ": " << decoded.status().ToString();
    EXPECT_EQ(*decoded, event) << EventTypeName(event);
    EXPECT_EQ(EncodeEvent(*decoded), bytes);
  }
}

TEST(EventCodecTest, DecodingIntoAReusedEventReplacesEveryField) {
  // Replay decodes into the same few events again and again; whatever the
  // slot held before, of the same type or another, must not show through.
  const std::vector<Event> events = OneOfEach();
  Event slot;
  for (int pass = 0; pass < 2; ++pass) {
    for (const Event& event : events) {
      const std::string bytes = EncodeEvent(event);
      for (int twice = 0; twice < 2; ++twice) {
        ASSERT_TRUE(DecodeEventInto(EventTypeName(event), kEventSchemaVersion, bytes, &slot).ok())
            << EventTypeName(event);
        EXPECT_EQ(slot, event) << EventTypeName(event) << " decoded into a used slot";
      }
    }
  }
  // A shorter list after a longer one of the same type.
  FinancialYearClosed shorter = std::get<FinancialYearClosed>(events.back());
  shorter.clusters.clear();
  ASSERT_TRUE(DecodeEventInto(EventTypeName(Event(shorter)), kEventSchemaVersion,
                              EncodeEvent(shorter), &slot)
                  .ok());
  EXPECT_EQ(slot, Event(shorter));
}

TEST(EventCodecTest, EveryEventTypeRoundTripsThroughJson) {
  for (const Event& event : OneOfEach()) {
    const nlohmann::json json = EventToJson(event);
    StatusOr<Event> decoded = EventFromJson(EventTypeName(event), json);
    ASSERT_TRUE(decoded.ok()) << EventTypeName(event) << ": " << decoded.status().ToString();
    EXPECT_EQ(*decoded, event) << json.dump();
    // And through text, as the API sends it.
    EXPECT_EQ(*EventFromJson(EventTypeName(event), nlohmann::json::parse(json.dump())), event);
  }
}

// A command's answer writes its events' payloads with AppendEventJson.
TEST(EventCodecTest, AppendEventJsonWritesExactlyTheDumpOfEveryEventType) {
  for (const Event& event : OneOfEach()) {
    std::string text = "kept";  // Appended to, not replaced.
    ASSERT_TRUE(AppendEventJson(event, &text)) << EventTypeName(event);
    EXPECT_EQ(text, "kept" + EventToJson(event).dump()) << EventTypeName(event);
  }
  MemberRemoved invalid{"hiec", "wessex", "acme", D("2010-06-30"), "bad \xff byte"};
  std::string text;
  EXPECT_FALSE(AppendEventJson(invalid, &text));
  EXPECT_THROW((void)EventToJson(invalid).dump(), nlohmann::json::exception);
}

TEST(EventCodecTest, JsonUsesPenceIntegersDatesAndLabels) {
  const nlohmann::json json = EventToJson(OneOfEach()[7]);
  EXPECT_EQ(json.at("amount_pence"), 35'000'000);
  EXPECT_EQ(json.at("paid_on"), "2010-03-31");
  EXPECT_EQ(json.at("financial_year"), "2009/10");
  EXPECT_EQ(EventToJson(OneOfEach()[1]).at("requested").at("2010/11"), 2);
}

TEST(EventCodecTest, TruncatedOrExtendedBytesAreDataLoss) {
  for (const Event& event : OneOfEach()) {
    const std::string bytes = EncodeEvent(event);
    for (size_t size = 0; size < bytes.size(); ++size) {
      const StatusOr<Event> decoded =
          DecodeEvent(EventTypeName(event), kEventSchemaVersion, bytes.substr(0, size));
      ASSERT_FALSE(decoded.ok()) << EventTypeName(event) << " cut at " << size;
      EXPECT_EQ(decoded.status().code(), StatusCode::kDataLoss);
    }
    EXPECT_EQ(DecodeEvent(EventTypeName(event), kEventSchemaVersion, bytes + '\0').status().code(),
              StatusCode::kDataLoss);
  }
}

TEST(EventCodecTest, FlippedBytesNeverCrashAndDecodeOnlyToValidEvents) {
  for (const Event& event : OneOfEach()) {
    const std::string bytes = EncodeEvent(event);
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (const int mask : {0x01, 0x80, 0xFF}) {
        std::string corrupt = bytes;
        corrupt[i] = static_cast<char>(corrupt[i] ^ mask);
        const StatusOr<Event> decoded =
            DecodeEvent(EventTypeName(event), kEventSchemaVersion, corrupt);
        if (!decoded.ok()) {
          EXPECT_EQ(decoded.status().code(), StatusCode::kDataLoss);
        } else {
          EXPECT_EQ(EncodeEvent(*decoded), corrupt);  // Canonical: same bytes back.
        }
      }
    }
  }
}

TEST(EventCodecTest, UnknownTypeOrSchemaIsDataLoss) {
  const std::string bytes = EncodeEvent(OneOfEach()[0]);
  EXPECT_EQ(DecodeEvent("ProgrammeRenamed", kEventSchemaVersion, bytes).status().reason(),
            "unknown_event_type");
  EXPECT_EQ(DecodeEvent("ProgrammeOpened", 99, bytes).status().reason(), "unknown_event_schema");
  EXPECT_EQ(DecodeEvent("BidAwarded", kEventSchemaVersion, bytes).status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(DecodeEvent("BidAwarded", kEventSchemaVersion, std::string(10, '\xFF')).status().code(),
            StatusCode::kDataLoss);
}

TEST(EventCodecTest, MalformedEventJsonIsRejected) {
  nlohmann::json json = EventToJson(OneOfEach()[7]);
  json["amount_pence"] = 1.5;
  EXPECT_FALSE(EventFromJson("TrancheRecorded", json).ok());
  json = EventToJson(OneOfEach()[7]);
  json.erase("paid_on");
  EXPECT_FALSE(EventFromJson("TrancheRecorded", json).ok());
  EXPECT_FALSE(EventFromJson("TrancheRecorded", nlohmann::json::array()).ok());
  EXPECT_EQ(EventFromJson("Nope", json).status().reason(), "unknown_event_type");
}

}  // namespace
}  // namespace tranche::core
