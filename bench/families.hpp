// SPDX-License-Identifier: MIT
// Each family registers its benchmarks, socklab and raw POSIX twins side by side, for a profile.
#pragma once

#include "support/options.hpp"

namespace socklab::bench {

void register_stream_benchmarks(profile p);    // tcp_stream, unix_stream: one-way throughput
void register_dgram_benchmarks(profile p);     // udp_stream, unix_dgram: sender/receiver rate, loss
void register_pingpong_benchmarks(profile p);  // tcp/udp/unix ping-pong latency percentiles
void register_connect_benchmarks(profile p);   // tcp_connect: connect + accept + close per second

}  // namespace socklab::bench
