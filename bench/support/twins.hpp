// SPDX-License-Identifier: MIT
// Registers a family's benchmarks as twins: the same session type over socklab and over raw POSIX
// calls, size by size. The socklab twin of the family --plant-slowdown names is the slowed one.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/session.hpp"
#include "harness.hpp"

namespace socklab::bench {

/// Measures `inner` with the planted slowdown on the measuring thread, and only there.
class planted_session final : public session {
 public:
  planted_session(std::unique_ptr<session> inner, double fraction)
      : inner_(std::move(inner)), fraction_(fraction) {}
  sample measure(std::uint64_t iterations) override {
    plant_slowdown(fraction_);
    struct reset {
      ~reset() { plant_slowdown(0.0); }
    } after;
    return inner_->measure(iterations);
  }
  std::string finish() override { return inner_->finish(); }

 private:
  std::unique_ptr<session> inner_;
  double fraction_;
};

/// Registers the two twins of benchmark `id` (its implementation is filled in): `Session<Io>` is
/// constructed from (size in bytes, args...).
template <template <class> class Session, class... Args>
void add_twin_pair(std::vector<bench_case>& out, bench_id id, Args... args) {
  const auto headline = headline_of(id.family);
  const bool planted_here = current().plant_family == id.family;
  const double fraction = current().plant_fraction;
  const auto bytes = static_cast<std::size_t>(id.size.value_or(0));
  id.implementation = via_socklab::name;
  out.push_back({id, headline, [=]() -> std::unique_ptr<session> {
                   if (planted_here)
                     return std::make_unique<planted_session>(
                         std::make_unique<Session<via_socklab_slowed>>(bytes, args...), fraction);
                   return std::make_unique<Session<via_socklab>>(bytes, args...);
                 }});
  id.implementation = via_posix::name;
  out.push_back({id, headline, [=]() -> std::unique_ptr<session> {
                   return std::make_unique<Session<via_posix>>(bytes, args...);
                 }});
}

/// add_twin_pair for each size; sizes empty: one benchmark without a size.
template <template <class> class Session, class... Args>
void add_twins(std::vector<bench_case>& out, const std::string& family,
               const std::vector<std::int64_t>& sizes, Args... args) {
  if (sizes.empty()) add_twin_pair<Session>(out, bench_id{family, "", std::nullopt}, args...);
  for (const auto size : sizes) add_twin_pair<Session>(out, bench_id{family, "", size}, args...);
}

}  // namespace socklab::bench
