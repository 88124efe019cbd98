// SPDX-License-Identifier: MIT
// decode_json() on arbitrary payloads: either protocol_error (nothing else escapes), or a value
// whose serialisation decodes back to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "socklab/errors.hpp"
#include "socklab/json_framing.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nlohmann::json value;
  try {
    value = socklab::decode_json(std::as_bytes(std::span(data, size)));
  } catch (const socklab::protocol_error&) {
    return 0;
  }
  const std::string again = value.dump();
  const auto reparsed = socklab::decode_json(std::as_bytes(std::span(again.data(), again.size())));
  if (reparsed != value) std::abort();  // parsed JSON holds no NaN, so equality is exact
  return 0;
}
