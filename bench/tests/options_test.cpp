// SPDX-License-Identifier: MIT
#include "support/options.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace socklab::bench {
namespace {

options parse(std::vector<std::string> args) {
  args.insert(args.begin(), "socklab-bench");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_options(static_cast<int>(argv.size()), argv.data());
}

TEST(Options, ParsesEveryKind) {
  const auto o = parse({"--profile=quick", "--placement=same-cpu", "--peer=process", "--tcp-congestion=cubic",
                        "--sndbuf=65536", "--nodelay=0", "--verify", "--watchdog-ms=250", "--out=x.json",
                        "--filter=^tcp", "--rep-time=0.2", "--min-reps=5", "--max-reps=9", "--target-ci=2%",
                        "--budget=7", "--warmup-max=0.3", "--seed=42", "--overhead-threshold=3"});
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
  EXPECT_EQ(o.filter, "^tcp");
  EXPECT_DOUBLE_EQ(*o.rep_seconds, 0.2);
  EXPECT_EQ(*o.min_reps, 5);
  EXPECT_EQ(*o.max_reps, 9);
  EXPECT_DOUBLE_EQ(*o.target, 0.02);
  EXPECT_DOUBLE_EQ(*o.budget_s, 7);
  EXPECT_DOUBLE_EQ(*o.warmup_max_s, 0.3);
  EXPECT_EQ(*o.seed, 42u);
  EXPECT_DOUBLE_EQ(o.overhead_threshold, 0.03);
}

TEST(Options, ValuesMayFollowTheirFlagAsTheNextArgument) {
  const auto o = parse({"--peer", "127.0.0.1:5301", "--profile", "quick", "--filter", "^udp", "--verify",
                        "--out=y.json", "--seed", "7"});
  EXPECT_EQ(o.remote, "127.0.0.1:5301");
  EXPECT_EQ(o.sweep, profile::quick);
  EXPECT_EQ(o.filter, "^udp");
  EXPECT_TRUE(o.verify);
  EXPECT_EQ(o.out, "y.json");
  EXPECT_EQ(*o.seed, 7u);
  EXPECT_THROW(parse({"--filter"}), std::invalid_argument);           // a flag at the end has no value
  EXPECT_THROW(parse({"--peer", "--serve"}), std::invalid_argument);  // the next flag is not a value
}

TEST(Options, DefaultsAreDocumented) {
  const auto o = parse({});
  EXPECT_EQ(o.where, placement::cross_cpu);
  EXPECT_EQ(o.peer, peer_mode::thread);
  EXPECT_EQ(o.sweep, profile::full);
  EXPECT_TRUE(o.nodelay);
  EXPECT_FALSE(o.fixed_repetitions || o.rep_seconds || o.min_reps || o.max_reps || o.target || o.seed);
  EXPECT_DOUBLE_EQ(o.overhead_threshold, 0.05);
}

TEST(Options, PlantedSlowdownNamesAFamilyAndAFraction) {
  const auto o = parse({"--plant-slowdown=tcp_stream:15"});
  EXPECT_EQ(o.plant_family, "tcp_stream");
  EXPECT_DOUBLE_EQ(o.plant_fraction, 0.15);
  EXPECT_DOUBLE_EQ(options{}.plant_fraction, 0.0);  // off unless asked for
}

TEST(Options, BadValuesAreOneLineErrors) {
  for (const char* bad : {"--placement=sideways", "--peer=fiber", "--profile=long", "--sndbuf=12",
                          "--sndbuf=x", "--watchdog-ms=-1", "--nodelay=2", "--out=", "--no-such-flag",
                          "--tcp-congestion=", "--plant-slowdown=15", "--plant-slowdown=:15",
                          "--plant-slowdown=tcp_stream:0", "--plant-slowdown=tcp_stream:95", "--rep-time=0",
                          "--target-ci=x", "--min-reps=0", "--benchmark_filter=tcp", "positional"}) {
    try {
      parse({bad});
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(parse({"--min-reps=9", "--max-reps=3"}), std::invalid_argument);
}

TEST(Options, GoogleBenchmarkFlagsPointToOurOwn) {
  try {
    parse({"--benchmark_repetitions=3"});
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--repetitions"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace socklab::bench
