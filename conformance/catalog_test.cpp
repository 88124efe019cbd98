// SPDX-License-Identifier: MIT
// The catalog and the suite agree: every test names a catalog entry that applies, every entry
// that applies has at least one test, and every kind an entry names has its instance.
#include "support/catalog.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "support/behaviour.hpp"
#include "support/socket_kinds.hpp"

namespace socklab::conformance {
namespace {

TEST(Catalog, EveryTestMapsToAnEntryAndEveryEntryHasATest) {
  const auto& cat = active_catalog();
  std::set<std::string> tested;
  std::map<std::string, std::set<std::string>> instances;  // behaviour ID -> kinds with a test
  const auto* unit = ::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit->total_test_suite_count(); ++i) {
    const auto* suite = unit->GetTestSuite(i);
    if (std::string(suite->name()) == "Catalog" || std::string(suite->name()) == "BehaviourId") continue;
    for (int j = 0; j < suite->total_test_count(); ++j) {
      const auto* info = suite->GetTestInfo(j);
      const auto id = behaviour_id(info->name());
      const std::string name = std::string(suite->name()) + "." + info->name();
      if (!id) {
        ADD_FAILURE() << name << " does not start with a catalog ID";
        continue;
      }
      EXPECT_TRUE(cat.byid.count(*id)) << name << " names " << *id << ", which is not in the catalog";
      EXPECT_TRUE(cat.applicable(*id))
          << name << " tests " << *id << ", which the catalog says does not apply";
      tested.insert(*id);
      if (info->value_param() != nullptr) {
        const std::string test_name = info->name();
        instances[*id].insert(test_name.substr(test_name.rfind('/') + 1));
      }
    }
  }
  for (const auto& [id, entry] : cat.byid) {
    if (cat.applicable(id)) {
      EXPECT_TRUE(tested.count(id)) << id << " has no test";
    }
  }
  // Every kind the catalog gives a behaviour has its instance.
  for (const auto& [id, entry] : built_in_catalog().byid) {
    for (const auto& k : kinds_of(id))
      EXPECT_TRUE(instances[id].count(k.name)) << id << " has no test over kind " << k.name;
  }
}

TEST(BehaviourId, ParsesTheNamePrefix) {
  EXPECT_EQ(behaviour_id("TCP_SENDALL_02_TotalDeadline"), "TCP-SENDALL-02");
  EXPECT_EQ(behaviour_id("CON_01"), "CON-01");
  EXPECT_EQ(behaviour_id("UDP_02_SenderAddress/inet6"), "UDP-02");
  EXPECT_EQ(behaviour_id("NoIdHere"), std::nullopt);
  EXPECT_EQ(behaviour_id("CON_1_Short"), std::nullopt);
  EXPECT_EQ(behaviour_id("CON_012"), std::nullopt);
  EXPECT_EQ(behaviour_id("_01"), std::nullopt);
}

}  // namespace
}  // namespace socklab::conformance
