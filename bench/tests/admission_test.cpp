// SPDX-License-Identifier: MIT
#include "remote/admission.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace socklab::bench::remote {
namespace {

address at(const std::string& text) { return parse_address(text); }

TEST(Allow, RangesAdmitTheirAddressesOnly) {
  const auto ranges = parse_allow("10.0.0.0/8,192.168.1.7,2001:db8::/32");
  EXPECT_TRUE(allowed(ranges, at("10.250.0.1:5000")));
  EXPECT_TRUE(allowed(ranges, at("192.168.1.7:1")));
  EXPECT_FALSE(allowed(ranges, at("192.168.1.8:1")));
  EXPECT_FALSE(allowed(ranges, at("11.0.0.1:1")));
  EXPECT_TRUE(allowed(ranges, at("[2001:db8:1::5]:1")));
  EXPECT_FALSE(allowed(ranges, at("[2001:db9::5]:1")));
  // An IPv4 client of a dual-stack server arrives v4-mapped: the same host, the same verdict.
  EXPECT_TRUE(allowed(ranges, at("[::ffff:10.1.2.3]:1")));
  EXPECT_FALSE(allowed(ranges, at("[::ffff:11.1.2.3]:1")));
  EXPECT_FALSE(allowed(ranges, unix_address("/tmp/x")));
}

TEST(Allow, NoRangesAdmitEveryoneAndZeroBitsToo) {
  EXPECT_TRUE(allowed({}, at("203.0.113.9:1")));
  const auto all_v4 = parse_allow("0.0.0.0/0");
  EXPECT_TRUE(allowed(all_v4, at("203.0.113.9:1")));
  EXPECT_FALSE(allowed(all_v4, at("[2001:db8::1]:1")));  // all of IPv4 is not all of IPv6
}

TEST(Allow, BadRangesNameTheItem) {
  for (const auto* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "example.com", "10.0.0.1/8", "",
                          "10.0.0.0/8,", ",::1", "10.0.0.0/-1"}) {
    try {
      (void)parse_allow(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--allow: ", 0), 0u) << e.what();
    }
  }
}

TEST(SameHost, PortsAsideAndV4MappedAlike) {
  EXPECT_TRUE(same_host(at("127.0.0.1:1"), at("127.0.0.1:2")));
  EXPECT_FALSE(same_host(at("127.0.0.1:1"), at("127.0.0.2:1")));
  EXPECT_TRUE(same_host(at("10.0.0.1:1"), at("[::ffff:10.0.0.1]:9")));
  EXPECT_FALSE(same_host(at("[::1]:1"), at("127.0.0.1:1")));
  EXPECT_FALSE(same_host(unix_address("/a"), unix_address("/a")));
}

}  // namespace
}  // namespace socklab::bench::remote
