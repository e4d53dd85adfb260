#pragma once
// The engine against the reference evaluator (conformance/reference), field by
// field: the differential oracle that several targets share, in the manner of
// Cedar's differential fuzzing against its reference model.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"
#include "reference/from_engine.hpp"
#include "reference/reference.hpp"

namespace scopegate::fuzz {

using HeaderPairs = std::vector<std::pair<std::string, std::string>>;

/// Prints a request so that a finding can be turned into a conformance case.
inline std::string describe(std::string_view method, std::string_view target, const HeaderPairs& headers) {
  std::string out = "method: ";
  detail::append_json_string(out, method);
  out += "\n  target: ";
  detail::append_json_string(out, target);
  out += "\n  headers:";
  for (const auto& [name, value] : headers) {
    out += " [";
    detail::append_json_string(out, name);
    out += ", ";
    detail::append_json_string(out, value);
    out += "]";
  }
  return out;
}

/// Decides with the engine and with the reference and aborts on any field that
/// differs. Returns the engine's decision for further checks by the caller.
inline Decision decide_both(const CompiledPolicy& policy, const TokensFile& tokens, const TokenResolver& resolver,
                            const OperatorSecret& secret, const std::optional<std::string>& secret_text,
                            std::string_view method, std::string_view target, const HeaderPairs& headers) {
  std::vector<Header> views;
  views.reserve(headers.size());
  for (const auto& [name, value] : headers) views.push_back(Header{name, value});
  const Decision d = decide(policy, Request{method, target, views}, resolver, secret);
  const reference::RefDecision engine = reference::from_engine(d);
  const reference::RefDecision ref = reference::evaluate(policy.spec(), method, target, headers, tokens, secret_text);
  SCOPEGATE_FUZZ_CHECK(engine == ref, "engine and reference differ\n  %s\n  engine:    %s\n  reference: %s",
                       describe(method, target, headers).c_str(), reference::to_json(engine).c_str(),
                       reference::to_json(ref).c_str());
  return d;
}

}  // namespace scopegate::fuzz
