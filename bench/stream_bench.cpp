// SPDX-License-Identifier: MIT
// One-way stream throughput (TCP and AF_UNIX): the measuring thread writes `size`-byte messages
// with sendall, the peer reads with the same buffer size (as iperf3 -l and the raw C anchors do),
// counts every byte and, with --verify, checksums them.
#include "families.hpp"
#include "support/harness.hpp"
#include "support/io.hpp"

namespace socklab::bench {
namespace {

template <class Io>
void stream_throughput(benchmark::State& st, family f) {
  guarded(st, [&] {
    const auto size = static_cast<std::size_t>(st.range(0));
    const bool verify = current().verify;
    auto pair = stream_pair(f, /*nodelay=*/false);
    auto peer = start_peer(std::move(pair.far), [size, verify](peer_context& ctx) {
      buffer buf(size);
      auto& r = ctx.result;
      clock::time_point first{}, last{};
      for (std::size_t n = Io::recv_some(ctx.sock, buf); n != 0; n = Io::recv_some(ctx.sock, buf)) {
        if (r.bytes == 0) first = clock::now();
        r.bytes += n;
        if (verify) r.checksum += byte_sum(std::span(buf).first(n));
        last = clock::now();
      }
      r.seconds = seconds_between(first, last);
    });
    const auto msg = pattern(size);
    // Warm-up outside the timed loop: connection start, window growth, first page faults.
    const std::size_t warm = std::max<std::size_t>(1, (std::size_t{256} << 10) / size);
    for (std::size_t i = 0; i < warm; ++i) Io::send_all(pair.near, msg);
    for (auto _ : st) Io::send_all(pair.near, msg);
    const auto sent_msgs = warm + static_cast<std::uint64_t>(st.iterations());
    pair.near.shutdown(shut::wr);
    const auto r = peer.join(join_limit());
    check_peer(r);
    if (r.bytes != sent_msgs * size)
      throw std::runtime_error("receiver counted " + std::to_string(r.bytes) + " of " +
                               std::to_string(sent_msgs * size) + " bytes");
    if (verify && r.checksum != byte_sum(msg) * sent_msgs)
      throw std::runtime_error("receiver checksum mismatch");
    st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(size));
    if (r.seconds > 0) st.counters["recv_bytes_per_second"] = static_cast<double>(r.bytes) / r.seconds;
  });
}

}  // namespace

void register_stream_benchmarks(profile p) {
  const bool quick = p == profile::quick;
  const std::vector<std::int64_t> tcp =
      quick ? std::vector<std::int64_t>{64, 4096, 65536, 1 << 20}
            : std::vector<std::int64_t>{64, 512, 4096, 16384, 65536, 262144, 1 << 20};
  const std::vector<std::int64_t> unix_sizes =
      quick ? std::vector<std::int64_t>{4096, 65536} : std::vector<std::int64_t>{64, 4096, 65536, 1 << 20};
  const auto fn = [](auto io, benchmark::State& st, family f) { stream_throughput<decltype(io)>(st, f); };
  register_twins("tcp_stream", fn, tcp, family::inet);
  register_twins("unix_stream", fn, unix_sizes, family::unix_domain);
}

}  // namespace socklab::bench
