// SPDX-License-Identifier: MIT
// Each family's benchmarks, socklab and raw POSIX twins side by side, for a profile.
#pragma once

#include <vector>

#include "engine/session.hpp"
#include "support/options.hpp"

namespace socklab::bench {

std::vector<bench_case> stream_cases(profile p);     // tcp_stream, unix_stream: one-way throughput
std::vector<bench_case> dgram_cases(profile p);      // udp_stream, udp_sendto, unix_dgram: rates and loss
std::vector<bench_case> pingpong_cases(profile p);   // tcp/udp/unix ping-pong latency percentiles
std::vector<bench_case> open_loop_cases(profile p);  // tcp/unix_rr_open: latency at offered loads
std::vector<bench_case> flows_cases(profile p);  // tcp/unix_stream_flows: many flows per thread over epoll
std::vector<bench_case> uring_cases(profile p);  // tcp_stream_uring, tcp_pingpong_uring (with liburing)
std::vector<bench_case> connect_cases(
    profile p);  // tcp_connect, tcp_crr: connections (and transactions) per second

}  // namespace socklab::bench
