// SPDX-License-Identifier: MIT
// Structured messages over a stream socket, as the Python tutorial advises: a 4-byte big-endian
// length, then the payload. JSON messages in such frames: socklab/json_framing.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "socklab/socket.hpp"

namespace socklab {

/// Frames larger than this are refused unless a caller passes its own limit.
inline constexpr std::size_t default_max_frame = std::size_t{16} * 1024 * 1024;

/// Sends one frame with sendall(). Throws std::length_error if data exceeds max_frame.
void send_frame(socket& s, std::span<const std::byte> data, std::size_t max_frame = default_max_frame);
/// Receives one frame. std::nullopt when the peer closed cleanly before a new frame began;
/// protocol_error for a frame cut short by EOF or longer than max_frame (nothing is read past
/// its header then, so the connection should be dropped).
std::optional<std::vector<std::byte>> recv_frame(socket& s, std::size_t max_frame = default_max_frame);

/// Incremental decoder for frames arriving in arbitrary pieces (event loops, fuzzing).
class frame_decoder {
 public:
  explicit frame_decoder(std::size_t max_frame = default_max_frame) : max_frame_(max_frame) {}
  /// Appends bytes. Throws protocol_error as soon as a header announces a frame over the limit.
  void feed(std::span<const std::byte> data);
  /// The next complete frame, if one has arrived.
  std::optional<std::vector<std::byte>> next();
  /// Bytes held that do not yet form a complete frame.
  std::size_t pending() const noexcept { return buffer_.size(); }

 private:
  std::size_t max_frame_;
  std::vector<std::byte> buffer_;  // bytes of the frame not yet complete
  std::deque<std::vector<std::byte>> ready_;
};

}  // namespace socklab
