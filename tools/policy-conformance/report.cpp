#include "report.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

namespace scopegate::live {

std::string for_display(std::string_view text) {
  std::string out;
  auto hex = [&](unsigned char c) {
    char buf[5];
    std::snprintf(buf, sizeof buf, "\\x%02X", c);
    out += buf;
  };
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7F) hex(c);
      else out += static_cast<char>(c);
      ++i;
      continue;
    }
    // Keep a well-formed UTF-8 sequence (rule labels hold §, masks hold …).
    std::size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
    bool ok = n > 0 && i + n <= text.size();
    for (std::size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (ok) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      hex(c);
      ++i;
    }
  }
  return out;
}

namespace {

// Shell words: single quotes for printable ASCII, $'...' with \xNN otherwise.
std::string shell_quote(std::string_view s) {
  bool plain = std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
  std::string out;
  if (plain) {
    out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  }
  out = "$'";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7F) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02X", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Orders rule labels as a reader expects: "§1 step 2" before "§1 step 10".
bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    bool da = a[i] >= '0' && a[i] <= '9', db = b[j] >= '0' && b[j] <= '9';
    if (da && db) {
      std::size_t ei = i, ej = j;
      while (ei < a.size() && a[ei] >= '0' && a[ei] <= '9') ++ei;
      while (ej < b.size() && b[ej] >= '0' && b[ej] <= '9') ++ej;
      long x = std::stol(a.substr(i, ei - i)), y = std::stol(b.substr(j, ej - j));
      if (x != y) return x < y;
      i = ei;
      j = ej;
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

struct RuleCount {
  std::size_t probes = 0, passed = 0, failed = 0, errors = 0, held_back = 0, not_sent = 0;
};

using RuleTable = std::map<std::string, RuleCount, decltype(&natural_less)>;

RuleTable count_rules(const RunReport& r) {
  RuleTable table(&natural_less);
  for (std::size_t i = 0; i < r.plan.probes.size(); ++i) {
    RuleCount& c = table[r.plan.probes[i].rule];
    ++c.probes;
    switch (r.verdicts[i].kind) {
      case Verdict::Kind::kPass: ++c.passed; break;
      case Verdict::Kind::kFail: ++c.failed; break;
      case Verdict::Kind::kError: ++c.errors; break;
      case Verdict::Kind::kHeldBack: ++c.held_back; break;
      case Verdict::Kind::kNotSent: ++c.not_sent; break;
    }
  }
  return table;
}

// Display width of UTF-8 text: one column per code point.
std::size_t width(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string pad(std::string_view s, std::size_t w) { return std::string(s) + std::string(w > width(s) ? w - width(s) : 0, ' '); }

std::string rpad(std::size_t n, std::size_t w) {
  std::string s = std::to_string(n);
  return std::string(w > s.size() ? w - s.size() : 0, ' ') + s;
}

std::string expected_text(const Expected& e) {
  return std::to_string(e.status()) + " " + std::string(reason_name(e.reason));
}

std::string request_line(const Probe& p) { return for_display(p.method) + " " + for_display(p.target); }

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", s);
  return buf;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : for_display(s)) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string retry_text(const Exchange& ex) {
  if (ex.retries.empty()) return {};
  std::string out = " (" + std::to_string(ex.attempts) + " attempts:";
  for (const auto& r : ex.retries) out += " " + r + ";";
  out.back() = ')';
  return out;
}

}  // namespace

std::string curl_command(const Probe& p, const HttpOptions& http) {
  std::string cmd = "curl -sS -i --http1.1";
  if (http.insecure) cmd += " --insecure";
  if (p.method == "HEAD") cmd += " -I";
  else if (p.method != "GET") cmd += " -X " + shell_quote(p.method);
  bool has_content_type = false;
  for (const auto& [name, value] : p.headers) {
    cmd += " -H " + shell_quote(value.empty() ? name + ";" : name + ": " + value);
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "content-type") has_content_type = true;
  }
  if (p.method == "POST" || p.method == "PUT" || p.method == "PATCH") {
    if (!has_content_type) cmd += " -H 'Content-Type: application/json'";
    cmd += " --data-raw " + shell_quote(kWriteBody);
  }
  if (url_safe(p.target)) cmd += " --path-as-is " + shell_quote(http.origin + p.target);
  else cmd += " --request-target " + shell_quote(p.target) + " " + shell_quote(http.origin + "/");
  return cmd;
}

