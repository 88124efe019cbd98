// SPDX-License-Identifier: MIT
// Connection churn, one new TCP connection per operation (items_per_second = connections/s):
//   tcp_connect: the peer accepts and closes it at once; the client sees that close (end of file)
//                and closes too.
//   tcp_crr:     connect, request, response, close (netperf's and neper's TCP_CRR): the client
//                sends `size` bytes, the peer reads them, sends them back and closes; the client
//                reads the reply and the close. The peer closing first keeps TIME_WAIT on its side,
//                off the client's ephemeral ports, as a server's close does.
// Both report items_per_cpu_second: connections per CPU second of both ends together.
#include <algorithm>

#include "families.hpp"
#include "support/loops.hpp"
#include "support/twins.hpp"

namespace socklab::bench {
namespace {

template <class Io>
class connect_session final : public session {
 public:
  explicit connect_session(std::size_t size) : request_(pattern(size)), reply_(size) {
    socket listener(family::inet, type::stream);
    listener.bind(ipv4_address::loopback());
    listener.listen(128);
    set_watchdog(listener.fileno());  // an idle acceptor wakes now and then to see whether to stop
    to_ = target::of(listener);
    peer_.emplace(start_peer(std::move(listener), [size](peer_context& ctx) {
      buffer buf(size);
      accept_connections<Io>(ctx.sock, buf, ctx);
    }));
  }

  sample measure(std::uint64_t n) override {
    peer_->expect_messages(accepted_ += n);
    const auto c0 = thread_cost::now();
    const auto t0 = clock::now();
    connect_cycles<Io>(to_, request_, reply_, count{n});
    const auto t1 = clock::now();
    const auto c1 = thread_cost::now();
    const auto seen = peer_->acknowledged(current().watchdog);
    if (seen.messages != accepted_)
      throw std::runtime_error("the peer accepted " + std::to_string(seen.messages) + " of " +
                               std::to_string(accepted_) + " connections");
    if (!std::equal(reply_.begin(), reply_.end(), request_.begin()))
      throw std::runtime_error("the reply differs from the request");
    sample s{n, seconds_between(t0, t1), c1 - c0, seen.cost - last_.cost, {}, -1};
    last_ = seen;
    s.counters = {{"items_per_second", static_cast<double>(n) / s.seconds}};
    if (const double cpu = s.near.cpu_s() + s.far.cpu_s(); cpu > 0)
      s.counters.emplace_back("items_per_cpu_second", static_cast<double>(n) / cpu);
    return s;
  }

  std::string finish() override {
    peer_->request_stop();
    try {
      via_socklab::connect_cycle(to_, request_, reply_);  // wakes the acceptor, which then sees the request
    } catch (const std::exception&) {
      // a peer that died accepts nothing: join() says what became of it
    }
    return peer_->join(join_limit());
  }

 private:
  buffer request_;
  buffer reply_;
  target to_;
  std::optional<peer_runner> peer_;
  std::uint64_t accepted_ = 0;
  peer_report last_;
};

}  // namespace

std::vector<bench_case> connect_cases(profile p) {
  std::vector<bench_case> out;
  add_twins<connect_session>(out, "tcp_connect", {});
  add_twins<connect_session>(
      out, "tcp_crr",
      p == profile::quick ? std::vector<std::int64_t>{1} : std::vector<std::int64_t>{1, 1024});
  return out;
}

}  // namespace socklab::bench
