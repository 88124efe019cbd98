// SPDX-License-Identifier: MIT
#include "catalog.hpp"

#include <fstream>
#include <memory>
#include <set>
#include <stdexcept>

namespace socklab::conformance {
namespace {

// A function's static, not a global: tests registered before main() may read the catalog, and a
// global in another file might not be constructed yet.
std::string& catalog_path() {
  static std::string path = SOCKLAB_CATALOG_PATH;
  return path;
}

// Every kind has what it takes to be made, and every behaviour names only kinds and kind sets that exist.
void check_kinds(const std::string& path, const nlohmann::json& doc) {
  std::set<std::string> known;
  for (const auto& k : doc.value("kinds", nlohmann::json::array())) {
    for (const char* field : {"name", "family", "type", "made_by"})
      if (!k.contains(field) || !k[field].is_string())
        throw std::runtime_error(path + ": a kind lacks '" + field + "': " + k.dump());
    known.insert(k["name"].get<std::string>());
  }
  const auto sets = doc.value("kind_sets", nlohmann::json::object());
  for (const auto& [set, members] : sets.items())
    for (const auto& m : members)
      if (!m.is_string() || !known.count(m.get<std::string>()))
        throw std::runtime_error(path + ": kind set '" + set + "' names an unknown kind: " + m.dump());
  for (const auto& entry : doc["behaviours"])
    for (const auto& n : entry.value("kinds", nlohmann::json::array()))
      if (!n.is_string() || (!known.count(n.get<std::string>()) && !sets.contains(n.get<std::string>())))
        throw std::runtime_error(path + ": " + entry["id"].get<std::string>() + " names an unknown kind " +
                                 n.dump());
}

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
  check_kinds(path, c.document);
  return c;
}

void set_catalog_path(const std::string& path) { catalog_path() = path; }

const catalog& active_catalog() {
  static const catalog loaded = load_catalog(catalog_path());
  return loaded;
}

const catalog& built_in_catalog() {
  static const catalog loaded = load_catalog(SOCKLAB_CATALOG_PATH);
  return loaded;
}

}  // namespace socklab::conformance
