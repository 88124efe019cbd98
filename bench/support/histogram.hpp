// SPDX-License-Identifier: MIT
// A fixed-size log-linear latency histogram (HdrHistogram's layout, simplified): exact below 128 ns,
// then 128 linear sub-buckets per power of two, so any percentile is within 0.8 % of the true
// value. Recording is two shifts and an increment: no allocation in a benchmark's timed loop.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace socklab::bench {

class latency_histogram {
 public:
  static constexpr int sub_bits = 7;
  static constexpr std::uint64_t sub_count = 1u << sub_bits;

  void record(std::uint64_t ns) noexcept {
    ++counts_[index(ns)];
    ++total_;
    if (ns > max_) max_ = ns;
    if (ns < min_) min_ = ns;
  }

  /// The value at quantile q in [0, 1] (q = 0.5 is the median): the midpoint of the bucket that
  /// holds it, clamped to the recorded min and max. 0 when empty.
  std::uint64_t quantile(double q) const noexcept {
    if (total_ == 0) return 0;
    if (q <= 0) return min_;
    if (q >= 1) return max_;
    // The rank of the sample at q, counted from 1 (nearest-rank definition).
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_));
    if (static_cast<double>(rank) < q * static_cast<double>(total_)) ++rank;
    if (rank == 0) rank = 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) {
        const auto [low, width] = bucket_range(i);
        const std::uint64_t mid = low + width / 2;
        return mid < min_ ? min_ : mid > max_ ? max_ : mid;
      }
    }
    return max_;
  }

  std::uint64_t count() const noexcept { return total_; }
  std::uint64_t max() const noexcept { return total_ ? max_ : 0; }
  std::uint64_t min() const noexcept { return total_ ? min_ : 0; }
  void merge(const latency_histogram& other) noexcept {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
    if (other.total_) {
      if (other.max_ > max_) max_ = other.max_;
      if (other.min_ < min_) min_ = other.min_;
    }
  }

 private:
  static constexpr int magnitudes = 64 - sub_bits + 1;

  static std::size_t index(std::uint64_t v) noexcept {
    if (v < sub_count) return static_cast<std::size_t>(v);
    const int e = static_cast<int>(std::bit_width(v)) - 1;  // v in [2^e, 2^(e+1)), e >= sub_bits
    const int shift = e - sub_bits;
    const auto mantissa = (v >> shift) - sub_count;  // 0 .. sub_count-1
    return static_cast<std::size_t>((shift + 1) * sub_count + mantissa);
  }

  // The lowest value a bucket holds and its width.
  static std::pair<std::uint64_t, std::uint64_t> bucket_range(std::size_t i) noexcept {
    if (i < sub_count) return {i, 1};
    const auto shift = static_cast<int>(i / sub_count) - 1;
    const auto mantissa = i % sub_count;
    return {(sub_count + mantissa) << shift, std::uint64_t{1} << shift};
  }

  std::array<std::uint64_t, magnitudes * sub_count> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t min_ = UINT64_MAX;
};

/// A histogram's p50, p90, p99, p99.9 and max in microseconds, as the latency families name them.
inline std::vector<std::pair<std::string, double>> percentiles_us(const latency_histogram& h) {
  const auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e3; };
  return {{"p50_us", us(h.quantile(0.50))},
          {"p90_us", us(h.quantile(0.90))},
          {"p99_us", us(h.quantile(0.99))},
          {"p999_us", us(h.quantile(0.999))},
          {"max_us", us(h.max())}};
}

}  // namespace socklab::bench
