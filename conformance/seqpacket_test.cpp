// SPDX-License-Identifier: MIT
// K. AF_UNIX SOCK_SEQPACKET (SEQ-*). Probed, not assumed: skipped where the OS lacks it.
#include "support/fixtures.hpp"

namespace socklab::conformance {
namespace {

class Seqpacket : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      socket probe(family::unix_domain, type::seqpacket);
    } catch (const error& e) {
      GTEST_SKIP() << "AF_UNIX SOCK_SEQPACKET is not available: " << e.what();
    }
  }
};

TEST_F(Seqpacket, SEQ_01_RecordsKeepTheirBoundaries) {
  temp_dir dir;
  const unix_address where(dir.file("seq.sock"));
  socket server(family::unix_domain, type::seqpacket);
  server.bind(where);
  server.listen();
  socket client(family::unix_domain, type::seqpacket);
  client.connect(where);
  auto [conn, addr] = server.accept();
  client.sendall(as_bytes("12345"));
  client.sendall(as_bytes("678"));
  EXPECT_EQ(decode(conn.recv(64)), "12345");
  EXPECT_EQ(decode(conn.recv(64)), "678");
  server.listen(5);  // relisten is allowed
}

TEST_F(Seqpacket, SEQ_02_SmallBufferTruncatesTheRecord) {
  auto [a, b] = socketpair(family::unix_domain, type::seqpacket);
  a.sendall(as_bytes("0123456789"));
  a.sendall(as_bytes("next"));
  EXPECT_EQ(decode(b.recv(4)), "0123");
  EXPECT_EQ(decode(b.recv(64)), "next");
}

TEST_F(Seqpacket, SEQ_03_EmptyRecordAndEofBothReadEmpty) {
  auto [a, b] = socketpair(family::unix_domain, type::seqpacket);
  EXPECT_EQ(a.send({}), 0u);
  EXPECT_TRUE(b.recv(16).empty());
  a.sendall(as_bytes("after"));
  EXPECT_EQ(decode(b.recv(16)), "after") << "the empty record was a record, not EOF";
  a.close();
  EXPECT_TRUE(b.recv(16).empty());
}

TEST_F(Seqpacket, SEQ_04_SendOnAnUnconnectedSocketIsEnotconn) {
  socket s(family::unix_domain, type::seqpacket);
  EXPECT_TRUE(raises(std::errc::not_connected, [&] { s.send(as_bytes("x")); }));
}

}  // namespace
}  // namespace socklab::conformance
