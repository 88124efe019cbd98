// SPDX-License-Identifier: MIT
// The behaviour catalog (conformance/catalog.json): what each behaviour is and where it comes from.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace socklab::conformance {

struct catalog {
  nlohmann::json document;                     // the whole file
  std::map<std::string, nlohmann::json> byid;  // entries by ID

  /// Whether the entry applies to a C++ socket library at all (false: its reason says why not).
  bool applicable(const std::string& id) const;
};

/// Loads and checks the catalog: every entry has a unique ID and the required fields. Throws
/// std::runtime_error naming the file and the problem.
catalog load_catalog(const std::string& path);

/// The catalog this binary was built with, or the one named by --catalog=FILE.
const catalog& active_catalog();
/// The catalog this binary was built with (which kinds each test runs over is fixed when the tests
/// are registered, before main() reads --catalog). Safe to call during static initialisation.
const catalog& built_in_catalog();
void set_catalog_path(const std::string& path);

}  // namespace socklab::conformance
