#pragma once
// The segment trie behind matching (contract section 4). Each node is one
// segment position reached by one sequence of literal/parameter choices, so a
// depth-first walk visits a node at most once: the cost of a match grows with
// the number of segments and the parameter branches the path really takes,
// never with the number of routes. Literal children of every node live in one
// open-addressing table keyed by (parent, segment text).

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "scopegate/detail/pattern.hpp"
#include "scopegate/policy_spec.hpp"

namespace scopegate::detail {

inline constexpr std::uint32_t kNoIndex = 0xFFFFFFFFu;

/// A string-to-index map with heterogeneous lookup; immutable after building.
class StringIndex {
 public:
  void insert(std::string key, int value) { map_.emplace(std::move(key), value); }
  int find(std::string_view key) const {
    auto it = map_.find(key);
    return it == map_.end() ? -1 : it->second;
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, int, Hash, std::equal_to<>> map_;
};

/// Hashes a segment together with its parent node. Reads 8 bytes at a time;
/// the multiply-xorshift mix is enough for short path segments.
inline std::uint64_t segment_hash(std::uint32_t parent, std::string_view seg) {
  std::uint64_t h = 0x9E3779B97F4A7C15ull ^ (static_cast<std::uint64_t>(parent) * 0xC2B2AE3D27D4EB4Full) ^ seg.size();
  const char* p = seg.data();
  std::size_t n = seg.size();
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
    p += 8;
    n -= 8;
  }
  if (n != 0) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
  }
  h *= 0xC4CEB9FE1A85EC53ull;
  return h ^ (h >> 29);
}

/// The segments of a canonical path: `/` alone has none, `/a/b/` has `a`, `b`
/// and an empty last one (which no pattern segment matches).
struct PathSegments {
  static constexpr std::size_t kCapacity = 65;  // one past the deepest pattern
  std::array<std::string_view, kCapacity> items;
  std::size_t count = 0;
  bool too_deep = false;  ///< more segments than any pattern can have: nothing matches

  static PathSegments split(std::string_view path) {
    PathSegments s;
    if (path.size() <= 1) return s;  // "/" (or empty, which step 1 rejects)
    std::size_t start = 1;
    while (true) {
      std::size_t slash = path.find('/', start);
      std::string_view seg = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
      if (s.count == kCapacity) {
        s.too_deep = true;
        return s;
      }
      s.items[s.count++] = seg;
      if (slash == std::string_view::npos) return s;
      start = slash + 1;
    }
  }
};

/// What a full walk over every matching pattern found (for steps 6 to 8).
struct MatchSummary {
  MethodSet methods = 0;          ///< declared methods of all matching routes
  bool any_operator_only = false; ///< some operator-only route matches the path
};

class RouteTrie {
 public:
  struct Node {
    std::array<std::uint32_t, kMethodCount> route_by_method;  ///< route index or kNoIndex
    std::uint32_t param_child = kNoIndex;
    MethodSet methods_here = 0;     ///< methods with a route ending at this node
    MethodSet methods_below = 0;    ///< methods with a route ending here or deeper
    bool operator_only_here = false;
    Node() { route_by_method.fill(kNoIndex); }
  };

  RouteTrie() { nodes_.emplace_back(); }

  /// The node for a pattern, created when new. Patterns that differ only in
  /// parameter names share a node: that is how overlapping routes are found.
  std::uint32_t node_for(std::span<const PatternSegment> segs) {
    std::uint32_t node = 0;
    for (const PatternSegment& seg : segs) {
      if (seg.is_param) {
        if (nodes_[node].param_child == kNoIndex) {
          nodes_[node].param_child = static_cast<std::uint32_t>(nodes_.size());
          nodes_.emplace_back();
        }
        node = nodes_[node].param_child;
      } else {
        node = literal_child_or_insert(node, seg.text);
      }
    }
    return node;
  }

  /// The route already stored at `node` for `m`, or kNoIndex.
  std::uint32_t route_at(std::uint32_t node, Method m) const {
    return nodes_[node].route_by_method[static_cast<std::size_t>(m)];
  }

  void set_route(std::uint32_t node, Method m, std::uint32_t route, bool operator_only) {
    Node& n = nodes_[node];
    n.route_by_method[static_cast<std::size_t>(m)] = route;
    n.methods_here |= method_bit(m);
    n.operator_only_here = n.operator_only_here || operator_only;
  }

  /// Call once after every route is set: fills `methods_below` and sizes the
  /// literal table for lookups.
  void finish() {
    // Children always have larger indices than their parent, so one backward
    // pass sees every child before its parent.
    std::vector<std::uint32_t> parent_of(nodes_.size(), kNoIndex);
    for (const auto& e : literal_table_)
      if (e.child != kNoIndex) parent_of[e.child] = e.parent;
    for (std::uint32_t i = 0; i < nodes_.size(); ++i)
      if (nodes_[i].param_child != kNoIndex) parent_of[nodes_[i].param_child] = i;
    for (auto& n : nodes_) n.methods_below = n.methods_here;
    for (std::size_t i = nodes_.size(); i-- > 1;)
      if (parent_of[i] != kNoIndex) nodes_[parent_of[i]].methods_below |= nodes_[i].methods_below;
  }

