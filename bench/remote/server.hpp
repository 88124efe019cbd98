// SPDX-License-Identifier: MIT
// `socklab-bench --serve`: the far end of cross-host benchmarks. One client at a time; every wait
// is bounded; a bad or hostile control message gets an error reply (or, when the stream can no
// longer be trusted, the connection is closed) and the server goes on serving.
#pragma once

#include <string>

namespace socklab::bench::remote {

struct serve_options {
  std::string bind = "127.0.0.1";  // loopback unless told otherwise
  int port = 5301;                 // 0: any free port (printed)
  int clients = 0;                 // serve this many clients, then exit (0: until killed)
};

/// Serves until `clients` have been served; exit status (2 when the port cannot be opened).
int serve(const serve_options& o);

}  // namespace socklab::bench::remote
