// SPDX-License-Identifier: MIT
#include "remote/server.hpp"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

#include "remote/protocol.hpp"
#include "run_context.hpp"
#include "socklab/json_framing.hpp"
#include "socklab/socklab.hpp"
#include "support/loops.hpp"

namespace socklab::bench::remote {
namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto idle_limit = 30s;  // a client silent this long on the control connection is dropped
constexpr auto data_wait = 10s;   // the longest any single data-phase call may block

// A client that broke the rules of the session (not of a test): told why, then disconnected.
struct session_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What a data phase received, as a sink of the shared peer loops: every call is bounded by the
// socket's timeout and the whole phase by its deadline, whatever the client does. With a rate cap
// (--max-rate), it reads no faster than the cap: TCP's flow control then slows the sender.
struct tally {
  tally(const test_request& t, std::uint64_t cap_bps)
      : deadline(clock::now() +
                 std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(t.duration_s)) +
                 data_wait),
        cap_bps(cap_bps) {}
  clock::time_point deadline;
  std::uint64_t cap_bps;
  std::uint64_t bytes = 0;
  std::uint64_t messages = 0;
  std::uint64_t foreign = 0;  // connections or datagrams from other sources, refused
  clock::time_point first{}, last{};
  thread_cost start = thread_cost::now();
  thread_cost elsewhere{};                  // a second thread's cost (bidir: the receiving one)
  std::optional<std::uint64_t> sent_bytes;  // what the server sent, in tests where it sends
  double sent_seconds = 0;

  void got(std::size_t n, std::span<const std::byte> /*data*/) {
    last = clock::now();
    if (last > deadline) throw std::runtime_error("the data phase ran past its time limit");
    if (messages++ == 0) first = last;
    bytes += n;
    if (cap_bps) {  // pacing, not synchronisation: the owner's limit on what a client may send
      const auto due = first + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(
                                   8.0 * static_cast<double>(bytes) / static_cast<double>(cap_bps)));
      std::this_thread::sleep_until(std::min(due, deadline));
    }
  }
  static bool marker(std::span<const std::byte> /*datagram*/) { return false; }
  // A timeout here is the client going silent: an error, not an idle moment.
  template <class F>
  static auto patiently(F&& io) -> std::optional<decltype(io())> {
    return io();
  }
  static bool stop_requested() { return false; }

  /// What `sent`, the tally of this test's sending, counted.
  void add_sent(const tally& sent) {
    sent_bytes = sent.bytes;
    sent_seconds = std::chrono::duration<double>(sent.last - sent.first).count();
  }

  nlohmann::json result() const {
    const auto cost = thread_cost::now() - start + elsewhere;
    auto r = message("result", {{"bytes", bytes},
                                {"messages", messages},
                                {"seconds", std::chrono::duration<double>(last - first).count()},
                                {"foreign", foreign},
                                {"cpu_user_s", cost.user_s},
                                {"cpu_sys_s", cost.system_s},
                                {"voluntary_switches", cost.voluntary_switches},
                                {"involuntary_switches", cost.involuntary_switches},
                                {"syscalls", cost.syscalls}});
    if (sent_bytes) {
      r["sent_bytes"] = *sent_bytes;
      r["sent_seconds"] = sent_seconds;
    }
    return r;
  }
};

// What the server owner allows one test; the client is told the limit it ran into.
void check_limits(const test_request& t, const serve_options& o, int tests_run) {
  if (o.max_tests && tests_run >= o.max_tests)
    throw std::invalid_argument("this server allows " + std::to_string(o.max_tests) +
                                " tests per client (--max-tests)");
  if (t.duration_s > o.max_duration_s) {
    std::ostringstream m;
    m << "this server allows tests of at most " << o.max_duration_s
      << " s (--max-duration); this one asks for " << t.duration_s << " s";
    throw std::invalid_argument(m.str());
  }
  if (o.max_rate_bps && (t.rate_bps == 0 || t.rate_bps > o.max_rate_bps))
    throw std::invalid_argument(
        "this server allows at most " + std::to_string(o.max_rate_bps) +
        " bit/s per test (--max-rate); ask with --rate=" + std::to_string(o.max_rate_bps) + " or less" +
        (t.rate_bps ? "" : " (this test asks for no limit)"));
}

// The data connection: the first from the control connection's host. Others are closed at once and
// counted; the listener closes as soon as the client is in, so later arrivals are refused by the
// kernel.
socket admit_stream(socket& listener, const address& peer, tally& c) {
  const auto admit_by = clock::now() + data_wait;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(admit_by - clock::now());
    if (left <= 0ms)
      throw std::runtime_error("no data connection from " + host_of(peer) + " within 10 s (" +
                               std::to_string(c.foreign) + " from other hosts refused)");
    listener.settimeout(left);
    try {
      auto [conn, from] = listener.accept();
      if (same_host(from, peer)) return std::move(conn);
      ++c.foreign;  // `conn` closes here
    } catch (const timeout_error&) {
      // the loop's deadline says what happened
    }
  }
}

