#pragma once
// The segment trie behind matching (contract section 4). Each node is one
// segment position reached by one sequence of literal/parameter choices, so a
// depth-first walk visits a node at most once: the cost of a match grows with
// the number of segments and the parameter branches the path really takes,
// never with the number of routes. Literal children of every node live in one
// open-addressing table keyed by (parent, segment text).

#include <array>
#include <bit>
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

/// The segments of a canonical path as views: `/` alone has none, `/a/b/` has
/// `a`, `b` and an empty last one (which no pattern segment matches). For the
/// policy tools; decisions use SegmentCuts, which the canonicalization pass
/// fills without a second scan.
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

/// The segments of a canonical path as offsets, recorded by canonicalize_path
/// (it is the sink) while it writes the path: segment i lies between the
/// slashes at bound[i] and bound[i + 1] (or the path's end). Nothing past
/// `count` is initialized, so a decision pays only for the segments it has.
struct SegmentCuts {
  static constexpr std::size_t kCapacity = PathSegments::kCapacity;
  const char* text = nullptr;  ///< the canonical path
  std::uint32_t count = 0;
  bool too_deep = false;  ///< more segments than any pattern can have: nothing matches
  std::array<std::uint16_t, kCapacity + 1> bound;  // INVARIANT: offsets <= kMaxPathBytes fit 16 bits

  SegmentCuts() { bound[0] = 0; }

  void end_segment(std::size_t offset) {
    if (count == kCapacity) {
      too_deep = true;
      return;
    }
    bound[++count] = static_cast<std::uint16_t>(offset);
  }
  /// end_segment at each set bit of `slashes`, lowest first, for a path of
  /// at most 64 bytes, which cannot have more segments than the capacity: no
  /// test per segment.
  void end_segments_of_short_path(std::uint64_t slashes) {
    std::uint16_t* last = bound.data() + count;
    for (; slashes != 0; slashes &= slashes - 1) *++last = static_cast<std::uint16_t>(std::countr_zero(slashes));
    count = static_cast<std::uint32_t>(last - bound.data());
  }
  std::string_view item(std::size_t i) const { return {text + bound[i] + 1, bound[i + 1] - bound[i] - 1u}; }
};

/// Bytes past a canonical path's end that the matcher may read: they must be
/// readable, and the engine zeroes them.
inline constexpr std::size_t kSegmentSlack = 8;

/// A segment reduced to two words that, with its length, identify it when it
/// is at most 16 bytes long: its first eight bytes (zero-padded) and, from
/// eight bytes on, its last eight. Longer segments compare in full as well.
struct SegmentKey {
  std::uint64_t first = 0;
  std::uint64_t last = 0;

  /// For text of any origin: reads no byte outside `seg`.
  static SegmentKey of(std::string_view seg) {
    SegmentKey k;
    std::memcpy(&k.first, seg.data(), seg.size() < 8 ? seg.size() : 8);
    if (seg.size() >= 8) std::memcpy(&k.last, seg.data() + seg.size() - 8, 8);
    return k;
  }

  /// The same key without a branch on the length, for a segment followed by
  /// kSegmentSlack readable bytes: segment lengths vary from request to
  /// request, and a branch on them is mispredicted.
  static SegmentKey of_padded(std::string_view seg) {
    const std::size_t n = seg.size();
    // All ones when the segment has eight bytes or more, else zero.
    const std::uint64_t long_enough = 0 - static_cast<std::uint64_t>(n >= 8);
    std::uint64_t last;
    std::memcpy(&last, seg.data() + ((n - 8) & long_enough), 8);
    return {first_of_padded(seg.data(), n), last & long_enough};
  }

  /// The first word of of_padded alone: literals are told apart by it and
  /// their length, and the last word is read only when both agree.
  static std::uint64_t first_of_padded(const char* seg, std::size_t n) {
    std::uint64_t first;
    std::memcpy(&first, seg, 8);
    return first & kFirstBytes[n < 8 ? n : 8];
  }

