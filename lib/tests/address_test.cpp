// SPDX-License-Identifier: MIT
#include "socklab/address.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>
#include <unordered_set>

#include "socklab/errors.hpp"
#include "support.hpp"

namespace socklab {
namespace {

TEST(Address, HostAndPortAreReadLikePythonsTuple) {
  // getsockname()[0] and [1]: the cross-host code had to write its own port_of before these.
  const address v4 = ipv4_address("127.0.0.1", 5301);
  const address v6 = ipv6_address("::1", 443);
  const address un = unix_address("/tmp/x.sock");
  EXPECT_EQ(host_of(v4), "127.0.0.1");
  EXPECT_EQ(port_of(v4), 5301);
  EXPECT_EQ(host_of(v6), "::1");
  EXPECT_EQ(port_of(v6), 443);
  EXPECT_EQ(host_of(un), "/tmp/x.sock");
  EXPECT_THROW((void)port_of(un), std::invalid_argument);
}

std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

TEST(Inet, PtonAndNtopRoundTripBothFamilies) {
  EXPECT_EQ(inet_pton(family::inet, "1.2.3.4"), bytes_of({1, 2, 3, 4}));
  EXPECT_EQ(inet_ntop(family::inet, bytes_of({127, 0, 0, 1})), "127.0.0.1");
  const auto mapped = inet_pton(family::inet6, "::ffff:1.2.3.4");
  EXPECT_EQ(mapped, bytes_of({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4}));
  EXPECT_EQ(inet_ntop(family::inet6, mapped), "::ffff:1.2.3.4");
  EXPECT_EQ(inet_ntop(family::inet6, inet_pton(family::inet6, "2001:0db8:0:0:0:0:0:1")), "2001:db8::1");
}

TEST(Inet, BadInputRaisesWhatPythonRaises) {
  // OSError for text, ValueError for a packed address of the wrong length (inet_ntoa: OSError).
  EXPECT_THROW(inet_pton(family::inet, "1.2.3"), socklab::error);
  EXPECT_THROW(inet_pton(family::inet6, "::g"), socklab::error);
  EXPECT_TRUE(
      test::raises(std::errc::address_family_not_supported, [] { inet_pton(family::unix_domain, "x"); }));
  EXPECT_THROW(inet_pton(family::inet, std::string("1.2.3.4\0", 8)), std::invalid_argument);
  EXPECT_THROW(inet_ntop(family::inet, bytes_of({1, 2, 3})), std::invalid_argument);
  EXPECT_THROW(inet_ntop(family::unix_domain, bytes_of({1, 2, 3, 4})), std::invalid_argument);
  EXPECT_THROW(inet_aton("1.2.3.4.5"), socklab::error);
  EXPECT_THROW(inet_aton(""), socklab::error);
  EXPECT_THROW(inet_ntoa(bytes_of({1, 2, 3})), socklab::error);
}

TEST(Inet, AtonReadsTheClassicShorthands) {
  EXPECT_EQ(inet_aton("127.1"), bytes_of({127, 0, 0, 1}));
  EXPECT_EQ(inet_aton("0x7f.1"), bytes_of({127, 0, 0, 1}));
  EXPECT_EQ(inet_ntoa(inet_aton("10.1.2")), "10.1.0.2");
}

TEST(Ipv4Address, ParsesAndPrintsNumericHosts) {
  const ipv4_address a("192.0.2.7", 8080);
  EXPECT_EQ(a.host, (std::array<std::uint8_t, 4>{192, 0, 2, 7}));
  EXPECT_EQ(a.port, 8080);
  EXPECT_EQ(a.host_string(), "192.0.2.7");
  EXPECT_EQ(a.to_string(), "192.0.2.7:8080");
  std::ostringstream os;
  os << a;
  EXPECT_EQ(os.str(), "192.0.2.7:8080");
}

TEST(Ipv4Address, EmptyIsAnyAndBroadcastIsAllOnes) {
  EXPECT_EQ(ipv4_address("", 0).host_string(), "0.0.0.0");
  EXPECT_EQ(ipv4_address("<broadcast>", 9).host_string(), "255.255.255.255");
  EXPECT_EQ(ipv4_address::loopback(5).to_string(), "127.0.0.1:5");
  EXPECT_EQ(ipv4_address::any().to_string(), "0.0.0.0:0");
}

TEST(Ipv4Address, PortOutsideRangeIsRejected) {
  EXPECT_THROW(ipv4_address("127.0.0.1", 65536), std::out_of_range);
  EXPECT_THROW(ipv4_address("127.0.0.1", -1), std::out_of_range);
  EXPECT_NO_THROW(ipv4_address("127.0.0.1", 65535));
  try {
    ipv4_address("127.0.0.1", 70000);
  } catch (const std::out_of_range& e) {
    EXPECT_NE(std::string(e.what()).find("70000"), std::string::npos) << e.what();
  }
}

TEST(Ipv4Address, ResolvesLocalhost) { EXPECT_EQ(ipv4_address("localhost", 1).host_string(), "127.0.0.1"); }

TEST(Ipv4Address, UnresolvableNameIsGaiError) {
  // .invalid is reserved (RFC 6761): it never resolves, and numeric-only parsing fails first.
  EXPECT_THROW(ipv4_address("no-such-host.invalid", 1), gai_error);
}

TEST(Ipv6Address, ParsesHostPortFlowinfoScope) {
  const ipv6_address a("::1", 443, 5, 0);
  EXPECT_EQ(a.host_string(), "::1");
  EXPECT_EQ(a.to_string(), "[::1]:443");
  EXPECT_EQ(a.flowinfo, 5u);
  EXPECT_EQ(ipv6_address::loopback(1).to_string(), "[::1]:1");
  EXPECT_EQ(ipv6_address::any().host_string(), "::");
}

TEST(Ipv6Address, ScopeFromTheHostString) {
  const ipv6_address numeric("fe80::1%7", 1);
  EXPECT_EQ(numeric.scope_id, 7u);
  EXPECT_EQ(numeric.host_string(), "fe80::1%7");
  const ipv6_address named("fe80::1%lo", 1);
  EXPECT_NE(named.scope_id, 0u);
  EXPECT_THROW(ipv6_address("fe80::1%no-such-interface0", 1), gai_error);  // Python: socket.gaierror
}

TEST(Ipv6Address, RangesAreChecked) {
  EXPECT_THROW(ipv6_address("::1", 65536), std::out_of_range);
  EXPECT_THROW(ipv6_address("::1", 1, -10), std::out_of_range);
  EXPECT_THROW(ipv6_address("::1", 1, 1 << 20), std::out_of_range);
  EXPECT_THROW(ipv6_address("::1", 1, 0, -1), std::out_of_range);
  EXPECT_THROW(ipv6_address("::1", 1, 0, 1LL << 32), std::out_of_range);
  EXPECT_NO_THROW(ipv6_address("::1", 1, (1 << 20) - 1, 0xFFFFFFFFLL));
}

TEST(Ipv6Address, RecognisesV4Mapped) {
  EXPECT_TRUE(ipv6_address("::ffff:127.0.0.1", 1).is_v4_mapped());
  EXPECT_FALSE(ipv6_address("::1", 1).is_v4_mapped());
}

TEST(UnixAddress, PathLimitsAreCheckedBeforeAnySyscall) {
  const auto max = unix_address::max_path_length();
  EXPECT_GE(max, 103u);
  EXPECT_NO_THROW(unix_address(std::string(max, 'p')));
  EXPECT_THROW(unix_address(std::string(max + 1, 'p')), socklab::error);
  // Abstract names may use the terminating NUL's byte too.
  EXPECT_NO_THROW(unix_address::abstract(std::string(max, 'h')));
  EXPECT_THROW(unix_address::abstract(std::string(max + 1, 'h')), socklab::error);
  EXPECT_THROW(unix_address(std::string("a\0b", 3)), std::invalid_argument);
}

TEST(UnixAddress, KindsAndPrinting) {
  EXPECT_TRUE(unix_address().is_unnamed());
  EXPECT_EQ(unix_address().to_string(), "<unnamed>");
  EXPECT_EQ(unix_address("/tmp/x.sock").to_string(), "/tmp/x.sock");
  const auto abs = unix_address::abstract(std::string("a\0\xff", 3));
  EXPECT_TRUE(abs.is_abstract());
  EXPECT_EQ(abs.path.size(), 4u);
  EXPECT_EQ(abs.to_string(), "@a\\x00\\xff");
}

// Found by fuzz/address_fuzz: an abstract name with bytes to_string() escapes did not parse back.
TEST(UnixAddress, PrintedAbstractNamesParseBack) {
  for (const auto& name :
       {std::string("a\0\xff", 3), std::string("socklab-\x11\0\0", 11), std::string("back\\slash")}) {
    const auto abs = unix_address::abstract(name);
    EXPECT_EQ(parse_address(abs.to_string()), address(abs)) << abs.to_string();
  }
  EXPECT_EQ(parse_address("@A\\x41\\x4a"), address(unix_address::abstract("AAJ")));
  for (const char* bad : {"@\\", "@\\x", "@\\x4", "@\\x4g", "@\\y41"})
    EXPECT_THROW(parse_address(bad), std::invalid_argument) << bad;
}

TEST(Address, VariantHelpers) {
  const address a = ipv4_address::loopback(1);
  const address b = ipv6_address::loopback(1);
  const address c = unix_address("/x");
  EXPECT_EQ(family_of(a), family::inet);
  EXPECT_EQ(family_of(b), family::inet6);
  EXPECT_EQ(family_of(c), family::unix_domain);
  EXPECT_EQ(to_string(b), "[::1]:1");
  EXPECT_EQ(to_string(family::unix_domain), "unix");
}

TEST(Address, CompareAndHash) {
  std::unordered_set<address> set{ipv4_address::loopback(1), ipv4_address::loopback(1),
                                  ipv4_address::loopback(2), ipv6_address::loopback(1),
                                  unix_address("/x"),        unix_address("/x")};
  EXPECT_EQ(set.size(), 4u);
  EXPECT_LT(ipv4_address::loopback(1), ipv4_address::loopback(2));
  EXPECT_NE(ipv6_address("::1", 1, 0, 1), ipv6_address("::1", 1, 0, 2));
}

TEST(ParseAddress, AcceptsEveryPrintedForm) {
  for (const address& a : {address(ipv4_address("10.1.2.3", 80)), address(ipv6_address("::1", 443)),
                           address(ipv6_address("fe80::1%3", 9)), address(unix_address("/run/x.sock")),
                           address(unix_address::abstract("name"))}) {
    EXPECT_EQ(parse_address(to_string(a)), a) << to_string(a);
  }
  EXPECT_EQ(parse_address("./rel.sock"), address(unix_address("./rel.sock")));
}

TEST(ParseAddress, RejectsMalformedText) {
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:x", "127.0.0.1:80x", "::1:80", "[::1]80",
                          "[::1", "[zz::1]:80", "localhost:80", "1.2.3:80"}) {
    EXPECT_THROW(parse_address(bad), std::invalid_argument) << bad;
  }
  EXPECT_THROW(parse_address("127.0.0.1:65536"), std::out_of_range);
  EXPECT_THROW(parse_address("127.0.0.1:99999999999999999999"), std::out_of_range);
  EXPECT_THROW(parse_address("/" + std::string(200, 'x')), socklab::error);
}

}  // namespace
}  // namespace socklab
