// SPDX-License-Identifier: MIT
// sendfile: a file's bytes to a socket, zero-copy where the kernel can and a read-and-send loop
// where it cannot, from an offset, for a count or to end of file, leaving the file's position after
// what was sent; its timeout bounds the whole call.
#include "socklab/socket.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <string>

#include "support.hpp"

namespace socklab {
namespace {

using namespace test;
using namespace std::chrono_literals;

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

unique_fd file_with(const temp_dir& dir, const std::string& content) {
  const auto path = dir.file("data");
  std::ofstream(path, std::ios::binary) << content;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("open failed");
  return unique_fd(fd);
}

// Sends with `send` while a peer reads everything to end of file; what the peer read.
template <class Send>
std::string sent_through(Send send) {
  auto [a, b] = socketpair(family::unix_domain, type::stream);
  b.settimeout(loopback_timeout);
  std::string got;
  peer reader([&] { got = recv_all(b); });
  send(a);
  a.shutdown(shut::wr);
  reader.join();
  return got;
}

TEST(Sendfile, AWholeFileArrivesAndThePositionIsAtItsEnd) {
  const temp_dir dir;
  const auto content = pattern(3 << 20);  // larger than the socket buffers: several calls
  auto f = file_with(dir, content);
  std::size_t n = 0;
  EXPECT_EQ(sent_through([&](socket& s) { n = s.sendfile(f.get()); }), content);
  EXPECT_EQ(n, content.size());
  EXPECT_EQ(::lseek(f.get(), 0, SEEK_CUR), static_cast<off_t>(content.size()));
}

TEST(Sendfile, FromAnOffsetForACount) {
  const temp_dir dir;
  const auto content = pattern(100000);
  auto f = file_with(dir, content);
  std::size_t n = 0;
  EXPECT_EQ(sent_through([&](socket& s) { n = s.sendfile(f.get(), 10, 1000); }), content.substr(10, 1000));
  EXPECT_EQ(n, 1000u);
  EXPECT_EQ(::lseek(f.get(), 0, SEEK_CUR), 1010);  // Python's file.seek(offset + sent)
  // A count past the end sends what there is.
  EXPECT_EQ(sent_through([&](socket& s) { n = s.sendfile(f.get(), 99990, 50); }), content.substr(99990));
  EXPECT_EQ(n, 10u);
}

TEST(Sendfile, APipeHasNoZeroCopyPathAndIsSentByTheLoop) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  unique_fd read_end(p[0]), write_end(p[1]);
  const auto content = pattern(30000);
  ASSERT_EQ(::write(write_end.get(), content.data(), content.size()), static_cast<ssize_t>(content.size()));
  write_end.reset();  // end of file after the content
  std::size_t n = 0;
  EXPECT_EQ(sent_through([&](socket& s) { n = s.sendfile(read_end.get()); }), content);
  EXPECT_EQ(n, content.size());
}

TEST(Sendfile, TheTimeoutBoundsTheWholeCallAndKeepsTheCount) {
  const temp_dir dir;
  auto f = file_with(dir, pattern(16 << 20));  // far more than a socket pair buffers
  auto [a, b] = socketpair(family::unix_domain, type::stream);
  a.settimeout(200ms);
  std::optional<std::size_t> partial;
  const auto took = seconds_taken([&] {
    try {
      (void)a.sendfile(f.get());
    } catch (const timeout_error& e) {
      partial = e.bytes_sent();
    }
  });
  ASSERT_TRUE(partial.has_value()) << "16 MiB went into an unread socket, or another error";
  EXPECT_GT(*partial, 0u);  // the buffers took some before the deadline
  EXPECT_GE(took, 0.195);   // one deadline for the whole call: not earlier...
  EXPECT_LT(took, 5.0);     // ...and not one per chunk
}

TEST(Sendfile, ANonBlockingSocketIsAnArgumentError) {
  const temp_dir dir;
  auto f = file_with(dir, "x");
  auto [a, b] = socketpair(family::unix_domain, type::stream);
  a.setblocking(false);
  EXPECT_THROW((void)a.sendfile(f.get()), std::invalid_argument);  // Python: ValueError
}

TEST(Sendfile, ABadDescriptorIsAnOsError) {
  auto [a, b] = socketpair(family::unix_domain, type::stream);
  EXPECT_TRUE(raises(std::errc::bad_file_descriptor, [&] { (void)a.sendfile(-1); }));
}

}  // namespace
}  // namespace socklab
