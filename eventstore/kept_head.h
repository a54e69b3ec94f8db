// KeptHead: the text an auditor keeps to prove later that the log was not
// rewritten, "POSITION:HASH" (e.g. "42:9f86d0…", 64 lowercase hex digits).
//
// HASH is the chain hash of the record at POSITION (FORMAT.md: the record's
// `hash`, which covers every byte of every record before it). A log that
// still holds that record with that hash extends the kept head; any edit,
// deletion, reordering or rewrite of positions 1..POSITION changes it.
// Position 0 is the empty log, whose hash is 32 zero bytes.
//
// Threads: pure functions, safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "eventstore/event_store.h"
#include "eventstore/sha256.h"

namespace tranche::eventstore {

// The longest accepted text: 20 digits, ':', 64 hex digits.
inline constexpr size_t kKeptHeadTextBytesMax = 20 + 1 + 64;

// Lowercase hex of `bytes`.
std::string HexOf(std::string_view bytes);

// "POSITION:HASH" for a head whose hash is 32 bytes.
std::string FormatKeptHead(const Head& head);

// Parses "POSITION:HASH" (hex in either case). Errors: kInvalidArgument
// "invalid_kept_head" with a message saying which part is wrong.
StatusOr<Head> ParseKeptHead(std::string_view text);

}  // namespace tranche::eventstore
