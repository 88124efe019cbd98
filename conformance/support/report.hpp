// SPDX-License-Identifier: MIT
// The conformance report: a GoogleTest listener that gathers each test's outcome and observations
// per behaviour and writes conformance-report JSON (schema: schemas/conformance.schema.json) at the end.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "catalog.hpp"

namespace socklab::conformance {

class report_writer : public ::testing::EmptyTestEventListener {
 public:
  report_writer(const catalog& cat, std::string path) : catalog_(cat), path_(std::move(path)) {}
  void OnTestEnd(const ::testing::TestInfo& info) override;
  void OnTestProgramEnd(const ::testing::UnitTest& unit) override;

  /// The report as JSON (exposed for tests of the writer itself).
  nlohmann::json build() const;

 private:
  const catalog& catalog_;
  std::string path_;
  std::map<std::string, std::vector<nlohmann::json>> tests_by_id_;
  std::vector<std::string> unmapped_;
};

/// One behaviour's outcome from its tests: status (a failing test fails it, a passing one and no
/// failure passes it, else skip), the first reason, the observed values all tests agree on, and,
/// for a behaviour over kinds, one instance per kind with its own status and values.
nlohmann::json aggregate(const std::vector<nlohmann::json>& tests);

/// 2: behaviours over socket kinds list their instances; tests name their kind.
inline constexpr int report_schema_version = 2;

}  // namespace socklab::conformance