// tcp_stream_reverse and _bidir: sends for the test's duration (paced to the cap, as reads are),
// then ends its direction; in bidir a second thread receives meanwhile. Both end at the client's
// end of file, so the client has had everything the server counted.
void send_for_the_duration(socket& data, std::span<std::byte> buf, const test_request& t, tally& received,
                           std::uint64_t cap_bps) {
  std::future<thread_cost> receiving;
  if (client_sends(t.family))
    receiving = std::async(std::launch::async, [&] {
      const auto c0 = thread_cost::now();
      receive_stream<via_socklab>(data, buf, received);
      return thread_cost::now() - c0;
    });
  tally sent(t, cap_bps);
  const auto msg = pattern(t.size);
  const auto end =
      clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(t.duration_s));
  try {
    send_counted<via_socklab>(data, msg, sent, until{end});
    data.shutdown(shut::wr);
  } catch (...) {
    if (receiving.valid()) receiving.wait();  // bounded: its reads time out after data_wait
    throw;
  }
  if (receiving.valid()) {
    received.elsewhere = receiving.get();
  } else {
    receive_stream<via_socklab>(data, buf, received);  // nothing comes but the end of the stream
  }
  received.add_sent(sent);
}

tally run_stream(socket& control, const address& peer, const address& local, const test_request& t,
                 std::uint64_t cap_bps) {
  socket listener(family_of(local), type::stream);
  apply_buffers(listener, t);
  listener.bind(with_port(local, 0));
  listener.listen(4);
  send_json(control, message("ready", {{"port", port_of(listener.getsockname())}}));
  tally c(t, cap_bps);
  auto data = admit_stream(listener, peer, c);
  listener.close();
  data.settimeout(data_wait);
  if (t.family == "tcp_pingpong") data.setsockopt(option::tcp_nodelay, 1);
  buffer buf(t.size);
  if (t.family == "tcp_pingpong") {
    echo_stream<via_socklab>(data, buf, c);
  } else if (!server_sends(t.family)) {
    receive_stream<via_socklab>(data, buf, c);
  } else {
    send_for_the_duration(data, buf, t, c, cap_bps);
  }
  return c;
}

socket bound_dgram(const address& local, int port) {
  socket s(family_of(local), type::dgram);
  s.setsockopt(option::reuse_addr, 1);  // the data socket and the catch-all share one port
  s.bind(with_port(local, port));
  return s;
}

// Datagrams have no end of file, so this loop also watches the control connection for the
// client's "done"; it is the one data-phase loop of its own. The data socket is connected to the
// client's announced data socket, so the kernel hands it nothing else and it can send nowhere
// else; a catch-all socket bound to the same port receives what other sources send, to count it.
tally run_datagrams(socket& control, const address& peer, const address& local, const test_request& t,
                    std::uint64_t cap_bps) {
  if (!t.data_port)
    throw std::invalid_argument(
        "a datagram test must announce 'data_port', the port of the client's data socket");
  auto data = bound_dgram(local, 0);
  apply_buffers(data, t);
  data.connect(with_port(peer, *t.data_port));
  const auto port = port_of(data.getsockname());
  auto others = bound_dgram(local, port);
  send_json(control, message("ready", {{"port", port}}));
  tally c(t, cap_bps);
  data.setblocking(false);
  others.setblocking(false);
  buffer buf(t.size + 1);
  const bool echo = t.family == "udp_pingpong";
  std::optional<clock::time_point> done_at;
  for (;;) {
    if (clock::now() > c.deadline) throw std::runtime_error("the data phase ran past its time limit");
    // After "done", datagrams still in flight get 200 ms of silence to arrive.
    if (done_at && clock::now() - *done_at > 200ms) break;
    pollfd p[3] = {{data.fileno(), POLLIN, 0}, {others.fileno(), POLLIN, 0}, {control.fileno(), POLLIN, 0}};
    if (::poll(p, done_at ? 2 : 3, 50) < 0 && errno != EINTR)
      throw std::system_error(errno, std::system_category(), "poll");
    if (p[0].revents & (POLLIN | POLLERR)) {
      // An error here (ECONNREFUSED after the client closed its socket) only ends this drain.
      while (auto n = data.try_recv_into(buf)) {
        c.got(*n, {});
        if (echo) (void)data.try_send(std::span(buf).first(*n));
        if (done_at) done_at = clock::now();
      }
    }
    if (p[1].revents & POLLIN)
      while (others.try_recv_into(buf)) ++c.foreign;
    if (!done_at && (p[2].revents & (POLLIN | POLLHUP))) {
      const auto m = recv_json(control, control_max_frame);
      if (!m || check_envelope(*m) != "done") throw std::runtime_error("expected 'done' after the datagrams");
      done_at = clock::now();
    }
  }
  return c;
}

// How one client's session went, for its log line.
struct client_log {
  std::string auth = "unauthenticated";
  int tests = 0;
  std::uint64_t foreign = 0;
  std::string outcome = "closed";
};

