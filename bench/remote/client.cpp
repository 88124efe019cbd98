// SPDX-License-Identifier: MIT
#include "remote/client.hpp"

#include <chrono>
#include <iostream>
#include <sstream>
#include <thread>

#include "run_context.hpp"
#include "socklab/socklab.hpp"
#include "support/histogram.hpp"

namespace socklab::bench::remote {
namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto call_limit = 10s;  // the longest any single data-phase call may block

// What one repetition measured on this side, next to the server's counts.
struct measured {
  std::uint64_t sent_messages = 0;
  double seconds = 0;
  latency_histogram rtt;  // ping-pong round trips that were answered
};

clock::time_point end_after(double seconds) {
  return clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
}

measured run_stream(const address& data_at, const test_request& t) {
  socket s(family_of(data_at), type::stream);
  apply_buffers(s, t);
  s.settimeout(call_limit);
  s.connect(data_at);
  std::vector<std::byte> msg(t.size, std::byte{0x5a});
  measured m;
  const auto start = clock::now();
  const auto end = end_after(t.duration_s);
  if (t.family == "tcp_stream") {
    while (clock::now() < end) {
      s.sendall(msg);
      ++m.sent_messages;
    }
  } else {
    s.setsockopt(option::tcp_nodelay, 1);
    std::vector<std::byte> back(t.size);
    while (clock::now() < end) {
      const auto sent_at = clock::now();
      s.sendall(msg);
      for (std::size_t got = 0; got < t.size;) {
        const auto n = s.recv_into(std::span(back).subspan(got));
        if (n == 0) throw std::runtime_error("the server closed during a round trip");
        got += n;
      }
      m.rtt.record(static_cast<std::uint64_t>(std::chrono::nanoseconds(clock::now() - sent_at).count()));
      ++m.sent_messages;
    }
  }
  m.seconds = std::chrono::duration<double>(clock::now() - start).count();
  s.shutdown(shut::wr);
  if (t.family == "tcp_pingpong") {
    std::byte b;
    (void)s.recv_into(std::span(&b, 1));  // the server's EOF: it has counted everything
  }
  return m;
}

measured run_datagrams(socket& control, const address& data_at, const test_request& t) {
  socket s(family_of(data_at), type::dgram);
  apply_buffers(s, t);
  s.connect(data_at);
  std::vector<std::byte> msg(t.size, std::byte{0x5a});
  measured m;
  const auto start = clock::now();
  const auto end = end_after(t.duration_s);
  if (t.family == "udp_stream") {
    // Paced when a rate is given (sleep_until between sends: pacing, not synchronisation).
    const auto gap = t.rate_bps ? std::chrono::nanoseconds(static_cast<std::int64_t>(
                                      8e9 * static_cast<double>(t.size) / static_cast<double>(t.rate_bps)))
                                : std::chrono::nanoseconds(0);
    auto next = clock::now();
    while (clock::now() < end) {
      if (gap.count() > 0) {
        next += gap;
        std::this_thread::sleep_until(next);
      }
      if (s.try_send(msg)) ++m.sent_messages;  // ENOBUFS and the like: a datagram not sent
    }
  } else {
    s.settimeout(1s);
    std::vector<std::byte> back(t.size + 1);
    while (clock::now() < end) {
      const auto sent_at = clock::now();
      s.send(msg);
      ++m.sent_messages;
      try {
        (void)s.recv_into(back);
        m.rtt.record(static_cast<std::uint64_t>(std::chrono::nanoseconds(clock::now() - sent_at).count()));
      } catch (const timeout_error&) {
        // unanswered within a second: counted as lost (sent, never recorded)
      }
    }
  }
  m.seconds = std::chrono::duration<double>(clock::now() - start).count();
  send_json(control, message("done", {{"sent", m.sent_messages}}));
  return m;
}

nlohmann::json expect(socket& control, const std::string& type) {
  auto reply = recv_json(control, control_max_frame);
  if (!reply) throw std::runtime_error("the server closed the control connection");
  const auto got = check_envelope(*reply);
  if (got == "error")
    throw std::runtime_error("server: " + reply->value("message", std::string("(no message)")));
  if (got != type) throw std::runtime_error("expected '" + type + "' from the server, got '" + got + "'");
  return *reply;
}

template <class T>
T number(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_number())
    throw std::runtime_error(std::string("server result lacks ") + key);
  return j[key].get<T>();
}

