// SPDX-License-Identifier: MIT
// Many flows (TCP and AF_UNIX streams): F connections driven by T sending threads and T receiving
// threads, each thread with one readiness set over its share of the flows (support/flows.hpp),
// edge-triggered unless --trigger=level.
//   tcp_stream_flows, unix_stream_flows: a repetition sends `size`-byte messages, n in all, spread
//     over the sending threads and, within a thread, over whichever flows can take them; it lasts
//     until the receivers have every byte (each flow's checked against what was sent on it). It
//     reports the aggregate rate, the slowest and fastest flow's rate, and Jain's fairness index of
//     what the flows carried.
//   tcp_rr_flows: TCP_RR over many flows (neper's tcp_rr): one `size`-byte request in flight per
//     flow, echoed by the far end; n transactions a repetition; transactions per second, their
//     round-trip percentiles, and the fairness of the transactions per flow. With one thread a side, the
//     sender is
// the measuring thread and the receiver runs on the peer's CPU, as in every other family; with more,
// every thread may run on any CPU: T threads pinned to one CPU a side measured scheduler
// starvation, not sockets (2 x 8 TCP flows moved 0.4 Gbit/s pinned, 20 Gbit/s unpinned, in one
// run). CPU per operation sums every thread of each side.
#include <sys/resource.h>

#include <algorithm>
#include <thread>

#include "families.hpp"
#include "socklab/selector.hpp"
#include "support/fairness.hpp"
#include "support/flows.hpp"
#include "support/twins.hpp"

namespace socklab::bench {
namespace {

// Enough descriptors for 2 per flow (both ends live in this process) plus the rest of the run.
void ensure_descriptors(std::size_t flows) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  const rlim_t wanted = 2 * flows + 256;
  if (lim.rlim_cur >= wanted) return;
  if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < wanted)
    throw std::runtime_error(std::to_string(flows) + " flows need " + std::to_string(wanted) +
                             " descriptors; the hard limit is " + std::to_string(lim.rlim_max));
  lim.rlim_cur = wanted;
  if (::setrlimit(RLIMIT_NOFILE, &lim) != 0)
    throw std::system_error(errno, std::system_category(), "setrlimit");
}

// One thread a side: the peer's CPU for the receiver (the sender is the measuring thread, pinned
// already). More: any CPU.
void place_flow_thread(std::size_t threads, std::optional<int> cpu) {
  if (threads == 1 && cpu) {
    pin_current_thread(*cpu);
  } else {
    unpin_current_thread(plan().usable);
  }
}

template <class Io>
class flows_session final : public session {
 public:
  flows_session(std::size_t size, family f, std::size_t flows, std::size_t threads, bool request_response)
      : size_(size),
        msg_(pattern(size)),
        progress_(flows),
        sent_per_flow_(flows, 0),
        edge_(current().edge_triggered),
        request_response_(request_response) {
    ensure_descriptors(flows);
    std::vector<std::vector<socket>> far(threads);
    std::vector<std::vector<std::size_t>> flow_of(threads);
    mine_.resize(threads);
    for (std::size_t i = 0; i < flows; ++i) {
      auto pair = stream_pair(f, /*nodelay=*/false);
      pair.near.setblocking(false);
      pair.far.setblocking(false);
      near_.push_back(std::move(pair.near));
      far[i % threads].push_back(std::move(pair.far));
      flow_of[i % threads].push_back(i);
      mine_[i % threads].push_back(i);
    }
    for (std::size_t t = 0; t < threads; ++t) {
      sending_.push_back(Io::new_readiness());
      for (const auto i : mine_[t]) Io::watch(sending_.back(), near_[i], i, !request_response_, edge_);
    }
    for (std::size_t t = 0; t < threads; ++t)
      receivers_.emplace_back(
          [this, t, threads, size, socks = std::move(far[t]), keys = std::move(flow_of[t])]() mutable {
            try {
              place_flow_thread(threads, plan().peer_cpu);
              auto r = Io::new_readiness();
              for (std::size_t k = 0; k < socks.size(); ++k)
                Io::watch(r, socks[k], k, /*writing=*/false, edge_);
              buffer buf(std::max<std::size_t>(size, 65536));
              receive_flows<Io>(t, r, socks, keys, buf, edge_, request_response_, stop_, progress_);
            } catch (...) {
              progress_.failed(std::current_exception());
            }
          });
  }

  ~flows_session() override { stop_receivers(); }
  flows_session(const flows_session&) = delete;
  flows_session& operator=(const flows_session&) = delete;

