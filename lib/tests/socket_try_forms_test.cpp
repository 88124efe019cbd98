// SPDX-License-Identifier: MIT
#include "socklab/socket.hpp"

#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <system_error>

#include "socklab/counters.hpp"
#include "socklab/errors.hpp"

namespace socklab {
namespace {

// One bad call in both forms: the throwing form throws std::invalid_argument, the try_* form
// returns an error equal to `condition`, and neither reaches the OS.
struct bad_call {
  std::string name;
  std::errc condition;
  std::function<void(socket&)> throwing;
  std::function<std::error_code(socket&)> non_throwing;
};

// gtest prints a parameter in the test's name: its name, not its bytes.
void PrintTo(const bad_call& c, std::ostream* os) { *os << c.name; }

class TryForms : public ::testing::TestWithParam<bad_call> {};

TEST_P(TryForms, ApplyTheChecksOfTheirThrowingForm) {
  const auto& c = GetParam();
  socket s(family::inet, type::dgram);
  const auto before = thread_syscalls();
  EXPECT_THROW(c.throwing(s), std::invalid_argument);
  const auto ec = c.non_throwing(s);
  EXPECT_TRUE(ec == c.condition) << ec.message();
  EXPECT_EQ(thread_syscalls(), before) << "an argument error reached the OS";
}

std::array<std::byte, 8> buffer{};

INSTANTIATE_TEST_SUITE_P(
    EveryCheckedArgument, TryForms,
    ::testing::Values(bad_call{"sendto_wrong_family", std::errc::address_family_not_supported,
                               [](socket& s) { (void)s.sendto(as_bytes("x"), ipv6_address::loopback(9)); },
                               [](socket& s) {
                                 return s.try_sendto(as_bytes("x"), ipv6_address::loopback(9)).error();
                               }},
                      bad_call{"recv_into_nbytes_over_buffer", std::errc::invalid_argument,
                               [](socket& s) { (void)s.recv_into(buffer, 9); },
                               [](socket& s) { return s.try_recv_into(buffer, 9).error(); }},
                      bad_call{"recv_into_negative_nbytes", std::errc::invalid_argument,
                               [](socket& s) { (void)s.recv_into(buffer, -1); },
                               [](socket& s) { return s.try_recv_into(buffer, -1).error(); }},
                      bad_call{"recvfrom_into_nbytes_over_buffer", std::errc::invalid_argument,
                               [](socket& s) { (void)s.recvfrom_into(buffer, 9); },
                               [](socket& s) { return s.try_recvfrom_into(buffer, 9).error(); }},
                      bad_call{"recvfrom_into_negative_nbytes", std::errc::invalid_argument,
                               [](socket& s) { (void)s.recvfrom_into(buffer, -1); },
                               [](socket& s) { return s.try_recvfrom_into(buffer, -1).error(); }}),
    [](const auto& info) { return info.param.name; });

TEST(TryForms, TheThrowingFormsMessageNamesTheCallAndTheCause) {
  socket s(family::inet, type::dgram);
  try {
    (void)s.recv_into(buffer, 9);
    FAIL() << "accepted nbytes over the buffer";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "recv_into: nbytes is larger than the buffer");
  }
}

TEST(TryForms, TryRecvIntoHonoursNbytes) {
  auto [a, b] = socketpair(family::unix_domain, type::stream);
  a.sendall(as_bytes("abcdef"));
  std::array<std::byte, 8> buf{};
  auto got = b.try_recv_into(buf, 2);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, 2u);
  EXPECT_EQ(decode(b.recv(8)), "cdef");
}

}  // namespace
}  // namespace socklab
