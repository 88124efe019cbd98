// SPDX-License-Identifier: MIT
// socklab::uring on Linux, through liburing: the ring, its registered and provided buffers.
#include <liburing.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <bit>
#include <cerrno>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "posix.hpp"
#include "socklab/uring.hpp"

namespace socklab {
namespace {

constexpr std::uint16_t provided_group = 0;

[[noreturn]] void fail(int negated_errno, const char* operation) {
  throw_error(std::error_code(-negated_errno, std::generic_category()), operation);
}

// thread_syscalls() counts io_uring_enter: liburing makes it unless there is nothing to submit
// and enough completions are there already.
void count_enter(io_uring& ring, unsigned min) {
  if (io_uring_sq_ready(&ring) > 0 || io_uring_cq_ready(&ring) < min) ++sys::calls_made;
}

// io_uring_submit_and_wait_timeout ends its wait at a signal; PEP 475 goes on with the time left.
int wait_for_completions(io_uring& ring, unsigned min, std::optional<std::chrono::nanoseconds> timeout) {
  using clock = std::chrono::steady_clock;
  const auto deadline = timeout ? clock::now() + *timeout : clock::time_point::max();
  for (;;) {
    count_enter(ring, min);
    io_uring_cqe* first = nullptr;
    int rc = 0;
    if (!timeout) {
      rc = io_uring_submit_and_wait_timeout(&ring, &first, min, nullptr, nullptr);
    } else {
      const auto left = std::max(std::chrono::nanoseconds(0), deadline - clock::now());
      __kernel_timespec ts{};
      ts.tv_sec = std::chrono::duration_cast<std::chrono::seconds>(left).count();
      ts.tv_nsec = (left % std::chrono::seconds(1)).count();
      rc = io_uring_submit_and_wait_timeout(&ring, &first, min, &ts, nullptr);
    }
    if (rc != -EINTR) return rc;
  }
}

}  // namespace

struct uring::state {
  explicit state(unsigned entries) {
    if (const int rc = io_uring_queue_init(entries, &ring, 0); rc < 0) fail(rc, "uring");
  }
  state(const state&) = delete;
  state& operator=(const state&) = delete;

  io_uring ring{};
  bool registered = false;
  // Provided buffers: the ring of descriptors the kernel takes them from, and the memory itself.
  io_uring_buf_ring* buffer_ring = nullptr;
  std::size_t buffer_ring_bytes = 0;
  std::unique_ptr<std::byte[]> pool;
  std::uint16_t count = 0;
  std::size_t size = 0;

  ~state() {
    if (buffer_ring != nullptr) {
      io_uring_unregister_buf_ring(&ring, provided_group);
      munmap(buffer_ring, buffer_ring_bytes);
    }
    io_uring_queue_exit(&ring);
  }

  io_uring_sqe* next() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    if (sqe == nullptr) {
      count_enter(ring, 0);
      if (const int rc = io_uring_submit(&ring); rc < 0) fail(rc, "uring submit");
      sqe = io_uring_get_sqe(&ring);
      if (sqe == nullptr) fail(-EBUSY, "uring submit");
    }
    return sqe;
  }
  static void finish(io_uring_sqe* sqe, std::uint64_t tag, chain c) {
    io_uring_sqe_set_data64(sqe, tag);
    if (c == chain::linked) sqe->flags |= IOSQE_IO_LINK;
  }
};

uring::uring(unsigned entries) : state_(std::make_unique<state>(entries)) {}

uring::~uring() = default;
uring::uring(uring&& other) noexcept = default;
uring& uring::operator=(uring&& other) noexcept = default;

void uring::register_buffers(std::span<const std::span<std::byte>> buffers) {
  if (buffers.empty()) throw std::invalid_argument("uring register_buffers: no buffers");
  if (state_->registered) fail(-EBUSY, "uring register_buffers");
  std::vector<iovec> iov;
  iov.reserve(buffers.size());
  for (const auto b : buffers) iov.push_back({b.data(), b.size()});
  if (const int rc = io_uring_register_buffers(&state_->ring, iov.data(), static_cast<unsigned>(iov.size()));
      rc < 0)
    fail(rc, "uring register_buffers");
  state_->registered = true;
}

