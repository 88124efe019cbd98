// SPDX-License-Identifier: MIT
#include "engine/session.hpp"

#include <gtest/gtest.h>

namespace socklab::bench {
namespace {

TEST(BenchId, NamesAndKeysAreTheOneCodecsSpelling) {
  const bench_id sized{"tcp_stream", "socklab", 4096};
  EXPECT_EQ(sized.name(), "tcp_stream/socklab/size:4096");
  EXPECT_EQ(sized.key(), "tcp_stream/size:4096");
  const bench_id unsized{"tcp_connect", "raw", std::nullopt};
  EXPECT_EQ(unsized.name(), "tcp_connect/raw");
  EXPECT_EQ(unsized.key(), "tcp_connect");
  const bench_id loaded{"tcp_rr_open", "raw", 64, {{"load", 50}}};
  EXPECT_EQ(loaded.name(), "tcp_rr_open/raw/size:64/load:50");
  EXPECT_EQ(loaded.key(), "tcp_rr_open/size:64/load:50");
  const bench_id flows{"tcp_stream_flows", "socklab", 16384, {{"flows", 64}, {"threads", 2}}};
  EXPECT_EQ(flows.name(), "tcp_stream_flows/socklab/size:16384/flows:64/threads:2");
}

// The cross-host client and the local families judge a family by the same metric.
TEST(Headline, EachFamilyIsJudgedByTheMetricItIsAbout) {
  for (const auto* f : {"tcp_pingpong", "udp_pingpong", "unix_pingpong", "tcp_pingpong_busy_poll"})
    EXPECT_EQ(headline_of(f), "p50_us") << f;
  EXPECT_EQ(headline_of("tcp_connect"), "items_per_second");
  EXPECT_EQ(headline_of("tcp_crr"), "items_per_second");
  EXPECT_EQ(headline_of("tcp_rr_open"), "p99_us");
  EXPECT_EQ(headline_of("tcp_rr_flows"), "items_per_second");
  EXPECT_EQ(headline_of("tcp_stream_flows"), "bytes_per_second");
  for (const auto* f : {"tcp_stream", "udp_stream", "udp_sendto", "unix_stream", "unix_dgram"})
    EXPECT_EQ(headline_of(f), "bytes_per_second") << f;
  EXPECT_FALSE(higher_is_better(headline_of("tcp_pingpong")));
  EXPECT_TRUE(higher_is_better(headline_of("tcp_connect")));
}

}  // namespace
}  // namespace socklab::bench
