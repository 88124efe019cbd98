// SPDX-License-Identifier: MIT
#include "socklab/json_framing.hpp"

#include <string>

#include "socklab/errors.hpp"

namespace socklab {

nlohmann::json decode_json(std::span<const std::byte> payload) {
  const auto* text = reinterpret_cast<const char*>(payload.data());
  try {
    return nlohmann::json::parse(text, text + payload.size());
  } catch (const nlohmann::json::exception& e) {
    throw protocol_error(std::string("invalid JSON message: ") + e.what());
  }
}

void send_json(socket& s, const nlohmann::json& message, std::size_t max_frame) {
  const auto text = message.dump();
  send_frame(s, as_bytes(text), max_frame);
}

std::optional<nlohmann::json> recv_json(socket& s, std::size_t max_frame) {
  auto payload = recv_frame(s, max_frame);
  if (!payload) return std::nullopt;
  return decode_json(*payload);
}

}  // namespace socklab
