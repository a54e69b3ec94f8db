// The `tranche` CLI's exit codes, documented in cli/README.md and `tranche --help`.
#pragma once

namespace tranche::cli {

// 0: the request succeeded (for verify: the log is intact).
inline constexpr int kExitOk = 0;
// 1: the command line was wrong (unknown subcommand or flag, missing or
// malformed value); nothing was sent.
inline constexpr int kExitUsage = 1;
// 2: the server refused the request (any 4xx: a domain rule, bad input, no
// or wrong token, not found, version conflict, reused command id).
inline constexpr int kExitRejected = 2;
// 3: the server failed (5xx), could not be reached, or a local store could
// not be opened, read, checkpointed or copied.
inline constexpr int kExitFailure = 3;
// 4: verify (online or offline, or of a backup) found damage in the log.
inline constexpr int kExitDamage = 4;

}  // namespace tranche::cli
