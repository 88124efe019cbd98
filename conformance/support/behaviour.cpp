// SPDX-License-Identifier: MIT
#include "behaviour.hpp"

#include <cctype>
#include <mutex>

namespace socklab::conformance {
namespace {

std::mutex observations_mutex;
std::map<std::string, nlohmann::json> observations;
std::map<std::string, nlohmann::json> planted;
std::optional<std::string> instance;

}  // namespace

std::optional<std::string> behaviour_id(std::string_view name) {
  // Upper-case words joined by '_', then a two-digit number: CON_01, TCP_SENDALL_02.
  std::size_t i = 0;
  int words = 0;
  while (i < name.size()) {
    const std::size_t start = i;
    while (i < name.size() && std::isupper(static_cast<unsigned char>(name[i]))) ++i;
    if (i == start) break;
    if (i >= name.size() || name[i] != '_') return std::nullopt;
    ++i;
    ++words;
  }
  if (words == 0 || i + 2 > name.size() || !std::isdigit(static_cast<unsigned char>(name[i])) ||
      !std::isdigit(static_cast<unsigned char>(name[i + 1])))
    return std::nullopt;
  if (i + 2 < name.size() && name[i + 2] != '_' && name[i + 2] != '/') return std::nullopt;
  std::string id(name.substr(0, i + 2));
  for (auto& c : id)
    if (c == '_') c = '-';
  return id;
}

void observe(const std::string& key, const nlohmann::json& measured) {
  std::lock_guard lock(observations_mutex);
  const auto it = planted.find(key);
  const auto& value = it == planted.end() ? measured : it->second;
  ::testing::Test::RecordProperty(key, value.dump());
  observations[key] = value;
}

void plant_observation(const std::string& key, const nlohmann::json& value) {
  std::lock_guard lock(observations_mutex);
  planted[key] = value;
}

std::map<std::string, nlohmann::json> take_observations() {
  std::lock_guard lock(observations_mutex);
  return std::exchange(observations, {});
}

void record_instance(const std::string& name) {
  std::lock_guard lock(observations_mutex);
  ::testing::Test::RecordProperty("instance", name);
  instance = name;
}

std::optional<std::string> take_instance() {
  std::lock_guard lock(observations_mutex);
  return std::exchange(instance, std::nullopt);
}

}  // namespace socklab::conformance
