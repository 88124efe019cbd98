// SPDX-License-Identifier: MIT
// `socklab-bench --serve`: the far end of cross-host benchmarks. One client at a time; every wait
// is bounded; a bad or hostile control message gets an error reply (or, when the stream can no
// longer be trusted, the connection is closed) and the server goes on serving.
// Who gets in: clients in the --allow ranges, authenticated when the server holds a key; in a data
// phase only the control connection's host (TCP: other connections are closed at once; UDP: the
// data socket is connected to the port the client announced, and a second socket on the same port
// counts, and drops, whatever else arrives). One log line per client says how it went.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "remote/admission.hpp"
#include "remote/handshake.hpp"

namespace socklab::bench::remote {

struct serve_options {
  std::string bind = "127.0.0.1";  // loopback unless told otherwise
  int port = 5301;                 // 0: any free port (printed)
  int clients = 0;                 // serve this many clients, then exit (0: until killed)
  std::optional<auth_key> key;     // clients must prove they hold it
  std::vector<cidr> allow;         // who may connect at all (empty: anyone who reaches the port)
  double max_duration_s = 60;      // per test
  std::uint64_t max_rate_bps = 0;  // per test, 0: none; with one, each test must ask for a rate within it
  int max_tests = 0;               // per client connection, 0: none
};

/// Serves until `clients` have been served; exit status (2 when the port cannot be opened).
int serve(const serve_options& o);

}  // namespace socklab::bench::remote
