// SPDX-License-Identifier: MIT
#include "remote/handshake.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <stdexcept>
#include <string>

#include "support.hpp"

namespace socklab::bench::remote {
namespace {

const auth_key key{{'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'}};
const std::string nc(64, 'a'), ns(64, 'b');

// Python's hmac.new(key, b"socklab-bench v2 client\n" + nc + b"\n" + ns, sha256).hexdigest(): an
// independent implementation of the same proof, so a client in any language can be written.
TEST(Handshake, ProofsAreHmacSha256OverTheLabelAndBothNonces) {
  EXPECT_EQ(proof(key, role::client, nc, ns),
            "1e60a2e114dd995dceeb76c8688ea24c1e2e1d346de6a42a86298022ef199b50");
  EXPECT_EQ(proof(key, role::server, nc, ns),
            "c72ab66bb1ce81ba60e091c1d9e7722ad5aa1be2edaea25637d45075ddde6b21");
}

TEST(Handshake, AProofPassesOnlyForItsKeyRoleAndNonces) {
  const auto p = proof(key, role::client, nc, ns);
  EXPECT_TRUE(proof_matches(key, role::client, nc, ns, p));
  const auth_key other{{'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'g'}};
  EXPECT_FALSE(proof_matches(other, role::client, nc, ns, p));
  EXPECT_FALSE(proof_matches(key, role::server, nc, ns, p));  // a client's proof is no server's
  EXPECT_FALSE(proof_matches(key, role::client, ns, nc, p));
  EXPECT_FALSE(proof_matches(key, role::client, nc, std::string(64, 'c'), p));  // a replay meets a new nonce
  EXPECT_FALSE(proof_matches(key, role::client, nc, ns, p.substr(0, 63)));
  EXPECT_FALSE(proof_matches(key, role::client, nc, ns, ""));
}

TEST(Handshake, NoncesAreFreshHex) {
  const auto a = fresh_nonce(), b = fresh_nonce();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

TEST(Handshake, HexFieldsAreChecked) {
  EXPECT_EQ(hex_field({{"nonce", nc}}, "nonce"), nc);
  for (const auto& bad :
       {nlohmann::json::object(), nlohmann::json{{"nonce", 5}}, nlohmann::json{{"nonce", "ab"}},
        nlohmann::json{{"nonce", std::string(64, 'A')}}, nlohmann::json{{"nonce", std::string(64, 'g')}}})
    EXPECT_THROW((void)hex_field(bad, "nonce"), std::invalid_argument) << bad.dump();
  EXPECT_TRUE(requires_auth({{"auth", "hmac-sha256"}}));
  EXPECT_FALSE(requires_auth({{"auth", "none"}}));
  EXPECT_THROW((void)requires_auth({{"auth", "rsa"}}), std::invalid_argument);
  EXPECT_THROW((void)requires_auth(nlohmann::json::object()), std::invalid_argument);
}

std::string write_key(const test::temp_dir& dir, const std::string& text, mode_t mode) {
  const auto path = dir.file("key");
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
  return path;
}

std::string load_error(const std::string& path) {
  try {
    (void)load_key(path);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(loaded)";
}

TEST(KeyFile, AnOwnerOnlyFileIsTheKeyWithoutItsFinalNewline) {
  const test::temp_dir dir;
  const auto k = load_key(write_key(dir, "0123456789abcdef\n", 0600));
  EXPECT_EQ(std::string(k.bytes.begin(), k.bytes.end()), "0123456789abcdef");
  EXPECT_EQ(k.bytes, load_key(write_key(dir, "0123456789abcdef", 0400)).bytes);
}

TEST(KeyFile, AKeyOthersCanReadIsRefusedAsSshRefusesIt) {
  const test::temp_dir dir;
  EXPECT_NE(load_error(write_key(dir, "0123456789abcdef", 0644)).find("permissions 0644 are too open"),
            std::string::npos);
  EXPECT_NE(load_error(write_key(dir, "0123456789abcdef", 0640)).find("0640"), std::string::npos);
  EXPECT_NE(load_error(write_key(dir, "0123456789abcdef", 0602)).find("0602"), std::string::npos);
}

TEST(KeyFile, ShortMissingAndNonFileKeysAreRefused) {
  const test::temp_dir dir;
  EXPECT_NE(load_error(write_key(dir, "short\n", 0600)).find("shorter than 16 bytes"), std::string::npos);
  EXPECT_NE(load_error(dir.file("absent")).find("No such file"), std::string::npos);
  EXPECT_NE(load_error(dir.file("")).find("not a regular file"), std::string::npos);
  EXPECT_NE(load_error(write_key(dir, std::string(5000, 'k'), 0600)).find("longer than 4096"),
            std::string::npos);
}

}  // namespace
}  // namespace socklab::bench::remote
