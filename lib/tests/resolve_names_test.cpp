// SPDX-License-Identifier: MIT
// The name databases behind Python's module functions, on this machine's own files only (hosts,
// services, interfaces): no lookup here leaves the host. The failures that would need DNS run in a
// child inside a network namespace of its own, where no packet can leave.
#include "socklab/resolve.hpp"

#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "blocked_calls.hpp"
#include "socklab/errors.hpp"
#include "support.hpp"

namespace socklab {
namespace {

TEST(Services, NamesAndPortsComeFromTheServicesDatabase) {
  EXPECT_EQ(getservbyname("http", "tcp"), 80);
  EXPECT_EQ(getservbyname("domain"), 53);
  EXPECT_EQ(getservbyport(80, "tcp"), "http");
  try {
    (void)getservbyname("no-such-service", "tcp");
    ADD_FAILURE() << "an unknown service was found";
  } catch (const error& e) {  // Python: OSError("service/proto not found")
    EXPECT_EQ(e.code(), make_error_code(socklab_errc::not_found));
    EXPECT_NE(std::string(e.what()).find("service/proto"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)getservbyport(70000), std::out_of_range);  // Python: OverflowError
  EXPECT_THROW((void)getservbyport(-1), std::out_of_range);
}

TEST(Getnameinfo, NumericOrNamedAsTheFlagsAsk) {
  const ipv4_address http = ipv4_address::loopback(80);
  const auto numeric = getnameinfo(http, ni::numerichost | ni::numericserv);
  EXPECT_EQ(numeric.first, "127.0.0.1");
  EXPECT_EQ(numeric.second, "80");
  const auto [host, service] = getnameinfo(http);
  EXPECT_EQ(host, gethostbyaddr("127.0.0.1").hostname);  // the hosts database's name for it
  EXPECT_EQ(service, getservbyport(80, "tcp"));
  EXPECT_EQ(getnameinfo(ipv6_address::loopback(80), ni::numerichost).first, "::1");
  EXPECT_THROW((void)getnameinfo(unix_address("/tmp/x")), std::invalid_argument);
}

TEST(Gethostbyname, Ipv4TextForNamesNumbersAndTheSpecialNames) {
  EXPECT_EQ(gethostbyname("localhost"), "127.0.0.1");
  EXPECT_EQ(gethostbyname("10.1.2.3"), "10.1.2.3");  // numeric: no lookup
  EXPECT_EQ(gethostbyname(""), "0.0.0.0");
  EXPECT_EQ(gethostbyname("<broadcast>"), "255.255.255.255");
  const auto ex = gethostbyname_ex("localhost");
  EXPECT_FALSE(ex.hostname.empty());
  EXPECT_NE(std::find(ex.addresses.begin(), ex.addresses.end(), "127.0.0.1"), ex.addresses.end());
  const auto back = gethostbyaddr("127.0.0.1");
  EXPECT_EQ(back.addresses, std::vector<std::string>{"127.0.0.1"});
  EXPECT_THROW((void)gethostbyaddr("fe80::1%no-such-interface"), gai_error);  // not an address: local
}

TEST(Gethostbyaddr, NoNameIsAnHerrorNotAnEmptyAnswer) {
  // 127.0.0.99 is in no hosts file, so the resolver asks DNS: in a namespace of its own nothing
  // can leave, and the answer is the resolver's failure.
  const int status = test::in_child(
      [] {
        if (::unshare(CLONE_NEWNET) != 0) return 77;
        try {
          (void)gethostbyaddr("127.0.0.99");
          return 1;
        } catch (const herror& e) {
          return e.code().category() == herror_category() ? 0 : 3;
        } catch (...) {
          return 2;
        }
      },
      std::chrono::seconds(60));
  if (status == 77) GTEST_SKIP() << "a network namespace needs CAP_SYS_ADMIN";
  EXPECT_EQ(status, 0) << "1: a name was found, 2: another exception, 3: another category, -1: no exit";
}

TEST(Interfaces, LoopbackIsListedAndLooksUpBothWays) {
  const auto all = if_nameindex();
  const auto lo =
      std::find_if(all.begin(), all.end(), [](const network_interface& i) { return i.name == "lo"; });
  ASSERT_NE(lo, all.end());
  EXPECT_EQ(if_nametoindex("lo"), lo->index);
  EXPECT_EQ(if_indextoname(lo->index), "lo");
  EXPECT_THROW((void)if_nametoindex("no-such-if0"), error);
  EXPECT_TRUE(test::raises(std::errc::no_such_device_or_address, [] { (void)if_indextoname(999999); }));
}

}  // namespace
}  // namespace socklab
