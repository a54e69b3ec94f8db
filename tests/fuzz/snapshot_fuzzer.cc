// Fuzzes the decoders of the two sections of a start-up snapshot
// (api/service/snapshot.h): the write model's (core::DecodeStateSnapshot)
// and the read model's (projections::ReadModel::DecodeSnapshot). A snapshot
// whose checksums hold is still decoded defensively: these must refuse, not
// crash on, any bytes.
//
// Input: the first byte picks the decoder (even: write model, odd: read
// model); the rest is the section.
// Properties checked for every input:
//   - no decoder crashes, reads out of bounds or over-allocates;
//   - a failed decode leaves the model empty;
//   - what decodes encodes to bytes that decode to a model that encodes to
//     the same bytes again (encode ∘ decode is a fixed point after one
//     round: actor indexes, for one, are renumbered by first use).
// Seeds (corpus/snapshot/): both sections of a small programme's models
// (awards, members, a tranche and its reversal) and of an empty log.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/check.h"
#include "core/state_snapshot.h"
#include "projections/read_model.h"

namespace {
namespace core = tranche::core;
namespace projections = tranche::projections;

void CheckWriteModel(std::string_view bytes) {
  core::State state;
  if (!core::DecodeStateSnapshot(bytes, &state).ok()) {
    TRANCHE_CHECK(state == core::State());
    return;
  }
  std::string once;
  core::EncodeStateSnapshot(state, &once);
  core::State again;
  TRANCHE_CHECK(core::DecodeStateSnapshot(once, &again).ok());
  TRANCHE_CHECK(again == state);
  std::string twice;
  core::EncodeStateSnapshot(again, &twice);
  TRANCHE_CHECK(twice == once);
}

void CheckReadModel(std::string_view bytes) {
  projections::ReadModel model;
  if (!model.DecodeSnapshot(std::string(bytes)).ok()) {
    TRANCHE_CHECK(model.head() == 0);
    return;
  }
  std::string once;
  model.EncodeSnapshot(&once);
  projections::ReadModel again;
  TRANCHE_CHECK(again.DecodeSnapshot(once).ok());
  TRANCHE_CHECK(again.head() == model.head());
  std::string twice;
  again.EncodeSnapshot(&twice);
  TRANCHE_CHECK(twice == once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view section(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    CheckWriteModel(section);
  } else {
    CheckReadModel(section);
  }
  return 0;
}
