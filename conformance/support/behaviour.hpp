// SPDX-License-Identifier: MIT
// How a conformance test names its behaviour and reports what it observed.
//
// A test's name starts with its catalog ID, dashes written as underscores:
//   TEST(SendAll, TCP_SENDALL_02_TimeoutIsOneTotalDeadline)  ->  behaviour TCP-SENDALL-02
// so that `--gtest_list_tests` alone maps tests to catalog entries (the coverage test checks both ways).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace socklab::conformance {

/// "TCP_SENDALL_02_Total/inet" -> "TCP-SENDALL-02"; std::nullopt when the name carries no ID.
std::optional<std::string> behaviour_id(std::string_view test_name);

/// Records a value the running test measured (e.g. accept_queue_capacity), for the report; also
/// shown in GoogleTest's XML output as a property.
void observe(const std::string& key, const nlohmann::json& value);

/// Test-only: from now on, observe(key, ...) records `value` instead of what the test measured. It
/// plants a known difference for the differential run against Python to find (conformance/reference).
void plant_observation(const std::string& key, const nlohmann::json& value);

/// What the running test observed so far (the report listener reads and clears it).
std::map<std::string, nlohmann::json> take_observations();

/// The running test is the instance `name` of its behaviour (a socket kind: see socket_kinds.hpp).
void record_instance(const std::string& name);
/// The running test's instance, if it has one (the report listener reads and clears it).
std::optional<std::string> take_instance();

}  // namespace socklab::conformance
