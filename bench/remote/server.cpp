// SPDX-License-Identifier: MIT
#include "remote/server.hpp"

#include <poll.h>

#include <chrono>
#include <iostream>
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

// What a data phase received, as a sink of the shared peer loops: every call is bounded by the
// socket's timeout and the whole phase by its deadline, whatever the client does.
struct tally {
  explicit tally(const test_request& t)
      : deadline(clock::now() +
                 std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(t.duration_s)) +
                 data_wait) {}
  clock::time_point deadline;
  std::uint64_t bytes = 0;
  std::uint64_t messages = 0;
  clock::time_point first{}, last{};
  thread_cost start = thread_cost::now();

  void got(std::size_t n, std::span<const std::byte> /*data*/) {
    last = clock::now();
    if (last > deadline) throw std::runtime_error("the data phase ran past its time limit");
    if (messages++ == 0) first = last;
    bytes += n;
  }
  static bool marker(std::span<const std::byte> /*datagram*/) { return false; }
  // A timeout here is the client going silent: an error, not an idle moment.
  template <class F>
  static auto patiently(F&& io) -> std::optional<decltype(io())> {
    return io();
  }
  static bool stop_requested() { return false; }

  nlohmann::json result() const {
    const auto cost = thread_cost::now() - start;
    return message("result", {{"bytes", bytes},
                              {"messages", messages},
                              {"seconds", std::chrono::duration<double>(last - first).count()},
                              {"cpu_user_s", cost.user_s},
                              {"cpu_sys_s", cost.system_s},
                              {"voluntary_switches", cost.voluntary_switches},
                              {"involuntary_switches", cost.involuntary_switches},
                              {"syscalls", cost.syscalls}});
  }
};

tally run_stream(socket& control, const address& local, const test_request& t) {
  socket listener(family_of(local), type::stream);
  apply_buffers(listener, t);
  listener.bind(with_port(local, 0));
  listener.listen(1);
  send_json(control, message("ready", {{"port", port_of(listener.getsockname())}}));
  tally c(t);
  listener.settimeout(data_wait);
  auto [data, from] = listener.accept();
  data.settimeout(data_wait);
  if (t.family == "tcp_pingpong") data.setsockopt(option::tcp_nodelay, 1);
  buffer buf(t.size);
  if (t.family == "tcp_pingpong")
    echo_stream<via_socklab>(data, buf, c);
  else
    receive_stream<via_socklab>(data, buf, c);
  return c;
}

// Datagrams have no end of file, so this loop also watches the control connection for the
// client's "done"; it is the one data-phase loop of its own.
tally run_datagrams(socket& control, const address& local, const test_request& t) {
  socket data(family_of(local), type::dgram);
  apply_buffers(data, t);
  data.bind(with_port(local, 0));
  send_json(control, message("ready", {{"port", port_of(data.getsockname())}}));
  tally c(t);
  data.setblocking(false);
  buffer buf(t.size + 1);
  const bool echo = t.family == "udp_pingpong";
  std::optional<clock::time_point> done_at;
  for (;;) {
    if (clock::now() > c.deadline) throw std::runtime_error("the data phase ran past its time limit");
    // After "done", datagrams still in flight get 200 ms of silence to arrive.
    if (done_at && clock::now() - *done_at > 200ms) break;
    pollfd p[2] = {{data.fileno(), POLLIN, 0}, {control.fileno(), POLLIN, 0}};
    if (::poll(p, done_at ? 1 : 2, 50) < 0 && errno != EINTR)
      throw std::system_error(errno, std::system_category(), "poll");
    if (p[0].revents & POLLIN) {
      while (auto r = data.try_recvfrom_into(buf)) {
        c.got(r->nbytes, {});
        if (echo && r->addr) data.sendto(std::span(buf).first(r->nbytes), *r->addr);
        if (done_at) done_at = clock::now();
      }
    }
    if (!done_at && (p[1].revents & (POLLIN | POLLHUP))) {
      const auto m = recv_json(control, control_max_frame);
      if (!m || check_envelope(*m) != "done") throw std::runtime_error("expected 'done' after the datagrams");
      done_at = clock::now();
    }
  }
  return c;
}

void serve_client(socket control, const address& local) {
  control.settimeout(idle_limit);
  for (;;) {
    // An over-limit or cut-short frame throws protocol_error: the stream cannot be trusted after it.
    const auto frame = recv_frame(control, control_max_frame);
    if (!frame) return;
    std::string type;
    try {
      const auto m = decode_json(*frame);
      type = check_envelope(m);
      if (type == "hello") {
        send_json(control, message("hello", {{"context", harness::run_context()}}));
      } else if (type == "bye") {
        return;
      } else if (type == "test") {
        const auto t = parse_test(m);
        const auto c =
            is_datagram(t.family) ? run_datagrams(control, local, t) : run_stream(control, local, t);
        send_json(control, c.result());
      } else {
        throw std::invalid_argument("unknown message type '" + type + "'");
      }
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
  std::cout << "socklab-bench: serving on " << to_string(local) << " (protocol " << protocol_version << ")"
            << std::endl;  // flushed: a test or script waits for this line
  for (int served = 0; o.clients == 0 || served < o.clients; ++served) {
    auto [control, from] = listener.accept();
    std::cerr << "socklab-bench: client " << to_string(from) << '\n';
    try {
      serve_client(std::move(control), local);
    } catch (const std::exception& e) {
      // A client that breaks the protocol or vanishes costs its own connection, nothing more.
      std::cerr << "socklab-bench: client " << to_string(from) << " dropped: " << e.what() << '\n';
    }
  }
  return 0;
}

}  // namespace socklab::bench::remote