  /// kFirstBytes[n] keeps the first n bytes of a (little-endian) word.
  static constexpr std::array<std::uint64_t, 9> kFirstBytes = [] {
    std::array<std::uint64_t, 9> masks{};
    for (std::size_t n = 1; n <= 8; ++n) masks[n] = masks[n - 1] << 8 | 0xFF;
    return masks;
  }();
};

/// What a full walk over every matching pattern found (for steps 6 to 8).
struct MatchSummary {
  MethodSet methods = 0;          ///< declared methods of all matching routes
  bool any_operator_only = false; ///< some operator-only route matches the path
};

inline constexpr std::uint32_t kAmbiguous = 0xFFFFFFFEu;

/// What RouteTrie::find learned about a path.
struct Match {
  std::uint32_t route = kNoIndex;  ///< the most specific route of the method, or kNoIndex
  /// Where every pattern of any method matching the path ends: kNoIndex when
  /// none can, one node when the path never met a literal and a parameter
  /// child side by side, else kAmbiguous (a full walk is needed; also when
  /// find() did not run).
  std::uint32_t only_end = kAmbiguous;
};

class RouteTrie {
 public:
  /// What a walk reads at every step; the routes ending at a node are kept
  /// apart (routes_at_), read once at the end of a walk.
  struct Node {
    std::uint32_t param_child = kNoIndex;
    std::uint32_t literal_count = 0;  ///< literal children
    std::uint32_t first_literal = 0;  ///< into scan_list_ when literal_count <= kScanLimit (set by finish)
    MethodSet methods_here = 0;       ///< methods with a route ending at this node
    MethodSet methods_below = 0;      ///< methods with a route ending here or deeper
    bool operator_only_here = false;
    /// Some literal step on the way from the root to here passed a parameter
    /// child by (set by finish): a path that reaches this node greedily may
    /// match patterns that end elsewhere.
    bool passed_parameter = false;
  };

  /// Up to this many literal children are compared one by one, without
  /// hashing the segment: most nodes of real tables have a handful.
  static constexpr std::uint32_t kScanLimit = 8;

  RouteTrie() { add_node(); }

  /// The node for a pattern, created when new. Patterns that differ only in
  /// parameter names share a node: that is how overlapping routes are found.
  std::uint32_t node_for(std::span<const PatternSegment> segs) {
    std::uint32_t node = 0;
    for (const PatternSegment& seg : segs) {
      if (seg.is_param) {
        if (nodes_[node].param_child == kNoIndex) {
          const std::uint32_t child = add_node();
          nodes_[node].param_child = child;
        }
        node = nodes_[node].param_child;
      } else {
        node = literal_child_or_insert(node, seg.text);
      }
    }
    return node;
  }

  /// The route already stored at `node` for `m`, or kNoIndex.
  std::uint32_t route_at(std::uint32_t node, Method m) const { return routes_at_[node][static_cast<std::size_t>(m)]; }

  void set_route(std::uint32_t node, Method m, std::uint32_t route, bool operator_only) {
    routes_at_[node][static_cast<std::size_t>(m)] = route;
    Node& n = nodes_[node];
    n.methods_here |= method_bit(m);
    n.operator_only_here = n.operator_only_here || operator_only;
  }

