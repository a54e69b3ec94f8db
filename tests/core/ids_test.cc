// Slugs, command ids, organisation ids and sectors.
#include <gtest/gtest.h>

#include "core/ids.h"

namespace tranche::core {
namespace {

TEST(IdsTest, SlugsAreShortLowercaseAlphanumericsAndDashes) {
  EXPECT_TRUE(IsValidSlug("wessex"));
  EXPECT_TRUE(IsValidSlug("west-midlands-south-2"));
  EXPECT_TRUE(IsValidSlug(std::string(64, 'a')));
  EXPECT_FALSE(IsValidSlug(std::string(65, 'a')));
  EXPECT_FALSE(IsValidSlug(""));
  EXPECT_FALSE(IsValidSlug("Wessex"));
  EXPECT_FALSE(IsValidSlug("wessex hiec"));
  EXPECT_FALSE(IsValidSlug("wessex_hiec"));
}

TEST(IdsTest, CommandIdsAreOneToOneHundredTwentyEightPrintableAsciiCharacters) {
  EXPECT_TRUE(IsValidCommandId("seed 1/award wessex"));
  EXPECT_TRUE(IsValidCommandId(std::string(128, '~')));
  EXPECT_FALSE(IsValidCommandId(std::string(129, 'x')));
  EXPECT_FALSE(IsValidCommandId(""));
  EXPECT_FALSE(IsValidCommandId("tab\there"));
  EXPECT_FALSE(IsValidCommandId("caf\xC3\xA9"));
}

TEST(IdsTest, OrganisationIdsDeriveFromNames) {
  EXPECT_EQ(DeriveOrganisationId("University of Southampton"), "university-of-southampton");
  EXPECT_EQ(DeriveOrganisationId("  Hampshire PCT (NHS) "), "hampshire-pct-nhs");
  EXPECT_EQ(DeriveOrganisationId("King's College -- London"), "king-s-college-london");
  EXPECT_EQ(DeriveOrganisationId("!!!"), "");
  const std::string cut = DeriveOrganisationId(std::string(63, 'a') + " b");
  EXPECT_EQ(cut, std::string(63, 'a'));
  EXPECT_TRUE(IsValidSlug(cut));
}

TEST(IdsTest, TextMustBeValidUtf8WithoutControlCharacters) {
  EXPECT_TRUE(IsValidText("Southampton \xC2\xA3", 200));
  EXPECT_FALSE(IsValidText("   ", 200));
  EXPECT_FALSE(IsValidText("a\nb", 200));
  EXPECT_FALSE(IsValidText("\xC0\xAF", 200));  // Overlong '/'.
  EXPECT_FALSE(IsValidText("\xED\xA0\x80", 200));  // A surrogate.
  EXPECT_FALSE(IsValidText("abc", 2));
}

TEST(IdsTest, Utf8CheckFindsABadByteAtAnyOffsetInLongAsciiText) {
  // The check reads ASCII eight bytes at a time: a bad sequence must be found
  // wherever it falls, including across and just after a word boundary.
  for (size_t offset = 0; offset < 24; ++offset) {
    std::string text(24, 'a');
    EXPECT_TRUE(IsValidUtf8(text));
    text[offset] = '\xC0';  // A lead byte with no continuation.
    EXPECT_FALSE(IsValidUtf8(text)) << offset;
    text = std::string(24, 'a').insert(offset, "\xE2\x82\xAC");  // A euro sign.
    EXPECT_TRUE(IsValidUtf8(text)) << offset;
    text = std::string(24, 'a').insert(offset, "\xE2\x82");  // Cut short.
    EXPECT_FALSE(IsValidUtf8(text)) << offset;
  }
  EXPECT_FALSE(IsValidUtf8(std::string(31, 'a') + "\xFF"));
}

TEST(IdsTest, AsciiCheckFindsAHighByteAtAnyOffsetOfAnyLength) {
  // Words of eight, the last one overlapping: every length up to three
  // words, a high byte at every offset.
  for (size_t size = 0; size <= 24; ++size) {
    const std::string ascii(size, 'a');
    EXPECT_TRUE(IsAscii(ascii)) << size;
    EXPECT_TRUE(IsValidUtf8(ascii)) << size;
    for (size_t offset = 0; offset < size; ++offset) {
      std::string text = ascii;
      text[offset] = '\x80';  // A continuation byte with no lead.
      EXPECT_FALSE(IsAscii(text)) << size << " " << offset;
      EXPECT_FALSE(IsValidUtf8(text)) << size << " " << offset;
      text[offset] = '\xC3';  // "é" where it fits: valid, not ASCII.
      text.insert(offset + 1, "\xA9");
      EXPECT_FALSE(IsAscii(text)) << size << " " << offset;
      EXPECT_TRUE(IsValidUtf8(text)) << size << " " << offset;
    }
  }
}

TEST(IdsTest, EverySectorRoundTripsByName) {
  for (const Sector sector : kAllSectors) EXPECT_EQ(ParseSector(SectorName(sector)), sector);
  EXPECT_EQ(ParseSector("higher-education"), Sector::kHigherEducation);
  EXPECT_FALSE(ParseSector("university").has_value());
}

}  // namespace
}  // namespace tranche::core