std::string row_name(const test_request& t) {
  return t.family + "/socklab/" + std::to_string(t.size) + "/real_time";
}

// What every Google Benchmark "iteration" row of repetition `rep` of test `index` carries.
nlohmann::json row_header(const test_request& t, int rep, int reps, std::size_t index) {
  return {{"name", row_name(t)},
          {"family_index", index},
          {"per_family_instance_index", 0},
          {"run_name", row_name(t)},
          {"run_type", "iteration"},
          {"repetitions", reps},
          {"repetition_index", rep},
          {"threads", 1},
          {"time_unit", "ns"}};
}

// The row of a repetition that ran: this side's measurement next to the server's counts.
nlohmann::json row(const test_request& t, int rep, int reps, std::size_t index, const measured& m,
                   const nlohmann::json& result) {
  auto r = row_header(t, rep, reps, index);
  const auto iterations = std::max<std::uint64_t>(m.sent_messages, 1);
  r["iterations"] = iterations;
  r["real_time"] = r["cpu_time"] = m.seconds * 1e9 / static_cast<double>(iterations);
  r["label"] = "remote";
  const auto bytes = number<std::uint64_t>(result, "bytes");
  const auto messages = number<std::uint64_t>(result, "messages");
  const auto seconds = number<double>(result, "seconds");
  r["server_bytes"] = bytes;
  r["server_messages"] = messages;
  if (t.family == "tcp_stream" || t.family == "udp_stream") {
    // Where the data arrived: the server's count over the server's first-to-last interval.
    r["bytes_per_second"] = seconds > 0 ? static_cast<double>(bytes) / seconds : 0.0;
    r["send_bytes_per_second"] = static_cast<double>(m.sent_messages * t.size) / m.seconds;
    r["items_per_second"] = seconds > 0 ? static_cast<double>(messages) / seconds : 0.0;
  } else {
    r["items_per_second"] = static_cast<double>(m.rtt.count()) / m.seconds;
    for (const auto& [key, q] :
         {std::pair{"p50_us", 0.5}, {"p90_us", 0.9}, {"p99_us", 0.99}, {"p999_us", 0.999}})
      r[key] = static_cast<double>(m.rtt.quantile(q)) / 1000.0;
    r["max_us"] = static_cast<double>(m.rtt.max()) / 1000.0;
  }
  if (is_datagram(t.family)) {
    // Arrived: at the server for a stream, back here for ping-pong.
    const auto arrived = t.family == "udp_stream" ? messages : m.rtt.count();
    r["datagrams_sent"] = m.sent_messages;
    r["loss_ratio"] =
        m.sent_messages ? 1.0 - static_cast<double>(arrived) / static_cast<double>(m.sent_messages) : 0.0;
  } else if (bytes != m.sent_messages * t.size) {
    throw std::runtime_error("the server counted " + std::to_string(bytes) + " of " +
                             std::to_string(m.sent_messages * t.size) + " bytes sent");
  }
  return r;
}

}  // namespace

std::vector<test_request> default_tests(bool quick, double duration_s, std::uint64_t rate_bps) {
  const std::string list = quick ? "tcp_stream:65536,udp_stream:1472,tcp_pingpong:1,udp_pingpong:1"
                                 : "tcp_stream:1448,tcp_stream:65536,tcp_stream:1048576,udp_stream:64,"
                                   "udp_stream:1472,udp_stream:8192,tcp_pingpong:1,tcp_pingpong:4096,"
                                   "udp_pingpong:1,udp_pingpong:1472";
  return parse_tests(list, duration_s, rate_bps);
}