// The next message, or nullopt at end of file. A frame over the limit or cut short throws
// protocol_error: the stream cannot be trusted after it.
std::optional<nlohmann::json> next_message(socket& control) {
  const auto frame = recv_frame(control, control_max_frame);
  if (!frame) return std::nullopt;
  return decode_json(*frame);
}

// hello (and, with a key, auth/welcome). Throws session_error when the client fails it.
void greet(socket& control, const serve_options& o, client_log& log) {
  const auto hello = next_message(control);
  if (!hello) throw session_error("closed before its hello");
  if (const auto type = check_envelope(*hello); type != "hello")
    throw session_error("expected 'hello' first, got '" + type + "'");
  const auto client_nonce = hex_field(*hello, "nonce");
  const auto server_nonce = fresh_nonce();
  send_json(control, message("hello", {{"context", harness::run_context()},
                                       {"nonce", server_nonce},
                                       {"auth", o.key ? "hmac-sha256" : "none"}}));
  if (!o.key) return;
  const auto auth = next_message(control);
  if (!auth) throw session_error("closed before authenticating");
  if (const auto type = check_envelope(*auth); type != "auth")
    throw session_error("this server requires authentication (--auth-key); got '" + type + "'");
  if (!proof_matches(*o.key, role::client, client_nonce, server_nonce, hex_field(*auth, "proof"))) {
    log.auth = "authentication failed";
    throw session_error("authentication failed: the client's proof does not match this server's key");
  }
  log.auth = "authenticated";
  send_json(control,
            message("welcome", {{"proof", proof(*o.key, role::server, client_nonce, server_nonce)}}));
}

void serve_client(socket& control, const address& peer, const address& local, const serve_options& o,
                  client_log& log) {
  control.settimeout(idle_limit);
  try {
    greet(control, o, log);
  } catch (const std::invalid_argument& e) {  // a malformed hello: the session cannot start
    throw session_error(e.what());
  } catch (const protocol_error& e) {
    throw session_error(e.what());
  }
  for (;;) {
    const auto frame = recv_frame(control, control_max_frame);
    if (!frame) return;
    try {
      const auto m = decode_json(*frame);
      const auto type = check_envelope(m);
      if (type == "bye") {
        log.outcome = "bye";
        return;
      }
      if (type != "test") throw std::invalid_argument("unknown message type '" + type + "'");
      const auto t = parse_test(m);
      check_limits(t, o, log.tests);
      ++log.tests;
      const auto cap = o.max_rate_bps ? t.rate_bps : 0;
      const auto c = is_datagram(t.family) ? run_datagrams(control, peer, local, t, cap)
                                           : run_stream(control, peer, local, t, cap);
      log.foreign += c.foreign;
      send_json(control, c.result());
    } catch (const std::invalid_argument& e) {
      send_json(control, message("error", {{"message", e.what()}}));  // the control stream is intact
    } catch (const protocol_error& e) {
      send_json(control, message("error", {{"message", e.what()}}));  // a whole frame of bad JSON
    } catch (const std::exception& e) {
      send_json(control, message("error", {{"message", std::string("test failed: ") + e.what()}}));
    }
  }
}

}  // namespace

int serve(const serve_options& o) {
  address local;
  socket listener;
  try {
    const auto host = o.bind.find(':') != std::string::npos ? "[" + o.bind + "]" : o.bind;
    local = parse_address(host + ":" + std::to_string(o.port));
    server_options so;
    so.backlog = 1;
    listener = create_server(local, so);
    local = listener.getsockname();
  } catch (const std::exception& e) {
    std::cerr << "socklab-bench: --serve on " << o.bind << " port " << o.port << ": " << e.what() << '\n';
    return 2;
  }
  std::cout << "socklab-bench: serving on " << to_string(local) << " (protocol " << protocol_version
            << (o.key ? ", clients authenticate" : "") << ")" << std::endl;  // flushed: a script waits for it
  for (int served = 0; o.clients == 0 || served < o.clients;) {
    auto [control, from] = listener.accept();
    if (!allowed(o.allow, from)) {
      std::cerr << "socklab-bench: client " << to_string(from) << ": refused, not in --allow\n";
      continue;  // `control` closes unread
    }
    ++served;
    client_log log;
    try {
      serve_client(control, from, local, o, log);
    } catch (const session_error& e) {
      log.outcome = e.what();
      try {
        send_json(control, message("error", {{"message", e.what()}}));
      } catch (const std::exception&) {
        // the client is gone already; the log line says why it was dropped
      }
    } catch (const std::exception& e) {
      // A client that breaks the protocol or vanishes costs its own connection, nothing more.
      log.outcome = std::string("dropped: ") + e.what();
    }
    std::cerr << "socklab-bench: client " << to_string(from) << ": " << log.auth << ", " << log.tests
              << " tests, " << log.foreign
              << " foreign connections or datagrams refused, ended: " << log.outcome << '\n';
  }
  return 0;
}

}  // namespace socklab::bench::remote
