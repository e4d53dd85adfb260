// The access matrix as one self-contained HTML page: inline CSS and
// JavaScript, no external asset, so that it can be attached to a review or a
// CI run and opened anywhere. The grid is static HTML; the script only
// filters rows and counts them.

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

#include "matrix.hpp"

namespace scopegate::cli {
namespace {

using analysis::MatrixRow;
using analysis::Situation;

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\n': out += "&#10;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// The CSS class of a cell: allowed, or the family of its status.
std::string_view cell_class(const analysis::Outcome& o) {
  if (o.allow()) return "allow";
  switch (o.status()) {
    case 401: return "s401";
    case 403: return "s403";
    case 404:
    case 405: return "s404";
    default: return "s400";
  }
}

constexpr std::string_view kStyle = R"css(
:root { --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --head: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #fff; }
header { padding: 16px 20px 8px; border-bottom: 1px solid var(--line); background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; }
h1 .name { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.meta { color: var(--muted); margin: 0 0 10px; max-width: 110ch; }
.controls { display: flex; gap: 16px; align-items: center; flex-wrap: wrap; margin-bottom: 8px; }
#filter { font: inherit; padding: 5px 8px; width: 28em; border: 1px solid var(--line); border-radius: 6px; }
#count { color: var(--muted); }
.legend { display: flex; gap: 10px; flex-wrap: wrap; font-size: 12px; color: var(--muted); }
.legend span { padding: 1px 8px; border-radius: 10px; border: 1px solid var(--line); }
#js-error { display: none; background: #ffebe9; color: #82071e; padding: 8px 20px; }
html[data-js-error] #js-error { display: block; }
main { padding: 0 20px 20px; overflow-x: auto; }
table { border-collapse: separate; border-spacing: 0; margin-top: 12px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: middle; }
thead th { position: sticky; top: 0; background: var(--head); z-index: 1; font-size: 12px; white-space: nowrap; border-top: 1px solid var(--line); }
td.route code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: nowrap; }
td.route .guard { display: block; color: var(--muted); font-size: 11px; white-space: nowrap; }
.method { font: 600 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.badge { display: inline-block; margin-left: 6px; padding: 0 6px; border-radius: 10px; font-size: 11px; font-weight: 600; vertical-align: 1px; }
.badge.hidden { background: #fff8c5; color: #7d4e00; border: 1px solid #d4a72c; }
.badge.family { background: #ddf4ff; color: #0550ae; border: 1px solid #54aeff; }
tr.is-hidden td.route code { font-style: italic; }
td.cell { text-align: center; min-width: 6.5em; font-size: 11px; white-space: nowrap; border-left: 2px solid #fff; padding: 3px 6px; }
td.cell b { display: block; font-size: 13px; }
td.allow { background: #dafbe1; color: #116329; }
td.s401 { background: #fff1c2; color: #6f4b00; }
td.s403 { background: #ffdcd7; color: #a0111f; }
td.s404 { background: #eaeef2; color: #424a53; }
td.s400 { background: #f0e6ff; color: #5e2ca5; }
td.na { background: repeating-linear-gradient(135deg, #f6f8fa, #f6f8fa 4px, #fff 4px, #fff 8px); color: #8c959f; }
tbody tr:hover td { filter: brightness(0.96); }
)css";

constexpr std::string_view kErrorHook = R"js(
window.addEventListener("error", function (e) {
  document.documentElement.setAttribute("data-js-error", String(e.message || e));
  var box = document.getElementById("js-error");
  if (box) box.textContent = "script error: " + (e.message || e);
});
)js";

constexpr std::string_view kScript = R"js(
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("#matrix tbody tr"));
  var filter = document.getElementById("filter");
  var showHidden = document.getElementById("show-hidden");
  var count = document.getElementById("count");
  function apply() {
    var words = filter.value.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; });
    var shown = 0;
    rows.forEach(function (tr) {
      var text = tr.getAttribute("data-search");
      var visible = (showHidden.checked || tr.getAttribute("data-hidden") !== "true") &&
        words.every(function (w) { return text.indexOf(w) !== -1; });
      tr.hidden = !visible;
      if (visible) shown += 1;
    });
    count.textContent = shown + " of " + rows.length + " rows shown";
  }
  filter.addEventListener("input", apply);
  showHidden.addEventListener("change", apply);
  var query = new URLSearchParams(window.location.search).get("filter");
  if (query) filter.value = query;
  apply();
  document.documentElement.setAttribute("data-ready", String(rows.length));
})();
)js";

}  // namespace

std::string matrix_html(const CompiledPolicy& policy, const analysis::AccessMatrix& m) {
  const std::string name = escape(policy.spec().name);
  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>Access matrix: " + name + "</title>\n<script>" + std::string(kErrorHook) + "</script>\n";
  out += "<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  out += "<div id=\"js-error\" role=\"alert\"></div>\n<header>\n";
  out += "<h1>Access matrix <span class=\"name\">" + name + "</span></h1>\n";
  out += "<p class=\"meta\"><code>" + escape(policy.spec().file) + "</code>: " + matrix_size_text(m) + ". Each cell is the status and reason that <code>decide()</code> returned for a concrete "
         "request; hover a cell for the request and the caller. <i>user</i>: no scope; <i>+scope</i>: the route's "
         "scope (every scope on public and operator-only rows); <i>+member</i>: member of the route's project "
         "(project routes only).</p>\n";
  out += "<div class=\"controls\"><input id=\"filter\" type=\"search\" "
         "placeholder=\"Filter: method, path, scope, reason\" aria-label=\"Filter rows\">"
         "<label><input id=\"show-hidden\" type=\"checkbox\" checked> show hidden routes</label>"
         "<span id=\"count\" aria-live=\"polite\"></span></div>\n";
  out += "<div class=\"legend\"><span style=\"background:#dafbe1\">allowed</span>"
         "<span style=\"background:#fff1c2\">401 no or bad token</span>"
         "<span style=\"background:#ffdcd7\">403 denied</span>"
         "<span style=\"background:#eaeef2\">404 / 405</span>"
         "<span style=\"background:#f0e6ff\">400 bad request</span>"
         "<span>– not a project route</span></div>\n</header>\n<main>\n";

  out += "<table id=\"matrix\">\n<thead><tr><th>method</th><th>route and guard</th>";
  for (Situation s : analysis::kSituations) out += "<th>" + escape(analysis::situation_label(s)) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : m.rows) {
    const bool family = row.kind == MatrixRow::Kind::kFamily;
    const std::string guard = matrix_guard(row);
    std::string search = row.method + " " + row.pattern + " " + guard + " " + row.target;
    if (row.hidden) search += " hidden";
    for (const auto& cell : row.cells)
      if (cell) search += " " + cell->outcome.summary();
    out += "<tr class=\"row" + std::string(row.hidden ? " is-hidden" : "") + "\" data-route=\"" +
           escape(row.method + " " + row.pattern) + "\" data-hidden=\"" + (row.hidden ? "true" : "false") +
           "\" data-search=\"" + escape(lower(search)) + "\">";
    out += "<td class=\"method\">" + escape(row.method) + "</td>";
    out += "<td class=\"route\"><code>" + escape(row.pattern) + "</code>";
    if (row.hidden) out += "<span class=\"badge hidden\" title=\"left out of public listings\">hidden</span>";
    if (family) out += "<span class=\"badge family\">prefix family</span>";
    out += "<span class=\"guard\">" + escape(guard) + "</span></td>";
    for (Situation s : analysis::kSituations) {
      const auto& cell = row.cells[static_cast<std::size_t>(s)];
      if (!cell) {
        out += "<td class=\"cell na\" title=\"not a project route\">–</td>";
        continue;
      }
      const analysis::Outcome& o = cell->outcome;
      const std::string title = cell->probe.caller.describe() + "\n" + cell->probe.method + " " +
                                cell->probe.target + "\n" + o.summary() +
                                (o.route.empty() ? "" : " (route " + o.route + ")");
      out += "<td class=\"cell " + std::string(cell_class(o)) + "\" title=\"" + escape(title) + "\"><b>" +
             std::to_string(o.status()) + "</b>" + escape(reason_name(o.reason)) + "</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n</main>\n<script>" + std::string(kScript) + "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace scopegate::cli