std::vector<test_request> parse_tests(const std::string& list, double duration_s, std::uint64_t rate_bps) {
  std::vector<test_request> tests;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    const auto colon = item.find(':');
    if (colon == std::string::npos) throw std::invalid_argument("--tests: '" + item + "' is not FAMILY:SIZE");
    std::size_t used = 0;
    long long size = -1;
    try {
      size = std::stoll(item.substr(colon + 1), &used);
    } catch (const std::exception&) {
    }
    if (used == 0 || used != item.size() - colon - 1)
      throw std::invalid_argument("--tests: '" + item + "' has no whole-number size");
    nlohmann::json request = {{"family", item.substr(0, colon)},
                              {"size", size},
                              {"duration_s", duration_s},
                              {"rate_bps", rate_bps}};
    try {
      tests.push_back(parse_test(request));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("--tests: " + std::string(e.what()));
    }
  }
  if (tests.empty()) throw std::invalid_argument("--tests: no test given");
  return tests;
}

int run_client(const client_options& o) {
  socket control;
  address server;
  nlohmann::json server_context;
  try {
    server = parse_address(o.server);
    (void)with_port(server, 0);  // an IP address, not a path
    control = create_connection(server, call_limit);
    send_json(control, message("hello", {{"context", harness::run_context()}}));
    server_context = expect(control, "hello").value("context", nlohmann::json::object());
  } catch (const std::exception& e) {
    std::cerr << "socklab-bench: --peer=" << o.server << ": " << e.what() << '\n';
    return 2;
  }
  nlohmann::json rows = nlohmann::json::array();
  int failures = 0;
  control.settimeout(std::chrono::seconds(90));  // the longest test (60 s) plus its drain
  for (std::size_t i = 0; i < o.tests.size(); ++i) {
    const auto& t = o.tests[i];
    for (int rep = 0; rep < o.repetitions; ++rep) {
      const auto name = row_name(t);
      try {
        send_json(control, to_json(t));
        const auto ready = expect(control, "ready");
        const auto data_at = with_port(server, number<int>(ready, "port"));
        const auto m = is_datagram(t.family) ? run_datagrams(control, data_at, t) : run_stream(data_at, t);
        rows.push_back(row(t, rep, o.repetitions, i, m, expect(control, "result")));
        std::cerr << "socklab-bench: " << name << " repetition " << rep + 1 << " done\n";
      } catch (const std::exception& e) {
        ++failures;
        std::cerr << "socklab-bench: " << name << ": " << e.what() << '\n';
        auto failed = row_header(t, rep, o.repetitions, i);
        failed.update({{"iterations", 0},
                       {"real_time", 0},
                       {"cpu_time", 0},
                       {"error_occurred", true},
                       {"error_message", e.what()}});
        rows.push_back(failed);
        if (dynamic_cast<const protocol_error*>(&e) || dynamic_cast<const error*>(&e)) break;
      }
    }
  }
  try {
    send_json(control, message("bye"));
  } catch (const std::exception&) {
    // the server may have dropped a broken connection already; the results stand
  }
  auto ctx = harness::run_context();
  ctx["path"] = "remote";
  ctx["peer_address"] = o.server;
  ctx["peer_context"] = server_context;
  ctx["remote_protocol"] = protocol_version;
  ctx["repetitions"] = o.repetitions;
  const nlohmann::json doc = {{"context", ctx},
                              {"benchmarks", rows},
                              {"socklab", {{"schema_version", 1}, {"remote", {{"server", o.server}}}}}};
  if (!o.out.empty()) {
    try {
      harness::write_file_atomically(o.out, doc.dump(2) + "\n");
    } catch (const std::exception& e) {
      std::cerr << "socklab-bench: " << e.what() << '\n';
      return 2;
    }
  }
  for (const auto& r : rows) {
    if (r.contains("error_occurred")) continue;
    std::cout << r["name"].get<std::string>() << " rep " << r["repetition_index"];
    for (const char* k : {"bytes_per_second", "loss_ratio", "p50_us", "p99_us"})
      if (r.contains(k)) std::cout << "  " << k << "=" << r[k].get<double>();
    std::cout << '\n';
  }
  return failures ? 1 : 0;
}

}  // namespace socklab::bench::remote
