// SPDX-License-Identifier: MIT
#include "socklab/socket_file.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace socklab {
namespace {

constexpr auto newline = std::byte{'\n'};

// Python: makefile's mode check ("invalid mode %r (only r, w, b allowed)"); "w" makes a file that
// does not read unless "r" is there too.
std::pair<bool, bool> reads_and_writes(std::string_view mode) {
  bool reads = false, writes = false;
  for (const char c : mode) {
    if (c == 'r')
      reads = true;
    else if (c == 'w')
      writes = true;
    else if (c != 'b')
      throw std::invalid_argument("makefile: invalid mode '" + std::string(mode) +
                                  "' (only r, w, b allowed)");
  }
  return {reads || !writes, writes};
}

std::size_t capacity_of(std::optional<std::size_t> buffering) {
  if (buffering == 0)
    throw std::invalid_argument(
        "makefile: buffering 0 (unbuffered) is not supported: use the socket's recv and send");
  return buffering.value_or(socket_file::default_buffer_size);
}

}  // namespace

socket_file::socket_file(socklab::socket&& s, std::string_view mode, std::optional<std::size_t> buffering)
    : capacity_(capacity_of(buffering)) {
  std::tie(reads_, writes_) = reads_and_writes(mode);
  socket_ = std::move(s);  // only once the arguments are good: a refused file leaves the socket alone
  if (reads_) in_.resize(capacity_);
}

// A moved-to file starts closed, so that the assignment has nothing of its own to flush.
socket_file::socket_file(socket_file&& other) noexcept : capacity_(other.capacity_), open_(false) {
  *this = std::move(other);
}

socket_file& socket_file::operator=(socket_file&& other) noexcept {
  if (this == &other) return *this;
  try {
    close();       // what this file still had buffered goes out before it is replaced
  } catch (...) {  // NOLINT(bugprone-empty-catch): as in the destructor
  }
  socket_ = std::move(other.socket_);
  capacity_ = other.capacity_;
  reads_ = other.reads_;
  writes_ = other.writes_;
  open_ = std::exchange(other.open_, false);
  timed_out_ = other.timed_out_;
  in_ = std::move(other.in_);
  in_pos_ = std::exchange(other.in_pos_, 0);
  in_end_ = std::exchange(other.in_end_, 0);
  out_ = std::move(other.out_);
  other.out_.clear();
  return *this;
}

socket_file::~socket_file() {
  try {
    close();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor cannot report; call close() first
  }
}

void socket_file::check_readable(const char* operation) const {
  if (!open_) throw std::invalid_argument(std::string(operation) + ": I/O operation on closed file");
  if (!reads_) throw std::invalid_argument(std::string(operation) + ": file not open for reading");
  if (timed_out_) throw_error(socklab_errc::read_after_timeout, operation);
}

std::size_t socket_file::receive(std::span<std::byte> into) {
  try {
    return socket_.recv_into(into);
  } catch (const timeout_error&) {
    timed_out_ = true;
    throw;
  }
}

bool socket_file::refill() {
  in_pos_ = 0;
  in_end_ = 0;
  in_end_ = receive(in_);
  return in_end_ > 0;
}

std::span<const std::byte> socket_file::buffered() const noexcept {
  return std::span(in_).subspan(in_pos_, in_end_ - in_pos_);
}

std::size_t socket_file::take(std::span<std::byte> into) noexcept {
  const auto n = std::min(into.size(), in_end_ - in_pos_);
  if (n > 0) std::memcpy(into.data(), in_.data() + in_pos_, n);
  in_pos_ += n;
  return n;
}

std::size_t socket_file::readinto(std::span<std::byte> buffer) {
  check_readable("readinto");
  std::size_t got = take(buffer);
  try {
    while (got < buffer.size()) {
      const auto rest = buffer.subspan(got);
      if (rest.size() >= capacity_) {  // too big to be worth buffering: straight into the caller's
        const auto n = receive(rest);
        if (n == 0) break;
        got += n;
      } else {
        if (!refill()) break;
        got += take(rest);
      }
    }
  } catch (const blocking_io_error&) {
    if (got == 0) throw;  // Python: None
  }
  return got;
}

std::vector<std::byte> socket_file::read(std::optional<std::size_t> n) {
  if (n) {
    std::vector<std::byte> out(*n);
    out.resize(readinto(out));
    return out;
  }
  check_readable("read");
  const auto ahead = buffered();
  std::vector<std::byte> out(ahead.begin(), ahead.end());
  in_pos_ = in_end_;
  for (;;) {
    const auto old = out.size();
    out.resize(old + capacity_);
    std::size_t got = 0;
    try {
      got = receive(std::span(out).subspan(old));
    } catch (const blocking_io_error&) {
      out.resize(old);
      if (out.empty()) throw;
      return out;
    }
    out.resize(old + got);
    if (got == 0) return out;
  }
}

std::vector<std::byte> socket_file::read1(std::size_t n) {
  check_readable("read1");
  if (n == 0) return {};
  if (buffered().empty()) {
    if (n >= capacity_) {
      std::vector<std::byte> out(n);
      out.resize(receive(out));
      return out;
    }
    if (!refill()) return {};
  }
  std::vector<std::byte> out(std::min(n, buffered().size()));
  take(out);
  return out;
}

std::vector<std::byte> socket_file::readline(std::optional<std::size_t> limit) {
  check_readable("readline");
  const auto most = limit.value_or(std::numeric_limits<std::size_t>::max());
  std::vector<std::byte> line;
  while (line.size() < most) {
    if (buffered().empty()) {
      try {
        if (!refill()) break;
      } catch (const blocking_io_error&) {
        if (line.empty()) throw;
        break;
      }
    }
    const auto ahead = buffered().first(std::min(buffered().size(), most - line.size()));
    const auto end = std::find(ahead.begin(), ahead.end(), newline);
    const bool complete = end != ahead.end();
    const auto n = static_cast<std::size_t>(end - ahead.begin()) + (complete ? 1 : 0);
    line.insert(line.end(), ahead.begin(), ahead.begin() + static_cast<std::ptrdiff_t>(n));
    in_pos_ += n;
    if (complete) break;
  }
  return line;
}

std::size_t socket_file::write(std::span<const std::byte> data) {
  if (!open_) throw std::invalid_argument("write: I/O operation on closed file");
  if (!writes_) throw std::invalid_argument("write: file not open for writing");
  out_.insert(out_.end(), data.begin(), data.end());
  if (out_.size() >= capacity_) flush();
  return data.size();
}

void socket_file::flush() {
  if (!open_) throw std::invalid_argument("flush: I/O operation on closed file");
  if (out_.empty()) return;
  try {
    socket_.sendall(out_);
    out_.clear();
  } catch (const error& e) {
    out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(e.bytes_sent().value_or(0)));
    throw;
  }
}

void socket_file::close() {
  if (!open_) return;
  std::exception_ptr unsent;
  try {
    flush();
  } catch (...) {
    unsent = std::current_exception();
  }
  open_ = false;
  socket_.close();
  if (unsent) std::rethrow_exception(unsent);
}

}  // namespace socklab
