// SPDX-License-Identifier: MIT
#include "options.hpp"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace socklab::bench {
namespace {

options active;

int parse_int(std::string_view flag, std::string_view text, int min, int max) {
  int value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < min || value > max)
    throw std::invalid_argument(std::string(flag) + " needs a whole number from " + std::to_string(min) +
                                " to " + std::to_string(max) + ", got '" + std::string(text) + "'");
  return value;
}

double parse_seconds(std::string_view flag, std::string_view text, double min, double max) {
  const std::string copy(text);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size() || !(value >= min && value <= max))
    throw std::invalid_argument((std::ostringstream() << flag << " needs seconds from " << min << " to "
                                                      << max << ", got '" << copy << "'")
                                    .str());
  return value;
}

// "100M" -> 100'000'000 bits per second (k, M, G are powers of 1000, as iperf3's -b).
std::uint64_t parse_rate(std::string_view text) {
  std::uint64_t scale = 1;
  if (!text.empty() && (text.back() == 'k' || text.back() == 'M' || text.back() == 'G')) {
    scale = text.back() == 'k' ? 1000 : text.back() == 'M' ? 1'000'000 : 1'000'000'000;
    text.remove_suffix(1);
  }
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value == 0 || value > 100'000'000'000 / scale)
    throw std::invalid_argument("--rate needs bits per second from 1 to 100G, e.g. 50M, got '" +
                                std::string(text) + "'");
  return value * scale;
}

// Looks `text` up in a table of (spelling, value); the error lists every spelling.
template <class T, std::size_t N>
T parse_choice(std::string_view flag, std::string_view text,
               const std::pair<std::string_view, T> (&choices)[N]) {
  std::string names;
  for (const auto& [name, value] : choices) {
    if (text == name) return value;
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  throw std::invalid_argument(std::string(flag) + " must be one of " + names + "; got '" + std::string(text) +
                              "'");
}

constexpr std::pair<std::string_view, profile> profiles[] = {{"quick", profile::quick},
                                                             {"full", profile::full}};
constexpr std::pair<std::string_view, placement> placements[] = {{"cross-cpu", placement::cross_cpu},
                                                                 {"same-cpu", placement::same_cpu},
                                                                 {"unpinned", placement::unpinned}};
constexpr std::pair<std::string_view, peer_mode> peer_modes[] = {{"thread", peer_mode::thread},
                                                                 {"process", peer_mode::process}};
constexpr std::pair<std::string_view, peer_fault> peer_faults[] = {{"stall", peer_fault::stall},
                                                                   {"die", peer_fault::die}};

template <class T, std::size_t N>
std::string name_of(T value, const std::pair<std::string_view, T> (&choices)[N]) {
  for (const auto& [name, v] : choices)
    if (v == value) return std::string(name);
  return "?";
}

}  // namespace

const options& current() { return active; }
void set_current(const options& o) { active = o; }

std::string to_string(placement p) { return name_of(p, placements); }
std::string to_string(peer_mode m) { return name_of(m, peer_modes); }

std::string usage() {
  return "socklab-bench: loopback throughput and latency, through socklab and through raw POSIX calls.\n"
         "options (Google Benchmark's --benchmark_* flags follow below):\n"
         "  --profile=quick|full          size sweep and repetitions (default full)\n"
         "  --placement=cross-cpu|same-cpu|unpinned\n"
         "                                where the measuring thread and the peer run (default cross-cpu:\n"
         "                                pinned to different CPUs, the most stable on small VMs)\n"
         "  --peer=thread|process         run the peer in a thread or a child process (default thread)\n"
         "  --tcp-congestion=NAME         TCP_CONGESTION for TCP sockets (default: the system's)\n"
         "  --sndbuf=BYTES --rcvbuf=BYTES socket buffer sizes on both ends (default: autotuning)\n"
         "  --nodelay=0|1                 TCP_NODELAY for request/response (default 1)\n"
         "  --verify                      the receiver checksums every byte\n"
         "  --watchdog-ms=N               fail a benchmark whose peer is silent this long (default 5000)\n"
         "  --plant-slowdown=FAMILY:PCT   testing the gate: slow the socklab twin of FAMILY (e.g.\n"
         "                                tcp_stream) by PCT percent of its throughput (1-90)\n"
         "  --inject-peer-fault=stall|die testing: every peer stalls, or dies at once (a thread closes its\n"
         "                                socket); each benchmark must then fail within the watchdog\n"
         "cross-host (another machine, VM, container or network namespace):\n"
         "  --serve                       be the far end: receive, echo and report counts to clients\n"
         "  --bind=ADDR --port=N          where --serve listens (default 127.0.0.1 port 5301; 0: any)\n"
         "  --serve-clients=N             serve N clients, then exit (default: until killed)\n"
         "  --peer=HOST:PORT              run tcp_stream, udp_stream, tcp_pingpong, udp_pingpong against\n"
         "                                a --serve there ([v6addr]:port for IPv6); rates where data "
         "arrives\n"
         "  --tests=FAMILY:SIZE,...       which tests (default: the profile's list)\n"
         "  --duration=SECONDS            per repetition (default 2; 0.1-60)\n"
         "  --repetitions=N               per test (default 3)\n"
         "  --rate=BITS[k|M|G]            pace udp_stream at this rate (default: as fast as possible)\n"
         "  --out=FILE                    write Google Benchmark JSON plus socklab's context to FILE\n";
}

