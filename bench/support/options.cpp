// SPDX-License-Identifier: MIT
#include "options.hpp"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "command_line.hpp"

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

double parse_number(std::string_view flag, std::string_view text, double min, double max, const char* unit) {
  const std::string copy(text);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size() || !(value >= min && value <= max))
    throw std::invalid_argument((std::ostringstream() << flag << " needs " << unit << " from " << min
                                                      << " to " << max << ", got '" << copy << "'")
                                    .str());
  return value;
}

double parse_seconds(std::string_view flag, std::string_view text, double min, double max) {
  return parse_number(flag, text, min, max, "seconds");
}

// "3" or "3%" -> 0.03
double parse_percent(std::string_view flag, std::string_view text, double min, double max) {
  if (!text.empty() && text.back() == '%') text.remove_suffix(1);
  return parse_number(flag, text, min, max, "a percentage") / 100;
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
constexpr std::pair<std::string_view, bool> triggers[] = {{"edge", true}, {"level", false}};
constexpr std::pair<std::string_view, arrivals> arrival_kinds[] = {{"constant", arrivals::constant},
                                                                   {"poisson", arrivals::poisson}};
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
         "Each benchmark keeps one connection and one peer, warms up until its rate settles, then repeats "
         "in\n"
         "rounds (benchmarks in a random order, twins back to back) until the 95 % confidence interval of\n"
         "its median is within the target or its budget is spent (then it is marked unsettled).\n"
         "which benchmarks:\n"
         "  --profile=quick|full          sizes and repetition defaults (default full)\n"
         "  --filter=REGEX                benchmarks whose name matches, e.g. '^tcp_stream/.*/size:4096$'\n"
         "  --list                        print the names and exit\n"
         "repetitions (defaults: quick / full):\n"
         "  --rep-time=SECONDS            length of one repetition (0.1 / 0.25)\n"
         "  --min-reps=N --max-reps=N     repetitions before any stop, and at most (8 and 30 / 8 and 40)\n"
         "  --target-ci=PCT               settled: the median's interval within +-PCT (3 %)\n"
         "  --budget=SECONDS              measuring time per benchmark, both twins, after min-reps (5 / 15)\n"
         "  --warmup-max=SECONDS          longest warm-up (0.4 / 1)\n"
         "  --repetitions=N               exactly N repetitions, no adaptive stop (cross-host: per test, 6)\n"
         "  --rotate=N                    a fresh connection (and peer) every N rounds, 0: one for all (4)\n"
         "  --seed=N                      the rounds' random order (default: random, recorded)\n"
         "  --overhead-threshold=PCT      socklab / raw is 'slower' only beyond this, with 95 % confidence "
         "(2 %)\n"
         "how:\n"
         "  --placement=cross-cpu|same-cpu|unpinned\n"
         "                                where the measuring thread and the peer run (default cross-cpu:\n"
         "                                pinned to different CPUs, the most stable on small VMs)\n"
         "  --peer=thread|process         run the peer in a thread or a child process (default thread)\n"
         "  --tcp-congestion=NAME         TCP_CONGESTION for TCP sockets (default: the system's)\n"
         "  --sndbuf=BYTES --rcvbuf=BYTES socket buffer sizes on both ends (default: autotuning)\n"
         "  --nodelay=0|1                 TCP_NODELAY for request/response (default 1)\n"
         "  --verify                      the receiver checksums every byte\n"
         "  --watchdog-ms=N               fail a benchmark whose peer is silent this long (default 5000)\n"
         "  --out=FILE                    write the results (schemas/bench.schema.json) to FILE\n"
         "many flows (tcp_stream_flows, unix_stream_flows: T threads a side, each with one epoll set over\n"
         "its share of the flows; aggregate and per-flow rates, Jain's fairness index):\n"
         "  --flows=N --threads=T         only N flows over T threads a side (default: the profile's sweep,\n"
         "                                flows 1-1,000)\n"
         "  --trigger=edge|level          epoll triggering of the flow threads (default edge)\n"
         "latency under load (tcp_rr_open, unix_rr_open: one request in flight per connection, each due on\n"
         "a schedule, timed from when it was due, as wrk2, and from when it was sent):\n"
         "  --rate=N[k|M]                 offered load in requests per second: one benchmark per size at\n"
         "                                that rate (rate:N in its name) instead of the sweep of loads\n"
         "                                (load:PCT, percent of the closed-loop maximum measured first)\n"
         "  --arrivals=constant|poisson   requests evenly spaced, or Poisson arrivals (default constant)\n"
         "  --samples=FILE                every request of every kept repetition: CSV if FILE ends in\n"
         "                                .csv, else JSON lines (due, sent, answered, both latencies)\n"
         "testing:\n"
         "  --plant-slowdown=FAMILY:PCT   slow the socklab twin of FAMILY (e.g. tcp_stream) by PCT percent "
         "of\n"
         "                                its throughput (1-90)\n"
         "  --inject-peer-fault=stall|die every peer stalls, or dies at once (a thread closes its socket);\n"
         "                                each benchmark must then fail within the watchdog\n"
         "cross-host (another machine, VM, container or network namespace):\n"
         "  --serve                       be the far end: receive, echo and report counts to clients\n"
         "  --bind=ADDR --port=N          where --serve listens (default 127.0.0.1 port 5301; 0: any)\n"
         "  --serve-clients=N             serve N clients, then exit (default: until killed)\n"
         "  --peer=HOST:PORT              run tcp_stream, udp_stream, tcp_pingpong, udp_pingpong against\n"
         "                                a --serve there ([v6addr]:port for IPv6); rates where data "
         "arrives\n"
         "  --auth-key=FILE               both ends: a pre-shared key (a file only its owner can read);\n"
         "                                the client proves it holds it, and the server proves it back\n"
         "  --allow=CIDR[,CIDR...]        --serve: who may connect (default: anyone who reaches the port)\n"
         "  --max-duration=SECONDS        --serve: the longest test a client may ask for (default 60)\n"
         "  --max-rate=BITS[k|M|G]        --serve: each test must ask for a --rate within this; TCP is read\n"
         "                                no faster than its rate (default: no limit)\n"
         "  --max-tests=N                 --serve: tests per client connection (default: no limit)\n"
         "  --tests=FAMILY:SIZE,...       which tests (default: the profile's list)\n"
         "  --duration=SECONDS            per repetition (default 2; 0.1-60)\n"
         "  --rate=BITS[k|M|G]            pace udp_stream at this rate (default: as fast as possible)\n";
}

