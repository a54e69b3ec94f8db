// Token creation, hashing, the token file and constant-time authentication.
#include "api/auth/token_store.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tranche::api {
namespace {

constexpr char kBase64UrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64Url(const unsigned char* bytes, size_t size) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < size; ++i) {
    acc = (acc << 8) | bytes[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kBase64UrlAlphabet[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kBase64UrlAlphabet[(acc << (6 - bits)) & 0x3f]);
  return out;
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

std::optional<std::string> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int high = nibble(hex[i]), low = nibble(hex[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
  }
  return out;
}

StatusOr<TokenRecord> RecordFromJson(const nlohmann::json& item) {
  auto bad = [](std::string message) {
    return Status::InvalidArgument("bad_token_file", std::move(message));
  };
  if (!item.is_object()) return bad("token entry is not an object");
  TokenRecord record;
  if (!item.contains("name") || !item["name"].is_string()) return bad("token without a name");
  record.name = item["name"].get<std::string>();
  if (!IsValidTokenName(record.name)) return bad("bad token name");
  if (!item.contains("roles") || !item["roles"].is_array()) return bad("token without roles");
  for (const auto& role_name : item["roles"]) {
    if (!role_name.is_string()) return bad("role is not a string");
    auto role = ParseRole(role_name.get<std::string>());
    if (!role) return bad("unknown role in token file");
    record.roles.Add(*role);
  }
  if (record.roles.empty()) return bad("token without roles");
  if (!item.contains("sha256") || !item["sha256"].is_string()) return bad("token without hash");
  auto hash = FromHex(item["sha256"].get<std::string>());
  if (!hash || hash->size() != 32) return bad("token hash is not 64 hex digits");
  record.sha256 = *hash;
  if (item.contains("created_at") && item["created_at"].is_string()) {
    record.created_at = item["created_at"].get<std::string>();
  }
  return record;
}

}  // namespace

std::string NewToken() {
  unsigned char bytes[kTokenRandomBytes];
  TRANCHE_CHECK_MSG(RAND_bytes(bytes, sizeof bytes) == 1, "RAND_bytes failed");
  std::string token = Base64Url(bytes, sizeof bytes);
  OPENSSL_cleanse(bytes, sizeof bytes);
  return token;
}

std::string HashToken(std::string_view token) {
  // Fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up on every
  // call, which cost about half of hashing a token (every request hashes one).
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  TRANCHE_CHECK_MSG(kSha256 != nullptr, "OpenSSL SHA256 unavailable");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  TRANCHE_CHECK(EVP_Digest(token.data(), token.size(), digest, &digest_size, kSha256,
                           nullptr) == 1);
  TRANCHE_CHECK(digest_size == 32);
  return std::string(reinterpret_cast<const char*>(digest), digest_size);
}

bool IsValidTokenName(std::string_view name) {
  if (name.empty() || name.size() > kTokenNameBytesMax) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string TokenFilePath(const std::string& data_dir) {
  return data_dir + "/" + kTokenFileName;
}

StatusOr<std::vector<TokenRecord>> ReadTokenFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (access(path.c_str(), F_OK) != 0) return std::vector<TokenRecord>{};
    return Status::IOError("token_file_unreadable", "cannot open " + path);
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (content.str().size() > kTokenFileBytesMax) {
    return Status::ResourceExhausted("token_file_too_large", path + " is too large");
  }
  nlohmann::json document = nlohmann::json::parse(content.str(), nullptr, false);
  if (document.is_discarded() || !document.is_object() || !document.contains("tokens") ||
      !document["tokens"].is_array()) {
    return Status::InvalidArgument("bad_token_file", path + " is not a token file");
  }
  std::vector<TokenRecord> records;
  for (const auto& item : document["tokens"]) {
    auto record = RecordFromJson(item);
    if (!record.ok()) return record.status();
    records.push_back(std::move(record).value());
  }
  return records;
}

Status WriteTokenFile(const std::string& path, const std::vector<TokenRecord>& records) {
  nlohmann::json tokens = nlohmann::json::array();
  for (const auto& record : records) {
    tokens.push_back({{"name", record.name},
                      {"roles", record.roles.Names()},
                      {"sha256", ToHex(record.sha256)},
                      {"created_at", record.created_at}});
  }
  const std::string text = nlohmann::json{{"version", 1}, {"tokens", tokens}}.dump(2) + "\n";
  const std::string temporary = path + ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("token_file_unwritable", "cannot create " + temporary);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ok && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    return Status::IOError("token_file_unwritable", "cannot write " + path);
  }
  return Status::Ok();
}

Authenticator::Authenticator(std::string token_file_path)
    : path_(std::move(token_file_path)), table_(std::make_shared<const Table>()) {}

Status Authenticator::Reload() {
  auto records = ReadTokenFile(path_);
  if (!records.ok()) return records.status();
  auto table = std::make_shared<const Table>(std::move(records).value());
  std::lock_guard lock(mutex_);
  table_ = std::move(table);
  return Status::Ok();
}

void Authenticator::SetRecordsForTest(std::vector<TokenRecord> records) {
  auto table = std::make_shared<const Table>(std::move(records));
  std::lock_guard lock(mutex_);
  table_ = std::move(table);
}

std::shared_ptr<const Authenticator::Table> Authenticator::table() const {
  std::lock_guard lock(mutex_);
  return table_;
}

size_t Authenticator::size() const { return table()->size(); }

std::optional<Principal> Authenticator::Authenticate(std::string_view token) const {
  if (token.empty() || token.size() > kBearerTokenBytesMax) return std::nullopt;
  const std::string hash = HashToken(token);
  auto snapshot = table();
  const TokenRecord* found = nullptr;
  // Compare with every record, without stopping early, so the time taken does
  // not say which (or whether a) stored hash shares a prefix with this one.
  for (const auto& record : *snapshot) {
    if (CRYPTO_memcmp(record.sha256.data(), hash.data(), hash.size()) == 0) found = &record;
  }
  if (found == nullptr) return std::nullopt;
  return Principal{found->name, found->roles};
}

}  // namespace tranche::api