  /// Call once after every route is set: fills `methods_below` and the scan
  /// lists of nodes with few literal children.
  void finish() {
    std::uint32_t listed = 0;
    for (auto& n : nodes_) {
      if (n.literal_count == 0 || n.literal_count > kScanLimit) continue;
      n.first_literal = listed;
      listed += n.literal_count;
    }
    scan_list_.resize(listed);
    std::vector<std::uint32_t> filled(nodes_.size(), 0);
    for (const auto& e : literal_table_) {
      if (e.child == kNoIndex) continue;
      const Node& p = nodes_[e.parent];
      if (p.literal_count <= kScanLimit) scan_list_[p.first_literal + filled[e.parent]++] = e;
    }
    // Children always have larger indices than their parent, so one backward
    // pass sees every child before its parent.
    std::vector<std::uint32_t> parent_of(nodes_.size(), kNoIndex);
    for (const auto& e : literal_table_)
      if (e.child != kNoIndex) parent_of[e.child] = e.parent;
    for (std::uint32_t i = 0; i < nodes_.size(); ++i)
      if (nodes_[i].param_child != kNoIndex) parent_of[nodes_[i].param_child] = i;
    for (std::uint32_t i = 1; i < nodes_.size(); ++i) {
      const Node& parent = nodes_[parent_of[i]];
      const bool literal_step = parent.param_child != i;
      nodes_[i].passed_parameter = parent.passed_parameter || (literal_step && parent.param_child != kNoIndex);
    }
    for (auto& n : nodes_) n.methods_below = n.methods_here;
    for (std::size_t i = nodes_.size(); i-- > 1;)
      if (parent_of[i] != kNoIndex) nodes_[parent_of[i]].methods_below |= nodes_[i].methods_below;
  }

  /// The most specific route of method `m` matching all of `segs`: depth-first,
  /// literal before parameter, backtracking; the first full match is the most
  /// specific one (section 4). Visits each node at most once, so the cost
  /// follows the path, not the route count.
  Match find(const SegmentCuts& segs, Method m) const {
    Match out;
    if (segs.too_deep) {
      out.only_end = kNoIndex;
      return out;
    }
    // Most paths never backtrack: descend greedily first, literal before
    // parameter, without asking which methods lie below. A route found so is
    // the one the walk below would find first. Where no literal step passed a
    // parameter child by, no pattern of any method can end elsewhere, so the
    // walk would find nothing else either.
    const Descent greedy = descend(segs);
    if (greedy.node != kNoIndex) out.route = routes_at_[greedy.node][static_cast<std::size_t>(m)];
    if (!greedy.passed_parameter) {
      out.only_end = greedy.node;
      return out;
    }
    if (out.route != kNoIndex) return out;
    walk(segs, method_bit(m), [&](std::uint32_t end) {
      out.route = routes_at_[end][static_cast<std::size_t>(m)];
      return out.route != kNoIndex;
    });
    return out;
  }

  /// Every pattern of any method matching all of `segs`, given what find()
  /// learned about them.
  MatchSummary summarize(const SegmentCuts& segs, const Match& found) const {
    if (found.only_end == kNoIndex) return {};
    if (found.only_end != kAmbiguous) return {nodes_[found.only_end].methods_here, nodes_[found.only_end].operator_only_here};
    MatchSummary out;
    walk(segs, 0xFF, [&](std::uint32_t node) {
      out.methods |= nodes_[node].methods_here;
      out.any_operator_only = out.any_operator_only || nodes_[node].operator_only_here;
      return false;
    });
    return out;
  }

  std::size_t node_count() const { return nodes_.size(); }
  /// Bytes held by the matcher, for the compile benchmark's per-route figure.
  std::size_t memory_bytes() const {
    return nodes_.capacity() * sizeof(Node) + routes_at_.capacity() * sizeof(routes_at_[0]) +
           literal_table_.capacity() * sizeof(LiteralEntry) + scan_list_.capacity() * sizeof(LiteralEntry) +
           arena_.capacity();
  }

 private:
  struct LiteralEntry {
    SegmentKey key;
    std::uint32_t parent = kNoIndex;
    std::uint32_t child = kNoIndex;  ///< kNoIndex marks an empty slot
    std::uint32_t offset = 0;        ///< into arena_
    std::uint32_t length = 0;
  };

