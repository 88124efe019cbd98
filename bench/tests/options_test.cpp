// SPDX-License-Identifier: MIT
#include "support/options.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace socklab::bench {
namespace {

struct argv_builder {
  explicit argv_builder(std::vector<std::string> a) : args(std::move(a)) {
    args.insert(args.begin(), "socklab-bench");
    for (auto& s : args) ptrs.push_back(s.data());
    ptrs.push_back(nullptr);
    argc = static_cast<int>(args.size());
  }
  std::vector<std::string> args;
  std::vector<char*> ptrs;
  int argc;
};

TEST(Options, ParsesOursAndLeavesGoogleBenchmarksFlags) {
  argv_builder a({"--profile=quick", "--placement=same-cpu", "--peer=process", "--tcp-congestion=cubic",
                  "--sndbuf=65536", "--nodelay=0", "--verify", "--watchdog-ms=250", "--out=x.json",
                  "--benchmark_filter=tcp"});
  const auto o = parse_options(a.argc, a.ptrs.data());
  EXPECT_EQ(o.sweep, profile::quick);
  EXPECT_EQ(o.where, placement::same_cpu);
  EXPECT_EQ(o.peer, peer_mode::process);
  EXPECT_EQ(o.tcp_congestion, "cubic");
  EXPECT_EQ(o.sndbuf, 65536);
  EXPECT_FALSE(o.rcvbuf.has_value());
  EXPECT_FALSE(o.nodelay);
  EXPECT_TRUE(o.verify);
  EXPECT_EQ(o.watchdog.count(), 250);
  EXPECT_EQ(o.out, "x.json");
  ASSERT_EQ(a.argc, 2);
  EXPECT_STREQ(a.ptrs[1], "--benchmark_filter=tcp");
}

TEST(Options, DefaultsAreDocumented) {
  argv_builder a({});
  const auto o = parse_options(a.argc, a.ptrs.data());
  EXPECT_EQ(o.where, placement::cross_cpu);
  EXPECT_EQ(o.peer, peer_mode::thread);
  EXPECT_EQ(o.sweep, profile::full);
  EXPECT_TRUE(o.nodelay);
}

TEST(Options, PlantedSlowdownNamesAFamilyAndAFraction) {
  argv_builder a({"--plant-slowdown=tcp_stream:15"});
  const auto o = parse_options(a.argc, a.ptrs.data());
  EXPECT_EQ(o.plant_family, "tcp_stream");
  EXPECT_DOUBLE_EQ(o.plant_fraction, 0.15);
  EXPECT_DOUBLE_EQ(options{}.plant_fraction, 0.0);  // off unless asked for
}

TEST(Options, BadValuesAreOneLineErrors) {
  for (const char* bad : {"--placement=sideways", "--peer=fiber", "--profile=long", "--sndbuf=12",
                          "--sndbuf=x", "--watchdog-ms=-1", "--nodelay=2", "--out=", "--no-such-flag",
                          "--tcp-congestion=", "--plant-slowdown=15", "--plant-slowdown=:15",
                          "--plant-slowdown=tcp_stream:0", "--plant-slowdown=tcp_stream:95"}) {
    argv_builder a({bad});
    try {
      parse_options(a.argc, a.ptrs.data());
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace socklab::bench
