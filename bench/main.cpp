// SPDX-License-Identifier: MIT
// socklab-bench: loopback benchmarks, each through socklab and through raw POSIX calls, scheduled
// by socklab's own engine (adaptive, interleaved repetitions on persistent connections) and written
// in Google Benchmark's JSON shape. Exits 1 when a benchmark failed, 2 on bad input or when the
// filter matched nothing.
#include <sys/socket.h>

#include <cmath>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <random>
#include <regex>

#include "engine/output.hpp"
#include "engine/scheduler.hpp"
#include "families.hpp"
#include "remote/client.hpp"
#include "remote/server.hpp"
#include "run_context.hpp"
#include "socklab/fast_paths.hpp"
#include "support/harness.hpp"

namespace socklab::bench {
namespace {

schedule schedule_of(const options& o) {
  const bool quick = o.sweep == profile::quick;
  schedule s;
  s.rep_seconds = o.rep_seconds.value_or(quick ? 0.1 : 0.25);
  s.min_reps = o.min_reps.value_or(8);
  s.max_reps = o.max_reps.value_or(quick ? 30 : 40);
  if (o.fixed_repetitions) s.min_reps = s.max_reps = *o.fixed_repetitions;
  s.min_reps = std::min(s.min_reps, s.max_reps);
  s.target = o.target.value_or(0.03);
  s.budget_s = o.budget_s.value_or(quick ? 5 : 15);
  s.warmup_max_s = o.warmup_max_s.value_or(quick ? 0.4 : 1.0);
  s.rotate = o.rotate.value_or(4);
  s.seed = o.seed ? *o.seed : std::random_device{}() & 0x7fffffff;
  return s;
}

// The run's context in Google Benchmark's style (strings, sysctls flattened), with socklab's keys.
nlohmann::json context_of(const options& o) {
  nlohmann::json ctx;
  const auto machine = harness::run_context();
  for (const auto& [key, value] : machine.items()) {
    if (key == "sysctls") {
      for (const auto& [name, v] : value.items()) ctx["sysctl." + name] = v;
    } else {
      ctx[key] = value;
    }
  }
  double load[3] = {0, 0, 0};
  if (::getloadavg(load, 3) == 3) ctx["load_avg"] = {load[0], load[1], load[2]};
  ctx["executable"] = "socklab-bench";
  ctx["placement"] = to_string(o.where);
  ctx["placement_effective"] = plan().effective;
  ctx["peer_mode"] = to_string(o.peer);
  ctx["profile"] = o.sweep == profile::quick ? "quick" : "full";
  socket probe(family::inet, type::stream);
  apply_socket_options(probe);
  ctx["tcp_congestion"] = tcp_congestion_of(probe);
  ctx["sndbuf"] = o.sndbuf ? std::to_string(*o.sndbuf) : "auto";
  ctx["rcvbuf"] = o.rcvbuf ? std::to_string(*o.rcvbuf) : "auto";
  ctx["tcp_nodelay_pingpong"] = o.nodelay ? "1" : "0";
  ctx["verify"] = o.verify ? "1" : "0";
  ctx["path"] = "loopback";
  ctx["flow_trigger"] = o.edge_triggered ? "edge" : "level";
  ctx["open_loop_arrivals"] = o.arrival == arrivals::constant ? "constant" : "poisson";
  const auto& offered = kernel_paths();
  std::string missing;
  for (const auto& [name, there] :
       {std::pair{"sendmmsg/recvmmsg", offered.batches}, std::pair{"UDP_SEGMENT", offered.segmentation},
        std::pair{"UDP_GRO", offered.coalescing}, std::pair{"SO_ZEROCOPY", offered.zerocopy},
        std::pair{"SO_BUSY_POLL", offered.busy_poll}})
    if (!there) missing += (missing.empty() ? "" : " ") + std::string(name);
  ctx["fast_paths_unsupported"] = missing;  // their benchmarks are left out
#if SOCKLAB_BENCH_URING
  const auto& ring = uring_paths();
  ctx["io_uring_unsupported"] = ring.complete() ? "" : ring.why_not;
#else
  ctx["io_uring_unsupported"] = "socklab-bench was built without liburing";
#endif
  if (!o.plant_family.empty())
    ctx["planted_slowdown"] = o.plant_family + ":" + std::to_string(std::lround(o.plant_fraction * 100));
  return ctx;
}

std::vector<bench_case> cases_for(const options& o) {
  std::vector<bench_case> all;
  for (auto&& family : {stream_cases(o.sweep), dgram_cases(o.sweep), pingpong_cases(o.sweep),
                        open_loop_cases(o.sweep), flows_cases(o.sweep), connect_cases(o.sweep)})
    all.insert(all.end(), family.begin(), family.end());
#if SOCKLAB_BENCH_URING
  auto rings = uring_cases(o.sweep);
  all.insert(all.end(), rings.begin(), rings.end());
#endif
  const std::regex pattern(o.filter, std::regex::ECMAScript);
  std::vector<bench_case> chosen;
  for (auto& c : all)
    if (std::regex_search(c.id.name(), pattern)) chosen.push_back(std::move(c));
  return chosen;
}

int run_local(const options& o) {
  set_current(o);
  std::vector<bench_case> cases;
  try {
    cases = cases_for(o);
  } catch (const std::regex_error& e) {
    std::cerr << "socklab-bench: --filter=" << o.filter << ": not a regular expression (" << e.what()
              << ")\n";
    return 2;
  }
  if (o.list) {
    for (const auto& c : cases) std::cout << c.id.name() << '\n';
    return 0;
  }
  if (cases.empty()) {
    std::cerr << "socklab-bench: no benchmark matched the filter\n";
    return 2;
  }
  if (plan().main_cpu) pin_current_thread(*plan().main_cpu);
#if !defined(MSG_NOSIGNAL)
  std::signal(SIGPIPE, SIG_IGN);  // the raw twin has no per-call flag there (socklab sets SO_NOSIGPIPE)
#endif
  const auto s = schedule_of(o);
  auto context = context_of(o);
  std::cerr << "socklab-bench: " << cases.size() << " benchmarks, " << s.rep_seconds << " s repetitions, "
            << s.min_reps << "-" << s.max_reps << " each (seed " << s.seed << ")\n";
  const auto results =
      run_schedule(cases, s, [](const std::string& line) { std::cerr << "socklab-bench: " << line << '\n'; });
  const auto doc = results_document(std::move(context), results, s, o.overhead_threshold);
  print_results(std::cout, doc);
  const auto written = [](const std::string& path, const std::function<std::string()>& text) {
    if (path.empty()) return true;
    try {
      harness::write_file_atomically(path, text());
      return true;
    } catch (const std::exception& e) {
      std::cerr << "socklab-bench: cannot write " << path << ": " << e.what() << '\n';
      return false;
    }
  };
  if (!written(o.out, [&] { return doc.dump(1) + "\n"; }) ||
      !written(o.samples, [&] { return samples_text(results, o.samples.ends_with(".csv")); }))
    return 2;
  const auto failed =
      std::count_if(results.begin(), results.end(), [](const case_result& r) { return !r.error.empty(); });
  if (failed > 0) {
    std::cerr << "socklab-bench: " << failed << " benchmark(s) failed\n";
    return 1;
  }
  return 0;
}

int run(int argc, char** argv) {
  options o;
  try {
    o = parse_options(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::cerr << "socklab-bench: " << e.what() << '\n';
    return 2;
  }
  if (o.help) {
    std::cout << usage();
    return 0;
  }
  if (o.serve && !o.remote.empty()) {
    std::cerr << "socklab-bench: --serve and --peer=HOST:PORT are the two ends: give one\n";
    return 2;
  }
  for (const auto& [flag, path] : {std::pair{"--out", o.out}, std::pair{"--samples", o.samples}}) {
    if (path.empty()) continue;
    if (const auto why = harness::unwritable_reason(path); !why.empty()) {
      std::cerr << "socklab-bench: " << flag << "=" << path << ": " << why << '\n';
      return 2;
    }
  }
  std::optional<remote::auth_key> key;
  try {
    if (!o.auth_key.empty()) key = remote::load_key(o.auth_key);
    if (!o.serve && !o.allow.empty()) throw std::invalid_argument("--allow is for --serve");
    if (!o.serve && o.remote.empty() && key)
      throw std::invalid_argument("--auth-key is for --serve and --peer=HOST:PORT");
  } catch (const std::invalid_argument& e) {
    std::cerr << "socklab-bench: " << e.what() << '\n';
    return 2;
  }
  if (o.serve) {
    remote::serve_options s{.bind = o.bind,
                            .port = o.port,
                            .clients = o.serve_clients,
                            .key = key,
                            .allow = {},
                            .max_duration_s = o.max_duration_s,
                            .max_rate_bps = o.max_rate_bps,
                            .max_tests = o.max_tests};
    try {
      if (!o.allow.empty()) s.allow = remote::parse_allow(o.allow);
    } catch (const std::invalid_argument& e) {
      std::cerr << "socklab-bench: " << e.what() << '\n';
      return 2;
    }
    return remote::serve(s);
  }
  if (!o.remote.empty()) {
    remote::client_options c;
    c.server = o.remote;
    c.key = key;
    c.repetitions = o.fixed_repetitions.value_or(6);  // the fewest that give a 95 % interval
    c.out = o.out;
    try {
      c.tests = o.tests.empty() ? remote::default_tests(o.sweep == profile::quick, o.duration_s, o.rate_bps)
                                : remote::parse_tests(o.tests, o.duration_s, o.rate_bps);
    } catch (const std::invalid_argument& e) {
      std::cerr << "socklab-bench: " << e.what() << '\n';
      return 2;
    }
    return remote::run_client(c);
  }
  return run_local(o);
}

}  // namespace
}  // namespace socklab::bench

int main(int argc, char** argv) { return socklab::bench::run(argc, argv); }
