// SPDX-License-Identifier: MIT
#include "remote/client.hpp"

#include <chrono>
#include <future>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "engine/output.hpp"
#include "run_context.hpp"
#include "socklab/json_framing.hpp"
#include "socklab/socklab.hpp"
#include "support/loops.hpp"

namespace socklab::bench::remote {
namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto call_limit = 10s;  // the longest any single data-phase call may block

// What the client received from a server that sends (tcp_stream_reverse, _bidir), as a sink of
// the shared receive loop.
struct arrivals {
  std::uint64_t bytes = 0;
  std::uint64_t messages = 0;
  clock::time_point first{}, last{};
  void got(std::size_t n, std::span<const std::byte> /*data*/) {
    last = clock::now();
    if (messages++ == 0) first = last;
    bytes += n;
  }
  static bool marker(std::span<const std::byte> /*datagram*/) { return false; }
  template <class F>
  static auto patiently(F&& io) -> std::optional<decltype(io())> {
    return io();  // the socket's timeout is an error here
  }
  double seconds() const { return std::chrono::duration<double>(last - first).count(); }
};

// What one repetition measured on this side, next to the server's counts.
struct measured {
  std::uint64_t sent_messages = 0;
  double seconds = 0;
  thread_cost cost;
  latency_histogram rtt;             // ping-pong round trips that were answered
  std::optional<arrivals> received;  // streams the server sends
};

clock::time_point end_after(double seconds) {
  return clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
}

// The data sockets leave from the control connection's own address: the server admits no other.
measured run_stream(const address& source, const address& data_at, const test_request& t) {
  socket s(family_of(data_at), type::stream);
  apply_buffers(s, t);
  s.bind(source);
  s.settimeout(call_limit);
  s.connect(data_at);
  const auto msg = pattern(t.size);
  measured m;
  const auto c0 = thread_cost::now();
  const auto start = clock::now();
  if (t.family == "tcp_pingpong") {
    s.setsockopt(option::tcp_nodelay, 1);
    buffer back(t.size);
    m.sent_messages = round_trips<via_socklab>(s, type::stream, msg, back, m.rtt, /*tolerate_loss=*/false,
                                               until{end_after(t.duration_s)})
                          .answered;
    m.seconds = std::chrono::duration<double>(clock::now() - start).count();
    m.cost = thread_cost::now() - c0;
    s.shutdown(shut::wr);
    std::byte b;
    (void)s.recv_into(std::span(&b, 1));  // the server's EOF: it has counted everything
    return m;
  }
  // The server's direction, if it sends, on a second thread: it ends at the server's end of file.
  std::future<std::pair<arrivals, thread_cost>> receiving;
  if (server_sends(t.family))
    receiving = std::async(std::launch::async, [&] {
      const auto r0 = thread_cost::now();
      arrivals a;
      buffer buf(t.size);
      receive_stream<via_socklab>(s, buf, a);
      return std::pair{a, thread_cost::now() - r0};
    });
  try {
    if (client_sends(t.family))
      m.sent_messages = send_stream<via_socklab>(s, msg, until{end_after(t.duration_s)});
    s.shutdown(shut::wr);
  } catch (...) {
    if (receiving.valid()) receiving.wait();  // bounded: its reads time out after call_limit
    throw;
  }
  thread_cost elsewhere;
  if (receiving.valid()) std::tie(m.received, elsewhere) = receiving.get();
  m.seconds = std::chrono::duration<double>(clock::now() - start).count();
  m.cost = thread_cost::now() - c0 + elsewhere;
  return m;
}

measured run_datagrams(socket& control, socket& s, const address& data_at, const test_request& t) {
  s.connect(data_at);
  const auto msg = pattern(t.size);
  measured m;
  const auto c0 = thread_cost::now();
  const auto start = clock::now();
  const auto end = end_after(t.duration_s);
  if (t.family == "udp_stream") {
    // Paced when a rate is given (sleep_until between sends: pacing, not synchronisation).
    const auto gap = t.rate_bps ? std::chrono::nanoseconds(static_cast<std::int64_t>(
                                      8e9 * static_cast<double>(t.size) / static_cast<double>(t.rate_bps)))
                                : std::chrono::nanoseconds(0);
    auto next = clock::now();
    const auto paced = [&](std::uint64_t) {
      if (gap.count() > 0) std::this_thread::sleep_until(next += gap);
      return clock::now() < end;
    };
    m.sent_messages = send_datagrams<via_socklab_lenient>(s, msg, nullptr, paced);
  } else {
    s.settimeout(1s);
    buffer back(t.size + 1);
    const auto c = round_trips<via_socklab>(s, type::dgram, msg, std::span(back).first(t.size), m.rtt,
                                            /*tolerate_loss=*/true, until{end});
    m.sent_messages = c.answered + c.lost;
  }
  m.seconds = std::chrono::duration<double>(clock::now() - start).count();
  m.cost = thread_cost::now() - c0;
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

// The server's own cost of the data phase (a server that does not report it costs nothing here).
thread_cost server_cost(const nlohmann::json& result) {
  thread_cost c;
  c.user_s = result.value("cpu_user_s", 0.0);
  c.system_s = result.value("cpu_sys_s", 0.0);
  c.voluntary_switches = result.value("voluntary_switches", std::uint64_t{0});
  c.involuntary_switches = result.value("involuntary_switches", std::uint64_t{0});
  c.syscalls = result.value("syscalls", std::uint64_t{0});
  return c;
}

// A repetition: this side's measurement next to the server's counts, as the shared writer's sample.
sample sample_of(const test_request& t, const measured& m, const nlohmann::json& result) {
  sample s;
  s.iterations = std::max<std::uint64_t>(m.sent_messages, 1);
  s.seconds = m.seconds;
  s.near = m.cost;
  s.far = server_cost(result);
  const auto bytes = number<std::uint64_t>(result, "bytes");
  const auto messages = number<std::uint64_t>(result, "messages");
  const auto seconds = number<double>(result, "seconds");
  auto& c = s.counters;
  c = {{"server_bytes", static_cast<double>(bytes)},
       {"server_messages", static_cast<double>(messages)},
       {"foreign_refused", static_cast<double>(result.value("foreign", std::uint64_t{0}))}};
  if (m.received) {
    // The server's direction: what it says it sent must all have arrived here.
    const auto sent = number<std::uint64_t>(result, "sent_bytes");
    const auto sent_seconds = number<double>(result, "sent_seconds");
    if (m.received->bytes != sent)
      throw std::runtime_error("the client received " + std::to_string(m.received->bytes) + " of " +
                               std::to_string(sent) + " bytes the server sent");
    const auto back = m.received->seconds() > 0 ? static_cast<double>(sent) / m.received->seconds() : 0.0;
    const auto forth = seconds > 0 ? static_cast<double>(bytes) / seconds : 0.0;
    s.iterations = std::max<std::uint64_t>(m.sent_messages + sent / t.size, 1);
    c.emplace_back("bytes_per_second", back + forth);
    c.emplace_back("reverse_bytes_per_second", back);
    c.emplace_back("send_bytes_per_second",
                   sent_seconds > 0 ? static_cast<double>(sent) / sent_seconds : 0.0);
    c.emplace_back("items_per_second", (back + forth) / static_cast<double>(t.size));
    if (client_sends(t.family)) c.emplace_back("forward_bytes_per_second", forth);
  } else if (t.family == "tcp_stream" || t.family == "udp_stream") {
    // Where the data arrived: the server's count over the server's first-to-last interval.
    c.emplace_back("bytes_per_second", seconds > 0 ? static_cast<double>(bytes) / seconds : 0.0);
    c.emplace_back("send_bytes_per_second", static_cast<double>(m.sent_messages * t.size) / m.seconds);
    c.emplace_back("items_per_second", seconds > 0 ? static_cast<double>(messages) / seconds : 0.0);
  } else {
    c.emplace_back("items_per_second", static_cast<double>(m.rtt.count()) / m.seconds);
    for (const auto& [key, q] :
         {std::pair{"p50_us", 0.5}, {"p90_us", 0.9}, {"p99_us", 0.99}, {"p999_us", 0.999}})
      c.emplace_back(key, static_cast<double>(m.rtt.quantile(q)) / 1000.0);
    c.emplace_back("max_us", static_cast<double>(m.rtt.max()) / 1000.0);
  }
  if (is_datagram(t.family)) {
    // Arrived: at the server for a stream, back here for ping-pong.
    const auto arrived = t.family == "udp_stream" ? messages : m.rtt.count();
    c.emplace_back("datagrams_sent", static_cast<double>(m.sent_messages));
    c.emplace_back(
        "loss_ratio",
        m.sent_messages ? 1.0 - static_cast<double>(arrived) / static_cast<double>(m.sent_messages) : 0.0);
  } else if (bytes != m.sent_messages * t.size) {
    throw std::runtime_error("the server counted " + std::to_string(bytes) + " of " +
                             std::to_string(m.sent_messages * t.size) + " bytes sent");
  }
  return s;
}

}  // namespace

std::vector<test_request> default_tests(bool quick, double duration_s, std::uint64_t rate_bps) {
  const std::string list =
      quick ? "tcp_stream:65536,tcp_stream_reverse:65536,tcp_stream_bidir:65536,"
              "udp_stream:1472,tcp_pingpong:1,udp_pingpong:1"
            : "tcp_stream:1448,tcp_stream:65536,tcp_stream:1048576,tcp_stream_reverse:65536,"
              "tcp_stream_bidir:65536,udp_stream:64,"
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

// hello, and the challenge-response when either side holds a key (remote/handshake.hpp); the
// server's context. A client with a key refuses a server that cannot prove it holds the same one.
nlohmann::json greet(socket& control, const std::optional<auth_key>& key) {
  const auto client_nonce = fresh_nonce();
  send_json(control, message("hello", {{"context", harness::run_context()}, {"nonce", client_nonce}}));
  const auto hello = expect(control, "hello");
  const auto server_nonce = hex_field(hello, "nonce");
  const bool wanted = requires_auth(hello);
  if (wanted && !key) throw std::runtime_error("the server requires authentication: give --auth-key=FILE");
  if (key && !wanted)
    throw std::runtime_error(
        "the server does not authenticate (it runs without --auth-key), so it cannot prove "
        "it holds this key");
  if (key) {
    send_json(control, message("auth", {{"proof", proof(*key, role::client, client_nonce, server_nonce)}}));
    const auto welcome = expect(control, "welcome");
    if (!proof_matches(*key, role::server, client_nonce, server_nonce, hex_field(welcome, "proof")))
      throw std::runtime_error("authentication failed: the server's proof does not match this key");
  }
  return hello.value("context", nlohmann::json::object());
}

int run_client(const client_options& o) {
  socket control;
  address server, source;
  nlohmann::json server_context;
  try {
    server = parse_address(o.server);
    (void)with_port(server, 0);  // an IP address, not a path
    control = create_connection(server, call_limit);
    source = with_port(control.getsockname(), 0);
    server_context = greet(control, o.key);
  } catch (const std::exception& e) {
    std::cerr << "socklab-bench: --peer=" << o.server << ": " << e.what() << '\n';
    return 2;
  }
  std::vector<case_result> results(o.tests.size());
  for (std::size_t i = 0; i < o.tests.size(); ++i) {
    const auto& t = o.tests[i];
    results[i].id = {t.family, "socklab", static_cast<std::int64_t>(t.size)};
    results[i].headline = headline_of(t.family);
  }
  control.settimeout(std::chrono::seconds(90));  // the longest test (60 s) plus its drain
  // Round by round, so that drift over the run lands on every test alike.
  for (int rep = 0; rep < o.repetitions; ++rep) {
    for (std::size_t i = 0; i < o.tests.size(); ++i) {
      const auto& t = o.tests[i];
      auto& r = results[i];
      if (!r.error.empty()) continue;  // a test that failed once is not run again
      try {
        auto request = t;
        std::optional<socket> dgram;  // a datagram test's socket, bound first: its port goes with the test
        if (is_datagram(t.family)) {
          dgram.emplace(family_of(server), type::dgram);
          apply_buffers(*dgram, t);
          dgram->bind(source);
          request.data_port = port_of(dgram->getsockname());
        }
        send_json(control, to_json(request));
        const auto ready = expect(control, "ready");
        const auto data_at = with_port(server, number<int>(ready, "port"));
        const auto m = dgram ? run_datagrams(control, *dgram, data_at, t) : run_stream(source, data_at, t);
        auto s = sample_of(t, m, expect(control, "result"));
        s.round = rep;
        r.samples.push_back(std::move(s));
        std::cerr << "socklab-bench: " << r.id.name() << " repetition " << rep + 1 << " done\n";
      } catch (const std::exception& e) {
        r.error = e.what();
        std::cerr << "socklab-bench: " << r.id.name() << ": " << e.what() << '\n';
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
  schedule plan;
  plan.min_reps = plan.max_reps = o.repetitions;
  plan.rep_seconds = o.tests.empty() ? 0 : o.tests.front().duration_s;
  plan.seed = 0;  // the order is fixed: test by test in each round
  auto doc = results_document(ctx, results, plan, 0.02);
  doc["socklab"]["remote"] = {{"server", o.server}};
  if (!o.out.empty()) {
    try {
      harness::write_file_atomically(o.out, doc.dump(1) + "\n");
    } catch (const std::exception& e) {
      std::cerr << "socklab-bench: " << e.what() << '\n';
      return 2;
    }
  }
  print_results(std::cout, doc);
  return std::any_of(results.begin(), results.end(), [](const case_result& r) { return !r.error.empty(); })
             ? 1
             : 0;
}

}  // namespace socklab::bench::remote
