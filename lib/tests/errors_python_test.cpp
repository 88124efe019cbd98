// SPDX-License-Identifier: MIT
// Every documented failure, raised for real, against the exception Python raises for it (the table
// in the README, "What Python raises, what socklab throws"): what a Python programmer catches as
// OSError is a socklab::error here, and each subclass is the one of the same name.
#include "socklab/errors.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <typeinfo>

#include "socklab/connection.hpp"
#include "socklab/framing.hpp"
#include "socklab/resolve.hpp"
#include "socklab/socket_file.hpp"
#include "support.hpp"

namespace socklab {
namespace {

using namespace test;
using namespace std::chrono_literals;

struct failure {
  std::string name;
  std::string python;                                      // what CPython raises for the same call
  bool is_os_error;                                        // catchable as socklab::error (Python: OSError)
  std::function<void()> call;                              // raises it, locally and within a bound
  std::function<bool(const std::exception&)> is_expected;  // the exact class
};

// gtest prints a parameter in the test's name: its name, not its bytes.
void PrintTo(const failure& f, std::ostream* os) { *os << f.name; }

template <class E>
std::function<bool(const std::exception&)> of_type() {
  return [](const std::exception& e) { return dynamic_cast<const E*>(&e) != nullptr; };
}

class PythonExceptions : public ::testing::TestWithParam<failure> {};

TEST_P(PythonExceptions, AreTheClassesOfTheSameName) {
  const auto& f = GetParam();
  try {
    f.call();
    FAIL() << f.name << " did not throw (Python raises " << f.python << ")";
  } catch (const std::exception& e) {
    EXPECT_TRUE(f.is_expected(e)) << f.name << ": threw " << typeid(e).name() << " (" << e.what() << ")";
    EXPECT_EQ(dynamic_cast<const error*>(&e) != nullptr, f.is_os_error)
        << f.name << ": Python raises " << f.python << ", got " << e.what();
    EXPECT_NE(std::string(e.what()).find(':'), std::string::npos)
        << "what() names the operation: " << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryDocumentedFailure, PythonExceptions,
    ::testing::Values(failure{"connect_to_a_closed_port", "ConnectionRefusedError", true,
                              [] {
                                socket s(family::inet, type::stream);
                                s.settimeout(loopback_timeout);
                                s.connect(unused_port());
                              },
                              of_type<connection_refused_error>()},
                      failure{"connect_to_a_missing_unix_path", "FileNotFoundError", true,
                              [] {
                                socket s(family::unix_domain, type::stream);
                                s.connect(unix_address("/nonexistent/socklab-errors-test.sock"));
                              },
                              of_type<file_not_found_error>()},
                      failure{"recv_past_its_timeout", "TimeoutError", true,
                              [] {
                                auto [a, b] = socketpair();
                                b.settimeout(10ms);
                                (void)b.recv(1);
                              },
                              of_type<timeout_error>()},
                      failure{"recv_that_would_block", "BlockingIOError", true,
                              [] {
                                auto [a, b] = socketpair();
                                b.setblocking(false);
                                (void)b.recv(1);
                              },
                              of_type<blocking_io_error>()},
                      failure{"send_to_a_closed_peer", "BrokenPipeError", true,
                              [] {
                                auto [a, b] = socketpair();
                                b.close();
                                a.sendall(as_bytes("x"));
                              },
                              of_type<broken_pipe_error>()},
                      failure{"unknown_ipv6_scope", "socket.gaierror", true,
                              [] { ipv6_address("fe80::1%socklab-no-such-if", 0); }, of_type<gai_error>()},
                      failure{"unix_path_too_long", "OSError", true,
                              [] { unix_address(std::string(4096, 'x')); }, of_type<error>()},
                      failure{"bind_an_address_in_use", "OSError (EADDRINUSE)", true,
                              [] {
                                auto l = listener();
                                socket s(family::inet, type::stream);
                                s.bind(l.getsockname());
                              },
                              [](const std::exception& e) {
                                const auto* os = dynamic_cast<const error*>(&e);
                                return os != nullptr && os->code() == std::errc::address_in_use;
                              }},
                      failure{"accept_without_listen", "OSError (EINVAL)", true,
                              [] {
                                socket s(family::inet, type::stream);
                                s.bind(ipv4_address::loopback());
                                (void)s.accept();
                              },
                              of_type<error>()},
                      failure{"create_connection_with_no_candidate_of_the_source_family", "OSError", true,
                              [] { (void)create_connection("127.0.0.1", 9, 1s, ipv6_address::loopback()); },
                              of_type<error>()},
                      failure{"an_unknown_service", "OSError (no errno)", true,
                              [] { (void)getservbyname("socklab-no-such-service", "tcp"); },
                              [](const std::exception& e) {
                                const auto* os = dynamic_cast<const error*>(&e);
                                return os != nullptr && os->code() == socklab_errc::not_found;
                              }},
                      failure{"an_unknown_interface", "OSError (no errno)", true,
                              [] { (void)if_nametoindex("socklab-no-if"); }, of_type<error>()},
                      failure{"a_file_read_after_a_timeout", "OSError (no errno)", true,
                              [] {
                                auto [a, b] = socketpair();
                                auto f = makefile(std::move(a), "rb");
                                f.sock().settimeout(1ms);
                                EXPECT_THROW((void)f.read(1), timeout_error);
                                (void)f.read(1);
                              },
                              [](const std::exception& e) {
                                const auto* os = dynamic_cast<const error*>(&e);
                                return os != nullptr && os->code() == socklab_errc::read_after_timeout;
                              }},
                      failure{"create_server_with_a_host_of_another_family", "OSError", true,
                              [] { (void)create_server("::1", 0, family::inet); },
                              [](const std::exception& e) { return typeid(e) == typeid(error); }},
                      failure{"makefile_with_a_bad_mode", "ValueError", false,
                              [] {
                                auto [a, b] = socketpair();
                                socket_file(std::move(a), "rx");
                              },
                              of_type<std::invalid_argument>()},
                      failure{"a_write_to_a_read_only_file", "io.UnsupportedOperation (a ValueError)", false,
                              [] {
                                auto [a, b] = socketpair();
                                makefile(std::move(a), "rb").write(as_bytes("x"));
                              },
                              of_type<std::invalid_argument>()},
                      failure{"port_out_of_range", "OverflowError", false,
                              [] { ipv4_address("127.0.0.1", 70000); }, of_type<std::out_of_range>()},
                      failure{"negative_recv_size", "ValueError", false,
                              [] {
                                auto [a, b] = socketpair();
                                (void)b.recv(-1);
                              },
                              of_type<std::invalid_argument>()},
                      failure{"negative_timeout", "ValueError", false,
                              [] {
                                socket s(family::inet, type::stream);
                                s.settimeout(-1s);
                              },
                              of_type<std::invalid_argument>()},
                      failure{"an_address_of_another_family",
                              "TypeError (Python: gaierror, resolving the host)", false,
                              [] {
                                socket s(family::inet, type::stream);
                                s.bind(ipv6_address::loopback());
                              },
                              of_type<std::invalid_argument>()},
                      failure{"dualstack_on_an_ipv4_address", "ValueError", false,
                              [] {
                                server_options dual;
                                dual.dualstack_ipv6 = true;
                                (void)create_server(ipv4_address::loopback(), dual);
                              },
                              of_type<std::invalid_argument>()},
                      failure{"a_frame_cut_short", "(no Python equivalent: socklab's framing) ValueError",
                              false,
                              [] {
                                auto [a, b] = socketpair();
                                a.sendall(
                                    as_bytes(std::string("\0\0\0\x09"
                                                         "abc",
                                                         7)));
                                a.close();
                                (void)recv_frame(b);
                              },
                              of_type<protocol_error>()}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace socklab