std::string plan_text(const Plan& plan, const Settings& settings) {
  std::ostringstream out;
  out << "policy-conformance plan (dry run: nothing is sent)\n";
  for (const auto& [k, v] : settings) out << "  " << k << ": " << v << '\n';
  std::size_t held = std::count_if(plan.probes.begin(), plan.probes.end(), [](const Probe& p) { return p.held_back; });
  out << '\n'
      << plan.probes.size() << " probes, " << plan.probes.size() - held << " to send, " << held
      << " held back (allowed writes: --allow-writes sends them).\n"
      << "Writes expected to be denied are sent: a server that wrongly allows one is exactly the finding.\n";
  if (plan.grant_dependent)
    out << plan.grant_dependent << " probes left out: their outcome depends on the scopes and projects of the --token "
        << "token, which the tokens file does not list.\n";
  if (plan.unsendable) out << plan.unsendable << " case requests left out: HTTP/1.1 cannot carry them as written.\n";
  for (const auto& n : plan.notes) out << "note: " << n << '\n';

  RuleTable table(&natural_less);
  for (const Probe& p : plan.probes) {
    ++table[p.rule].probes;
    if (p.held_back) ++table[p.rule].held_back;
  }
  std::size_t w = 4;
  for (const auto& [rule, c] : table) w = std::max(w, width(rule));
  out << '\n' << pad("rule", w) << "  probes  held back\n";
  for (const auto& [rule, c] : table) out << pad(rule, w) << "  " << rpad(c.probes, 6) << "  " << rpad(c.held_back, 9) << '\n';
  out << '\n';
  for (const Probe& p : plan.probes)
    out << p.id << (p.held_back ? " held " : "      ") << pad(request_line(p), 60) << " -> " << expected_text(p.expected)
        << "  [" << p.rule << "] " << for_display(p.note) << '\n';
  return out.str();
}

std::string findings_text(const RunReport& r, const HttpOptions& http) {
  std::ostringstream out;
  for (std::size_t i = 0; i < r.plan.probes.size(); ++i) {
    const Verdict& v = r.verdicts[i];
    if (v.kind != Verdict::Kind::kFail && v.kind != Verdict::Kind::kError) continue;
    const Probe& p = r.plan.probes[i];
    out << (v.kind == Verdict::Kind::kFail ? "FAIL " : "ERROR ") << p.id << " [" << p.rule << "] " << for_display(p.note)
        << '\n';
    out << "  " << request_line(p) << "  (" << p.source << ")\n";
    for (const auto& d : v.differences) out << "  " << for_display(d) << retry_text(r.outcome.exchanges[i]) << '\n';
    out << "  " << curl_command(p, http) << "\n\n";
  }
  return out.str();
}

std::string summary_text(const RunReport& r) {
  RuleTable table = count_rules(r);
  RuleCount total;
  std::size_t w = 5;
  for (const auto& [rule, c] : table) {
    w = std::max(w, width(rule));
    total.probes += c.probes;
    total.passed += c.passed;
    total.failed += c.failed;
    total.errors += c.errors;
    total.held_back += c.held_back;
    total.not_sent += c.not_sent;
  }
  std::ostringstream out;
  auto row = [&](std::string_view label, const RuleCount& c) {
    out << pad(label, w) << "  " << rpad(c.probes, 6) << "  " << rpad(c.passed, 6) << "  " << rpad(c.failed, 6) << "  "
        << rpad(c.errors, 6) << "  " << rpad(c.held_back, 9) << '\n';
  };
  out << pad("rule", w) << "  probes  passed  failed  errors  held back\n";
  for (const auto& [rule, c] : table) row(rule, c);
  row("total", total);

  std::vector<std::pair<std::string, RuleCount>> broken;
  for (const auto& [rule, c] : table)
    if (c.failed) broken.emplace_back(rule, c);
  std::stable_sort(broken.begin(), broken.end(), [](const auto& a, const auto& b) { return a.second.failed > b.second.failed; });
  if (!broken.empty()) {
    out << "\nbroken rules:\n";
    for (const auto& [rule, c] : broken)
      out << "  " << rule << ": " << c.failed << " of " << c.probes << " probes differ\n";
  }
  std::size_t sent = total.probes - total.held_back - total.not_sent;
  out << '\n' << sent << " probes sent in " << seconds_text(r.seconds) << " s";
  if (total.held_back) out << ", " << total.held_back << " held back (allowed writes; --allow-writes sends them)";
  if (total.not_sent) out << ", " << total.not_sent << " not sent (the run stopped)";
  out << ".\n";
  if (r.outcome.unreachable) out << "the target could not be reached: " << r.outcome.unreachable_reason << '\n';
  else if (total.failed || total.errors)
    out << total.failed << " probes differ from the policy, " << total.errors << " got no response.\n";
  else out << "every probe sent got the response the policy requires.\n";
  return out.str();
}

