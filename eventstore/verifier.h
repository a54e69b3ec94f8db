// Verifier: the offline check of the whole log and its indexes.
//
// Walks the events column family in position order under one snapshot,
// recomputing every hash and checking each record against the stream and
// command indexes and the stored head; then makes sure neither index holds
// an entry that no record accounts for. Given a kept head, it also checks
// that the record at the kept position still has the kept chain hash, which
// a self-consistent rewrite of the log cannot keep. It never writes, so it
// runs on a read-only store.
//
// Threads: Run may be called from any thread; the Database must outlive it.
#pragma once

#include <rocksdb/db.h>

#include <cstdint>
#include <optional>
#include <string>

#include "eventstore/database.h"
#include "eventstore/event_store.h"
#include "eventstore/sha256.h"

namespace tranche::eventstore {

class Verifier {
 public:
  // `kept`, when given, is a head taken earlier that the log must extend.
  explicit Verifier(const Database* database, std::optional<Head> kept = std::nullopt)
      : database_(database), kept_(std::move(kept)) {}
  // The first damage found, by position; ok when there is none.
  VerifyReport Run() const;

 private:
  // The state of the walk over the events column family.
  struct Walk;
  bool CheckRecord(std::string_view key, std::string_view value, Walk* walk,
                   VerifyReport* report) const;
  bool CheckCommandRun(Walk* walk, VerifyReport* report) const;
  bool CheckStreamIndexCount(const Walk& walk, VerifyReport* report) const;
  bool CheckCommandIndexCount(const Walk& walk, VerifyReport* report) const;
  bool CheckHead(const Walk& walk, VerifyReport* report) const;
  bool CheckKeptHeadReached(const Walk& walk, VerifyReport* report) const;

  const Database* database_;
  const std::optional<Head> kept_;
};

}  // namespace tranche::eventstore
