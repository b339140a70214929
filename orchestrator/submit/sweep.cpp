#include "orchestrator/submit/sweep.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "core/error.h"

namespace spct::submit {
namespace {

// A value as part of a directory name: characters outside [A-Za-z0-9.+-] become '-'.
std::string name_part(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '.' && c != '+' && c != '-') c = '-';
  }
  return out;
}

}  // namespace

SweepAxis parse_sweep(const std::string& spec) {
  const std::size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw UsageError("--sweep '" + spec + "': write section.key=value1,value2,...");
  }
  SweepAxis axis;
  axis.key = spec.substr(0, eq);
  const std::string values = spec.substr(eq + 1);
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = values.find(',', start);
    const std::string value = values.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (value.empty()) throw UsageError("--sweep '" + spec + "': an empty value (two commas, or one at an end)");
    if (std::find(axis.values.begin(), axis.values.end(), value) != axis.values.end()) {
      throw UsageError("--sweep '" + spec + "': the value '" + value + "' is listed twice");
    }
    axis.values.push_back(value);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return axis;
}

std::vector<SweepPoint> sweep_points(const std::vector<SweepAxis>& axes) {
  std::set<std::string> keys;
  for (const SweepAxis& axis : axes) {
    if (!keys.insert(axis.key).second) throw UsageError("--sweep names " + axis.key + " twice; list its values once");
  }
  std::vector<SweepPoint> points = {SweepPoint{}};
  for (const SweepAxis& axis : axes) {
    const std::string short_key = axis.key.substr(axis.key.rfind('.') + 1);
    std::vector<SweepPoint> next;
    next.reserve(points.size() * axis.values.size());
    for (const SweepPoint& point : points) {
      for (const std::string& value : axis.values) {
        SweepPoint p = point;
        p.overrides.push_back(axis.key + "=" + value);
        p.name += (p.name.empty() ? "" : "_") + name_part(short_key) + name_part(value);
        next.push_back(std::move(p));
      }
    }
    points = std::move(next);
  }
  std::set<std::string> names;
  for (const SweepPoint& point : points) {
    if (!names.insert(point.name).second) {
      throw UsageError("two sweep points would share the run name '" + point.name +
                       "' (values that differ only in punctuation); choose distinct values");
    }
  }
  return points;
}

}  // namespace spct::submit
