// The HIEC seed: the published programme facts turned into ordinary commands.
//
// The facts file (ops/seed/hiec-2009.json) holds what was published: the
// programme, its two financial years, the 17 clusters and the member lists.
// Per-cluster awards and exact envelopes were never published, so the
// allocation comes from a second file beside it,
// `hiec-allocation-illustrative.json`, whose figures are ILLUSTRATIVE and
// consistent with the published totals. Every command goes through the
// pipeline as actor "seed" with a deterministic command id, so loading twice
// (or resuming an interrupted load) writes nothing twice.
//
// Threads: blocks the calling thread until every command has answered.
#pragma once

#include <string>

#include "api/service/command_pipeline.h"
#include "core/status.h"

namespace tranche::service {

struct SeedSummary {
  int commands = 0;
  int accepted = 0;
  int duplicates = 0;  // Already in the log from an earlier load.
};

// Errors: kInvalidArgument for unreadable files; kFailedPrecondition naming
// the first command that was rejected; the pipeline's error otherwise.
StatusOr<SeedSummary> LoadSeed(CommandPipeline& pipeline, const std::string& facts_path);

}  // namespace tranche::service
