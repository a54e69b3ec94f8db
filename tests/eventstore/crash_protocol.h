// What the crash test's child reports to its parent, and the payload it
// writes, so that the parent can check content as well as positions.
#pragma once

#include <cstdint>
#include <string>

namespace tranche::eventstore::testing {

// Written to the pipe, 16 bytes at a time (atomic for pipes), after each
// acknowledged append.
struct Acknowledged {
  uint64_t position;
  uint64_t sequence;
};

inline std::string CrashPayload(int round, uint64_t sequence) {
  return "round=" + std::to_string(round) + ";seq=" + std::to_string(sequence) + ";" +
         std::string(sequence % 200, 'p');
}

inline std::string CrashCommandId(int round, uint64_t sequence) {
  return "r" + std::to_string(round) + "-" + std::to_string(sequence);
}

}  // namespace tranche::eventstore::testing
