#include "engine_adapter.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "reference/from_engine.hpp"

namespace scopegate::conformance {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// decode-slash: what a server does that decodes the path before routing.
// Only the path: the query is left alone, as such servers do.
std::string slashes_decoded(std::string target) {
  std::size_t end = std::min(target.find('?'), target.size());
  for (std::size_t i = 0; i + 2 < end; ++i)
    if (target[i] == '%' && target[i + 1] == '2' && (target[i + 2] == 'F' || target[i + 2] == 'f')) {
      target.replace(i, 3, "/");
      end -= 2;
    }
  return target;
}

}  // namespace

const FaultInfo* find_fault(std::string_view name) {
  for (const auto& f : kFaults)
    if (f.name == name) return &f;
  return nullptr;
}

reference::RefDecision decide_with_engine(const CaseRequest& request, const CompiledPolicy& policy,
                                          const TokenResolver& resolver, const OperatorSecret& secret, Fault fault) {
  // The faults that rewrite the request do so before the engine sees it.
  std::string method = request.method;
  // The engine decides a method that is not one of its eight, nor exact HEAD,
  // as one with no routes, which is what HEAD is to a router that never maps it to GET.
  if (fault == Fault::kHeadNotGet && method == "HEAD") method = "head";
  std::string target = fault == Fault::kDecodeSlash ? slashes_decoded(request.target) : request.target;
  std::vector<Header> headers;
  for (const auto& [name, value] : request.headers) headers.push_back({name, value});

  Decision d = decide(policy, Request{method, target, headers}, resolver, secret);

  // The faults that overrule the engine do so afterwards.
  // Step 12 is the last denial and leaves every fact of step 13 set, so
  // granted with the same facts is what a member would have been answered.
  if (fault == Fault::kSkipMembership && d.reason == Reason::kNotAMember) d.reason = Reason::kGranted;
  if (fault == Fault::kIgnoreOperatorOnly && d.reason == Reason::kOperatorOnly) d.reason = Reason::kGranted;
  // INVARIANT: actor_header_ignored is set exactly when a user token came
  // with the actor header, so `sent` is found.
  if (fault == Fault::kTrustActor && d.actor_header_ignored) {
    auto sent = std::find_if(headers.begin(), headers.end(),
                             [&](const Header& h) { return iequals(h.name, policy.actor_header()); });
    d.actor = sent->value;
    d.actor_header_ignored = false;
  }
  // Converted at once: the decision's views may refer to `headers`.
  return reference::from_engine(d);
}

}  // namespace scopegate::conformance
