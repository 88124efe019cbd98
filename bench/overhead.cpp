// SPDX-License-Identifier: MIT
#include "overhead.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace socklab::bench {
namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// "tcp_stream/socklab/4096/real_time" -> {"tcp_stream/4096", "socklab"}
std::pair<std::string, std::string> split_name(const std::string& name) {
  for (const char* impl : {"socklab", "raw"}) {
    const std::string marker = std::string("/") + impl;
    const auto at = name.find(marker);
    if (at == std::string::npos) continue;
    const auto end = at + marker.size();
    if (end != name.size() && name[end] != '/') continue;
    std::string rest = name.substr(0, at) + name.substr(end);
    if (const auto rt = rest.rfind("/real_time"); rt != std::string::npos && rt + 10 == rest.size())
      rest.resize(rt);
    return {rest, impl};
  }
  return {};
}

}  // namespace

nlohmann::json overhead_table(const nlohmann::json& gbench) {
  // samples[benchmark][metric][impl] = per-repetition values
  std::map<std::string, std::map<std::string, std::map<std::string, std::vector<double>>>> samples;
  for (const auto& b : gbench.value("benchmarks", nlohmann::json::array())) {
    if (b.value("run_type", "") != "iteration" || b.value("error_occurred", false)) continue;
    const auto [bench, impl] = split_name(b.value("name", ""));
    if (bench.empty()) continue;
    for (const char* metric : {"bytes_per_second", "items_per_second", "p50_us"}) {
      if (b.contains(metric) && b[metric].is_number())
        samples[bench][metric][impl].push_back(b[metric].get<double>());
    }
  }
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& [bench, metrics] : samples) {
    // One headline metric per benchmark: bytes for throughput, p50 latency for ping-pong, else items.
    for (const char* metric : {"p50_us", "bytes_per_second", "items_per_second"}) {
      const auto it = metrics.find(metric);
      if (it == metrics.end() || !it->second.count("socklab") || !it->second.count("raw")) continue;
      const double ours = median(it->second.at("socklab"));
      const double raw = median(it->second.at("raw"));
      rows.push_back({{"benchmark", bench},
                      {"metric", metric},
                      {"socklab", ours},
                      {"raw", raw},
                      {"ratio", raw > 0 ? ours / raw : 0.0}});
      break;
    }
  }
  return rows;
}

nlohmann::json parse_gbench_json(const std::string& text) {
  std::string clean;
  clean.reserve(text.size());
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      clean += c;
      if (c == '\\' && i + 1 < text.size())
        clean += text[++i];
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      clean += c;
      continue;
    }
    bool replaced = false;
    for (const std::string_view word : {"-Infinity", "Infinity", "-nan", "-inf", "NaN", "nan", "inf"}) {
      if (text.compare(i, word.size(), word) == 0) {
        clean += "null";
        i += word.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) clean += c;
  }
  return nlohmann::json::parse(clean);
}

void print_overhead(std::ostream& out, const nlohmann::json& rows) {
  out << "\nsocklab / raw POSIX (medians; rates: >= 1 is no loss; p50_us: <= 1 is nothing added)\n";
  for (const auto& r : rows) {
    char line[160];
    (void)std::snprintf(line, sizeof line, "  %-28s %-18s %8.3f\n", r["benchmark"].get<std::string>().c_str(),
                        r["metric"].get<std::string>().c_str(), r["ratio"].get<double>());
    out << line;
  }
}

}  // namespace socklab::bench
