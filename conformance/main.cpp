// SPDX-License-Identifier: MIT
// socklab-conform: the conformance suite. GoogleTest's own flags work as usual; ours are
//   --report FILE    write the conformance report JSON there
//   --catalog FILE   use another behaviour catalog than the one built in
// (each also as --flag=VALUE).
#include <gtest/gtest.h>

#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>

#include "command_line.hpp"
#include "run_context.hpp"
#include "support/behaviour.hpp"
#include "support/catalog.hpp"
#include "support/report.hpp"

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0)
      std::cout << "socklab-conform options:\n"
                   "  --report FILE    write the conformance report JSON to FILE\n"
                   "  --catalog FILE   use this behaviour catalog instead of the built-in one\n"
                   "  --plant-observation KEY=JSON\n"
                   "                   test-only: report JSON as the observed value KEY (a planted\n"
                   "                   difference for the differential against Python to find)\n"
                   "(each also as --flag=VALUE)\n\n";
  }
  ::testing::InitGoogleTest(&argc, argv);  // removes GoogleTest's flags, leaves ours
  std::string report_path;
  try {
    for (int i = 1; i < argc; ++i) {
      using socklab::harness::flag_value;
      if (const auto v = flag_value(argc, argv, i, "--report")) {
        report_path = std::string(*v);
        if (const auto why = socklab::harness::unwritable_reason(report_path); !why.empty())
          throw std::invalid_argument("--report " + report_path + ": " + why);
      } else if (const auto v = flag_value(argc, argv, i, "--catalog")) {
        socklab::conformance::set_catalog_path(std::string(*v));
      } else if (const auto v = flag_value(argc, argv, i, "--plant-observation")) {
        const std::string spec(*v);
        const auto eq = spec.find('=');
        const auto value =
            nlohmann::json::parse(eq == std::string::npos ? "" : spec.substr(eq + 1), nullptr, false);
        if (eq == 0 || eq == std::string::npos || value.is_discarded())
          throw std::invalid_argument("--plant-observation needs KEY=JSON, e.g. max_path_length=99");
        socklab::conformance::plant_observation(spec.substr(0, eq), value);
      } else {
        throw std::invalid_argument(std::string("unknown option '") + argv[i] + "' (see --help)");
      }
    }
  } catch (const std::invalid_argument& e) {
    std::cerr << "socklab-conform: " << e.what() << '\n';
    return 2;
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
