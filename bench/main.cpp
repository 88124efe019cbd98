// SPDX-License-Identifier: MIT
// socklab-bench: Google Benchmark loopback families, each through socklab and through raw POSIX.
// Unlike Google Benchmark itself, it exits non-zero when a benchmark fails or nothing matched.
#include <benchmark/benchmark.h>
#include <sys/socket.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>

#include "families.hpp"
#include "overhead.hpp"
#include "remote/client.hpp"
#include "remote/server.hpp"
#include "run_context.hpp"
#include "support/harness.hpp"

namespace socklab::bench {
namespace {

// Counts failed runs while printing as usual, so that main can turn them into an exit status.
class checking_reporter : public benchmark::ConsoleReporter {
 public:
  // Colour only on a terminal: a custom display reporter does not get --benchmark_color applied.
  checking_reporter() : ConsoleReporter(::isatty(STDOUT_FILENO) ? OO_ColorTabular : OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs)
      if (r.error_occurred) ++errors;
    ConsoleReporter::ReportRuns(runs);
  }
  int errors = 0;
};

std::vector<std::string> profile_defaults(profile p) {
  if (p == profile::quick)
    return {"--benchmark_min_time=0.05", "--benchmark_repetitions=3",
            "--benchmark_enable_random_interleaving=true"};
  return {"--benchmark_min_time=0.5", "--benchmark_repetitions=6",
          "--benchmark_enable_random_interleaving=true"};
}

// The run's context as Google Benchmark custom context (strings only), without the keys that
// Google Benchmark writes itself.
void add_context(const options& o) {
  auto ctx = harness::run_context();
  for (const char* own : {"date", "host_name", "num_cpus"}) ctx.erase(own);
  for (const auto& [key, value] : ctx.items()) {
    if (key == "sysctls") {
      for (const auto& [name, v] : value.items())
        benchmark::AddCustomContext("sysctl." + name, v.get<std::string>());
    } else {
      benchmark::AddCustomContext(key, value.is_string() ? value.get<std::string>() : value.dump());
    }
  }
  benchmark::AddCustomContext("placement", to_string(o.where));
  benchmark::AddCustomContext("placement_effective", plan().effective);
  benchmark::AddCustomContext("peer_mode", to_string(o.peer));
  benchmark::AddCustomContext("profile", o.sweep == profile::quick ? "quick" : "full");
  socket probe(family::inet, type::stream);
  apply_socket_options(probe);
  benchmark::AddCustomContext("tcp_congestion", tcp_congestion_of(probe));
  benchmark::AddCustomContext("sndbuf", o.sndbuf ? std::to_string(*o.sndbuf) : "auto");
  benchmark::AddCustomContext("rcvbuf", o.rcvbuf ? std::to_string(*o.rcvbuf) : "auto");
  benchmark::AddCustomContext("tcp_nodelay_pingpong", o.nodelay ? "1" : "0");
  benchmark::AddCustomContext("verify", o.verify ? "1" : "0");
  benchmark::AddCustomContext("path", "loopback");
}

int run(int argc, char** argv) {
  options o;
  try {
    o = parse_options(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::cerr << "socklab-bench: " << e.what() << '\n';
    return 2;
  }
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h")
      std::cout << usage() << '\n';
  if (o.serve && !o.remote.empty()) {
    std::cerr << "socklab-bench: --serve and --peer=HOST:PORT are the two ends: give one\n";
    return 2;
  }
  if (!o.out.empty()) {
    if (const auto why = harness::unwritable_reason(o.out); !why.empty()) {
      std::cerr << "socklab-bench: --out=" << o.out << ": " << why << '\n';
      return 2;
    }
  }
  if (o.serve) return remote::serve({o.bind, o.port, o.serve_clients});
  if (!o.remote.empty()) {
    remote::client_options c;
    c.server = o.remote;
    c.repetitions = o.repetitions;
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
  set_current(o);
  if (plan().main_cpu) pin_current_thread(*plan().main_cpu);
#if !defined(MSG_NOSIGNAL)
  std::signal(SIGPIPE, SIG_IGN);  // the raw twin has no per-call flag there (socklab sets SO_NOSIGPIPE)
#endif

  // Profile defaults first, so that the user's own --benchmark_* flags override them.
  std::vector<std::string> args{argv[0]};
  for (auto& d : profile_defaults(o.sweep)) args.push_back(d);
  const std::string raw_json = o.out.empty() ? "" : o.out + ".gbench.tmp";
  if (!raw_json.empty()) {
    args.push_back("--benchmark_out=" + raw_json);
    args.push_back("--benchmark_out_format=json");
  }
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  std::vector<char*> gb_argv;
  gb_argv.reserve(args.size() + 1);
  for (auto& a : args) gb_argv.push_back(a.data());
  gb_argv.push_back(nullptr);
  int gb_argc = static_cast<int>(args.size());
  benchmark::Initialize(&gb_argc, gb_argv.data());
  if (benchmark::ReportUnrecognizedArguments(gb_argc, gb_argv.data())) return 2;

  add_context(o);
  register_stream_benchmarks(o.sweep);
  register_dgram_benchmarks(o.sweep);
  register_pingpong_benchmarks(o.sweep);
  register_connect_benchmarks(o.sweep);

  checking_reporter display;
  const auto ran = benchmark::RunSpecifiedBenchmarks(&display);
  benchmark::Shutdown();
  if (ran == 0) {
    (void)std::remove(raw_json.c_str());  // best effort: the error that follows is what matters
    std::cerr << "socklab-bench: no benchmark matched the filter\n";
    return 2;
  }
  if (!raw_json.empty()) {
    try {
      std::ifstream in(raw_json);
      const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      in.close();
      auto doc = parse_gbench_json(text);
      doc["socklab"] = {{"schema_version", 1}, {"overhead", overhead_table(doc)}};
      harness::write_file_atomically(o.out, doc.dump(2) + "\n");
      (void)std::remove(raw_json.c_str());  // its content now lives in o.out
      print_overhead(std::cout, doc["socklab"]["overhead"]);
    } catch (const std::exception& e) {
      (void)std::remove(raw_json.c_str());  // best effort: the error that follows is what matters
      std::cerr << "socklab-bench: cannot write " << o.out << ": " << e.what() << '\n';
      return 2;
    }
  }
  if (display.errors > 0) {
    std::cerr << "socklab-bench: " << display.errors << " benchmark run(s) reported an error\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace socklab::bench

int main(int argc, char** argv) { return socklab::bench::run(argc, argv); }
