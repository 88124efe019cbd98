// SPDX-License-Identifier: MIT
// `socklab-bench --peer=HOST:PORT`: runs the families against a `socklab-bench --serve` elsewhere
// and writes Google-Benchmark-shaped JSON, with the server's counts (receiver-side rates, UDP
// loss where the data arrives) and both ends' contexts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "remote/handshake.hpp"
#include "remote/protocol.hpp"

namespace socklab::bench::remote {

struct client_options {
  std::string server;               // HOST:PORT, numeric ([v6]:port for IPv6)
  std::vector<test_request> tests;  // each run `repetitions` times
  int repetitions = 6;
  std::string out;              // JSON path ("" = print only)
  std::optional<auth_key> key;  // prove it to the server, and have the server prove it back
};

/// The default tests: each family at the sizes iperf3 and sockperf users compare.
std::vector<test_request> default_tests(bool quick, double duration_s, std::uint64_t rate_bps);

/// Parses "tcp_stream:65536,udp_stream:1472"; std::invalid_argument for a bad item.
std::vector<test_request> parse_tests(const std::string& list, double duration_s, std::uint64_t rate_bps);

/// Runs every test; exit status 0, 1 when a test failed, 2 when the server cannot be used.
int run_client(const client_options& o);

}  // namespace socklab::bench::remote
