// SPDX-License-Identifier: MIT
// socklab-conform: the conformance suite. GoogleTest's own flags work as usual; ours are
//   --report=FILE    write the conformance report JSON there
//   --catalog=FILE   use another behaviour catalog than the one built in
#include <gtest/gtest.h>

#include <cstring>
#include <iostream>
#include <string>

#include "run_context.hpp"
#include "support/behaviour.hpp"
#include "support/catalog.hpp"
#include "support/report.hpp"

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0)
      std::cout << "socklab-conform options:\n"
                   "  --report=FILE    write the conformance report JSON to FILE\n"
                   "  --catalog=FILE   use this behaviour catalog instead of the built-in one\n"
                   "  --plant-observation=KEY=JSON\n"
                   "                   test-only: report JSON as the observed value KEY (a planted\n"
                   "                   difference for the differential against Python to find)\n\n";
  }
  ::testing::InitGoogleTest(&argc, argv);  // removes GoogleTest's flags, leaves ours
  std::string report_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--report=", 0) == 0) {
      report_path = arg.substr(9);
      if (const auto why = socklab::harness::unwritable_reason(report_path); !why.empty()) {
        std::cerr << "socklab-conform: --report=" << report_path << ": " << why << '\n';
        return 2;
      }
    } else if (arg.rfind("--catalog=", 0) == 0) {
      socklab::conformance::set_catalog_path(arg.substr(10));
    } else if (arg.rfind("--plant-observation=", 0) == 0) {
      const auto spec = arg.substr(20);
      const auto eq = spec.find('=');
      const auto value =
          nlohmann::json::parse(eq == std::string::npos ? "" : spec.substr(eq + 1), nullptr, false);
      if (eq == 0 || eq == std::string::npos || value.is_discarded()) {
        std::cerr << "socklab-conform: --plant-observation needs KEY=JSON, e.g. max_path_length=99\n";
        return 2;
      }
      socklab::conformance::plant_observation(spec.substr(0, eq), value);
    } else {
      std::cerr << "socklab-conform: unknown option '" << arg << "' (see --help)\n";
      return 2;
    }
  }
  try {
    const auto& catalog = socklab::conformance::active_catalog();
    ::testing::UnitTest::GetInstance()->listeners().Append(
        new socklab::conformance::report_writer(catalog, report_path));
  } catch (const std::exception& e) {
    std::cerr << "socklab-conform: " << e.what() << '\n';
    return 2;
  }
  return RUN_ALL_TESTS();
}
