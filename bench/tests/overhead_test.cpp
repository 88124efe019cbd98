// SPDX-License-Identifier: MIT
#include "overhead.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

namespace socklab::bench {
namespace {

nlohmann::json run(const std::string& name, const char* metric, double value,
                   const char* type = "iteration") {
  return {{"name", name}, {"run_type", type}, {metric, value}};
}

TEST(Overhead, RatiosOfMediansPerTwin) {
  nlohmann::json doc = {{"benchmarks", nlohmann::json::array()}};
  auto& b = doc["benchmarks"];
  for (double v : {100.0, 90.0, 95.0})
    b.push_back(run("tcp_stream/socklab/4096/real_time", "bytes_per_second", v));
  for (double v : {100.0, 100.0, 110.0})
    b.push_back(run("tcp_stream/raw/4096/real_time", "bytes_per_second", v));
  b.push_back(
      run("tcp_stream/socklab/4096/real_time_median", "bytes_per_second", 1.0, "aggregate"));  // ignored
  b.push_back(run("tcp_pingpong/socklab/1/real_time", "p50_us", 11.0));
  b.push_back(run("tcp_pingpong/raw/1/real_time", "p50_us", 10.0));
  b.push_back(run("tcp_connect/socklab/real_time", "items_per_second", 50.0));
  b.push_back(run("tcp_connect/raw/real_time", "items_per_second", 40.0));
  b.push_back(run("udp_stream/socklab/64/real_time", "bytes_per_second", 5.0));  // no twin: no row
  const auto rows = overhead_table(doc);
  ASSERT_EQ(rows.size(), 3u);
  std::map<std::string, nlohmann::json> by;
  for (const auto& r : rows) by[r["benchmark"]] = r;
  EXPECT_DOUBLE_EQ(by["tcp_stream/4096"]["ratio"].get<double>(), 95.0 / 100.0);
  EXPECT_EQ(by["tcp_stream/4096"]["metric"], "bytes_per_second");
  EXPECT_DOUBLE_EQ(by["tcp_pingpong/1"]["ratio"].get<double>(), 1.1);
  EXPECT_EQ(by["tcp_pingpong/1"]["metric"], "p50_us");
  EXPECT_DOUBLE_EQ(by["tcp_connect"]["ratio"].get<double>(), 1.25);
}

TEST(Overhead, ErroredRunsAreLeftOut) {
  nlohmann::json doc = {{"benchmarks", nlohmann::json::array()}};
  auto bad = run("tcp_stream/socklab/64/real_time", "bytes_per_second", 1.0);
  bad["error_occurred"] = true;
  doc["benchmarks"].push_back(bad);
  doc["benchmarks"].push_back(run("tcp_stream/raw/64/real_time", "bytes_per_second", 1.0));
  EXPECT_TRUE(overhead_table(doc).empty());
}

TEST(GbenchJson, NonFiniteCountersReadAsNull) {
  const auto doc = parse_gbench_json(
      R"({"a": NaN, "b": -nan, "c": inf, "d": [1, -inf], "e": "NaN inf stays text", "f": "q\"NaN"})");
  EXPECT_TRUE(doc["a"].is_null());
  EXPECT_TRUE(doc["b"].is_null());
  EXPECT_TRUE(doc["c"].is_null());
  EXPECT_TRUE(doc["d"][1].is_null());
  EXPECT_EQ(doc["e"], "NaN inf stays text");
  EXPECT_EQ(doc["f"], "q\"NaN");
}

TEST(GbenchJson, GoogleBenchmarksOwnOutputWithANanCounterParses) {
  std::ifstream in(SOCKLAB_FIXTURES_DIR "/gbench_with_nan.json");
  ASSERT_TRUE(in) << "fixture missing";
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto doc = parse_gbench_json(text);
  EXPECT_FALSE(doc["benchmarks"].empty());
}

}  // namespace
}  // namespace socklab::bench
