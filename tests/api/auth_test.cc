// Tokens: hashing, the token file, authentication, reload, and the `tranche
// token` CLI.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "api/auth/token_store.h"
#include "tests/api/test_support.h"

namespace tranche::api {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Runs a command; returns its exit status and stdout.
int RunCommand(const std::string& command, std::string* out) {
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[512];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out->append(buffer, n);
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(TokenTest, NewTokensAre32RandomBytesInBase64Url) {
  std::string a = NewToken(), b = NewToken();
  EXPECT_EQ(a.size(), 43u);  // ceil(32 * 8 / 6), no padding.
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(HashToken(a).size(), 32u);
}

TEST(TokenTest, FileKeepsOnlyHashesAndRoundTrips) {
  testing::TempDir dir;
  const std::string path = TokenFilePath(dir.path());
  const std::string token = NewToken();
  ASSERT_TRUE(WriteTokenFile(path, {{"alice", RoleSet{Role::kFinance, Role::kViewer}, HashToken(token), "t"}}).ok());
  EXPECT_EQ(ReadFile(path).find(token), std::string::npos);
  auto records = ReadTokenFile(path);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].name, "alice");
  EXPECT_TRUE((*records)[0].roles.Contains(Role::kFinance));
  EXPECT_FALSE((*records)[0].roles.Contains(Role::kAdmin));

  Authenticator authenticator(path);
  EXPECT_FALSE(authenticator.Authenticate(token).has_value());  // Not loaded yet.
  ASSERT_TRUE(authenticator.Reload().ok());
  auto principal = authenticator.Authenticate(token);
  ASSERT_TRUE(principal.has_value());
  EXPECT_EQ(principal->name, "alice");
  EXPECT_FALSE(authenticator.Authenticate(token + "x").has_value());
  EXPECT_FALSE(authenticator.Authenticate("").has_value());
  EXPECT_FALSE(authenticator.Authenticate(std::string(kBearerTokenBytesMax + 1, 'a')).has_value());
}

TEST(TokenTest, MissingFileIsEmptyAndBrokenFileKeepsTheOldTable) {
  testing::TempDir dir;
  const std::string path = TokenFilePath(dir.path());
  Authenticator authenticator(path);
  ASSERT_TRUE(authenticator.Reload().ok());
  EXPECT_EQ(authenticator.size(), 0u);
  ASSERT_TRUE(WriteTokenFile(path, {{"bob", RoleSet{Role::kAuditor}, HashToken("t"), ""}}).ok());
  ASSERT_TRUE(authenticator.Reload().ok());
  std::ofstream(path) << "{not json";
  EXPECT_FALSE(authenticator.Reload().ok());
  EXPECT_TRUE(authenticator.Authenticate("t").has_value());
}

TEST(TokenTest, NamesAreChecked) {
  EXPECT_TRUE(IsValidTokenName("finance.officer@nhs-1"));
  EXPECT_FALSE(IsValidTokenName(""));
  EXPECT_FALSE(IsValidTokenName("a b"));
  EXPECT_FALSE(IsValidTokenName(std::string(kTokenNameBytesMax + 1, 'a')));
  EXPECT_TRUE(IsValidTokenName(std::string(kTokenNameBytesMax, 'a')));
}

TEST(TrancheCliTest, TokenAddPrintsTheTokenOnceAndRevokeRemovesIt) {
  testing::TempDir dir;
  const std::string cli = TRANCHE_CLI_BINARY;
  std::string out;
  ASSERT_EQ(RunCommand(cli + " token add --data " + dir.path() +
                           " --name carol --role finance --role viewer 2>/dev/null", &out), 0);
  std::string token = out.substr(0, out.find('\n'));
  EXPECT_EQ(token.size(), 43u);
  EXPECT_EQ(ReadFile(TokenFilePath(dir.path())).find(token), std::string::npos);
  Authenticator authenticator(TokenFilePath(dir.path()));
  ASSERT_TRUE(authenticator.Reload().ok());
  auto principal = authenticator.Authenticate(token);
  ASSERT_TRUE(principal.has_value());
  EXPECT_EQ(principal->name, "carol");
  EXPECT_TRUE(principal->roles.Contains(Role::kFinance));
  EXPECT_TRUE(principal->roles.Contains(Role::kViewer));

  out.clear();
  EXPECT_NE(RunCommand(cli + " token add --data " + dir.path() + " --name carol --role viewer 2>/dev/null", &out), 0);
  EXPECT_NE(RunCommand(cli + " token add --data " + dir.path() + " --name dave --role boss 2>/dev/null", &out), 0);
  EXPECT_EQ(RunCommand(cli + " token revoke --data " + dir.path() + " --name carol 2>/dev/null", &out), 0);
  ASSERT_TRUE(authenticator.Reload().ok());
  EXPECT_FALSE(authenticator.Authenticate(token).has_value());
  EXPECT_NE(RunCommand(cli + " token revoke --data " + dir.path() + " --name carol 2>/dev/null", &out), 0);
}

}  // namespace
}  // namespace tranche::api
