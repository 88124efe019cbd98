// SPDX-License-Identifier: MIT
// Optional client authentication for `socklab-bench --serve`: a pre-shared key on both ends and a
// challenge-response over the control connection before any test. Each side sends a fresh random
// nonce in its "hello"; the client proves it holds the key with HMAC-SHA256(key, "client" label,
// both nonces), the server answers with its own proof under a different label, so neither proof
// can be reflected as the other, the key never crosses the wire, and a recorded handshake is
// worthless against the next server nonce. Proofs are compared in constant time.
//
//   client: {"type":"hello","nonce":NC,...}   server: {"type":"hello","nonce":NS,"auth":"hmac-sha256"}
//   client: {"type":"auth","proof":HMAC(K, client, NC, NS)}
//   server: {"type":"welcome","proof":HMAC(K, server, NC, NS)}   or an error, and the connection ends
// A server without a key says "auth":"none" and needs no "auth" message.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace socklab::bench::remote {

/// A pre-shared key: the bytes of a file that only its owner can read (a trailing newline aside).
struct auth_key {
  std::vector<unsigned char> bytes;
};

/// Reads the key at `path`. std::invalid_argument with the reason: no such file, not a regular
/// file, readable or writable by group or others (as ssh refuses such keys), shorter than 16 bytes
/// or longer than 4096.
auth_key load_key(const std::string& path);

/// 32 random bytes from the OS's generator (OpenSSL's RAND_bytes), as 64 hex digits.
std::string fresh_nonce();

enum class role { client, server };

/// HMAC-SHA256 over the role's label and both nonces, as 64 hex digits.
std::string proof(const auth_key& key, role who, std::string_view client_nonce,
                  std::string_view server_nonce);

/// Whether `claimed` is `who`'s proof for these nonces; compared in constant time.
bool proof_matches(const auth_key& key, role who, std::string_view client_nonce,
                   std::string_view server_nonce, std::string_view claimed);

/// The field `key` of a handshake message, checked to be 64 lowercase hex digits (a nonce or a
/// proof). std::invalid_argument naming the field otherwise.
std::string hex_field(const nlohmann::json& message, const char* key);

/// The "auth" field of a server's hello: true for "hmac-sha256", false for "none".
/// std::invalid_argument for anything else.
bool requires_auth(const nlohmann::json& server_hello);

}  // namespace socklab::bench::remote