  /// Where find()'s greedy descent ends: the node that consumes every segment
  /// (kNoIndex when none does), and whether a literal step on the way passed
  /// a parameter child by.
  struct Descent {
    std::uint32_t node;
    bool passed_parameter;
  };

  Descent descend(const SegmentCuts& segs) const {
    const Node* nodes = nodes_.data();
    std::uint32_t node = 0;
    std::size_t slash = 0;  // each segment starts one past the slash here
    for (const std::uint16_t *cut = segs.bound.data() + 1, *last = cut + segs.count; cut != last; ++cut) {
      const Node& n = nodes[node];
      const char* seg = segs.text + slash + 1;
      const std::size_t length = *cut - slash - 1;
      slash = *cut;
      if (n.literal_count != 0) {
        if (const std::uint32_t c = literal_child(n, node, seg, length); c != kNoIndex) {
          node = c;
          continue;
        }
      }
      if (n.param_child == kNoIndex || length == 0) return {kNoIndex, n.passed_parameter};
      node = n.param_child;
    }
    return {node, nodes[node].passed_parameter};
  }

  std::uint32_t add_node() {
    nodes_.emplace_back();
    routes_at_.emplace_back();
    routes_at_.back().fill(kNoIndex);
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }

  /// Depth-first over the nodes matching `segs` whose subtree has a route of
  /// a method in `want`, literal before parameter; `at_end(node)` is called
  /// for each node that consumes every segment and stops the walk by
  /// returning true. Out of line: few paths backtrack, and inlined, its
  /// arrays and registers would weigh on the frame of every decision.
  template <class AtEnd>
  [[gnu::noinline]] void walk(const SegmentCuts& segs, MethodSet want, AtEnd at_end) const {
    if (segs.too_deep || !(nodes_[0].methods_below & want)) return;
    std::array<std::uint32_t, SegmentCuts::kCapacity + 1> node_at;
    std::array<bool, SegmentCuts::kCapacity + 1> took_literal;  // the parameter branch is left to try
    std::size_t depth = 0;
    node_at[0] = 0;
    while (true) {
      if (depth == segs.count) {
        if (at_end(node_at[depth])) return;
      } else {
        // Descend: the literal child, else the parameter child.
        const Node& n = nodes_[node_at[depth]];
        const std::string_view seg = segs.item(depth);
        if (n.literal_count != 0) {
          const std::uint32_t c = literal_child(n, node_at[depth], seg.data(), seg.size());
          if (c != kNoIndex && (nodes_[c].methods_below & want)) {
            took_literal[depth] = true;
            node_at[++depth] = c;
            continue;
          }
        }
        if (enter_param(n, seg, want)) {
          took_literal[depth] = false;
          node_at[++depth] = n.param_child;
          continue;
        }
      }
      // Backtrack to the deepest literal step whose parameter sibling is untried.
      while (true) {
        if (depth == 0) return;
        --depth;
        if (!took_literal[depth]) continue;
        const Node& n = nodes_[node_at[depth]];
        if (enter_param(n, segs.item(depth), want)) {
          took_literal[depth] = false;
          node_at[++depth] = n.param_child;
          break;
        }
      }
    }
  }

  bool enter_param(const Node& n, std::string_view seg, MethodSet want) const {
    return n.param_child != kNoIndex && !seg.empty() && (nodes_[n.param_child].methods_below & want);
  }

  /// Fibonacci hashing of the key, length and parent: the top bits of the
  /// product depend on every input bit, and the table takes the top bits.
  std::size_t slot_of(std::uint32_t parent, std::size_t length, const SegmentKey& key) const {
    const std::uint64_t h = (key.first ^ (key.last * 0xC2B2AE3D27D4EB4Full) ^
                             ((static_cast<std::uint64_t>(parent) << 16 | length) * 0x165667B19E3779F9ull)) *
                            0x9E3779B97F4A7C15ull;
    return static_cast<std::size_t>(h >> shift_);
  }

