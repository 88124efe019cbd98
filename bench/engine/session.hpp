// SPDX-License-Identifier: MIT
// The vocabulary of a benchmark run: what a benchmark is called (one name codec), what one
// repetition measured (a sample), and the session that measures it: one connection and one peer for
// the whole benchmark, so that every repetition meets a warmed-up connection.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/cost.hpp"

namespace socklab::bench {

/// A benchmark's identity. Its name is "family/implementation[/size:N][/param:N...]" (Google
/// Benchmark's ArgName style), e.g. "tcp_stream/socklab/size:4096", "tcp_connect/raw" or
/// "tcp_rr_open/raw/size:64/load:50"; readers take the parts from the row's own fields, never
/// from the name.
struct bench_id {
  std::string family;                // tcp_stream, udp_stream, udp_sendto, unix_stream, ... tcp_connect
  std::string implementation;        // socklab or raw (iperf3 and sockperf rows are added by the peer runner)
  std::optional<std::int64_t> size;  // bytes per message, where the family has a size
  // Further dimensions, in name order: flows (connections at once), load (percent of the maximum
  // request rate), rate (requests per second).
  std::vector<std::pair<std::string, std::int64_t>> params{};

  std::string name() const;
  /// What the twins of one benchmark share: "tcp_stream/size:4096", "tcp_rr_open/size:64/load:50".
  std::string key() const;
  bool operator==(const bench_id&) const = default;
};

/// One open-loop request's times, in nanoseconds from when its repetition's first request was due.
struct request_times {
  std::int64_t due;
  std::int64_t sent;
  std::int64_t answered;
};

/// What one repetition measured.
struct sample {
  std::uint64_t iterations = 0;                          // operations: messages, round trips, connections
  double seconds = 0;                                    // wall time the rates are computed over
  thread_cost near;                                      // the measuring thread's cost during the repetition
  thread_cost far;                                       // the peer's
  std::vector<std::pair<std::string, double>> counters;  // bytes_per_second, p50_us, loss_ratio, ...
  int round = -1;                                        // the scheduler's round: pairs the twins
  std::vector<request_times> requests{};                 // open-loop families with --samples: each request

  /// A counter's value; NaN when the sample lacks it.
  double counter(const std::string& name) const;
};

/// One benchmark's connection and peer, open from its first repetition to its last.
class session {
 public:
  virtual ~session() = default;
  /// Runs `iterations` operations and returns what they took. Throws on any failure (a peer that
  /// stalls, dies, or counts other than what was sent).
  virtual sample measure(std::uint64_t iterations) = 0;
  /// Ends the peer; "" or why it did not end well.
  virtual std::string finish() = 0;
};

/// A benchmark to run: its identity, the metric it is judged by, and how to open its session.
struct bench_case {
  bench_id id;
  std::string headline;  // bytes_per_second, items_per_second or p50_us
  std::function<std::unique_ptr<session>()> open;
};

/// Whether a bigger value of `metric` is better (rates) or worse (latencies, loss).
bool higher_is_better(const std::string& metric);

/// The metric a family's benchmarks are judged by, local or cross-host: p50_us for ping-pong,
/// items_per_second for connection rates, bytes_per_second for streams and datagrams.
std::string headline_of(const std::string& family);

}  // namespace socklab::bench
