// SPDX-License-Identifier: MIT
#include "remote/handshake.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace socklab::bench::remote {
namespace {

constexpr std::size_t min_key = 16, max_key = 4096, digest_bytes = 32;

std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 0xf];
  }
  return out;
}

std::array<unsigned char, digest_bytes> mac(const auth_key& key, role who, std::string_view client_nonce,
                                            std::string_view server_nonce) {
  // Labels keep a client's proof from passing as the server's, and the protocol's version keeps a
  // later protocol's proofs apart from this one's.
  std::string data = who == role::client ? "socklab-bench v2 client\n" : "socklab-bench v2 server\n";
  data.append(client_nonce).append("\n").append(server_nonce);
  std::array<unsigned char, digest_bytes> out{};
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.bytes.data(), static_cast<int>(key.bytes.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len) ||
      len != out.size())
    throw std::runtime_error("HMAC-SHA256 failed in libcrypto");
  return out;
}

struct fd_closer {
  int fd;
  ~fd_closer() { ::close(fd); }
};

}  // namespace

auth_key load_key(const std::string& path) {
  const auto fail = [&](const std::string& why) {
    return std::invalid_argument("--auth-key=" + path + ": " + why);
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw fail(std::strerror(errno));
  const fd_closer closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw fail(std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw fail("not a regular file");
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    char mode[8];
    (void)std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw fail(std::string("permissions ") + mode +
               " are too open: the key must be readable by its owner only (chmod 600)");
  }
  auth_key key;
  std::array<unsigned char, 1024> chunk{};
  for (;;) {
    const auto n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw fail(std::strerror(errno));
    if (n == 0) break;
    key.bytes.insert(key.bytes.end(), chunk.begin(), chunk.begin() + n);
    if (key.bytes.size() > max_key + 2) throw fail("longer than 4096 bytes");
  }
  // `echo secret > key` and an editor's final newline give the same key.
  while (!key.bytes.empty() && (key.bytes.back() == '\n' || key.bytes.back() == '\r')) key.bytes.pop_back();
  if (key.bytes.size() < min_key) throw fail("shorter than 16 bytes");
  if (key.bytes.size() > max_key) throw fail("longer than 4096 bytes");
  return key;
}

std::string fresh_nonce() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("no random bytes from libcrypto for a nonce");
  return hex(bytes.data(), bytes.size());
}

std::string proof(const auth_key& key, role who, std::string_view client_nonce,
                  std::string_view server_nonce) {
  const auto m = mac(key, who, client_nonce, server_nonce);
  return hex(m.data(), m.size());
}

bool proof_matches(const auth_key& key, role who, std::string_view client_nonce,
                   std::string_view server_nonce, std::string_view claimed) {
  const auto expected = proof(key, who, client_nonce, server_nonce);
  return claimed.size() == expected.size() &&
         CRYPTO_memcmp(claimed.data(), expected.data(), expected.size()) == 0;
}

std::string hex_field(const nlohmann::json& message, const char* key) {
  const auto it = message.find(key);
  if (it == message.end() || !it->is_string())
    throw std::invalid_argument(std::string("'") + key + "' must be a string of 64 hex digits");
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() != 2 * digest_bytes || s.find_first_not_of("0123456789abcdef") != std::string::npos)
    throw std::invalid_argument(std::string("'") + key + "' must be a string of 64 hex digits");
  return s;
}

bool requires_auth(const nlohmann::json& server_hello) {
  const auto it = server_hello.find("auth");
  if (it != server_hello.end() && it->is_string()) {
    if (*it == "hmac-sha256") return true;
    if (*it == "none") return false;
  }
  throw std::invalid_argument(
      "the server's hello names no known authentication ('auth': hmac-sha256 or none)");
}

}  // namespace socklab::bench::remote