  bool same_literal(const LiteralEntry& e, std::string_view seg, const SegmentKey& key) const {
    return e.length == seg.size() && e.key.first == key.first && e.key.last == key.last &&
           (seg.size() <= 16 || std::memcmp(arena_.data() + e.offset, seg.data(), seg.size()) == 0);
  }

  /// The bytes of a literal past its first eight, for an entry whose first
  /// word and length `seg` shares.
  bool same_tail(const LiteralEntry& e, const char* seg, std::size_t length) const {
    if (length <= 16) {
      std::uint64_t last;
      std::memcpy(&last, seg + length - 8, 8);
      return last == e.key.last;
    }
    return std::memcmp(arena_.data() + e.offset, seg, length) == 0;
  }

  /// The literal child of node `n` (index `parent`) named by the `length`
  /// bytes at `seg`, or kNoIndex; only on a finished trie, for a segment
  /// followed by kSegmentSlack readable bytes.
  std::uint32_t literal_child(const Node& n, std::uint32_t parent, const char* seg, std::size_t length) const {
    if (n.literal_count > kScanLimit) return probe(parent, {seg, length}, SegmentKey::of_padded({seg, length}));
    const std::uint64_t first = SegmentKey::first_of_padded(seg, length);
    const LiteralEntry* e = scan_list_.data() + n.first_literal;
    for (const LiteralEntry* end = e + n.literal_count; e != end; ++e)
      if (e->key.first == first && e->length == length && (length <= 8 || same_tail(*e, seg, length))) return e->child;
    return kNoIndex;
  }

  std::uint32_t probe(std::uint32_t parent, std::string_view seg, const SegmentKey& key) const {
    const std::size_t mask = literal_table_.size() - 1;
    for (std::size_t i = slot_of(parent, seg.size(), key);; i = (i + 1) & mask) {
      const LiteralEntry& e = literal_table_[i];
      if (e.child == kNoIndex) return kNoIndex;
      if (e.parent == parent && same_literal(e, seg, key)) return e.child;
    }
  }

  std::uint32_t literal_child_or_insert(std::uint32_t parent, std::string_view seg) {
    if (nodes_[parent].literal_count != 0) {
      const std::uint32_t found = probe(parent, seg, SegmentKey::of(seg));
      if (found != kNoIndex) return found;
    }
    // INVARIANT: the table stays at most half full, so probing always ends.
    if ((literal_count_ + 1) * 2 > literal_table_.size()) grow();
    const std::uint32_t child = add_node();
    ++nodes_[parent].literal_count;
    LiteralEntry e{SegmentKey::of(seg), parent, child, static_cast<std::uint32_t>(arena_.size()),
                   static_cast<std::uint32_t>(seg.size())};
    arena_.append(seg);
    place(e);
    ++literal_count_;
    return child;
  }

  void place(const LiteralEntry& e) {
    const std::size_t mask = literal_table_.size() - 1;
    std::size_t i = slot_of(e.parent, e.length, e.key);
    while (literal_table_[i].child != kNoIndex) i = (i + 1) & mask;
    literal_table_[i] = e;
  }

  void grow() {
    std::vector<LiteralEntry> old = std::move(literal_table_);
    const std::size_t size = old.empty() ? 16 : old.size() * 2;
    literal_table_.assign(size, LiteralEntry{});
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(size));
    for (const auto& e : old)
      if (e.child != kNoIndex) place(e);
  }

  std::vector<Node> nodes_;
  std::vector<std::array<std::uint32_t, kMethodCount>> routes_at_;  ///< route index by method, kNoIndex for none
  std::vector<LiteralEntry> literal_table_;
  std::vector<LiteralEntry> scan_list_;  ///< the literal children of each node with few, side by side
  unsigned shift_ = 64;  ///< 64 - log2(table size): slot_of keeps the top bits
  std::size_t literal_count_ = 0;
  std::string arena_;
};

}  // namespace scopegate::detail
