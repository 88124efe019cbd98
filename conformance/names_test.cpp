// SPDX-License-Identifier: MIT
// P. The name databases (NAME-*): services, getnameinfo, the hosts resolver, interfaces — on this
// machine's own files, never DNS.
#include <algorithm>
#include <string>

#include "socklab/resolve.hpp"
#include "support/fixtures.hpp"

namespace socklab::conformance {
namespace {

TEST(Names, NAME_01_ServicesMapNamesAndPorts) {
  observe("http_tcp", getservbyname("http", "tcp"));
  observe("domain_any", getservbyname("domain"));
  observe("port_80_tcp", getservbyport(80, "tcp"));
  EXPECT_THROW((void)getservbyname("no-such-service", "tcp"), socklab::error);  // Python: OSError
  EXPECT_THROW((void)getservbyport(70000), std::out_of_range);                  // Python: OverflowError
}

TEST(Names, NAME_02_GetnameinfoIsNumericOrNamedAsAsked) {
  const auto numeric = getnameinfo(ipv4_address::loopback(80), ni::numerichost | ni::numericserv);
  observe("numeric", numeric.first + ":" + numeric.second);
  const auto named = getnameinfo(ipv4_address::loopback(80));
  observe("named", named.first + ":" + named.second);
  if (ipv6_available()) observe("numeric_v6", getnameinfo(ipv6_address::loopback(80), ni::numerichost).first);
}

TEST(Names, NAME_03_TheHostsResolverKnowsLocalhost) {
  observe("gethostbyname", gethostbyname("localhost"));
  observe("special_names", gethostbyname("") + " " + gethostbyname("<broadcast>"));
  const auto ex = gethostbyname_ex("localhost");
  observe("ex_has_loopback",
          std::find(ex.addresses.begin(), ex.addresses.end(), "127.0.0.1") != ex.addresses.end());
  const auto back = gethostbyaddr("127.0.0.1");
  observe("byaddr_name", back.hostname);
  observe("byaddr_addresses", static_cast<int>(back.addresses.size()));
}

TEST(Names, NAME_04_InterfacesLookUpBothWays) {
  const auto all = if_nameindex();
  const bool listed =
      std::any_of(all.begin(), all.end(), [](const network_interface& i) { return i.name == "lo"; });
  observe("lo_listed", listed);
  observe("lo_round_trip", if_indextoname(if_nametoindex("lo")));
  EXPECT_THROW((void)if_nametoindex("no-such-if0"), socklab::error);
  EXPECT_TRUE(raises(std::errc::no_such_device_or_address, [] { (void)if_indextoname(999999); }));
}

}  // namespace
}  // namespace socklab::conformance
