#pragma once
/// An engine Decision in the reference evaluator's terms, so that the two
/// compare field by field. Only the conversion lives here: the reference
/// evaluator itself still shares no code with the engine.

#include <optional>
#include <string>
#include <string_view>

#include "reference/reference.hpp"
#include "scopegate/decision.hpp"

namespace scopegate::reference {

/// Every fact of contract section 8; an empty view is the contract's null.
/// The allowed methods are copied whatever the reason, so that an engine that
/// sets them outside a 405 differs from the reference.
inline RefDecision from_engine(const Decision& d) {
  RefDecision r;
  r.allow = d.allow();
  r.status = d.status();
  r.reason = std::string(reason_name(d.reason));
  const auto text = [](std::string_view v) { return v.empty() ? std::nullopt : std::optional<std::string>(v); };
  r.route = text(d.route);
  r.required_scope = text(d.required_scope);
  if (d.has_project()) r.project = std::string(d.project());
  r.actor = text(d.actor);
  r.actor_header_ignored = d.actor_header_ignored;
  for (std::size_t i = 0; i < kMethodCount; ++i) {
    const auto m = static_cast<Method>(i);
    if ((d.allowed_methods & method_bit(m)) != 0) r.allowed_methods.emplace_back(method_name(m));
  }
  return r;
}

}  // namespace scopegate::reference