  sample measure(std::uint64_t n) override {
    const std::size_t threads = mine_.size();
    std::vector<std::uint64_t> before(near_.size());
    for (std::size_t i = 0; i < before.size(); ++i) before[i] = progress_.flow(i);
    progress_.ask_costs(threads);
    const auto receivers_before = progress_.costs(current().watchdog);
    sent_ += n * size_;  // requests, for request/response: the far end counts each as it echoes it
    std::vector<thread_cost> cost(threads);
    std::vector<std::exception_ptr> failure(threads);
    std::vector<latency_histogram> round_trips(request_response_ ? threads : 0);
    const auto work = [&](std::size_t t) {
      try {
        const auto c0 = thread_cost::now();
        const std::uint64_t share = n / threads + (t < n % threads ? 1 : 0);
        if (request_response_) {
          buffer reply(size_);
          request_flows<Io>(sending_[t], near_, mine_[t], sent_per_flow_, msg_, reply, share, edge_,
                            round_trips[t], current().watchdog);
        } else {
          send_flows<Io>(sending_[t], near_, mine_[t], sent_per_flow_, msg_, share * size_, edge_,
                         current().watchdog);
        }
        cost[t] = thread_cost::now() - c0;
      } catch (...) {
        failure[t] = std::current_exception();
      }
    };
    const auto t0 = clock::now();
    if (threads == 1) {
      work(0);
    } else {
      std::vector<std::jthread> senders;
      for (std::size_t t = 0; t < threads; ++t)
        senders.emplace_back([&, t] {
          place_flow_thread(threads, std::nullopt);
          work(t);
        });
    }
    for (const auto& e : failure)
      if (e) std::rethrow_exception(e);
    progress_.await(sent_, current().watchdog);
    const auto t1 = clock::now();
    progress_.ask_costs(threads);
    const auto receivers_after = progress_.costs(current().watchdog);

    thread_cost near;
    for (const auto& c : cost) near = near + c;
    sample s{n, seconds_between(t0, t1), near, receivers_after - receivers_before, {}, -1};
    // What each flow carried: bytes (streams) or transactions (request/response), checked flow by
    // flow against what the far end counted, not just in total.
    const std::uint64_t unit = request_response_ ? size_ : 1;
    std::vector<std::uint64_t> carried(near_.size());
    for (std::size_t i = 0; i < carried.size(); ++i) {
      carried[i] = (progress_.flow(i) - before[i]) / unit;
      if (progress_.flow(i) != sent_per_flow_[i] * unit)
        throw std::runtime_error("flow " + std::to_string(i) + ": the far end counted " +
                                 std::to_string(progress_.flow(i)) + " bytes of the " +
                                 std::to_string(sent_per_flow_[i] * unit) + " sent on it");
    }
    const auto [least, most] = std::minmax_element(carried.begin(), carried.end());
    const double secs = s.seconds;
    s.counters = {{"bytes_per_second", static_cast<double>(n * size_) / secs},
                  {"items_per_second", static_cast<double>(n) / secs},
                  {"fairness_jain", jain_index(std::span<const std::uint64_t>(carried))}};
    if (request_response_) {
      latency_histogram all;
      for (const auto& h : round_trips) all.merge(h);
      const auto percentiles = percentiles_us(all);
      s.counters.insert(s.counters.end(), percentiles.begin(), percentiles.end());
      s.counters.insert(s.counters.end(), {{"flow_min_items_per_second", static_cast<double>(*least) / secs},
                                           {"flow_max_items_per_second", static_cast<double>(*most) / secs}});
    } else {
      s.counters.insert(s.counters.end(), {{"flow_min_bytes_per_second", static_cast<double>(*least) / secs},
                                           {"flow_max_bytes_per_second", static_cast<double>(*most) / secs}});
    }
    return s;
  }

  std::string finish() override {
    for (auto& s : near_) s.close();  // each receiver sees its flows end
    stop_receivers();
    return "";
  }

 private:
  void stop_receivers() {
    stop_.store(true);
    for (auto& t : receivers_)
      if (t.joinable()) t.join();  // each wakes within flow_wait_slice and sees the stop
  }

  std::size_t size_;
  buffer msg_;
  flow_progress progress_;
  // Per flow, written by its sending thread only: bytes sent (streams) or transactions done.
  std::vector<std::uint64_t> sent_per_flow_;
  bool edge_;
  bool request_response_;
  std::vector<socket> near_;
  std::vector<std::vector<std::size_t>> mine_;  // per sending thread: its flows
  std::vector<typename Io::readiness> sending_;
  std::atomic<bool> stop_{false};
  std::uint64_t sent_ = 0;
  std::vector<std::thread> receivers_;  // last: they use everything above
};

}  // namespace

std::vector<bench_case> flows_cases(profile p) {
  const bool quick = p == profile::quick;
  struct shape {
    std::int64_t flows, threads;
  };
  std::vector<shape> shapes;
  if (current().flows) {
    shapes = {{*current().flows, current().threads.value_or(1)}};
  } else if (quick) {  // the main job's: the target shape (one flow is tcp_stream)
    shapes = {{64, 2}};
  } else {
    shapes = {{1, 1}, {2, 2}, {8, 2}, {64, 1}, {64, 2}, {1000, 2}};
  }
  struct kind {
    const char* name;
    family f;
    std::int64_t size;
    bool request_response;
  };
  std::vector<bench_case> out;
  for (const auto& k : {kind{"tcp_stream_flows", family::inet, 16384, false},
                        kind{"unix_stream_flows", family::unix_domain, 16384, false},
                        kind{"tcp_rr_flows", family::inet, 64, true}}) {
    if (quick && !current().flows && k.f == family::unix_domain) continue;
    for (const auto& s : shapes)
      add_twin_pair<flows_session>(
          out, bench_id{k.name, "", k.size, {{"flows", s.flows}, {"threads", s.threads}}}, k.f,
          static_cast<std::size_t>(s.flows), static_cast<std::size_t>(s.threads), k.request_response);
  }
  return out;
}

}  // namespace socklab::bench
