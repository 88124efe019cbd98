// SPDX-License-Identifier: MIT
// JSON messages in length-prefixed frames (socklab/framing.hpp), with nlohmann/json. Its own
// header and its own library, socklab::json (find_package(socklab COMPONENTS json)), so that
// code using only sockets needs neither nlohmann/json nor the time it takes to parse.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>

#include "socklab/framing.hpp"
#include "socklab/socket.hpp"

namespace socklab {

/// Sends `message` as a JSON frame.
void send_json(socket& s, const nlohmann::json& message, std::size_t max_frame = default_max_frame);
/// Receives a JSON frame; std::nullopt on a clean close, protocol_error for invalid JSON.
std::optional<nlohmann::json> recv_json(socket& s, std::size_t max_frame = default_max_frame);
/// Parses a JSON frame's payload; protocol_error (naming the parse error) if it is not JSON.
nlohmann::json decode_json(std::span<const std::byte> payload);

}  // namespace socklab
