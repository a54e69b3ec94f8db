// Bearer tokens: creation, the hashed token file DIR/tokens.json, and the
// Authenticator that checks a presented token against it.
//
// Tokens are 32 random bytes (OpenSSL RAND_bytes) in base64url. Only their
// SHA-256 is stored; a presented token is hashed and compared with every
// stored hash in constant time (CRYPTO_memcmp). Tokens never reach a log.
//
// Threads: the free functions are safe from any thread (the file functions
// must not race with each other on one file). An Authenticator may be used
// from any thread; Reload() swaps the table atomically.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/auth/principal.h"
#include "core/status.h"

namespace tranche::api {

inline constexpr size_t kTokenRandomBytes = 32;
inline constexpr size_t kTokenNameBytesMax = 64;
inline constexpr size_t kTokenFileBytesMax = 4 * 1024 * 1024;
inline constexpr size_t kBearerTokenBytesMax = 256;  // Longer presented tokens are refused unhashed.
inline constexpr char kTokenFileName[] = "tokens.json";

struct TokenRecord {
  std::string name;          // The principal: 1..kTokenNameBytesMax of [A-Za-z0-9._@-].
  RoleSet roles;             // Not empty.
  std::string sha256;        // 32 raw bytes.
  std::string created_at;    // RFC 3339, informational.
};

// A new random token (base64url, no padding).
std::string NewToken();
// SHA-256 of the token's bytes: 32 raw bytes.
std::string HashToken(std::string_view token);
bool IsValidTokenName(std::string_view name);
std::string TokenFilePath(const std::string& data_dir);

// Reads the token file; a missing file is an empty list.
StatusOr<std::vector<TokenRecord>> ReadTokenFile(const std::string& path);
// Replaces the token file atomically (temporary file, fsync, rename), mode 0600.
Status WriteTokenFile(const std::string& path, const std::vector<TokenRecord>& records);

class Authenticator {
 public:
  explicit Authenticator(std::string token_file_path);
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  // Re-reads the file. On failure the previous table stays in force.
  Status Reload();
  // Replaces the table directly (tests).
  void SetRecordsForTest(std::vector<TokenRecord> records);
  // The principal the token stands for, or nullopt. Constant time in the
  // token's content: every stored hash is compared in full.
  std::optional<Principal> Authenticate(std::string_view token) const;
  size_t size() const;

 private:
  using Table = std::vector<TokenRecord>;
  std::shared_ptr<const Table> table() const;

  const std::string path_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Table> table_;  // Guarded by mutex_; never null.
};

}  // namespace tranche::api
