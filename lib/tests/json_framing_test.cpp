// SPDX-License-Identifier: MIT
#include "socklab/json_framing.hpp"

#include <gtest/gtest.h>

#include <string>

#include "socklab/errors.hpp"

namespace socklab {
namespace {

TEST(JsonFraming, MessagesRoundTrip) {
  auto [a, b] = socketpair();
  send_json(a, {{"version", 1}, {"test", "tcp_stream"}, {"sizes", {64, 512}}});
  const auto msg = recv_json(b);
  ASSERT_TRUE(msg.has_value());
  EXPECT_EQ((*msg)["version"], 1);
  EXPECT_EQ((*msg)["sizes"][1], 512);
  send_frame(a, as_bytes("{not json"));
  EXPECT_THROW(recv_json(b), protocol_error);
  a.close();
  EXPECT_EQ(recv_json(b), std::nullopt);
}

TEST(JsonFraming, DecodeNamesTheParseError) {
  try {
    decode_json(as_bytes("[1, 2"));
    FAIL() << "truncated JSON accepted";
  } catch (const protocol_error& e) {
    EXPECT_NE(std::string(e.what()).find("invalid JSON"), std::string::npos);
  }
  EXPECT_EQ(decode_json(as_bytes("[1,2]")).size(), 2u);
}

}  // namespace
}  // namespace socklab
