#pragma once
/// The decision core in one include: compile a PolicySpec, decide requests,
/// render responses. Standard library only.

#include "scopegate/authorization.hpp"
#include "scopegate/canonical.hpp"
#include "scopegate/compiled_policy.hpp"
#include "scopegate/decision.hpp"
#include "scopegate/diagnostic.hpp"
#include "scopegate/engine.hpp"
#include "scopegate/holder.hpp"
#include "scopegate/policy_spec.hpp"
#include "scopegate/render.hpp"
#include "scopegate/resolver.hpp"
#include "scopegate/tokens.hpp"
