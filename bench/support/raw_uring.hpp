// SPDX-License-Identifier: MIT
// The raw twin of socklab::uring: the operations the uring benchmarks use, as liburing calls made
// by hand, so that socklab's ring is measured against the bare one. Same member names, so the
// loops (uring_loops.hpp) are written once for both.
#pragma once

#include <liburing.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "engine/cost.hpp"
#include "socklab/socket.hpp"
#include "socklab/uring.hpp"

namespace socklab::bench {

class raw_ring {
 public:
  explicit raw_ring(unsigned entries = 64) {
    check(io_uring_queue_init(entries, &ring_, 0), "io_uring_queue_init");
  }
  ~raw_ring() {
    if (provided_ != nullptr) {
      io_uring_unregister_buf_ring(&ring_, 0);
      munmap(provided_, count_ * sizeof(io_uring_buf));
    }
    io_uring_queue_exit(&ring_);
  }
  raw_ring(const raw_ring&) = delete;
  raw_ring& operator=(const raw_ring&) = delete;

  void register_buffers(std::span<const std::span<std::byte>> buffers) {
    std::vector<iovec> iov;
    for (const auto b : buffers) iov.push_back({b.data(), b.size()});
    check(io_uring_register_buffers(&ring_, iov.data(), static_cast<unsigned>(iov.size())),
          "io_uring_register_buffers");
  }

  void provide_buffers(std::uint16_t count, std::size_t size) {
    void* mem = mmap(nullptr, count * sizeof(io_uring_buf), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap");
    provided_ = static_cast<io_uring_buf_ring*>(mem);
    count_ = count;
    size_ = size;
    pool_.resize(count * size);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uintptr_t>(provided_);
    reg.ring_entries = count;
    check(io_uring_register_buf_ring(&ring_, &reg, 0), "io_uring_register_buf_ring");
    io_uring_buf_ring_init(provided_);
    for (std::uint16_t id = 0; id < count; ++id)
      io_uring_buf_ring_add(provided_, pool_.data() + id * size, static_cast<unsigned>(size), id, count - 1,
                            id);
    io_uring_buf_ring_advance(provided_, count);
  }
  std::span<const std::byte> provided(std::uint16_t id, std::size_t bytes) const {
    return {pool_.data() + id * size_, bytes};
  }
  void give_back(std::uint16_t id) {
    io_uring_buf_ring_add(provided_, pool_.data() + id * size_, static_cast<unsigned>(size_), id, count_ - 1,
                          0);
    io_uring_buf_ring_advance(provided_, 1);
  }

  void send(const socket& s, std::span<const std::byte> data, std::uint64_t tag, chain c = chain::none) {
    auto* sqe = next();
    io_uring_prep_send(sqe, s.fileno(), data.data(), data.size(), MSG_NOSIGNAL | MSG_WAITALL);
    finish(sqe, tag, c);
  }
  void send_registered(const socket& s, std::span<const std::byte> data, unsigned index, std::uint64_t tag,
                       chain c = chain::none) {
    auto* sqe = next();
    io_uring_prep_send_zc_fixed(sqe, s.fileno(), data.data(), data.size(), MSG_NOSIGNAL | MSG_WAITALL, 0,
                                index);
    finish(sqe, tag, c);
  }
  void recv_registered(const socket& s, std::span<std::byte> buffer, unsigned index, std::uint64_t tag,
                       chain c = chain::none) {
    auto* sqe = next();
    io_uring_prep_read_fixed(sqe, s.fileno(), buffer.data(), static_cast<unsigned>(buffer.size()), 0,
                             static_cast<int>(index));
    finish(sqe, tag, c);
  }
  void recv_multishot(const socket& s, std::uint64_t tag) {
    auto* sqe = next();
    io_uring_prep_recv_multishot(sqe, s.fileno(), nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 0;
    finish(sqe, tag, chain::none);
  }

  std::size_t wait(std::span<uring_completion> out, std::size_t min,
                   std::optional<std::chrono::nanoseconds> timeout) {
    io_uring_cqe* first = nullptr;
    __kernel_timespec ts{};
    if (timeout) {
      ts.tv_sec = std::chrono::duration_cast<std::chrono::seconds>(*timeout).count();
      ts.tv_nsec = (*timeout % std::chrono::seconds(1)).count();
    }
    int rc = 0;
    do {  // a signal ends the wait early: wait again (the raw twin does not shorten the timeout)
      count_enter(static_cast<unsigned>(min));
      rc = io_uring_submit_and_wait_timeout(&ring_, &first, static_cast<unsigned>(min),
                                            timeout ? &ts : nullptr, nullptr);
    } while (rc == -EINTR);
    if (rc < 0 && rc != -ETIME) check(rc, "io_uring_submit_and_wait_timeout");
    std::array<io_uring_cqe*, 64> cqes{};
    const unsigned n = io_uring_peek_batch_cqe(&ring_, cqes.data(),
                                               static_cast<unsigned>(std::min(out.size(), cqes.size())));
    for (unsigned i = 0; i < n; ++i) {
      const auto* cqe = cqes[i];
      out[i] = {io_uring_cqe_get_data64(cqe), cqe->res, std::nullopt, (cqe->flags & IORING_CQE_F_MORE) != 0,
                (cqe->flags & IORING_CQE_F_NOTIF) != 0};
      if ((cqe->flags & IORING_CQE_F_BUFFER) != 0)
        out[i].buffer = static_cast<std::uint16_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
    }
    io_uring_cq_advance(&ring_, n);
    return n;
  }

 private:
  static void check(int rc, const char* op) {
    if (rc < 0) throw std::system_error(-rc, std::generic_category(), op);
  }
  // Counted as socklab::uring counts: liburing enters the kernel unless nothing is to be submitted
  // and enough completions are there already.
  void count_enter(unsigned min) {
    if (io_uring_sq_ready(&ring_) > 0 || io_uring_cq_ready(&ring_) < min) ++raw_syscalls;
  }
  io_uring_sqe* next() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {
      count_enter(0);
      check(io_uring_submit(&ring_), "io_uring_submit");
      sqe = io_uring_get_sqe(&ring_);
    }
    if (sqe == nullptr) throw std::system_error(EBUSY, std::generic_category(), "io_uring_get_sqe");
    return sqe;
  }
  static void finish(io_uring_sqe* sqe, std::uint64_t tag, chain c) {
    io_uring_sqe_set_data64(sqe, tag);
    if (c == chain::linked) sqe->flags |= IOSQE_IO_LINK;
  }

  io_uring ring_{};
  io_uring_buf_ring* provided_ = nullptr;
  std::uint16_t count_ = 0;
  std::size_t size_ = 0;
  std::vector<std::byte> pool_;
};

}  // namespace socklab::bench
