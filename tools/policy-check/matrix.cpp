// `policy-check matrix`: every route and prefix family against every caller
// situation, and the text, Markdown, CSV and JSON writers (HTML is in
// matrix_html.cpp).

#include "matrix.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "load_policy.hpp"

namespace scopegate::cli {
namespace {

using analysis::AccessMatrix;
using analysis::MatrixRow;
using analysis::Situation;
using Json = nlohmann::ordered_json;

/// A reason in at most nine characters, for the text grid; the legend
/// spells them out.
std::string_view short_reason(Reason r) {
  switch (r) {
    case Reason::kMalformedPath: return "malformed";
    case Reason::kMethodOverride: return "override";
    case Reason::kUrlOverride: return "url";
    case Reason::kPublic: return "public";
    case Reason::kInvalidRequest: return "request";
    case Reason::kMissingToken: return "no-token";
    case Reason::kInvalidToken: return "bad-token";
    case Reason::kOperatorOnly: return "op-only";
    case Reason::kNoRoute: return "no-route";
    case Reason::kMethodNotAllowed: return "method";
    case Reason::kInvalidActor: return "bad-actor";
    case Reason::kOperatorBypass: return "bypass";
    case Reason::kInsufficientScope: return "scope";
    case Reason::kNotAMember: return "member";
    case Reason::kGranted: return "granted";
  }
  return "?";
}

std::string pad(std::string_view text, std::size_t width) {
  std::string out(text);
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

void write_text(std::ostream& out, const CompiledPolicy& policy, const AccessMatrix& m, const Style& st) {
  out << st.bold() << "access matrix of " << policy.spec().name << st.reset() << " (" << policy.spec().file
      << "): " << matrix_size_text(m) << "\n\n";

  std::vector<std::size_t> width(analysis::kSituationCount);
  for (Situation s : analysis::kSituations) width[static_cast<std::size_t>(s)] = analysis::situation_label(s).size();
  for (const auto& row : m.rows)
    for (std::size_t i = 0; i < width.size(); ++i)
      if (row.cells[i]) width[i] = std::max(width[i], 4 + short_reason(row.cells[i]->outcome.reason).size());

  out << st.bold() << pad("METHOD", 8);
  for (Situation s : analysis::kSituations)
    out << pad(analysis::situation_label(s), width[static_cast<std::size_t>(s)] + 2);
  out << "ROUTE" << st.reset() << '\n';
  for (const auto& row : m.rows) {
    out << pad(row.method, 8);
    for (std::size_t i = 0; i < width.size(); ++i) {
      if (!row.cells[i]) {
        out << st.dim() << pad("-", width[i] + 2) << st.reset();
        continue;
      }
      const analysis::Outcome& o = row.cells[i]->outcome;
      const std::string text = std::to_string(o.status()) + " " + std::string(short_reason(o.reason));
      out << (o.allow() ? st.green() : o.status() == 403 ? st.red() : std::string_view()) << pad(text, width[i] + 2)
          << st.reset();
    }
    out << row.pattern << "  " << st.dim() << matrix_guard(row) << (row.hidden ? ", hidden" : "") << st.reset()
        << '\n';
  }
  out << "\nEach cell is the status and reason that decide() returned for a concrete request on the route\n"
         "(`policy-check matrix --format json` lists each request). user: no scope; +scope: the route's scope\n"
         "(every scope on public and operator-only rows); +member: member of the route's project; '-': no project.\n"
         "Reasons: public, granted, bypass = operator_bypass, no-token = missing_token, bad-token = invalid_token,\n"
         "op-only = operator_only, scope = insufficient_scope, member = not_a_member, no-route, method =\n"
         "method_not_allowed, bad-actor = invalid_actor, request = invalid_request, malformed = malformed_path.\n";
}

void write_markdown(std::ostream& out, const CompiledPolicy& policy, const AccessMatrix& m) {
  out << "# Access matrix: " << policy.spec().name << "\n\n"
      << "`" << policy.spec().file << "`: " << matrix_size_text(m) << ". Each cell is the status and reason that `decide()` returned for a concrete request "
         "on the route; allowed cells are bold. *user*: no scope; *+scope*: the route's scope (every scope on public "
         "and operator-only rows); *+member*: member of the route's project; –: not a project route.\n\n"
      << "| method | route | guard | probe |";
  for (Situation s : analysis::kSituations) out << ' ' << analysis::situation_label(s) << " |";
  out << "\n|---|---|---|---|";
  for (std::size_t i = 0; i < analysis::kSituationCount; ++i) out << "---|";
  out << '\n';
  for (const auto& row : m.rows) {
    out << "| " << row.method << " | `" << row.pattern << '`' << (row.hidden ? " *(hidden)*" : "") << " | "
        << matrix_guard(row) << " | `" << row.target << "` |";
    for (const auto& cell : row.cells) {
      if (!cell) {
        out << " – |";
        continue;
      }
      const std::string text = cell->outcome.summary();
      out << ' ' << (cell->outcome.allow() ? "**" + text + "**" : text) << " |";
    }
    out << '\n';
  }
}

/// RFC 4180: quoted when the field holds a comma, a quote or a line break.
std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void write_csv(std::ostream& out, const AccessMatrix& m) {
  out << "kind,method,pattern,guard,hidden,target";
  for (Situation s : analysis::kSituations) out << ',' << analysis::situation_key(s);
  out << "\r\n";
  for (const auto& row : m.rows) {
    out << (row.kind == MatrixRow::Kind::kRoute ? "route" : "prefix_family") << ',' << csv_field(row.method) << ','
        << csv_field(row.pattern) << ',' << csv_field(matrix_guard(row)) << ',' << (row.hidden ? "true" : "false")
        << ',' << csv_field(row.target);
    for (const auto& cell : row.cells) out << ',' << (cell ? csv_field(cell->outcome.summary()) : "");
    out << "\r\n";
  }
}

}  // namespace

const std::map<std::string, MatrixFormat>& matrix_format_names() {
  static const std::map<std::string, MatrixFormat> names = {{"text", MatrixFormat::kText},
                                                            {"markdown", MatrixFormat::kMarkdown},
                                                            {"json", MatrixFormat::kJson},
                                                            {"csv", MatrixFormat::kCsv},
                                                            {"html", MatrixFormat::kHtml}};
  return names;
}

std::string matrix_size_text(const AccessMatrix& m) {
  const auto routes = static_cast<std::size_t>(
      std::count_if(m.rows.begin(), m.rows.end(), [](const MatrixRow& r) { return r.kind == MatrixRow::Kind::kRoute; }));
  const std::size_t families = m.rows.size() - routes;
  return std::to_string(routes) + (routes == 1 ? " route, " : " routes, ") + std::to_string(families) +
         (families == 1 ? " prefix family" : " prefix families");
}

std::string matrix_guard(const analysis::MatrixRow& row) {
  if (row.kind == MatrixRow::Kind::kFamily) return "operator-only prefix family";
  switch (row.auth) {
    case RouteAuth::kPublic: return "public";
    case RouteAuth::kOperatorOnly: return "operator-only";
    case RouteAuth::kScope: break;
  }
  return row.project_parameter.empty() ? "scope " + row.scope
                                       : "scope " + row.scope + ", member of {" + row.project_parameter + "}";
}

nlohmann::ordered_json matrix_json(const CompiledPolicy& policy, const AccessMatrix& m) {
  Json situations = Json::array();
  for (Situation s : analysis::kSituations)
    situations.push_back(Json{{"key", analysis::situation_key(s)}, {"label", analysis::situation_label(s)}});
  Json rows = Json::array();
  for (const auto& row : m.rows) {
    Json cells = Json::object();
    for (Situation s : analysis::kSituations) {
      const auto& cell = row.cells[static_cast<std::size_t>(s)];
      cells[std::string(analysis::situation_key(s))] =
          cell ? Json{{"status", cell->outcome.status()},
                      {"reason", reason_name(cell->outcome.reason)},
                      {"allow", cell->outcome.allow()},
                      {"caller", cell->probe.caller.describe()},
                      {"request", Json::parse(cell->probe.request_json())},
                      {"tokens", Json::parse(cell->probe.tokens_json())},
                      {"decision", Json::parse(cell->outcome.line)}}
               : Json(nullptr);
    }
    const bool route = row.kind == MatrixRow::Kind::kRoute;
    rows.push_back(Json{{"kind", route ? "route" : "prefix_family"},
                        {"method", row.method},
                        {"pattern", row.pattern},
                        {"guard", matrix_guard(row)},
                        {"scope", row.scope.empty() ? Json(nullptr) : Json(row.scope)},
                        {"project_parameter", row.project_parameter.empty() ? Json(nullptr) : Json(row.project_parameter)},
                        {"hidden", row.hidden},
                        {"line", row.pos.line},
                        {"column", row.pos.column},
                        {"target", row.target},
                        {"cells", std::move(cells)}});
  }
  return Json{{"policy", policy.spec().name},
              {"file", policy.spec().file},
              {"situations", std::move(situations)},
              {"rows", std::move(rows)}};
}

void write_matrix(std::ostream& out, const CompiledPolicy& policy, const AccessMatrix& matrix, MatrixFormat format,
                  const Style& style) {
  switch (format) {
    case MatrixFormat::kText: write_text(out, policy, matrix, style); break;
    case MatrixFormat::kMarkdown: write_markdown(out, policy, matrix); break;
    case MatrixFormat::kJson: out << matrix_json(policy, matrix).dump(2) << '\n'; break;
    case MatrixFormat::kCsv: write_csv(out, matrix); break;
    case MatrixFormat::kHtml: out << matrix_html(policy, matrix); break;
  }
}

namespace {

struct MatrixOptions {
  std::string file;
  MatrixFormat format = MatrixFormat::kText;
};

int run_matrix(const MatrixOptions& opt) {
  const auto policy = load_policy_or_report(opt.file);
  if (!policy) return kExitUsage;
  const auto kit = probe_kit_or_report(*policy);
  if (!kit) return kExitUsage;
  const Style style{opt.format == MatrixFormat::kText && use_colour(stdout)};
  write_matrix(std::cout, *policy, analysis::access_matrix(*policy, *kit), opt.format, style);
  std::cout.flush();
  return kExitClean;
}

}  // namespace

void register_matrix(CLI::App& app) {
  auto opt = std::make_shared<MatrixOptions>();
  CLI::App* cmd = app.add_subcommand(
      "matrix", "Print every route and method against every kind of caller; each cell is a real decision");
  cmd->add_option("file", opt->file, "Policy file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--format", opt->format, "Output format: text (default), markdown, json, csv or html")
      ->transform(named_choice(matrix_format_names()))
      ->option_text("text|markdown|json|csv|html");
  cmd->footer(
      "Rows: every route in policy order, then every operator-only prefix family (probed with GET on a path of the\n"
      "family that no route matches). Columns: anonymous; a user with no scope, or with the route's scope (every\n"
      "scope on public and operator-only rows), each a member of the route's project or not (project routes only);\n"
      "the operator; the operator with a malformed actor header. Each cell is decide() on a concrete request with a\n"
      "tokens table made for it; --format json lists the request, tokens and decision of every cell.\n"
      "html: one self-contained page (no external assets) with a coloured grid, hidden routes marked and a filter.\n"
      "Colours (text format) only on a terminal, never with NO_COLOR set.\n"
      "Exit status: 0 matrix written, 2 usage error or a policy that does not load.");
  cmd->callback([opt] { set_exit_code(run_matrix(*opt)); });
}

}  // namespace scopegate::cli
