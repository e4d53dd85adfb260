// `policy-check diff OLD NEW`: the exact semantic difference between two
// policies, by enumeration (scopegate/analysis.hpp), and a "no new access"
// gate for CI.

#include <algorithm>
#include <array>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "commands.hpp"
#include "findings.hpp"
#include "load_policy.hpp"
#include "scopegate/analysis.hpp"
#include "scopegate/render.hpp"

namespace scopegate::cli {
namespace {

using analysis::PolicyDiff;
using analysis::RequestChange;
using analysis::RouteChange;
using Json = nlohmann::ordered_json;

enum class DiffFormat { kText, kJson };

struct DiffOptions {
  std::string before;
  std::string after;
  DiffFormat format = DiffFormat::kText;
};

constexpr std::array<std::string_view, 3> kRequestChangeNames = {"newly_allowed", "newly_denied", "changed"};
constexpr std::array<std::string_view, 3> kRouteChangeNames = {"added", "removed", "changed"};

std::size_t count_requests(const PolicyDiff& d, RequestChange::Kind kind) {
  return static_cast<std::size_t>(
      std::count_if(d.requests.begin(), d.requests.end(), [&](const RequestChange& c) { return c.kind == kind; }));
}

std::size_t count_routes(const PolicyDiff& d, RouteChange::Kind kind) {
  return static_cast<std::size_t>(
      std::count_if(d.routes.begin(), d.routes.end(), [&](const RouteChange& c) { return c.kind == kind; }));
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

/// `403 insufficient_scope (app:read)`: the status, the reason and what the
/// response names besides.
std::string outcome_text(const analysis::Outcome& o) {
  switch (o.reason) {
    case Reason::kInsufficientScope: return o.summary() + " (" + o.required_scope + ")";
    case Reason::kNotAMember: return o.summary() + " (" + o.project + ")";
    case Reason::kMethodNotAllowed: return o.summary() + " (Allow: " + allow_header(o.allowed_methods) + ")";
    default: return o.summary();
  }
}

/// The route that decided, `GET /a/{id}`, or `GET /a/{id} -> GET /a/{name}`
/// when the two policies chose different ones; empty when neither chose one.
std::string route_text(const RequestChange& c) {
  if (c.before.route == c.after.route) return c.after.route;
  return (c.before.route.empty() ? "no route" : c.before.route) + " -> " +
         (c.after.route.empty() ? "no route" : c.after.route);
}

void write_text(std::ostream& out, const DiffOptions& opt, const PolicyDiff& d, const Style& st) {
  using K = RequestChange::Kind;
  out << st.bold() << opt.before << " -> " << opt.after << st.reset() << ": ";
  if (d.empty()) {
    out << "no difference (" << d.requests_compared << " requests compared)\n";
    return;
  }
  out << plural(count_requests(d, K::kNewlyAllowed), "request", "requests") << " newly allowed, "
      << count_requests(d, K::kNewlyDenied) << " newly denied, " << count_requests(d, K::kChanged)
      << " answered otherwise (of " << d.requests_compared
      << " compared); routes: " << count_routes(d, RouteChange::Kind::kAdded) << " added, "
      << count_routes(d, RouteChange::Kind::kRemoved) << " removed, " << count_routes(d, RouteChange::Kind::kChanged)
      << " changed\n";

  if (!d.routes.empty()) {
    out << '\n' << st.bold() << "Routes" << st.reset() << '\n';
    for (const auto& r : d.routes) {
      switch (r.kind) {
        case RouteChange::Kind::kAdded: out << "  added    " << r.after << '\n'; break;
        case RouteChange::Kind::kRemoved: out << "  removed  " << r.before << '\n'; break;
        case RouteChange::Kind::kChanged: out << "  changed  " << r.before << "\n       -> " << r.after << '\n'; break;
      }
    }
  }
  if (!d.prefixes_added.empty() || !d.prefixes_removed.empty()) {
    out << '\n' << st.bold() << "Operator-only prefix families" << st.reset() << '\n';
    for (const auto& p : d.prefixes_added) out << "  added    " << p << "*\n";
    for (const auto& p : d.prefixes_removed) out << "  removed  " << p << "*\n";
  }
  if (!d.settings.empty()) {
    out << '\n' << st.bold() << "Settings" << st.reset() << '\n';
    for (const auto& s : d.settings) out << "  " << s << '\n';
  }

  constexpr std::array<std::string_view, 3> kHeadings = {
      "Newly allowed: the new policy allows what the old one denied", "Newly denied",
      "Answered otherwise: another status, reason, required scope, Allow list or project"};
  for (K kind : {K::kNewlyAllowed, K::kNewlyDenied, K::kChanged}) {
    if (count_requests(d, kind) == 0) continue;
    const std::string_view colour = kind == K::kNewlyAllowed ? st.red() : kind == K::kNewlyDenied ? st.yellow() : st.cyan();
    out << '\n' << colour << kHeadings[static_cast<std::size_t>(kind)] << st.reset() << '\n';
    std::string last;
    for (const auto& c : d.requests) {
      if (c.kind != kind) continue;
      const std::string request = c.probe.method + " " + c.probe.target;
      const std::string route = route_text(c);
      if (request + route != last)
        out << "  " << st.bold() << request << st.reset() << (route.empty() ? "" : "  " + std::string(st.dim()) + "route " + route + std::string(st.reset())) << '\n';
      last = request + route;
      out << "    " << c.probe.caller.describe() << ": " << outcome_text(c.before) << " -> " << outcome_text(c.after)
          << '\n';
    }
  }
}

Json outcome_json(const analysis::Outcome& o) { return Json::parse(o.line); }

void write_json(std::ostream& out, const DiffOptions& opt, const PolicyDiff& d) {
  using K = RequestChange::Kind;
  Json routes = Json::array();
  for (const auto& r : d.routes)
    routes.push_back({{"change", kRouteChangeNames[static_cast<std::size_t>(r.kind)]},
                      {"before", r.before.empty() ? Json(nullptr) : Json(r.before)},
                      {"after", r.after.empty() ? Json(nullptr) : Json(r.after)}});
  Json families = Json::array();
  for (const auto& p : d.prefixes_added) families.push_back({{"change", "added"}, {"prefix", p}});
  for (const auto& p : d.prefixes_removed) families.push_back({{"change", "removed"}, {"prefix", p}});
  Json requests = Json::array();
  for (const auto& c : d.requests)
    requests.push_back({{"change", kRequestChangeNames[static_cast<std::size_t>(c.kind)]},
                        {"method", c.probe.method},
                        {"target", c.probe.target},
                        {"caller", c.probe.caller.describe()},
                        {"before", outcome_json(c.before)},
                        {"after", outcome_json(c.after)},
                        {"request", Json::parse(c.probe.request_json())},
                        {"tokens", Json::parse(c.probe.tokens_json())}});
  Json doc = {{"old", opt.before},
              {"new", opt.after},
              {"new_access", d.new_access()},
              {"identical", d.empty()},
              {"requests_compared", d.requests_compared},
              {"summary",
               {{"newly_allowed", count_requests(d, K::kNewlyAllowed)},
                {"newly_denied", count_requests(d, K::kNewlyDenied)},
                {"changed", count_requests(d, K::kChanged)},
                {"routes_added", count_routes(d, RouteChange::Kind::kAdded)},
                {"routes_removed", count_routes(d, RouteChange::Kind::kRemoved)},
                {"routes_changed", count_routes(d, RouteChange::Kind::kChanged)}}},
              {"routes", std::move(routes)},
              {"prefix_families", std::move(families)},
              {"settings", d.settings},
              {"requests", std::move(requests)}};
  out << doc.dump(2) << '\n';
}

int run_diff(const DiffOptions& opt) {
  const auto before = load_policy_or_report(opt.before);
  const auto after = load_policy_or_report(opt.after);
  if (!before || !after) return kExitUsage;
  const CompiledPolicy* both[] = {before.get(), after.get()};
  const auto kit = probe_kit_or_report(std::span<const CompiledPolicy* const>(both));
  if (!kit) return kExitUsage;
  const PolicyDiff d = analysis::diff_policies(*before, *after, *kit);
  if (opt.format == DiffFormat::kJson) write_json(std::cout, opt, d);
  else write_text(std::cout, opt, d, Style{use_colour(stdout)});
  std::cout.flush();
  if (d.new_access()) return kExitNewAccess;
  return d.empty() ? kExitClean : kExitFindings;
}

}  // namespace

void register_diff(CLI::App& app) {
  auto opt = std::make_shared<DiffOptions>();
  CLI::App* cmd = app.add_subcommand(
      "diff", "Show exactly which requests two policies decide differently, newly allowed access first");
  cmd->add_option("old", opt->before, "The policy as it is")->required()->check(CLI::ExistingFile);
  cmd->add_option("new", opt->after, "The policy as proposed")->required()->check(CLI::ExistingFile);
  const std::map<std::string, DiffFormat> formats = {{"text", DiffFormat::kText}, {"json", DiffFormat::kJson}};
  cmd->add_option("--format", opt->format, "Output format: text (default) or json")
      ->transform(named_choice(formats))
      ->option_text("text|json");
  cmd->footer(
      "Exact, by enumeration: every class of paths that either policy treats alike (routes and prefix families of\n"
      "both), every declarable method, and every kind of caller (anonymous; users holding each combination of the\n"
      "scopes and projects the two decisions name; the operator, also with a malformed actor header) is decided by\n"
      "both policies with decide(). Reported: requests newly allowed, newly denied or answered otherwise (another\n"
      "status, reason, required scope, Allow list or project), each with the caller; routes added, removed or\n"
      "changed (paired by method and pattern, parameter names aside); prefix families; token class settings.\n"
      "Colours only on a terminal, never with NO_COLOR set.\n"
      "Exit status: 0 no difference, 1 differences but no new access, 2 usage error or a policy that does not load,\n"
      "3 NEW allows some request that OLD denied (use it as a \"no new access\" gate in CI).");
  cmd->callback([opt] { set_exit_code(run_diff(*opt)); });
}

}  // namespace scopegate::cli
