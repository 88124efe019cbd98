// SPDX-License-Identifier: MIT
#include "report.hpp"

#include <iostream>
#include <set>

#include "behaviour.hpp"
#include "run_context.hpp"

namespace socklab::conformance {
namespace {

std::string status_of(const ::testing::TestResult& r) {
  if (r.Skipped()) return "skip";
  return r.Passed() ? "pass" : "fail";
}

// The first failure or skip message, which says why.
std::string message_of(const ::testing::TestResult& r) {
  for (int i = 0; i < r.total_part_count(); ++i) {
    const auto& part = r.GetTestPartResult(i);
    if (part.failed() || part.skipped()) {
      std::string m = part.message();
      if (auto nl = m.find_last_not_of("\n "); nl != std::string::npos) m.resize(nl + 1);
      return m;
    }
  }
  return {};
}

// The behaviour's observed values: over kinds, those every instance that observed them agrees on
// (each instance keeps its own); otherwise every test's, merged.
nlohmann::json behaviour_observations(const std::vector<nlohmann::json>& tests, bool over_kinds) {
  nlohmann::json common = nlohmann::json::object();
  std::set<std::string> disagreed;
  for (const auto& t : tests) {
    if (!t.contains("observed")) continue;
    for (const auto& [key, value] : t["observed"].items()) {
      if (disagreed.count(key)) continue;
      if (!common.contains(key) || !over_kinds) {
        common[key] = value;
      } else if (common[key] != value) {
        common.erase(key);
        disagreed.insert(key);
      }
    }
  }
  return common;
}

}  // namespace

nlohmann::json aggregate(const std::vector<nlohmann::json>& tests) {
  // One failing test fails the behaviour; it passes if any test ran and none failed.
  int pass = 0, fail = 0;
  double duration = 0;
  std::string reason;
  nlohmann::json instances = nlohmann::json::array();
  for (const auto& t : tests) {
    pass += t["status"] == "pass";
    fail += t["status"] == "fail";
    duration += t["duration_ms"].get<double>();
    if (reason.empty() && t["status"] != "pass" && t.contains("message"))
      reason =
          (t.contains("kind") ? t["kind"].get<std::string>() + ": " : "") + t["message"].get<std::string>();
    if (t.contains("kind")) {
      nlohmann::json instance = {{"kind", t["kind"]},
                                 {"status", t["status"]},
                                 {"duration_ms", t["duration_ms"]},
                                 {"observed", t.value("observed", nlohmann::json::object())}};
      if (t.contains("message")) instance["message"] = t["message"];
      instances.push_back(std::move(instance));
    }
  }
  nlohmann::json b = {{"status", fail > 0   ? "fail"
                                 : pass > 0 ? "pass"
                                            : "skip"},
                      {"observed", behaviour_observations(tests, !instances.empty())},
                      {"duration_ms", duration},
                      {"tests", tests}};
  if (b["status"] != "pass" && !reason.empty()) b["reason"] = reason;
  if (!instances.empty()) b["instances"] = std::move(instances);
  return b;
}

void report_writer::OnTestEnd(const ::testing::TestInfo& info) {
  const auto observed = take_observations();
  const auto instance = take_instance();
  const std::string name = std::string(info.test_suite_name()) + "." + info.name();
  const auto id = behaviour_id(info.name());
  if (!id) {
    unmapped_.push_back(name);
    return;
  }
  const auto* r = info.result();
  nlohmann::json test = {{"name", name}, {"status", status_of(*r)}, {"duration_ms", r->elapsed_time()}};
  if (auto m = message_of(*r); !m.empty()) test["message"] = m;
  if (!observed.empty()) test["observed"] = observed;
  if (instance) test["kind"] = *instance;
  tests_by_id_[*id].push_back(std::move(test));
}

nlohmann::json report_writer::build() const {
  nlohmann::json behaviours = nlohmann::json::array();
  std::map<std::string, int> summary{
      {"pass", 0}, {"fail", 0}, {"skip", 0}, {"not-run", 0}, {"not-applicable", 0}};
  for (const auto& entry : catalog_.document["behaviours"]) {
    const auto id = entry["id"].get<std::string>();
    nlohmann::json b = {{"id", id}, {"group", entry["group"]}, {"statement", entry["statement"]}};
    const auto it = tests_by_id_.find(id);
    if (!catalog_.applicable(id)) {
      b["status"] = "not-applicable";
      b["reason"] = entry["not_applicable_reason"];
    } else if (it == tests_by_id_.end()) {
      b["status"] = "not-run";
    } else {
      b.update(aggregate(it->second));
    }
    ++summary[b["status"].get<std::string>()];
    behaviours.push_back(std::move(b));
  }
  return {{"schema", "socklab-conformance-report"},
          {"schema_version", report_schema_version},
          {"implementation", "socklab"},
          {"catalog_version", catalog_.document.value("version", 0)},
          {"context", harness::run_context()},
          {"summary", summary},
          {"behaviours", behaviours},
          {"unmapped_tests", unmapped_}};
}

void report_writer::OnTestProgramEnd(const ::testing::UnitTest&) {
  if (path_.empty()) return;
  try {
    harness::write_file_atomically(path_, build().dump(2) + "\n");
    std::cout << "conformance report: " << path_ << '\n';
  } catch (const std::exception& e) {
    std::cerr << "socklab-conform: " << e.what() << '\n';
    std::exit(2);
  }
}

}  // namespace socklab::conformance