void uring::provide_buffers(std::uint16_t count, std::size_t size) {
  if (count == 0 || count > 32768 || !std::has_single_bit(count))
    throw std::invalid_argument("uring provide_buffers: the count must be a power of two up to 32768, not " +
                                std::to_string(count));
  if (size == 0 || size > (1U << 31))
    throw std::invalid_argument("uring provide_buffers: a buffer of 0 bytes or over 2 GiB");
  auto& st = *state_;
  if (st.buffer_ring != nullptr) fail(-EBUSY, "uring provide_buffers");
  const std::size_t ring_bytes = count * sizeof(io_uring_buf);
  void* mem = mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) fail(-errno, "uring provide_buffers");
  auto* br = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uintptr_t>(br);
  reg.ring_entries = count;
  reg.bgid = provided_group;
  if (const int rc = io_uring_register_buf_ring(&st.ring, &reg, 0); rc < 0) {
    munmap(mem, ring_bytes);
    fail(rc, "uring provide_buffers");
  }
  st.buffer_ring = br;
  st.buffer_ring_bytes = ring_bytes;
  st.pool = std::make_unique<std::byte[]>(count * size);
  st.count = count;
  st.size = size;
  io_uring_buf_ring_init(br);
  for (std::uint16_t id = 0; id < count; ++id)
    io_uring_buf_ring_add(br, st.pool.get() + id * size, static_cast<unsigned>(size), id,
                          io_uring_buf_ring_mask(count), id);
  io_uring_buf_ring_advance(br, count);
}

std::span<const std::byte> uring::provided(std::uint16_t id, std::size_t bytes) const {
  const auto& st = *state_;
  if (id >= st.count || bytes > st.size)
    throw std::out_of_range("uring provided: buffer " + std::to_string(id) + " of " +
                            std::to_string(st.count) + ", " + std::to_string(bytes) + " bytes of " +
                            std::to_string(st.size));
  return {st.pool.get() + id * st.size, bytes};
}

void uring::give_back(std::uint16_t id) {
  auto& st = *state_;
  if (id >= st.count) throw std::out_of_range("uring give_back: no provided buffer " + std::to_string(id));
  io_uring_buf_ring_add(st.buffer_ring, st.pool.get() + id * st.size, static_cast<unsigned>(st.size), id,
                        io_uring_buf_ring_mask(st.count), 0);
  io_uring_buf_ring_advance(st.buffer_ring, 1);
}

void uring::send(const socket& s, std::span<const std::byte> data, std::uint64_t tag, chain c) {
  auto* sqe = state_->next();
  io_uring_prep_send(sqe, s.fileno(), data.data(), data.size(), MSG_NOSIGNAL | MSG_WAITALL);
  state::finish(sqe, tag, c);
}

void uring::recv(const socket& s, std::span<std::byte> buffer, std::uint64_t tag, chain c) {
  auto* sqe = state_->next();
  io_uring_prep_recv(sqe, s.fileno(), buffer.data(), buffer.size(), 0);
  state::finish(sqe, tag, c);
}

void uring::send_registered(const socket& s, std::span<const std::byte> data, unsigned index,
                            std::uint64_t tag, chain c) {
  auto* sqe = state_->next();
  io_uring_prep_send_zc_fixed(sqe, s.fileno(), data.data(), data.size(), MSG_NOSIGNAL | MSG_WAITALL, 0,
                              index);
  state::finish(sqe, tag, c);
}

void uring::recv_registered(const socket& s, std::span<std::byte> buffer, unsigned index, std::uint64_t tag,
                            chain c) {
  auto* sqe = state_->next();
  io_uring_prep_read_fixed(sqe, s.fileno(), buffer.data(), static_cast<unsigned>(buffer.size()), 0,
                           static_cast<int>(index));
  state::finish(sqe, tag, c);
}

