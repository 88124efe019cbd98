// SPDX-License-Identifier: MIT
// What `socklab-bench --serve` and `--peer` do with a control frame's payload before trusting it:
// decode, check the envelope, then read the message its type names (hello's nonce and auth, a
// proof, a test request). Only the errors those steps document may escape (protocol_error,
// std::invalid_argument); a test request that parses writes back to JSON that parses to the same
// request; a proof check of arbitrary text never passes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <stdexcept>
#include <string>

#include "remote/handshake.hpp"
#include "remote/protocol.hpp"
#include "socklab/errors.hpp"
#include "socklab/json_framing.hpp"

using namespace socklab::bench::remote;

namespace {

const auth_key key{{'f', 'u', 'z', 'z', '-', 'k', 'e', 'y', '-', '0', '1', '2', '3', '4', '5', '6'}};

void read_message(const nlohmann::json& m) {
  const auto type = check_envelope(m);
  if (type == "hello") {
    const auto nonce = hex_field(m, "nonce");
    if (m.contains("auth")) (void)requires_auth(m);
    if (nonce.size() != 64) std::abort();
  } else if (type == "auth" || type == "welcome") {
    const auto claimed = hex_field(m, "proof");
    // No input can hold the proof for nonces it does not know: the key is not in the corpus.
    if (proof_matches(key, role::client, std::string(64, '0'), std::string(64, '1'), claimed) &&
        claimed != proof(key, role::client, std::string(64, '0'), std::string(64, '1')))
      std::abort();
  } else if (type == "test") {
    const auto t = parse_test(m);
    if (to_json(parse_test(to_json(t))) != to_json(t)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    read_message(socklab::decode_json(std::as_bytes(std::span(data, size))));
  } catch (const socklab::protocol_error&) {
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
