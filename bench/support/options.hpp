// SPDX-License-Identifier: MIT
// socklab-bench's command-line options.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace socklab::bench {

enum class placement { cross_cpu, same_cpu, unpinned };
enum class peer_mode { thread, process };
enum class profile { quick, full };
/// When open-loop requests are due: evenly spaced (wrk2, sockperf --mps) or as a Poisson process.
enum class arrivals { constant, poisson };
/// Test-only faults of the peer side, to prove a benchmark ends with an error instead of hanging:
/// stall (never reads or answers), die (the peer process is SIGKILLed at once; a peer thread
/// closes its socket and ends).
enum class peer_fault { none, stall, die };

struct options {
  placement where = placement::cross_cpu;  // stable on 2 vCPUs: no migration, no sharing a core
  peer_mode peer = peer_mode::thread;
  profile sweep = profile::full;
  std::optional<std::string> tcp_congestion;  // e.g. "cubic"; unset: the system default
  std::optional<int> sndbuf;                  // SO_SNDBUF on both ends; unset: autotuning
  std::optional<int> rcvbuf;                  // SO_RCVBUF on both ends; unset: autotuning
  bool nodelay = true;                        // TCP_NODELAY for request/response
  bool verify = false;                        // the receiver checksums every byte
  std::chrono::milliseconds watchdog{5000};   // a peer silent this long fails the benchmark
  // For testing the gate: the socklab twin of this family spends this fraction of its time idling
  // (0.15 = 15 % less throughput), so that a detector can be measured against a known slowdown.
  std::string plant_family;
  double plant_fraction = 0.0;
  peer_fault fault = peer_fault::none;
  // Cross-host mode (bench/remote/): serve the peer side, or run the tests against a server.
  bool serve = false;
  std::string bind = "127.0.0.1";
  int port = 5301;
  int serve_clients = 0;           // exit after this many clients (0: serve until killed)
  std::string remote;              // --peer=HOST:PORT
  std::string auth_key;            // --auth-key=FILE, on either end ("" = none)
  std::string allow;               // --allow=CIDR,...: who may connect to --serve ("" = anyone)
  double max_duration_s = 60;      // --max-duration: per test, on --serve
  std::uint64_t max_rate_bps = 0;  // --max-rate: per test, on --serve (0: none)
  int max_tests = 0;               // --max-tests: per client, on --serve (0: none)
  double duration_s = 2.0;
  std::string tests;  // --tests=FAMILY:SIZE,... ("" = the profile's list)
  // --rate: cross-host udp_stream's pacing in bits per second; locally, the open-loop families'
  // offered load in requests per second (one benchmark at that rate instead of the load sweep).
  std::uint64_t rate_bps = 0;
  arrivals arrival = arrivals::constant;
  std::optional<std::int64_t> flows;    // --flows: the flow families at this many flows only
  std::optional<std::int64_t> threads;  // --threads: ... driven by this many threads a side
  bool edge_triggered = true;           // --trigger=edge|level: how the flow threads use epoll
  std::string samples;  // --samples=FILE: every open-loop request (CSV if FILE ends in .csv, else JSON lines)
  std::string out;      // JSON output path ("" = none)
  // Which benchmarks, and how they are repeated (unset: the profile's defaults).
  std::string filter;  // an ECMAScript regex searched in each name ("" = all)
  bool list = false;   // print the names and exit
  bool help = false;
  std::optional<int> fixed_repetitions;  // --repetitions: exactly this many, no adaptive stop
  std::optional<double> rep_seconds;
  std::optional<int> min_reps;
  std::optional<int> max_reps;
  std::optional<double> target;  // relative half-width of the median's 95 % interval
  std::optional<double> budget_s;
  std::optional<double> warmup_max_s;
  std::optional<std::uint64_t> seed;
  std::optional<int> rotate;  // rounds per connection before a fresh one
  double overhead_threshold =
      0.05;  // socklab ÷ raw is "slower" only beyond this, with confidence (the gate's threshold)
};

/// The options in force (set once by main before any benchmark runs).
const options& current();
void set_current(const options& o);

/// Parses the command line. Throws std::invalid_argument with a one-line message for a bad flag
/// or value.
options parse_options(int argc, const char* const* argv);

std::string to_string(placement p);
std::string to_string(peer_mode m);

/// The text printed by --help.
std::string usage();

}  // namespace socklab::bench
