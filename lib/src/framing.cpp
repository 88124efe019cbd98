// SPDX-License-Identifier: MIT
#include "socklab/framing.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

namespace socklab {
namespace {

constexpr std::size_t header_size = 4;

std::size_t frame_limit(std::size_t max_frame) {
  return std::min<std::size_t>(max_frame, std::numeric_limits<std::uint32_t>::max());
}

// The payload length from a big-endian header, checked against the limit before any allocation.
std::size_t decode_length(std::span<const std::byte, header_size> header, std::size_t max_frame) {
  std::size_t n = 0;
  for (const auto b : header) n = (n << 8) | std::to_integer<std::size_t>(b);
  if (n > frame_limit(max_frame))
    throw protocol_error("frame of " + std::to_string(n) + " bytes exceeds the limit of " +
                         std::to_string(frame_limit(max_frame)) + " bytes");
  return n;
}

// Fills `out` completely. False if the peer closed before the first byte (when that is allowed);
// protocol_error if it closed part-way.
bool recv_exact(socket& s, std::span<std::byte> out, bool eof_ok_at_start, const char* what) {
  std::size_t got = 0;
  while (got < out.size()) {
    const auto n = s.recv_into(out.subspan(got));
    if (n == 0) {
      if (got == 0 && eof_ok_at_start) return false;
      throw protocol_error(std::string("recv_frame: connection closed in the ") + what + " after " +
                           std::to_string(got) + " of " + std::to_string(out.size()) + " bytes");
    }
    got += n;
  }
  return true;
}

}  // namespace

void send_frame(socket& s, std::span<const std::byte> data, std::size_t max_frame) {
  if (data.size() > frame_limit(max_frame))
    throw std::length_error("send_frame: " + std::to_string(data.size()) +
                            " bytes exceed the frame limit of " + std::to_string(frame_limit(max_frame)));
  // Header and payload go out in one sendall so that a small frame is one segment under TCP_NODELAY.
  std::vector<std::byte> frame(header_size + data.size());
  for (std::size_t i = 0; i < header_size; ++i)
    frame[i] = static_cast<std::byte>((data.size() >> (8 * (header_size - 1 - i))) & 0xff);
  std::copy(data.begin(), data.end(), frame.begin() + header_size);
  s.sendall(frame);
}

std::optional<std::vector<std::byte>> recv_frame(socket& s, std::size_t max_frame) {
  std::array<std::byte, header_size> header{};
  if (!recv_exact(s, header, true, "header")) return std::nullopt;
  std::vector<std::byte> payload(decode_length(header, max_frame));
  recv_exact(s, payload, false, "payload");
  return payload;
}

void frame_decoder::feed(std::span<const std::byte> data) {
  buffer_.insert(buffer_.end(), data.begin(), data.end());
  std::size_t at = 0;
  while (buffer_.size() - at >= header_size) {
    const auto n =
        decode_length(std::span<const std::byte, header_size>(buffer_.data() + at, header_size), max_frame_);
    if (buffer_.size() - at - header_size < n) break;
    const auto begin = buffer_.begin() + static_cast<std::ptrdiff_t>(at + header_size);
    ready_.emplace_back(begin, begin + static_cast<std::ptrdiff_t>(n));
    at += header_size + n;
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(at));
}

std::optional<std::vector<std::byte>> frame_decoder::next() {
  if (ready_.empty()) return std::nullopt;
  auto frame = std::move(ready_.front());
  ready_.pop_front();
  return frame;
}

}  // namespace socklab
