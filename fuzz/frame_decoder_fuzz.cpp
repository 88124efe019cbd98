// SPDX-License-Identifier: MIT
// frame_decoder on arbitrary bytes cut into arbitrary pieces: the frames it returns must be exactly
// those a plain reading of the byte stream gives (4-byte big-endian length, then the payload),
// however the stream is split, and it must refuse an over-limit header the moment it arrives.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "socklab/errors.hpp"
#include "socklab/framing.hpp"

namespace {

constexpr std::size_t max_frame = 4096;

struct expected_stream {
  std::vector<std::vector<std::byte>> frames;
  bool over_limit = false;  // a complete header announced more than max_frame
};

expected_stream read_plainly(std::span<const std::byte> stream) {
  expected_stream out;
  std::size_t at = 0;
  while (stream.size() - at >= 4) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < 4; ++i) n = (n << 8) | std::to_integer<std::size_t>(stream[at + i]);
    if (n > max_frame) {
      out.over_limit = true;
      break;
    }
    if (stream.size() - at - 4 < n) break;
    out.frames.emplace_back(stream.begin() + static_cast<std::ptrdiff_t>(at + 4),
                            stream.begin() + static_cast<std::ptrdiff_t>(at + 4 + n));
    at += 4 + n;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte chooses how the rest is cut into pieces: 1 to 16 bytes each.
  const std::size_t piece = 1 + (data[0] % 16);
  const auto stream = std::as_bytes(std::span(data + 1, size - 1));
  const auto expected = read_plainly(stream);
  socklab::frame_decoder decoder(max_frame);
  std::vector<std::vector<std::byte>> got;
  bool refused = false;
  try {
    for (std::size_t at = 0; at < stream.size(); at += piece) {
      decoder.feed(stream.subspan(at, std::min(piece, stream.size() - at)));
      while (auto frame = decoder.next()) got.push_back(std::move(*frame));
    }
  } catch (const socklab::protocol_error&) {
    refused = true;
  }
  if (refused != expected.over_limit) std::abort();
  // Frames that completed before an over-limit header must all have been handed out, in order.
  if (!refused && got != expected.frames) std::abort();
  if (refused &&
      (got.size() > expected.frames.size() || !std::equal(got.begin(), got.end(), expected.frames.begin())))
    std::abort();
  return 0;
}
