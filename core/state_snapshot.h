// The write model (State) as bytes, for start-up snapshots.
//
// A snapshot section holds what a fold of the log up to some position left
// in the write model, so that start-up can load it and fold only the rest.
// The layout (core/byte_codec.h) is private to this build's snapshot format
// version (api/service/snapshot.h keeps the version and the checksums);
// clusters are written in the order they were inserted, because the payment
// reference index names clusters by that ordinal.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <string>
#include <string_view>

#include "core/state.h"
#include "core/status.h"

namespace tranche::core {

// Appends the encoding of `state` to `*out`.
void EncodeStateSnapshot(const State& state, std::string* out);

// Inverse of EncodeStateSnapshot: `*out` must be empty. Rebuilds the payment
// reference index and checks every cluster's invariants. Errors: kDataLoss
// "corrupt_snapshot" when the bytes do not decode (truncated, trailing bytes,
// a value out of range, keys out of order) or the state breaks an invariant.
Status DecodeStateSnapshot(std::string_view bytes, State* out);

}  // namespace tranche::core
