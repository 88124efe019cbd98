// SPDX-License-Identifier: MIT
#include "catalog.hpp"

#include <fstream>
#include <memory>
#include <stdexcept>

namespace socklab::conformance {
namespace {

std::string catalog_path = SOCKLAB_CATALOG_PATH;

}  // namespace

bool catalog::applicable(const std::string& id) const {
  const auto it = byid.find(id);
  return it != byid.end() && it->second.value("applies", true);
}

catalog load_catalog(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open the behaviour catalog");
  catalog c;
  try {
    c.document = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": not valid JSON: " + e.what());
  }
  if (!c.document.is_object() || !c.document.contains("behaviours") || !c.document["behaviours"].is_array())
    throw std::runtime_error(path + ": expected an object with a 'behaviours' array");
  for (const auto& entry : c.document["behaviours"]) {
    for (const char* field : {"id", "group", "statement", "expected", "source"}) {
      if (!entry.contains(field))
        throw std::runtime_error(path + ": an entry lacks '" + field + "': " + entry.dump());
    }
    const auto id = entry["id"].get<std::string>();
    if (!entry.value("applies", true) && !entry.contains("not_applicable_reason"))
      throw std::runtime_error(path + ": " + id + " does not apply but gives no not_applicable_reason");
    if (!c.byid.emplace(id, entry).second) throw std::runtime_error(path + ": duplicate ID " + id);
  }
  return c;
}

void set_catalog_path(const std::string& path) { catalog_path = path; }

const catalog& active_catalog() {
  static const catalog loaded = load_catalog(catalog_path);
  return loaded;
}

}  // namespace socklab::conformance