options parse_options(int argc, const char* const* argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value_of = [&](std::string_view flag) { return harness::flag_value(argc, argv, i, flag); };
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
      o.fixed_repetitions = parse_int("--repetitions", *v, 1, 1000);
    } else if (auto v = value_of("--filter")) {
      o.filter = std::string(*v);
    } else if (arg == "--list") {
      o.list = true;
    } else if (arg == "--help" || arg == "-h") {
      o.help = true;
    } else if (auto v = value_of("--rep-time")) {
      o.rep_seconds = parse_seconds("--rep-time", *v, 0.001, 60);
    } else if (auto v = value_of("--min-reps")) {
      o.min_reps = parse_int("--min-reps", *v, 1, 1000);
    } else if (auto v = value_of("--max-reps")) {
      o.max_reps = parse_int("--max-reps", *v, 1, 1000);
    } else if (auto v = value_of("--target-ci")) {
      o.target = parse_percent("--target-ci", *v, 0.1, 100);
    } else if (auto v = value_of("--budget")) {
      o.budget_s = parse_seconds("--budget", *v, 0, 3600);
    } else if (auto v = value_of("--warmup-max")) {
      o.warmup_max_s = parse_seconds("--warmup-max", *v, 0, 60);
    } else if (auto v = value_of("--rotate")) {
      o.rotate = parse_int("--rotate", *v, 0, 1000);
    } else if (auto v = value_of("--seed")) {
      o.seed = static_cast<std::uint64_t>(parse_int("--seed", *v, 0, 2147483647));
    } else if (auto v = value_of("--overhead-threshold")) {
      o.overhead_threshold = parse_percent("--overhead-threshold", *v, 0, 100);
    } else if (auto v = value_of("--auth-key")) {
      if (v->empty()) throw std::invalid_argument("--auth-key needs a file name");
      o.auth_key = std::string(*v);
    } else if (auto v = value_of("--allow")) {
      o.allow = std::string(*v);
    } else if (auto v = value_of("--max-duration")) {
      o.max_duration_s = parse_seconds("--max-duration", *v, 0.1, 60);
    } else if (auto v = value_of("--max-rate")) {
      o.max_rate_bps = parse_rate(*v);
      if (o.max_rate_bps == 0) throw std::invalid_argument("--max-rate needs a rate above 0");
    } else if (auto v = value_of("--max-tests")) {
      o.max_tests = parse_int("--max-tests", *v, 1, 1000000);
    } else if (auto v = value_of("--tests")) {
      o.tests = std::string(*v);
    } else if (auto v = value_of("--rate")) {
      o.rate_bps = parse_rate(*v);
    } else if (auto v = value_of("--flows")) {
      o.flows = parse_int("--flows", *v, 1, 10000);
    } else if (auto v = value_of("--threads")) {
      o.threads = parse_int("--threads", *v, 1, 64);
    } else if (auto v = value_of("--trigger")) {
      o.edge_triggered = parse_choice("--trigger", *v, triggers);
    } else if (auto v = value_of("--arrivals")) {
      o.arrival = parse_choice("--arrivals", *v, arrival_kinds);
    } else if (auto v = value_of("--samples")) {
      if (v->empty()) throw std::invalid_argument("--samples needs a file name");
      o.samples = std::string(*v);
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
    } else if (arg.substr(0, 12) == "--benchmark_") {
      throw std::invalid_argument(
          "'" + std::string(arg) +
          "': socklab-bench schedules its own repetitions (--filter, --list, --rep-time, "
          "--repetitions; see --help)");
    } else {
      throw std::invalid_argument("unknown option '" + std::string(arg) + "' (see --help)");
    }
  }
  if (o.threads && !o.flows) throw std::invalid_argument("--threads needs --flows");
  if (o.flows && o.threads && *o.threads > *o.flows)
    throw std::invalid_argument("--threads is above --flows: every thread needs a flow");
  if (o.min_reps && o.max_reps && *o.min_reps > *o.max_reps)
    throw std::invalid_argument("--min-reps is above --max-reps");
  return o;
}

}  // namespace socklab::bench
