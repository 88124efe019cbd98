// SPDX-License-Identifier: MIT
#include "socklab/framing.hpp"

#include <gtest/gtest.h>

#include "support.hpp"

namespace socklab {
namespace {

using namespace test;

std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

TEST(Framing, FramesRoundTripInOrder) {
  auto [a, b] = socketpair();
  send_frame(a, as_bytes("first"));
  send_frame(a, {});
  send_frame(a, as_bytes(std::string(100000, 'z')));
  a.close();
  EXPECT_EQ(decode(*recv_frame(b)), "first");
  EXPECT_TRUE(recv_frame(b)->empty());
  EXPECT_EQ(recv_frame(b)->size(), 100000u);
  EXPECT_EQ(recv_frame(b), std::nullopt);  // clean EOF between frames
}

TEST(Framing, HeaderIsFourBytesBigEndian) {
  auto [a, b] = socketpair();
  send_frame(a, as_bytes("abc"));
  EXPECT_EQ(b.recv(16), (std::vector<std::byte>{std::byte{0}, std::byte{0}, std::byte{0}, std::byte{3},
                                                std::byte{'a'}, std::byte{'b'}, std::byte{'c'}}));
}

TEST(Framing, TruncatedFramesAreProtocolErrors) {
  {
    auto [a, b] = socketpair();
    a.sendall(bytes({0, 0}));
    a.close();
    EXPECT_THROW(recv_frame(b), protocol_error);
  }
  {
    auto [a, b] = socketpair();
    a.sendall(bytes({0, 0, 0, 10, 'x', 'y'}));
    a.close();
    try {
      recv_frame(b);
      FAIL() << "a truncated payload was accepted";
    } catch (const protocol_error& e) {
      EXPECT_NE(std::string(e.what()).find("2 of 10"), std::string::npos) << e.what();
    }
  }
}

TEST(Framing, OversizedFramesAreRefusedBeforeAllocating) {
  auto [a, b] = socketpair();
  a.sendall(bytes({0xff, 0xff, 0xff, 0xff}));
  EXPECT_THROW(recv_frame(b, 1024), protocol_error);
  EXPECT_THROW(send_frame(a, std::vector<std::byte>(2048), 1024), std::length_error);
}

TEST(FrameDecoder, ReassemblesFramesFedInPieces) {
  const auto stream = bytes({0, 0, 0, 2, 'h', 'i', 0, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c'});
  for (std::size_t piece = 1; piece <= stream.size(); ++piece) {
    frame_decoder d;
    std::vector<std::string> frames;
    for (std::size_t at = 0; at < stream.size(); at += piece) {
      d.feed(std::span(stream).subspan(at, std::min(piece, stream.size() - at)));
      while (auto f = d.next()) frames.emplace_back(as_text(*f));
    }
    EXPECT_EQ(frames, (std::vector<std::string>{"hi", "", "abc"})) << "piece size " << piece;
    EXPECT_EQ(d.pending(), 0u);
  }
}

TEST(FrameDecoder, RefusesAnOversizedHeaderAtOnce) {
  frame_decoder d(16);
  d.feed(bytes({0, 0}));
  EXPECT_EQ(d.pending(), 2u);
  EXPECT_THROW(d.feed(bytes({0, 17})), protocol_error);
}

}  // namespace
}  // namespace socklab
