// SPDX-License-Identifier: MIT
// parse_address() on arbitrary text: it either rejects the text with one of its documented
// argument errors, or returns an address that prints and parses back to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "socklab/address.hpp"
#include "socklab/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  socklab::address parsed;
  try {
    parsed = socklab::parse_address(text);
  } catch (const std::invalid_argument&) {
    return 0;
  } catch (const std::out_of_range&) {
    return 0;
  } catch (const socklab::error&) {  // a name too long for sun_path (Python: OSError)
    return 0;
  }
  const auto printed = socklab::to_string(parsed);
  if (socklab::parse_address(printed) != parsed) std::abort();  // the round trip must be exact
  return 0;
}
