// SPDX-License-Identifier: MIT
#include "engine/session.hpp"

#include <limits>

namespace socklab::bench {

namespace {

// "/size:N/param:N..." : the dimensions after the implementation.
std::string dimensions(const bench_id& id) {
  std::string out = id.size ? "/size:" + std::to_string(*id.size) : "";
  for (const auto& [name, value] : id.params) out += "/" + name + ":" + std::to_string(value);
  return out;
}

}  // namespace

std::string bench_id::name() const { return family + "/" + implementation + dimensions(*this); }

std::string bench_id::key() const { return family + dimensions(*this); }

double sample::counter(const std::string& name) const {
  for (const auto& [k, v] : counters)
    if (k == name) return v;
  return std::numeric_limits<double>::quiet_NaN();
}

bool higher_is_better(const std::string& metric) { return metric.find("per_second") != std::string::npos; }

std::string headline_of(const std::string& family) {
  if (family.find("_pingpong") != std::string::npos) return "p50_us";  // and its variants (_busy_poll)
  if (family.ends_with("_rr_open")) return "p99_us";  // latency under a load: its tail is the point
  if (family.ends_with("_connect") || family.ends_with("_crr") || family.ends_with("_rr_flows"))
    return "items_per_second";
  return "bytes_per_second";
}

}  // namespace socklab::bench
