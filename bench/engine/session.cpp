// SPDX-License-Identifier: MIT
#include "engine/session.hpp"

#include <limits>

namespace socklab::bench {

std::string bench_id::name() const {
  return family + "/" + implementation + (size ? "/size:" + std::to_string(*size) : "");
}

std::string bench_id::key() const { return family + (size ? "/size:" + std::to_string(*size) : ""); }

double sample::counter(const std::string& name) const {
  for (const auto& [k, v] : counters)
    if (k == name) return v;
  return std::numeric_limits<double>::quiet_NaN();
}

bool higher_is_better(const std::string& metric) { return metric.find("per_second") != std::string::npos; }

std::string headline_of(const std::string& family) {
  if (family.ends_with("_pingpong")) return "p50_us";
  if (family.ends_with("_connect") || family.ends_with("_crr")) return "items_per_second";
  return "bytes_per_second";
}

}  // namespace socklab::bench
