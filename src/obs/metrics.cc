#include "obs/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "base/log.h"

namespace pgs3 {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// HELP lines: '\' and newline are escaped (exposition format, "Comments, help text, and type information").
void append_help(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// Label values: '\', '"' and newline are escaped.
void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_double(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, ec == std::errc() ? end : buf);
  }
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

}  // namespace

bool MetricsRegistry::valid_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = is_alpha(c) || c == '_' || c == ':' || (i > 0 && is_digit(c));
    if (!ok) return false;
  }
  return true;
}

bool MetricsRegistry::valid_label_name(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;  // "__" is reserved for Prometheus' own labels
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = is_alpha(c) || c == '_' || (i > 0 && is_digit(c));
    if (!ok) return false;
  }
  return true;
}

MetricsRegistry::Series* MetricsRegistry::find_or_create(std::string_view name, std::string_view help, Labels labels,
                                                         Type type) {
  std::sort(labels.begin(), labels.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string problem;
  if (!valid_metric_name(name)) problem = "is not a valid Prometheus metric name";
  for (size_t i = 0; problem.empty() && i < labels.size(); ++i) {
    if (!valid_label_name(labels[i].first)) {
      problem = "has an invalid label name \"" + labels[i].first + "\"";
    } else if (i > 0 && labels[i].first == labels[i - 1].first) {
      problem = "repeats the label name \"" + labels[i].first + "\"";
    }
  }

  std::lock_guard<std::mutex> lock(mu_);
  auto family = families_.find(name);
  if (problem.empty() && family != families_.end() && family->second.type != type) {
    problem = std::string("is already registered as a ") + (type == Type::kCounter ? "gauge" : "counter");
  }
  if (problem.empty()) {
    if (family == families_.end()) {
      family = families_.emplace(std::string(name), Family{type, std::string(help), {}}).first;
    }
    auto [it, inserted] = family->second.series.try_emplace(std::move(labels));
    if (inserted) {
      if (type == Type::kCounter) {
        it->second.counter = std::make_unique<Counter>();
      } else {
        it->second.gauge = std::make_unique<Gauge>();
      }
    }
    return &it->second;
  }

  std::string n(name);
  if (std::find(reported_.begin(), reported_.end(), n) == reported_.end()) {
    reported_.push_back(n);
    log_error("internal: metric \"" + n + "\" " + problem + "; it will not be exported");
  }
  auto orphan = std::make_unique<Series>();
  if (type == Type::kCounter) {
    orphan->counter = std::make_unique<Counter>();
  } else {
    orphan->gauge = std::make_unique<Gauge>();
  }
  orphans_.push_back(std::move(orphan));
  return orphans_.back().get();
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help, Labels labels) {
  return *find_or_create(name, help, std::move(labels), Type::kCounter)->counter;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, Labels labels) {
  return *find_or_create(name, help, std::move(labels), Type::kGauge)->gauge;
}

std::string MetricsRegistry::render() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, family] : families_) {
    out += "# HELP ";
    out += name;
    out += ' ';
    append_help(out, family.help);
    out += "\n# TYPE ";
    out += name;
    out += family.type == Type::kCounter ? " counter\n" : " gauge\n";
    for (const auto& [labels, series] : family.series) {
      out += name;
      if (!labels.empty()) {
        out += '{';
        for (size_t i = 0; i < labels.size(); ++i) {
          if (i > 0) out += ',';
          out += labels[i].first;
          out += "=\"";
          append_label_value(out, labels[i].second);
          out += '"';
        }
        out += '}';
      }
      out += ' ';
      if (series.counter) {
        append_uint(out, series.counter->value());
      } else {
        append_double(out, series.gauge->value());
      }
      out += '\n';
    }
  }
  return out;
}

MetricsRegistry& metrics() {
  static MetricsRegistry* registry = new MetricsRegistry();  // never destroyed: threads may record until exit
  return *registry;
}

}  // namespace pgs3
