// SPDX-License-Identifier: MIT
// AB. Resolution (GAI-*): getaddrinfo's flags, types, services and errors, on the machine's own
// hosts and services files (no query leaves the machine: every name here is local or numeric).
#include <netinet/in.h>

#include <algorithm>
#include <string>
#include <vector>

#include "socklab/resolve.hpp"
#include "support/fixtures.hpp"

namespace socklab::conformance {
namespace {

// One result as "family type proto host port" ("inet stream 6 127.0.0.1 80"), as the Python side
// writes it.
std::string described(const addrinfo& r) {
  return std::string(to_string(r.family)) + " " + std::string(to_string(r.type)) + " " +
         std::to_string(r.proto) + " " + host_of(r.addr) + " " + std::to_string(port_of(r.addr));
}

bool holds(const std::vector<std::string>& rows, const std::string& row) {
  return std::find(rows.begin(), rows.end(), row) != rows.end();
}

// What getaddrinfo answers: the results described, or the exception ("gaierror -2").
template <class... Args>
std::vector<std::string> answer(Args&&... args) {
  std::vector<std::string> out;
  const auto failed = outcome_of([&] {
    for (const auto& r : getaddrinfo(std::forward<Args>(args)...)) out.push_back(described(r));
  });
  if (failed != "none") return {failed};
  return out;
}

constexpr auto any_family = std::nullopt;

TEST(Resolution, GAI_01_NoHostMeansLoopbackOrWithPassiveTheWildcard) {
  const auto plain = answer(std::nullopt, "80", any_family, type::stream);
  const auto passive = answer(std::nullopt, "80", any_family, type::stream, 0, ai::passive);
  observe("plain", plain);
  observe("passive", passive);
  EXPECT_TRUE(holds(passive, "inet stream 6 0.0.0.0 80"));
  EXPECT_TRUE(holds(plain, "inet stream 6 127.0.0.1 80"));
}

TEST(Resolution, GAI_02_NumerichostRefusesNamesAndTakesShorthands) {
  const auto name = answer("localhost", "80", family::inet, type::stream, 0, ai::numerichost);
  const auto shorthand = answer("127.1", "80", family::inet, type::stream, 0, ai::numerichost);
  observe("a_name", name);
  observe("numeric", answer("127.0.0.1", "80", family::inet, type::stream, 0, ai::numerichost));
  observe("shorthand", shorthand);
  EXPECT_EQ(name, std::vector<std::string>{"gaierror -2"});
  EXPECT_EQ(shorthand, std::vector<std::string>{"inet stream 6 127.0.0.1 80"});
}

TEST(Resolution, GAI_03_CanonnameNamesTheFirstResult) {
  const auto canonical = [](const char* host, int flags) {
    return getaddrinfo(host, "80", family::inet, type::stream, 0, flags).front().canonname;
  };
  observe("hosts_name", canonical("localhost", ai::canonname));
  observe("numeric", canonical("127.0.0.1", ai::canonname));
  observe("without", canonical("localhost", 0));
  EXPECT_EQ(canonical("127.0.0.1", ai::canonname), "127.0.0.1");
  EXPECT_EQ(canonical("localhost", 0), "");
}

TEST(Resolution, GAI_04_NumericservRefusesServiceNames) {
  const auto name = answer("127.0.0.1", "http", family::inet, type::stream, 0, ai::numericserv);
  observe("service_name", name);
  observe("number", answer("127.0.0.1", "80", family::inet, type::stream, 0, ai::numericserv));
  EXPECT_EQ(name, std::vector<std::string>{"gaierror -2"});
}

TEST(Resolution, GAI_05_WithoutATypeEachAddressComesOncePerType) {
  const auto any_type = answer("127.0.0.1", "80", family::inet);
  const auto dgram = answer("127.0.0.1", "80", family::inet, type::dgram);
  observe("any_type", any_type);
  observe("dgram", dgram);
  EXPECT_EQ(dgram, std::vector<std::string>{"inet dgram 17 127.0.0.1 80"});
  EXPECT_TRUE(holds(any_type, "inet stream 6 127.0.0.1 80"));
}

TEST(Resolution, GAI_06_ServicesAreLookedUpPerType) {
  const auto unknown = answer("127.0.0.1", "no-such-service", family::inet, type::stream);
  observe("http", answer("127.0.0.1", "http", family::inet, type::stream));
  observe("domain", answer("127.0.0.1", "domain", family::inet, type::dgram));
  observe("unknown", unknown);
  EXPECT_EQ(unknown, std::vector<std::string>{"gaierror -8"});
}

TEST(Resolution, GAI_07_V4mappedMapsIpv4AnswersForAnIpv6Question) {
  const auto mapped = answer("127.0.0.1", "80", family::inet6, type::stream, 0, ai::v4mapped);
  const auto unmapped = answer("127.0.0.1", "80", family::inet6, type::stream);
  observe("mapped", mapped);
  observe("unmapped", unmapped);
  observe("v6_as_inet", answer("::1", "80", family::inet, type::stream));
  EXPECT_EQ(mapped, std::vector<std::string>{"inet6 stream 6 ::ffff:127.0.0.1 80"});
  EXPECT_EQ(unmapped, std::vector<std::string>{"gaierror -9"});
}

TEST(Resolution, GAI_08_AnEmptyHostIsNoName) {
  const auto empty = answer("", "80", family::inet, type::stream);
  observe("empty", empty);
  EXPECT_EQ(empty, std::vector<std::string>{"gaierror -2"});
}

TEST(Resolution, GAI_09_AnInterfaceSuffixBecomesTheScopeId) {
  const auto rows = getaddrinfo("fe80::1%lo", "80", family::inet6, type::stream);
  const auto scope = std::get<ipv6_address>(rows.front().addr).scope_id;
  const auto unknown = answer("fe80::1%no-such-if", "80", family::inet6, type::stream);
  observe("scope_is_lo", scope == if_nametoindex("lo"));
  observe("unknown_interface", unknown);
  EXPECT_EQ(scope, if_nametoindex("lo"));
  EXPECT_EQ(unknown, std::vector<std::string>{"gaierror -2"});
}

TEST(Resolution, GAI_10_WhatCannotGoTogetherIsRefused) {
  const auto mismatch = answer("127.0.0.1", "80", family::inet, type::stream, int{IPPROTO_UDP});
  const auto unix_family = answer("127.0.0.1", "80", family::unix_domain);
  observe("stream_with_udp", mismatch);
  observe("unix", unix_family);
  EXPECT_EQ(mismatch, std::vector<std::string>{"gaierror -7"});
  EXPECT_EQ(unix_family, std::vector<std::string>{"gaierror -6"});
}

TEST(Resolution, GAI_11_AddrconfigLeavesNumericAddressesAlone) {
  const auto v6 = answer("::1", "80", any_family, type::stream, 0, ai::addrconfig);
  const auto v4 = answer("127.0.0.1", "80", any_family, type::stream, 0, ai::addrconfig);
  observe("numeric_v6", v6);
  observe("numeric_v4", v4);
  observe("localhost", answer("localhost", "80", any_family, type::stream, 0, ai::addrconfig));
  EXPECT_EQ(v6, answer("::1", "80", any_family, type::stream));
  EXPECT_EQ(v4, answer("127.0.0.1", "80", any_family, type::stream));
}

}  // namespace
}  // namespace socklab::conformance
