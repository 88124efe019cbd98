// SPDX-License-Identifier: MIT
#include "socklab/errors.hpp"

#include <gtest/gtest.h>

#include <cerrno>

#include "socklab/result.hpp"
#include "socklab/version.hpp"

namespace socklab {
namespace {

std::error_code sys_code(int e) { return {e, std::system_category()}; }

template <class Expected>
void expect_maps_to(int err) {
  try {
    throw_error(sys_code(err), "op");
  } catch (const Expected& e) {
    EXPECT_EQ(e.code().value(), err);
    EXPECT_EQ(e.operation(), "op");
    return;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "errno " << err << " mapped to the wrong class: " << e.what();
    return;
  }
}

TEST(Errors, ErrnoMapsToPythonsExceptionClasses) {
  expect_maps_to<blocking_io_error>(EAGAIN);
  expect_maps_to<blocking_io_error>(EWOULDBLOCK);
  expect_maps_to<blocking_io_error>(EINPROGRESS);
  expect_maps_to<blocking_io_error>(EALREADY);
  expect_maps_to<interrupted_error>(EINTR);
  expect_maps_to<broken_pipe_error>(EPIPE);
  expect_maps_to<broken_pipe_error>(ESHUTDOWN);
  expect_maps_to<connection_aborted_error>(ECONNABORTED);
  expect_maps_to<connection_refused_error>(ECONNREFUSED);
  expect_maps_to<connection_reset_error>(ECONNRESET);
  expect_maps_to<timeout_error>(ETIMEDOUT);
  expect_maps_to<file_not_found_error>(ENOENT);
  expect_maps_to<permission_error>(EACCES);
  expect_maps_to<permission_error>(EPERM);
  expect_maps_to<process_lookup_error>(ESRCH);
}

TEST(Errors, ConnectionErrorsShareTheirBase) {
  EXPECT_THROW(throw_error(sys_code(EPIPE), "send"), connection_error);
  EXPECT_THROW(throw_error(sys_code(ECONNRESET), "recv"), connection_error);
  EXPECT_THROW(throw_error(sys_code(ECONNREFUSED), "connect"), error);
  EXPECT_THROW(throw_error(sys_code(ECONNREFUSED), "connect"), std::system_error);
}

TEST(Errors, OtherErrnosAreThePlainBase) {
  try {
    throw_error(sys_code(EADDRINUSE), "bind");
    FAIL() << "nothing thrown";
  } catch (const connection_error&) {
    FAIL() << "EADDRINUSE is not a connection error";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), std::errc::address_in_use);
  }
}

TEST(Errors, MessageNamesTheOperationAndTheCause) {
  try {
    throw_error(sys_code(ECONNREFUSED), "connect");
  } catch (const error& e) {
    EXPECT_EQ(std::string(e.what()), "connect: Connection refused");
  }
}

TEST(Errors, InternalTimeoutSaysTimedOutAndEqualsErrcTimedOut) {
  const std::error_code ec = socklab_errc::timed_out;
  EXPECT_EQ(ec.message(), "timed out");
  EXPECT_TRUE(ec == std::errc::timed_out);
  try {
    throw_error(ec, "recv");
  } catch (const timeout_error& e) {
    EXPECT_EQ(std::string(e.what()), "recv: timed out");
    EXPECT_EQ(e.code().category(), socklab_category());
  }
}

TEST(Errors, BytesSentTravelsWithTheException) {
  try {
    throw_error(sys_code(EPIPE), "sendall", 1234);
  } catch (const broken_pipe_error& e) {
    ASSERT_TRUE(e.bytes_sent().has_value());
    EXPECT_EQ(*e.bytes_sent(), 1234u);
  }
  try {
    throw_error(sys_code(EPIPE), "send");
  } catch (const error& e) {
    EXPECT_FALSE(e.bytes_sent().has_value());
  }
}

TEST(Errors, GaiCodesBecomeGaiError) {
  const std::error_code ec(-2, gai_category());  // any code: the category decides the class
  EXPECT_THROW(throw_error(ec, "getaddrinfo"), gai_error);
  EXPECT_STREQ(gai_category().name(), "getaddrinfo");
}

TEST(Result, HoldsAValueOrAnError) {
  result<int> ok(42);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 42);
  EXPECT_FALSE(ok.error());
  result<int> bad(sys_code(ECONNRESET));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), std::errc::connection_reset);
  EXPECT_THROW(result<int>(bad).value_or_throw("recv"), connection_reset_error);
  EXPECT_EQ(result<int>(ok).value_or_throw("recv"), 42);
}

}  // namespace
}  // namespace socklab

namespace socklab {
namespace {

TEST(Version, NamesTheReleaseAndTheCommit) {
  EXPECT_EQ(version(), "0.1.0");
  EXPECT_FALSE(git_commit().empty());
}

}  // namespace
}  // namespace socklab
