#pragma once
/// What a run reports: the plan, every difference with the `curl` command
/// that shows it, a summary table by contract rule, and JSON and JUnit files.
/// Every function returns text with the run's tokens in it; the caller
/// passes all of it through a Redactor before it leaves the process.

#include <string>
#include <utility>
#include <vector>

#include "compare.hpp"
#include "probes.hpp"
#include "transport.hpp"

namespace scopegate::live {

/// A run's settings as `name: value` lines for the plan and the reports.
using Settings = std::vector<std::pair<std::string, std::string>>;

struct RunReport {
  const Plan& plan;
  const SendOutcome& outcome;
  const std::vector<Verdict>& verdicts;  ///< index-aligned with plan.probes
  double seconds = 0;
  int exit_status = 0;
};

/// The `--dry-run` plan: settings, notes, a count per rule, then one line per probe.
std::string plan_text(const Plan& plan, const Settings& settings);

/// One block per failed or errored probe, each with its curl command line.
std::string findings_text(const RunReport& report, const HttpOptions& http);

/// The table of probes per rule, totals, the broken rules and the timing.
std::string summary_text(const RunReport& report);

std::string json_report(const RunReport& report, const Settings& settings, const HttpOptions& http);
std::string junit_report(const RunReport& report, const HttpOptions& http);

/// A curl command line that sends the probe as the runner did: the raw
/// target byte for byte, the same method, headers and body.
std::string curl_command(const Probe& probe, const HttpOptions& http);

/// `text` with control bytes and invalid UTF-8 written as `\xNN`.
std::string for_display(std::string_view text);

}  // namespace scopegate::live