  /// The most specific route of method `m` matching all of `segs`: depth-first,
  /// literal before parameter, backtracking; the first full match is the most
  /// specific one (section 4). Returns kNoIndex when none matches.
  std::uint32_t find(const PathSegments& segs, Method m) const {
    if (segs.too_deep) return kNoIndex;
    const MethodSet want = method_bit(m);
    std::array<std::uint32_t, PathSegments::kCapacity + 1> node_at;
    std::array<std::uint8_t, PathSegments::kCapacity + 1> tried;  // 0 none, 1 literal, 2 both
    std::size_t depth = 0;
    node_at[0] = 0;
    tried[0] = 0;
    if (!(nodes_[0].methods_below & want)) return kNoIndex;
    while (true) {
      const Node& n = nodes_[node_at[depth]];
      if (depth == segs.count) {
        std::uint32_t r = n.route_by_method[static_cast<std::size_t>(m)];
        if (r != kNoIndex) return r;
      } else if (tried[depth] == 0) {
        tried[depth] = 1;
        std::uint32_t c = literal_child(node_at[depth], segs.items[depth]);
        if (c != kNoIndex && (nodes_[c].methods_below & want)) {
          node_at[++depth] = c;
          tried[depth] = 0;
          continue;
        }
      }
      if (depth < segs.count && tried[depth] == 1) {
        tried[depth] = 2;
        std::uint32_t c = n.param_child;
        if (c != kNoIndex && !segs.items[depth].empty() && (nodes_[c].methods_below & want)) {
          node_at[++depth] = c;
          tried[depth] = 0;
          continue;
        }
      }
      if (depth == 0) return kNoIndex;
      --depth;
    }
  }

  /// Every pattern of any method matching all of `segs`.
  MatchSummary summarize(const PathSegments& segs) const {
    MatchSummary out;
    if (segs.too_deep) return out;
    std::array<std::uint32_t, PathSegments::kCapacity + 1> node_at;
    std::array<std::uint8_t, PathSegments::kCapacity + 1> tried;
    std::size_t depth = 0;
    node_at[0] = 0;
    tried[0] = 0;
    while (true) {
      const Node& n = nodes_[node_at[depth]];
      if (depth == segs.count) {
        out.methods |= n.methods_here;
        out.any_operator_only = out.any_operator_only || n.operator_only_here;
      } else if (tried[depth] == 0) {
        tried[depth] = 1;
        std::uint32_t c = literal_child(node_at[depth], segs.items[depth]);
        if (c != kNoIndex && nodes_[c].methods_below) {
          node_at[++depth] = c;
          tried[depth] = 0;
          continue;
        }
      }
      if (depth < segs.count && tried[depth] == 1) {
        tried[depth] = 2;
        std::uint32_t c = n.param_child;
        if (c != kNoIndex && !segs.items[depth].empty() && nodes_[c].methods_below) {
          node_at[++depth] = c;
          tried[depth] = 0;
          continue;
        }
      }
      if (depth == 0) return out;
      --depth;
    }
  }

  std::size_t node_count() const { return nodes_.size(); }
  /// Bytes held by the matcher, for the compile benchmark's per-route figure.
  std::size_t memory_bytes() const {
    return nodes_.capacity() * sizeof(Node) + literal_table_.capacity() * sizeof(LiteralEntry) + arena_.capacity();
  }

 private:
  struct LiteralEntry {
    std::uint32_t parent = kNoIndex;
    std::uint32_t child = kNoIndex;  ///< kNoIndex marks an empty slot
    std::uint32_t offset = 0;        ///< into arena_
    std::uint32_t length = 0;
  };

  std::uint32_t literal_child(std::uint32_t parent, std::string_view seg) const {
    if (literal_table_.empty()) return kNoIndex;
    const std::size_t mask = literal_table_.size() - 1;
    for (std::size_t i = segment_hash(parent, seg) & mask;; i = (i + 1) & mask) {
      const LiteralEntry& e = literal_table_[i];
      if (e.child == kNoIndex) return kNoIndex;
      if (e.parent == parent && e.length == seg.size() &&
          std::memcmp(arena_.data() + e.offset, seg.data(), seg.size()) == 0)
        return e.child;
    }
  }

  std::uint32_t literal_child_or_insert(std::uint32_t parent, std::string_view seg) {
    std::uint32_t found = literal_child(parent, seg);
    if (found != kNoIndex) return found;
    // INVARIANT: the table stays at most half full, so probing always ends.
    if ((literal_count_ + 1) * 2 > literal_table_.size()) grow();
    const auto child = static_cast<std::uint32_t>(nodes_.size());
    nodes_.emplace_back();
    LiteralEntry e{parent, child, static_cast<std::uint32_t>(arena_.size()), static_cast<std::uint32_t>(seg.size())};
    arena_.append(seg);
    place(e);
    ++literal_count_;
    return child;
  }

  void place(const LiteralEntry& e) {
    const std::size_t mask = literal_table_.size() - 1;
    std::string_view seg(arena_.data() + e.offset, e.length);
    std::size_t i = segment_hash(e.parent, seg) & mask;
    while (literal_table_[i].child != kNoIndex) i = (i + 1) & mask;
    literal_table_[i] = e;
  }

  void grow() {
    std::vector<LiteralEntry> old = std::move(literal_table_);
    literal_table_.assign(old.empty() ? 16 : old.size() * 2, LiteralEntry{});
    for (const auto& e : old)
      if (e.child != kNoIndex) place(e);
  }

  std::vector<Node> nodes_;
  std::vector<LiteralEntry> literal_table_;
  std::size_t literal_count_ = 0;
  std::string arena_;
};

}  // namespace scopegate::detail