std::string json_report(const RunReport& r, const Settings& settings, const HttpOptions& http) {
  using json = nlohmann::ordered_json;
  static constexpr const char* kResult[] = {"pass", "fail", "error", "held_back", "not_sent"};
  json doc;
  doc["tool"] = "policy-conformance";
  json s = json::object();
  for (const auto& [k, v] : settings) s[k] = v;
  doc["settings"] = s;
  RuleTable table = count_rules(r);
  json rules = json::array(), broken = json::array();
  for (const auto& [rule, c] : table) {
    rules.push_back({{"rule", rule}, {"probes", c.probes}, {"passed", c.passed}, {"failed", c.failed},
                     {"errors", c.errors}, {"held_back", c.held_back}, {"not_sent", c.not_sent}});
    if (c.failed) broken.push_back(rule);
  }
  std::size_t counts[5] = {};
  for (const auto& v : r.verdicts) ++counts[static_cast<int>(v.kind)];
  doc["summary"] = {{"probes", r.plan.probes.size()}, {"passed", counts[0]}, {"failed", counts[1]},
                    {"errors", counts[2]},           {"held_back", counts[3]}, {"not_sent", counts[4]},
                    {"seconds", r.seconds},          {"unreachable", r.outcome.unreachable},
                    {"exit_status", r.exit_status}};
  if (r.outcome.unreachable) doc["summary"]["unreachable_reason"] = r.outcome.unreachable_reason;
  doc["rules"] = rules;
  doc["broken_rules"] = broken;
  json probes = json::array();
  for (std::size_t i = 0; i < r.plan.probes.size(); ++i) {
    const Probe& p = r.plan.probes[i];
    const Exchange& ex = r.outcome.exchanges[i];
    const Verdict& v = r.verdicts[i];
    json headers = json::array();
    for (const auto& [n, val] : p.headers) headers.push_back({for_display(n), for_display(val)});
    json expected = {{"status", p.expected.status()}, {"reason", reason_name(p.expected.reason)},
                     {"allow", p.expected.allow()}};
    if (!p.expected.route.empty()) expected["route"] = p.expected.route;
    if (!p.expected.www_authenticate.empty()) expected["www_authenticate"] = p.expected.www_authenticate;
    if (!p.expected.allow_methods.empty()) expected["allow_methods"] = p.expected.allow_methods;
    json item = {{"id", p.id}, {"rule", p.rule}, {"note", for_display(p.note)}, {"source", p.source},
                 {"method", for_display(p.method)}, {"target", for_display(p.target)}, {"headers", headers},
                 {"expected", expected}, {"result", kResult[static_cast<int>(v.kind)]}};
    if (ex.sent) {
      item["attempts"] = ex.attempts;
      if (!ex.retries.empty()) item["retries"] = ex.retries;
    }
    if (ex.response) {
      json resp = {{"status", ex.response->status}};
      if (auto w = ex.response->values("WWW-Authenticate"); !w.empty()) resp["www_authenticate"] = w;
      if (auto a = ex.response->values("Allow"); !a.empty()) resp["allow"] = a;
      if (auto code = error_code(ex.response->body)) resp["code"] = *code;
      item["response"] = resp;
    }
    if (!v.differences.empty()) item["differences"] = v.differences;
    if (v.kind == Verdict::Kind::kFail || v.kind == Verdict::Kind::kError) item["curl"] = curl_command(p, http);
    probes.push_back(item);
  }
  doc["probes"] = probes;
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string junit_report(const RunReport& r, const HttpOptions& http) {
  RuleTable table = count_rules(r);
  std::map<std::string, std::vector<std::size_t>, decltype(&natural_less)> by_rule(&natural_less);
  for (std::size_t i = 0; i < r.plan.probes.size(); ++i) by_rule[r.plan.probes[i].rule].push_back(i);
  RuleCount total;
  for (const auto& [rule, c] : table) {
    total.probes += c.probes;
    total.failed += c.failed;
    total.errors += c.errors;
    total.held_back += c.held_back + c.not_sent;
  }
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"policy-conformance\" tests=\"" << total.probes << "\" failures=\"" << total.failed
      << "\" errors=\"" << total.errors << "\" skipped=\"" << total.held_back << "\" time=\"" << seconds_text(r.seconds)
      << "\">\n";
  for (const auto& [rule, indexes] : by_rule) {
    const RuleCount& c = table[rule];
    out << "  <testsuite name=\"" << xml_escape(rule) << "\" tests=\"" << c.probes << "\" failures=\"" << c.failed
        << "\" errors=\"" << c.errors << "\" skipped=\"" << c.held_back + c.not_sent << "\">\n";
    for (std::size_t i : indexes) {
      const Probe& p = r.plan.probes[i];
      const Verdict& v = r.verdicts[i];
      out << "    <testcase classname=\"" << xml_escape(rule) << "\" name=\"" << xml_escape(p.id + " " + p.method + " " + p.target)
          << "\">";
      std::string detail = p.note + "\nexpected: " + expected_text(p.expected) + "\nsource: " + p.source;
      for (const auto& d : v.differences) detail += "\n" + d;
      switch (v.kind) {
        case Verdict::Kind::kPass: break;
        case Verdict::Kind::kFail:
        case Verdict::Kind::kError:
          out << "\n      <" << (v.kind == Verdict::Kind::kFail ? "failure" : "error") << " message=\""
              << xml_escape(v.differences.front()) << "\">" << xml_escape(detail + retry_text(r.outcome.exchanges[i]) +
                                                                           "\n" + curl_command(p, http))
              << "</" << (v.kind == Verdict::Kind::kFail ? "failure" : "error") << ">\n    ";
          break;
        case Verdict::Kind::kHeldBack:
          out << "<skipped message=\"held back: an allowed write; --allow-writes sends it\"/>";
          break;
        case Verdict::Kind::kNotSent:
          out << "<skipped message=\"not sent: the run stopped\"/>";
          break;
      }
      out << "</testcase>\n";
    }
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
  return out.str();
}

}  // namespace scopegate::live