options parse_options(int& argc, char** argv) {
  options o;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value_of = [&](std::string_view flag) -> std::optional<std::string_view> {
      if (arg.substr(0, flag.size()) == flag && arg.size() > flag.size() && arg[flag.size()] == '=')
        return arg.substr(flag.size() + 1);
      return std::nullopt;
    };
    if (auto v = value_of("--profile")) {
      o.sweep = parse_choice("--profile", *v, profiles);
    } else if (auto v = value_of("--placement")) {
      o.where = parse_choice("--placement", *v, placements);
    } else if (auto v = value_of("--peer")) {
      if (*v == "thread" || *v == "process")
        o.peer = parse_choice("--peer", *v, peer_modes);
      else if (v->find(':') != std::string_view::npos)
        o.remote = std::string(*v);
      else
        throw std::invalid_argument("--peer needs thread, process or HOST:PORT, got '" + std::string(*v) +
                                    "'");
    } else if (arg == "--serve") {
      o.serve = true;
    } else if (auto v = value_of("--bind")) {
      if (v->empty()) throw std::invalid_argument("--bind needs a numeric address, e.g. 127.0.0.1 or ::1");
      o.bind = std::string(*v);
    } else if (auto v = value_of("--port")) {
      o.port = parse_int("--port", *v, 0, 65535);
    } else if (auto v = value_of("--serve-clients")) {
      o.serve_clients = parse_int("--serve-clients", *v, 1, 1000000);
    } else if (auto v = value_of("--duration")) {
      o.duration_s = parse_seconds("--duration", *v, 0.1, 60);
    } else if (auto v = value_of("--repetitions")) {
      o.repetitions = parse_int("--repetitions", *v, 1, 1000);
    } else if (auto v = value_of("--tests")) {
      o.tests = std::string(*v);
    } else if (auto v = value_of("--rate")) {
      o.rate_bps = parse_rate(*v);
    } else if (auto v = value_of("--tcp-congestion")) {
      if (v->empty() || v->size() > 15)
        throw std::invalid_argument("--tcp-congestion needs a name of 1-15 characters");
      o.tcp_congestion = std::string(*v);
    } else if (auto v = value_of("--sndbuf")) {
      o.sndbuf = parse_int("--sndbuf", *v, 1024, 1 << 30);
    } else if (auto v = value_of("--rcvbuf")) {
      o.rcvbuf = parse_int("--rcvbuf", *v, 1024, 1 << 30);
    } else if (auto v = value_of("--nodelay")) {
      o.nodelay = parse_int("--nodelay", *v, 0, 1) == 1;
    } else if (arg == "--verify") {
      o.verify = true;
    } else if (auto v = value_of("--watchdog-ms")) {
      o.watchdog = std::chrono::milliseconds(parse_int("--watchdog-ms", *v, 10, 600000));
    } else if (auto v = value_of("--plant-slowdown")) {
      const auto colon = v->find(':');
      if (colon == std::string_view::npos || colon == 0)
        throw std::invalid_argument("--plant-slowdown needs FAMILY:PERCENT, e.g. tcp_stream:15");
      o.plant_family = std::string(v->substr(0, colon));
      o.plant_fraction = parse_int("--plant-slowdown", v->substr(colon + 1), 1, 90) / 100.0;
    } else if (auto v = value_of("--inject-peer-fault")) {
      o.fault = parse_choice("--inject-peer-fault", *v, peer_faults);
    } else if (auto v = value_of("--out")) {
      if (v->empty()) throw std::invalid_argument("--out needs a file name");
      o.out = std::string(*v);
    } else if (arg.substr(0, 12) == "--benchmark_" || arg == "--help" || arg == "-h" ||
               arg.substr(0, 2) != "--") {
      argv[kept++] = argv[i];  // Google Benchmark's (it rejects what it does not know)
    } else {
      throw std::invalid_argument("unknown option '" + std::string(arg) + "' (see --help)");
    }
  }
  argc = kept;
  argv[argc] = nullptr;
  return o;
}

}  // namespace socklab::bench
