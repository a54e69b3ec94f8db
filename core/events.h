// Events: one struct per fact the domain records, their type names, and the
// compact binary codec used for storage. Member names equal the JSON field names
// (core/json/json_codec.h), so the two codecs describe the same payload.
//
// Every event is self-contained: it names its programme and cluster and carries
// what projections need (amounts, years, reasons), so no projection has to look
// back at earlier events to place it.
//
// Thread-safety: values and pure functions; use freely from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/commands.h"
#include "core/date.h"
#include "core/financial_year.h"
#include "core/ids.h"
#include "core/money.h"
#include "core/status.h"

namespace tranche::core {

// The payload schema version stored with each event (the envelope's `schema`).
// Bump it when a payload changes shape, and keep decoding the old versions.
inline constexpr uint32_t kEventSchemaVersion = 1;

struct ProgrammeOpened {  // Stream programme-<programme_id>.
  std::string programme_id;
  std::string name;
  std::string funder;
  std::vector<FinancialYearEnvelope> financial_years;
  bool operator==(const ProgrammeOpened&) const = default;
};

struct BidSubmitted {  // Opens stream cluster-<cluster_id>.
  std::string programme_id;
  std::string cluster_id;
  std::string name;
  std::string region;
  std::string principal_partner;
  std::string work_programme;
  YearAmounts requested;
  Date submitted_on;
  bool operator==(const BidSubmitted&) const = default;
};

struct BidAwarded {  // Stream cluster-<cluster_id>.
  std::string programme_id;
  std::string cluster_id;
  YearAmounts awards;
  Date decided_on;
  bool operator==(const BidAwarded&) const = default;
};

struct BidRejected {
  std::string programme_id;
  std::string cluster_id;
  Date decided_on;
  std::string reason;
  bool operator==(const BidRejected&) const = default;
};

struct AwardAmended {
  std::string programme_id;
  std::string cluster_id;
  FinancialYear financial_year;
  Pence previous_amount_pence;  // The award for that year before (0 if none).
  Pence amount_pence;           // The award for that year from now on.
  std::string reason;
  bool operator==(const AwardAmended&) const = default;
};

struct MemberAdded {
  std::string programme_id;
  std::string cluster_id;
  std::string organisation_id;  // Resolved: given or derived from the name.
  std::string name;
  Sector sector = Sector::kOther;
  Date joined_on;
  bool operator==(const MemberAdded&) const = default;
};

struct MemberRemoved {
  std::string programme_id;
  std::string cluster_id;
  std::string organisation_id;
  Date left_on;
  std::string reason;
  bool operator==(const MemberRemoved&) const = default;
};

struct TrancheRecorded {
  std::string programme_id;
  std::string cluster_id;
  FinancialYear financial_year;
  Pence amount_pence;
  Date paid_on;
  std::string payment_reference;
  bool operator==(const TrancheRecorded&) const = default;
};

struct TrancheReversed {
  std::string programme_id;
  std::string cluster_id;
  std::string payment_reference;
  // Copied from the tranche being reversed so the ledger can place the reversal.
  FinancialYear financial_year;
  Pence amount_pence;
  Date paid_on;
  std::string reason;
  bool operator==(const TrancheReversed&) const = default;
};

// One awarded cluster's position when its year closed.
struct ClusterUnderspend {
  std::string cluster_id;
  Pence awarded_pence;
  Pence net_paid_pence;
  Pence underspend_pence;  // awarded - net_paid, >= 0.
  bool operator==(const ClusterUnderspend&) const = default;
};

struct FinancialYearClosed {  // Stream programme-<programme_id>.
  std::string programme_id;
  FinancialYear financial_year;
  Pence envelope_pence;
  Pence awarded_pence;     // Σ awards for the year at close.
  Pence net_paid_pence;    // Σ net paid for the year at close.
  Pence underspend_pence;  // Σ of the per-cluster underspends.
  std::vector<ClusterUnderspend> clusters;  // Every awarded cluster, by id.
  bool operator==(const FinancialYearClosed&) const = default;
};

using Event = std::variant<ProgrammeOpened, BidSubmitted, BidAwarded, BidRejected, AwardAmended,
                           MemberAdded, MemberRemoved, TrancheRecorded, TrancheReversed,
                           FinancialYearClosed>;

// "ProgrammeOpened", "BidSubmitted", ... (the struct name): the stored `type`.
std::string_view EventTypeName(const Event& event);
// All ten type names, in variant order.
const std::vector<std::string_view>& AllEventTypeNames();
// The stream an event belongs to: "programme-<id>" or "cluster-<id>".
std::string EventStream(const Event& event);
// True when `stream` == EventStream(event), without building the name.
bool IsEventStream(std::string_view stream, const Event& event);

// Compact binary payload: fields in declaration order; unsigned integers as
// LEB128 varints, Pence as zigzag varints, strings and lists length-prefixed,
// dates as zigzag days since 1970-01-01, financial years by start year,
// optionals as a 0/1 byte. Deterministic: equal events encode to equal bytes.
std::string EncodeEvent(const Event& event);

// Inverse of EncodeEvent. Never crashes and never over-allocates on hostile
// input. Errors: kDataLoss ("unknown_event_type", "unknown_event_schema",
// "corrupt_event": truncated, trailing bytes, out-of-range value, bad date).
StatusOr<Event> DecodeEvent(std::string_view type, uint32_t schema, std::string_view bytes);
// The same, decoding in place into `*out` (no moves of the decoded payload).
// When `*out` already holds an event of the same type its strings and
// containers are reused, so a loop decoding into the same few events does
// not allocate. `*out` is unspecified when the status is not ok.
Status DecodeEventInto(std::string_view type, uint32_t schema, std::string_view bytes, Event* out);

}  // namespace tranche::core
