// SPDX-License-Identifier: MIT
// R. Buffered files over sockets (FILE-*): makefile()'s reads, lines, buffered writes, timeouts, modes.
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/fixtures.hpp"

namespace socklab::conformance {
namespace {

using namespace std::chrono_literals;

// A stream socketpair, both ends with the loopback timeout.
std::pair<socket, socket> pair() {
  auto [a, b] = socketpair(family::unix_domain, type::stream);
  a.settimeout(test::loopback_timeout);
  b.settimeout(test::loopback_timeout);
  return {std::move(a), std::move(b)};
}

template <class F>
std::string value_error_of(F&& call) {
  try {
    call();
  } catch (const std::invalid_argument&) {  // Python: ValueError (io.UnsupportedOperation is one)
    return "ValueError";
  } catch (const error& e) {
    return std::string("OSError: ") + e.what();
  }
  return "none";
}

TEST(Makefile, FILE_01_ReadNWaitsForAllN) {
  auto [a, other] = pair();
  auto f = makefile(std::move(a), "rb");
  other.send(as_bytes("abc"));
  const int reader = test::current_tid();
  bool blocked = false;
  test::peer writer([&, &other = other] {
    blocked = test::wait_until_blocked(reader);
    other.sendall(as_bytes("defgh"));  // sent either way, so the read returns
    other.shutdown(shut::wr);
  });
  const auto first = decode(f.read(6));
  writer.join();
  ASSERT_TRUE(blocked) << "read(6) was never seen waiting for the rest";
  observe("first", first);
  observe("rest", decode(f.read(10)));
  observe("after_end", decode(f.read(10)));
}

TEST(Makefile, FILE_02_ReadlineAcrossBufferBoundaries) {
  auto [a, other] = pair();
  auto f = makefile(std::move(a), "rb", 4);
  other.sendall(as_bytes("hello world\nx\nsecond line\nlast"));
  other.shutdown(shut::wr);
  std::vector<std::string> lines;
  for (const auto limit : {std::optional<std::size_t>{}, {}, {3}, {}, {}, {}})
    lines.push_back(decode(f.readline(limit)));
  observe("lines", lines);
}

TEST(Makefile, FILE_03_WritesWaitForFlush) {
  auto [a, other] = pair();
  auto f = makefile(std::move(a), "wb");
  f.write(as_bytes("ab"));
  other.setblocking(false);
  try {
    (void)other.recv(10);
    observe("before_flush", "data");
  } catch (const blocking_io_error&) {
    observe("before_flush", "BlockingIOError");
  }
  f.flush();
  other.settimeout(test::loopback_timeout);
  observe("after_flush", decode(other.recv(10)));
  f.write(as_bytes("cd"));
  f.close();
  observe("after_close", decode(other.recv(10)));
}

TEST(Makefile, FILE_04_ATimedOutFileReadsNoMore) {
  auto [a, other] = pair();
  auto f = makefile(std::move(a), "rb");
  f.sock().settimeout(50ms);
  try {
    (void)f.read(1);
    observe("first_read", "none");
  } catch (const timeout_error&) {
    observe("first_read", "TimeoutError");
  }
  other.sendall(as_bytes("late"));
  try {
    (void)f.read(1);
    observe("second_read", "none");
  } catch (const error& e) {
    observe("second_read", e.code().message());
    // Python's OSError without an errno: socklab's own condition, not an OS error number.
    observe("errno",
            e.code().category() == socklab_category() ? nlohmann::json() : nlohmann::json(e.code().value()));
  }
  f.sock().settimeout(test::loopback_timeout);
  observe("socket_recv", decode(f.sock().recv(10)));
}

TEST(Makefile, FILE_05_ReadintoFillsAndReadReadsToTheEnd) {
  auto [a, other] = pair();
  auto f = makefile(std::move(a), "rb", 16);
  other.sendall(as_bytes("0123456789abcdefghijklmnopqrstuvwxyz"));
  other.shutdown(shut::wr);
  std::vector<std::byte> small(5), big(20);
  observe("first", f.readinto(small));
  observe("second", f.readinto(big));
  observe("rest", decode(f.read()));
  observe("at_end", f.readinto(big));
}

TEST(Makefile, FILE_06_ModesAreChecked) {
  auto [a, b] = socketpair(family::unix_domain, type::stream);
  observe("bad_mode", value_error_of([&a = a] { socket_file(std::move(a), "rx"); }));
  auto reading = makefile(a.dup(), "rb");  // NOLINT(bugprone-use-after-move): a refused file leaves it
  observe("write_on_read_only", value_error_of([&] { reading.write(as_bytes("x")); }));
  auto writing = makefile(a.dup(), "wb");
  observe("read_on_write_only", value_error_of([&] { (void)writing.read(1); }));
  auto closed = makefile(std::move(a), "rb");
  closed.close();
  observe("read_after_close", value_error_of([&] { (void)closed.read(1); }));
}

}  // namespace
}  // namespace socklab::conformance