void uring::recv_multishot(const socket& s, std::uint64_t tag) {
  if (state_->buffer_ring == nullptr) throw std::logic_error("uring recv_multishot: no provided buffers");
  auto* sqe = state_->next();
  io_uring_prep_recv_multishot(sqe, s.fileno(), nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = provided_group;
  state::finish(sqe, tag, chain::none);
}

std::size_t uring::submit() {
  count_enter(state_->ring, 0);
  const int rc = io_uring_submit(&state_->ring);
  if (rc < 0) fail(rc, "uring submit");
  return static_cast<std::size_t>(rc);
}

result<std::size_t> uring::try_wait(std::span<uring_completion> out, std::size_t min,
                                    std::optional<std::chrono::nanoseconds> timeout) noexcept {
  auto& ring = state_->ring;
  min = std::min(min, out.size());
  const int rc =
      min > 0 ? wait_for_completions(ring, static_cast<unsigned>(min), timeout) : io_uring_submit(&ring);
  if (rc < 0 && rc != -ETIME) return std::error_code(-rc, std::generic_category());
  std::size_t n = 0;
  std::array<io_uring_cqe*, 64> batch{};
  while (n < out.size()) {
    const unsigned got = io_uring_peek_batch_cqe(
        &ring, batch.data(), static_cast<unsigned>(std::min(batch.size(), out.size() - n)));
    if (got == 0) break;
    for (unsigned i = 0; i < got; ++i) {
      const io_uring_cqe* cqe = batch[i];
      auto& done = out[n++];
      done.tag = io_uring_cqe_get_data64(cqe);
      done.result = cqe->res;
      done.more = (cqe->flags & IORING_CQE_F_MORE) != 0;
      done.notification = (cqe->flags & IORING_CQE_F_NOTIF) != 0;
      done.buffer.reset();
      if ((cqe->flags & IORING_CQE_F_BUFFER) != 0)
        done.buffer = static_cast<std::uint16_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
    }
    io_uring_cq_advance(&ring, got);
  }
  return n;
}

std::size_t uring::wait(std::span<uring_completion> out, std::size_t min,
                        std::optional<std::chrono::nanoseconds> timeout) {
  return try_wait(out, min, timeout).value_or_throw("uring wait");
}

uring_support probe_uring() {
  uring_support s;
  io_uring ring{};
  if (const int rc = io_uring_queue_init(4, &ring, 0); rc < 0) {
    s.why_not = std::string("io_uring_setup: ") + std::generic_category().message(-rc);
    return s;
  }
  s.rings = true;
  if (io_uring_probe* p = io_uring_get_probe_ring(&ring)) {
    s.registered_buffers =
        io_uring_opcode_supported(p, IORING_OP_READ_FIXED) && io_uring_opcode_supported(p, IORING_OP_SEND_ZC);
    io_uring_free_probe(p);
  }
  io_uring_queue_exit(&ring);
  if (!s.registered_buffers) s.why_not = "IORING_OP_SEND_ZC: not offered by this kernel";
  // Multishot receive has no opcode of its own: try it on a socket pair.
  try {
    auto [a, b] = socketpair();
    uring r(4);
    r.provide_buffers(2, 16);
    r.recv_multishot(b, 1);
    const std::array<std::byte, 1> one{std::byte{1}};
    if (::send(a.fileno(), one.data(), one.size(), MSG_NOSIGNAL) != 1) return s;
    std::array<uring_completion, 2> got{};
    const auto n = r.wait(got, 1, std::chrono::seconds(1));
    s.multishot_receive = n == 1 && got[0].result == 1 && got[0].more && got[0].buffer.has_value();
    if (!s.multishot_receive && s.why_not.empty())
      s.why_not = "multishot receive: " + (n == 0 ? std::string("no completion") : got[0].error().message());
  } catch (const std::exception& e) {
    if (s.why_not.empty()) s.why_not = std::string("multishot receive: ") + e.what();
  }
  return s;
}

}  // namespace socklab
