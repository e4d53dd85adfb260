// The YAML front end (policies/README.md is the format). The only file that
// includes the YAML library. It reads libyaml's event stream into a flat tree,
// then walks the tree with the schema. libyaml rather than yaml-cpp: on a
// 100,000-route policy yaml-cpp's scanner alone takes about 1.7 s, libyaml's
// about 0.3 s, and a policy must load well under a second.

#include "scopegate/yaml.hpp"

#include <yaml.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <span>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "scopegate/authorization.hpp"
#include "scopegate/detail/ascii.hpp"

namespace scopegate {
namespace {

// ---------------------------------------------------------------------------
// Positions and reports


/// User input for a one-line message: quoted, control characters escaped,
/// long text cut.
std::string quote(std::string_view text) {
  constexpr std::size_t kMaxShown = 80;
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMaxShown) out += "...";
  out += "'";
  return out;
}

template <std::size_t N>
std::string join(const std::array<std::string_view, N>& names) {
  std::string out;
  for (auto name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

class Report {
 public:
  explicit Report(std::string file) : file_(std::move(file)) {}

  void error(std::string_view code, SourcePos pos, std::string message, std::string hint = {},
             std::optional<SourcePos> related = std::nullopt) {
    diagnostics_.push_back(Diagnostic{std::string(code), Severity::kError, file_, pos, std::move(message),
                                      std::move(hint), related});
  }
  bool failed() const { return !diagnostics_.empty(); }
  const std::string& file() const { return file_; }
  std::vector<Diagnostic> take() {
    sort_diagnostics(diagnostics_);
    return std::move(diagnostics_);
  }

 private:
  std::string file_;
  std::vector<Diagnostic> diagnostics_;
};

// ---------------------------------------------------------------------------
// The document: libyaml events as a flat tree

enum class NodeKind : std::uint8_t { kScalar, kMapping, kSequence };

struct Node {
  NodeKind kind = NodeKind::kScalar;
  bool plain = false;       ///< a plain scalar: only these can be null, booleans or numbers
  SourcePos pos;
  std::uint32_t begin = 0;  ///< scalar: offset into the text arena; else into the child list
  std::uint32_t size = 0;   ///< scalar: bytes; sequence: items; mapping: entries
};

/// One YAML document. Nodes are stored in the order their events arrive, so a
/// collection always precedes its children; a mapping's children alternate
/// key, value. Aliases and tags are refused: a policy needs neither, and
/// refusing aliases rules out expansion bombs.
class Document {
 public:
  /// Parses `text`; false, with an SG001 in `report`, when it is not one YAML
  /// document. A stream with no document leaves root() null.
  /// INVARIANT: callers bound `text` (kMaxPolicyBytes), so offsets fit 32 bits.
  bool parse(std::string_view text, Report& report);

  const Node* root() const { return root_ < nodes_.size() ? &nodes_[root_] : nullptr; }
  std::span<const Node> nodes() const { return nodes_; }
  std::string_view text(const Node& scalar) const { return {arena_.data() + scalar.begin, scalar.size}; }
  const Node& item(const Node& sequence, std::size_t i) const { return nodes_[children_[sequence.begin + i]]; }
  const Node& key(const Node& mapping, std::size_t i) const { return nodes_[children_[mapping.begin + 2 * i]]; }
  const Node& value(const Node& mapping, std::size_t i) const {
    return nodes_[children_[mapping.begin + 2 * i + 1]];
  }

 private:
  std::uint32_t add(const Node& node, std::vector<std::uint32_t>& pending, bool nested);

  std::vector<Node> nodes_;
  std::vector<std::uint32_t> children_;
  std::string arena_;
  std::size_t root_ = std::numeric_limits<std::size_t>::max();
};

/// libyaml marks reader errors (bad encoding, control characters) with a byte
/// offset only; this finds their line and column the way libyaml counts them.
yaml_mark_t mark_at(std::string_view text, std::size_t offset) {
  yaml_mark_t mark{};
  mark.index = offset;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++mark.line;
      mark.column = 0;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++mark.column;
    }
  }
  return mark;
}

std::size_t newline_count(std::string_view text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

/// libyaml counts lines and columns from 0; diagnostics count from 1. At the
/// end of a text that does not end with a newline, libyaml puts its mark on a
/// line the text lacks (`[v` fails at 2:1, `---` has its empty value there);
/// such a mark becomes the end of the last line (found by fuzz_policy_loader).
/// `lines` is newline_count(text).
SourcePos to_pos(const yaml_mark_t& mark, std::string_view text, std::size_t lines) {
  const yaml_mark_t m = mark.line > lines ? mark_at(text, text.size()) : mark;
  return {static_cast<std::uint32_t>(m.line + 1), static_cast<std::uint32_t>(m.column + 1)};
}

void report_syntax_error(const yaml_parser_t& parser, std::string_view text, Report& report) {
  if (parser.error == YAML_MEMORY_ERROR) {
    report.error("SG001", {}, "out of memory while reading yaml");
    return;
  }
  const auto lines = newline_count(text);
  const yaml_mark_t mark = parser.error == YAML_READER_ERROR ? mark_at(text, parser.problem_offset)
                                                             : parser.problem_mark;
  std::string message = "invalid yaml: ";
  message += parser.problem != nullptr ? parser.problem : "unreadable input";
  std::optional<SourcePos> related;
  if (parser.context != nullptr) {
    message += " ";
    message += parser.context;
    related = to_pos(parser.context_mark, text, lines);
  }
  report.error("SG001", to_pos(mark, text, lines), std::move(message), {}, related);
}

std::uint32_t Document::add(const Node& node, std::vector<std::uint32_t>& pending, bool nested) {
  const auto index = static_cast<std::uint32_t>(nodes_.size());
  nodes_.push_back(node);
  if (nested)
    pending.push_back(index);
  else
    root_ = index;
  return index;
}

bool Document::parse(std::string_view text, Report& report) {
  yaml_parser_t parser;
  if (yaml_parser_initialize(&parser) == 0) {
    report.error("SG001", {}, "out of memory while reading yaml");
    return false;
  }
  struct ParserGuard {
    yaml_parser_t* parser;
    ~ParserGuard() { yaml_parser_delete(parser); }
  } parser_guard{&parser};
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());

  // Children wait in `pending` until their collection ends, then move to
  // `children_` as one contiguous run.
  struct Open {
    std::uint32_t node;
    std::size_t first_pending;
  };
  std::vector<Open> open;
  std::vector<std::uint32_t> pending;
  int documents = 0;
  const std::size_t lines = newline_count(text);

  for (;;) {
    yaml_event_t event;
    if (yaml_parser_parse(&parser, &event) == 0) {
      report_syntax_error(parser, text, report);
      return false;
    }
    struct EventGuard {
      yaml_event_t* event;
      ~EventGuard() { yaml_event_delete(event); }
    } event_guard{&event};
    const SourcePos pos = to_pos(event.start_mark, text, lines);

    const yaml_char_t* tag = nullptr;
    if (event.type == YAML_SCALAR_EVENT) tag = event.data.scalar.tag;
    if (event.type == YAML_SEQUENCE_START_EVENT) tag = event.data.sequence_start.tag;
    if (event.type == YAML_MAPPING_START_EVENT) tag = event.data.mapping_start.tag;
    if (tag != nullptr) {
      report.error("SG001", pos, "yaml tag " + quote(reinterpret_cast<const char*>(tag)) + " is not supported",
                   "write the value without a tag");
      return false;
    }

    switch (event.type) {
      case YAML_STREAM_END_EVENT:
        return true;
      case YAML_DOCUMENT_START_EVENT:
        if (++documents > 1) {
          report.error("SG001", pos, "a second yaml document in one file", "keep one document per file");
          return false;
        }
        break;
      case YAML_ALIAS_EVENT:
        report.error("SG001", pos, "yaml aliases are not supported", "write the value out in full");
        return false;
      case YAML_SCALAR_EVENT: {
        const auto& scalar = event.data.scalar;
        Node node;
        node.plain = scalar.style == YAML_PLAIN_SCALAR_STYLE;
        node.pos = pos;
        node.begin = static_cast<std::uint32_t>(arena_.size());
        node.size = static_cast<std::uint32_t>(scalar.length);
        arena_.append(reinterpret_cast<const char*>(scalar.value), scalar.length);
        add(node, pending, !open.empty());
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        Node node;
        node.kind = event.type == YAML_MAPPING_START_EVENT ? NodeKind::kMapping : NodeKind::kSequence;
        node.pos = pos;
        const std::uint32_t index = add(node, pending, !open.empty());
        open.push_back({index, pending.size()});
        break;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        // INVARIANT: libyaml balances start and end events.
        const Open top = open.back();
        open.pop_back();
        Node& node = nodes_[top.node];
        const std::size_t count = pending.size() - top.first_pending;
        node.begin = static_cast<std::uint32_t>(children_.size());
        node.size = static_cast<std::uint32_t>(node.kind == NodeKind::kMapping ? count / 2 : count);
        children_.insert(children_.end(), pending.begin() + static_cast<std::ptrdiff_t>(top.first_pending),
                         pending.end());
        pending.resize(top.first_pending);
        break;
      }
      default:
        break;
    }
  }
}

// ---------------------------------------------------------------------------
// Typed reading of nodes

bool is_null(std::string_view text, bool plain) {
  return plain && (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL");
}

/// The codes a file kind uses for its key and type errors.
struct Codes {
  std::string_view unknown_key;
  std::string_view wrong_type;
  std::string_view missing;
};
constexpr Codes kPolicyCodes{"SG002", "SG003", "SG003"};
constexpr Codes kTokensCodes{"SG204", "SG205", "SG203"};

/// Keys that would put a secret into a policy (SG108), compared ASCII
/// case-insensitively.
bool is_secret_key(std::string_view key) {
  for (std::string_view secret : {"secret", "token", "operator_token", "password"})
    if (detail::iequals(key, secret)) return true;
  return false;
}

/// Reads typed values out of a Document, reporting every node that is not of
/// the expected type. A null `node` (the key was absent) yields nullopt
/// silently; `what` names the value in messages, e.g. `'path'`.
class Reader {
 public:
  Reader(const Document& doc, Report& report, const Codes& codes, bool secret_keys_reported_elsewhere)
      : doc_(doc), report_(report), codes_(codes), skip_secret_keys_(secret_keys_reported_elsewhere) {}

  const Document& doc() const { return doc_; }
  Report& report() { return report_; }

  std::string describe(const Node& node) const {
    switch (node.kind) {
      case NodeKind::kMapping: return "a mapping";
      case NodeKind::kSequence: return "a list";
      case NodeKind::kScalar: break;
    }
    const auto text = doc_.text(node);
    return is_null(text, node.plain) ? "null" : quote(text);
  }

  void wrong(const Node& node, std::string_view what, std::string_view expected) {
    report_.error(codes_.wrong_type, node.pos,
                  std::string(what) + " must be " + std::string(expected) + ", not " + describe(node));
  }

  void missing(const Node& map, std::string_view key, std::string_view owner) {
    report_.error(codes_.missing, map.pos, std::string(owner) + " needs " + quote(key));
  }

  bool expect(const Node& node, NodeKind kind, std::string_view what) {
    if (node.kind == kind) return true;
    wrong(node, what, kind == NodeKind::kMapping ? "a mapping" : "a list");
    return false;
  }

  /// The values of a mapping's known keys, by the keys' index in `names`;
  /// every other key is reported, with the allowed keys as the hint.
  template <std::size_t N>
  std::array<const Node*, N> fields(const Node& map, const std::array<std::string_view, N>& names,
                                    std::string_view where) {
    std::array<const Node*, N> found{};
    for (std::size_t i = 0; i < map.size; ++i) {
      const Node& key = doc_.key(map, i);
      if (key.kind != NodeKind::kScalar) continue;  // reported by check_keys
      const auto text = doc_.text(key);
      auto it = std::find(names.begin(), names.end(), text);
      if (it != names.end()) {
        auto& slot = found[static_cast<std::size_t>(it - names.begin())];
        if (slot == nullptr) slot = &doc_.value(map, i);  // a repeat is reported by check_keys
        continue;
      }
      if (skip_secret_keys_ && is_secret_key(text)) continue;
      report_.error(codes_.unknown_key, key.pos, "unknown key " + quote(text) + " " + std::string(where),
                    "allowed keys: " + join(names));
    }
    return found;
  }

  std::optional<std::string_view> string(const Node* node, std::string_view what) {
    if (node == nullptr) return std::nullopt;
    if (node->kind != NodeKind::kScalar || is_null(doc_.text(*node), node->plain)) {
      wrong(*node, what, "a string");
      return std::nullopt;
    }
    return doc_.text(*node);
  }

  /// A string that names something, so it cannot be empty.
  std::optional<std::string_view> name(const Node* node, std::string_view what) {
    auto text = string(node, what);
    if (text && text->empty()) {
      report_.error(codes_.wrong_type, node->pos, std::string(what) + " must not be empty");
      return std::nullopt;
    }
    return text;
  }

  std::optional<bool> boolean(const Node* node, std::string_view what) {
    if (node == nullptr) return std::nullopt;
    if (node->kind == NodeKind::kScalar && node->plain) {
      const auto text = doc_.text(*node);
      if (text == "true" || text == "True" || text == "TRUE") return true;
      if (text == "false" || text == "False" || text == "FALSE") return false;
    }
    wrong(*node, what, "true or false");
    return std::nullopt;
  }

  std::optional<std::uint32_t> integer(const Node* node, std::string_view what) {
    if (node == nullptr) return std::nullopt;
    if (node->kind == NodeKind::kScalar && node->plain) {
      const auto text = doc_.text(*node);
      constexpr std::size_t kMaxDigits = 10;  // 4294967295
      if (!text.empty() && text.size() <= kMaxDigits &&
          std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        std::uint64_t value = 0;
        for (char c : text) value = value * 10 + static_cast<std::uint64_t>(c - '0');
        if (value <= std::numeric_limits<std::uint32_t>::max()) return static_cast<std::uint32_t>(value);
      }
    }
    wrong(*node, what, "a whole number");
    return std::nullopt;
  }

  /// A list of strings; nullopt when the node or any item has the wrong type.
  std::optional<std::vector<std::string>> strings(const Node* node, std::string_view what) {
    if (node == nullptr) return std::nullopt;
    if (!expect(*node, NodeKind::kSequence, what)) return std::nullopt;
    std::vector<std::string> out;
    out.reserve(node->size);
    bool ok = true;
    const std::string item_what = "an item of " + std::string(what);
    for (std::size_t i = 0; i < node->size; ++i) {
      auto text = string(&doc_.item(*node, i), item_what);
      if (text)
        out.emplace_back(*text);
      else
        ok = false;
    }
    if (!ok) return std::nullopt;
    return out;
  }

 private:
  const Document& doc_;
  Report& report_;
  const Codes& codes_;
  bool skip_secret_keys_;
};

/// Every mapping's keys: scalar, and each written once. YAML forbids repeated
/// keys, and a repeat would silently drop one of two values.
void check_keys(Reader& r) {
  // Routes are small mappings, where comparing each pair beats hashing.
  constexpr std::size_t kPairwiseUpTo = 12;
  const Document& doc = r.doc();
  std::unordered_set<std::string_view> seen;
  for (const Node& map : doc.nodes()) {
    if (map.kind != NodeKind::kMapping) continue;
    seen.clear();
    for (std::size_t i = 0; i < map.size; ++i) {
      const Node& key = doc.key(map, i);
      if (key.kind != NodeKind::kScalar) {
        r.wrong(key, "a key", "a string");
        continue;
      }
      const auto text = doc.text(key);
      if (map.size > kPairwiseUpTo && seen.insert(text).second) continue;
      const Node* first = nullptr;
      for (std::size_t j = 0; j < i && first == nullptr; ++j) {
        const Node& other = doc.key(map, j);
        if (other.kind == NodeKind::kScalar && doc.text(other) == text) first = &other;
      }
      if (first != nullptr)
        r.report().error("SG001", key.pos, "key " + quote(text) + " is repeated", "write each key once", first->pos);
    }
  }
}

std::string describe_user_class(const UserClassSpec& spec) {
  return "a user token is " + quote(spec.prefix) + " followed by one or more of " + quote(spec.charset) +
         ", at most " + std::to_string(spec.max_length) + " characters in all";
}

// ---------------------------------------------------------------------------
// Policies

constexpr std::array<std::string_view, 10> kTopKeys = {
    "scopegate", "name", "realm", "project_parameter", "token_classes", "scopes", "operator_prefixes",
    "routes", "invariants", "description"};
constexpr std::array<std::string_view, 2> kClassKeys = {"user", "operator"};
constexpr std::array<std::string_view, 6> kUserKeys = {"description", "prefix", "charset", "max_length",
                                                       "exempt", "actor"};
constexpr std::array<std::string_view, 6> kOperatorKeys = {"description", "secret_env", "exempt",
                                                           "actor", "actor_header", "default_actor"};
constexpr std::array<std::string_view, 2> kPrefixKeys = {"prefix", "description"};
constexpr std::array<std::string_view, 9> kRouteKeys = {"method", "methods", "path", "scope", "auth",
                                                        "operator_only", "project", "hidden", "description"};
constexpr std::array<std::string_view, 3> kOperatorExempt = {"scope", "membership", "operator_only"};
constexpr std::array<std::string_view, 4> kInvariantKinds = {
    "user_never_operator_only", "project_routes_check_membership", "no_write_under_read_scope", "public_routes"};
/// The one invariant kind that takes a list of values; the others take none.
constexpr std::string_view kInvariantWithValues = "public_routes";

constexpr int kFormatVersion = 1;

class PolicyReader {
 public:
  PolicyReader(const Document& doc, Report& report) : r_(doc, report, kPolicyCodes, true) {}

  /// Reads the whole document; the spec is valid only when the report stays empty.
  PolicySpec read() {
    PolicySpec spec;
    spec.file = r_.report().file();
    check_keys(r_);
    const Node* root = r_.doc().root();
    if (root == nullptr) {
      r_.report().error("SG003", {1, 1}, "the policy is empty", "start with `scopegate: 1`");
      return spec;
    }
    if (!r_.expect(*root, NodeKind::kMapping, "a policy")) return spec;
    if (!read_version(*root)) return spec;
    // `version` was read above; fields() lists it so that it is a known key.
    auto [version, name, realm, project_parameter, token_classes, scopes, operator_prefixes, routes, invariants,
          description] = r_.fields(*root, kTopKeys, "at the top level");

    if (auto v = r_.name(name, "'name'")) spec.name = *v;
    if (!name) r_.missing(*root, "name", "a policy");
    if (auto v = r_.string(realm, "'realm'"))
      spec.realm = *v;
    else if (!realm)
      spec.realm = spec.name;
    if (auto v = r_.name(project_parameter, "'project_parameter'")) spec.project_parameter = *v;
    // Type-checked only: the description is for readers of the file.
    (void)r_.string(description, "'description'");

    if (token_classes != nullptr) read_token_classes(*token_classes, spec);
    if (scopes != nullptr) read_scopes(*scopes, spec);
    if (operator_prefixes != nullptr) read_prefixes(*operator_prefixes, spec);
    if (routes == nullptr)
      r_.missing(*root, "routes", "a policy");
    else
      read_routes(*routes, spec);
    if (invariants != nullptr) read_invariants(*invariants, spec);

    report_secrets(spec.user);
    return spec;
  }

 private:
  /// False for a version other than 1: a policy of another version may mean
  /// anything by its other keys, so nothing else is reported for it.
  bool read_version(const Node& root) {
    const Document& doc = r_.doc();
    for (std::size_t i = 0; i < root.size; ++i) {
      const Node& key = doc.key(root, i);
      if (key.kind != NodeKind::kScalar || doc.text(key) != "scopegate") continue;
      const Node& value = doc.value(root, i);
      auto version = r_.integer(&value, "'scopegate'");
      if (!version || *version == kFormatVersion) return true;
      r_.report().error("SG005", value.pos, "format version " + std::to_string(*version) + " is not supported",
                        "this scopegate reads `scopegate: 1`");
      return false;
    }
    r_.missing(root, "scopegate", "a policy");
    return true;
  }

  void read_token_classes(const Node& node, PolicySpec& spec) {
    if (!r_.expect(node, NodeKind::kMapping, "'token_classes'")) return;
    auto [user, op] = r_.fields(node, kClassKeys, "in 'token_classes'");
    if (user == nullptr)
      r_.missing(node, "user", "'token_classes'");
    else
      read_user_class(*user, spec.user);
    if (op != nullptr) read_operator_class(*op, spec.operator_class);
  }

  void read_user_class(const Node& node, UserClassSpec& user) {
    if (!r_.expect(node, NodeKind::kMapping, "the user token class")) return;
    user.pos = node.pos;
    auto [description, prefix, charset, max_length, exempt, actor] =
        r_.fields(node, kUserKeys, "in the user token class");
    if (auto v = r_.string(description, "'description'")) user.description = *v;
    if (auto v = r_.string(prefix, "'prefix'")) user.prefix = *v;
    if (auto v = r_.string(charset, "'charset'")) user.charset = *v;
    if (auto v = r_.integer(max_length, "'max_length'")) user.max_length = *v;
    if (!prefix) r_.missing(node, "prefix", "the user token class");
    if (!charset) r_.missing(node, "charset", "the user token class");
    if (!max_length) r_.missing(node, "max_length", "the user token class");
    if (auto list = r_.strings(exempt, "'exempt'"); list && !list->empty())
      r_.report().error("SG110", exempt->pos, "user tokens are exempt from nothing", "write `exempt: []`");
    if (auto v = r_.string(actor, "'actor'"); v && *v != "token_user")
      r_.report().error("SG110", actor->pos,
                        "the actor of a user token is " + quote("token_user") + ", not " + quote(*v),
                        "a user token acts as the user its resolver names: write `actor: token_user`");
  }

  void read_operator_class(const Node& node, OperatorClassSpec& op) {
    if (!r_.expect(node, NodeKind::kMapping, "the operator token class")) return;
    op.present = true;
    op.pos = node.pos;
    auto [description, secret_env, exempt, actor, actor_header, default_actor] =
        r_.fields(node, kOperatorKeys, "in the operator token class");
    if (auto v = r_.string(description, "'description'")) op.description = *v;
    if (auto v = r_.name(secret_env, "'secret_env'")) op.secret_env = *v;
    if (auto v = r_.name(actor_header, "'actor_header'")) op.actor_header = *v;
    if (auto v = r_.name(default_actor, "'default_actor'")) op.default_actor = *v;
    if (!secret_env) r_.missing(node, "secret_env", "the operator token class");
    if (!actor_header) r_.missing(node, "actor_header", "the operator token class");
    if (auto list = r_.strings(exempt, "'exempt'")) {
      std::vector<std::string_view> sorted(list->begin(), list->end());
      std::sort(sorted.begin(), sorted.end());
      std::array<std::string_view, kOperatorExempt.size()> expected = kOperatorExempt;
      std::sort(expected.begin(), expected.end());
      if (!std::equal(sorted.begin(), sorted.end(), expected.begin(), expected.end()))
        r_.report().error("SG110", exempt->pos,
                          "operator tokens are exempt from exactly scope, membership and operator_only",
                          "write `exempt: [scope, membership, operator_only]`");
    }
    if (auto v = r_.string(actor, "'actor'"); v && *v != "header")
      r_.report().error("SG110", actor->pos,
                        "the actor of an operator token is " + quote("header") + ", not " + quote(*v),
                        "the operator names its actor in `actor_header`: write `actor: header`");
  }

  void read_scopes(const Node& node, PolicySpec& spec) {
    if (!r_.expect(node, NodeKind::kMapping, "'scopes'")) return;
    const Document& doc = r_.doc();
    spec.scopes.reserve(node.size);
    for (std::size_t i = 0; i < node.size; ++i) {
      const Node& key = doc.key(node, i);
      if (key.kind != NodeKind::kScalar) continue;  // reported by check_keys
      ScopeSpec scope;
      scope.name = doc.text(key);
      scope.pos = key.pos;
      if (auto v = r_.string(&doc.value(node, i), "the description of scope " + quote(scope.name)))
        scope.description = *v;
      spec.scopes.push_back(std::move(scope));
    }
  }

  void read_prefixes(const Node& node, PolicySpec& spec) {
    if (!r_.expect(node, NodeKind::kSequence, "'operator_prefixes'")) return;
    for (std::size_t i = 0; i < node.size; ++i) {
      const Node& item = r_.doc().item(node, i);
      if (!r_.expect(item, NodeKind::kMapping, "an operator prefix family")) continue;
      auto [prefix, description] = r_.fields(item, kPrefixKeys, "in an operator prefix family");
      PrefixFamilySpec family;
      family.pos = item.pos;
      if (auto v = r_.string(prefix, "'prefix'"))
        family.prefix = *v;
      else if (!prefix)
        r_.missing(item, "prefix", "an operator prefix family");
      if (auto v = r_.string(description, "'description'")) family.description = *v;
      spec.operator_prefixes.push_back(std::move(family));
    }
  }

  void read_routes(const Node& node, PolicySpec& spec) {
    if (!r_.expect(node, NodeKind::kSequence, "'routes'")) return;
    project_needle_ = "{" + spec.project_parameter + "}";
    spec.routes.reserve(node.size);
    for (std::size_t i = 0; i < node.size; ++i) read_route(r_.doc().item(node, i), spec);
  }

  std::optional<Method> read_method(const Node& node) {
    auto text = r_.name(&node, "'method'");
    if (!text) return std::nullopt;
    if (auto method = parse_declared_method(*text)) return method;
    std::string upper(*text);
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; });
    std::string hint;
    if (upper == "HEAD")
      hint = "HEAD is decided as GET and cannot be declared: declare GET";
    else if (parse_declared_method(upper))
      hint = "methods are case-sensitive: write " + quote(upper);
    else
      hint = "declarable methods: " + join(kMethodNames);
    r_.report().error("SG107", node.pos, "unknown method " + quote(*text), std::move(hint));
    return std::nullopt;
  }

  void read_route(const Node& node, PolicySpec& spec) {
    if (!r_.expect(node, NodeKind::kMapping, "a route")) return;
    auto [method, methods, path, scope, auth, operator_only, project, hidden, description] =
        r_.fields(node, kRouteKeys, "in a route");
    RouteSpec route;
    route.pos = node.pos;

    methods_.clear();
    if (method != nullptr && methods != nullptr) {
      r_.report().error("SG003", methods->pos, "a route has both 'method' and 'methods'", "keep one of the two",
                        method->pos);
    } else if (method != nullptr) {
      if (auto m = read_method(*method)) methods_.emplace_back(*m, method->pos);
    } else if (methods != nullptr) {
      if (r_.expect(*methods, NodeKind::kSequence, "'methods'")) {
        if (methods->size == 0) r_.report().error("SG003", methods->pos, "'methods' must not be empty");
        for (std::size_t i = 0; i < methods->size; ++i) {
          const Node& item = r_.doc().item(*methods, i);
          if (auto m = read_method(item)) methods_.emplace_back(*m, item.pos);
        }
      }
    } else {
      r_.missing(node, "method", "a route");
    }

    if (auto v = r_.name(path, "'path'")) {
      route.pattern = *v;
      route.pattern_pos = path->pos;
    } else if (!path) {
      r_.missing(node, "path", "a route");
    }
    if (auto v = r_.name(scope, "'scope'")) {
      route.scope = *v;
      route.scope_pos = scope->pos;
    }

    bool is_public = false;
    if (auto v = r_.string(auth, "'auth'")) {
      if (*v == "none")
        is_public = true;
      else
        r_.report().error("SG003", auth->pos, "'auth' must be 'none', not " + quote(*v),
                          "write `auth: none` for a public route; a guarded route names a `scope`");
    }
    const bool is_operator_only = r_.boolean(operator_only, "'operator_only'").value_or(false);
    if (is_public && is_operator_only)
      r_.report().error("SG109", operator_only->pos, "a route is both public and operator-only",
                        "drop `auth: none` or `operator_only: true`", auth->pos);
    route.auth = is_operator_only ? RouteAuth::kOperatorOnly : is_public ? RouteAuth::kPublic : RouteAuth::kScope;

    route.project_pos = route.pattern_pos;
    if (project != nullptr) {
      route.project_pos = project->pos;
      if (project->kind != NodeKind::kScalar || !is_null(r_.doc().text(*project), project->plain)) {
        if (auto v = r_.name(project, "'project'")) route.project_param = *v;
      }
    } else if (route.pattern.find(project_needle_) != std::string::npos) {
      route.project_param = spec.project_parameter;
    }

    route.hidden = r_.boolean(hidden, "'hidden'").value_or(false);
    if (auto v = r_.string(description, "'description'")) route.description = *v;

    for (std::size_t i = 0; i < methods_.size(); ++i) {
      if (i + 1 < methods_.size())
        spec.routes.push_back(route);
      else
        spec.routes.push_back(std::move(route));
      spec.routes.back().method = methods_[i].first;
      spec.routes.back().method_pos = methods_[i].second;
    }
  }

  void read_invariants(const Node& node, PolicySpec& spec) {
    if (!r_.expect(node, NodeKind::kSequence, "'invariants'")) return;
    const Document& doc = r_.doc();
    for (std::size_t i = 0; i < node.size; ++i) {
      const Node& item = doc.item(node, i);
      InvariantSpec invariant;
      invariant.pos = item.pos;
      const Node* kind = &item;
      const Node* values = nullptr;
      if (item.kind == NodeKind::kMapping && item.size == 1) {
        kind = &doc.key(item, 0);
        values = &doc.value(item, 0);
      } else if (item.kind != NodeKind::kScalar) {
        r_.wrong(item, "an invariant", "a kind or a one-key mapping of a kind to its values");
        continue;
      }
      auto name = r_.name(kind, "the kind of an invariant");
      if (!name) continue;
      invariant.kind = *name;
      if (std::find(kInvariantKinds.begin(), kInvariantKinds.end(), *name) == kInvariantKinds.end()) {
        r_.report().error("SG002", kind->pos, "unknown invariant " + quote(*name),
                          "known invariants: " + join(kInvariantKinds));
        continue;
      }
      const bool takes_values = *name == kInvariantWithValues;
      if (takes_values && values == nullptr) {
        r_.report().error("SG003", kind->pos, "invariant " + quote(*name) + " needs a list of values",
                          "write `- " + std::string(*name) + ": [...]`");
      } else if (!takes_values && values != nullptr) {
        r_.report().error("SG003", values->pos, "invariant " + quote(*name) + " takes no values",
                          "write `- " + std::string(*name) + "`");
      } else if (auto list = r_.strings(values, "the values of invariant " + quote(*name))) {
        invariant.values = std::move(*list);
      }
      spec.invariants.push_back(std::move(invariant));
    }
  }

  /// SG108: secrets belong in the environment. A secret-named key anywhere,
  /// and any value (never a key: `prefix` is no token) with the shape of a
  /// user token. The value is never echoed.
  void report_secrets(const UserClassSpec& user) {
    const Document& doc = r_.doc();
    const auto shape = UserTokenClass::from_spec(user);
    const std::string hint =
        "a secret never lives in the policy: name its environment variable with `secret_env` in the operator "
        "token class";
    auto check_value = [&](const Node& value) {
      if (value.kind == NodeKind::kScalar && shape && shape->matches(doc.text(value)))
        r_.report().error("SG108", value.pos, "a value has the shape of a user token", hint);
    };
    for (const Node& node : doc.nodes()) {
      if (node.kind == NodeKind::kMapping) {
        for (std::size_t i = 0; i < node.size; ++i) {
          const Node& key = doc.key(node, i);
          if (key.kind == NodeKind::kScalar && is_secret_key(doc.text(key)))
            r_.report().error("SG108", key.pos, "key " + quote(doc.text(key)) + " would put a secret into the policy",
                              hint);
          else
            check_value(doc.value(node, i));
        }
      } else if (node.kind == NodeKind::kSequence) {
        for (std::size_t i = 0; i < node.size; ++i) check_value(doc.item(node, i));
      }
    }
  }

  Reader r_;
  std::string project_needle_;
  std::vector<std::pair<Method, SourcePos>> methods_;
};

// ---------------------------------------------------------------------------
// Tokens files

constexpr std::array<std::string_view, 2> kTokensKeys = {"operator_token", "users"};
constexpr std::array<std::string_view, 4> kUserTokenKeys = {"token", "user_id", "scopes", "projects"};

class TokensReader {
 public:
  TokensReader(const Document& doc, Report& report, const PolicySpec& policy)
      : r_(doc, report, kTokensCodes, false), policy_(policy), shape_(UserTokenClass::from_spec(policy.user)) {}

  TokensFile read() {
    TokensFile tokens;
    check_keys(r_);
    const Node* root = r_.doc().root();
    if (root == nullptr) return tokens;  // an empty file lists no tokens
    if (!r_.expect(*root, NodeKind::kMapping, "a tokens file")) return tokens;
    auto [operator_token, users] = r_.fields(*root, kTokensKeys, "at the top level");
    if (operator_token != nullptr) read_operator_token(*operator_token, tokens);
    if (users != nullptr && r_.expect(*users, NodeKind::kSequence, "'users'")) {
      tokens.users.reserve(users->size);
      for (std::size_t i = 0; i < users->size; ++i) read_user(r_.doc().item(*users, i), tokens);
    }
    return tokens;
  }

 private:
  void read_operator_token(const Node& node, TokensFile& tokens) {
    // Written but empty (or null), it still replaces the environment: no operator.
    if (node.kind == NodeKind::kScalar && is_null(r_.doc().text(node), node.plain)) {
      tokens.operator_token.emplace();
      return;
    }
    auto text = r_.string(&node, "'operator_token'");
    if (!text) return;
    if (!text->empty() && !is_token68(*text))
      r_.report().error("SG206", node.pos, "'operator_token' is not a token68 string",
                        "use letters, digits and '-._~+/', optionally ending in '='");
    else if (shape_ && shape_->matches(*text))
      r_.report().error("SG206", node.pos, "'operator_token' has the shape of a user token",
                        "choose a secret that no user token can equal");
    else
      tokens.operator_token.emplace(*text);
  }

  void read_user(const Node& node, TokensFile& tokens) {
    if (!r_.expect(node, NodeKind::kMapping, "a user")) return;
    auto [token, user_id, scopes, projects] = r_.fields(node, kUserTokenKeys, "in a user");
    UserTokenEntry entry;
    entry.pos = node.pos;
    if (auto v = r_.string(token, "'token'")) {
      entry.token = *v;
      if (!shape_ || !shape_->matches(*v)) {
        r_.report().error("SG201", token->pos, "token matches no token class", describe_user_class(policy_.user));
      } else if (auto [it, added] = first_seen_.try_emplace(*v, token->pos); !added) {
        r_.report().error("SG202", token->pos, "token is listed twice", "list each token once", it->second);
      }
    } else if (!token) {
      r_.missing(node, "token", "a user");
    }
    if (auto v = r_.name(user_id, "'user_id'"))
      entry.user_id = *v;
    else if (!user_id)
      r_.missing(node, "user_id", "a user");
    if (auto v = r_.strings(scopes, "'scopes'")) entry.scopes = std::move(*v);
    if (auto v = r_.strings(projects, "'projects'")) entry.projects = std::move(*v);
    tokens.users.push_back(std::move(entry));
  }

  Reader r_;
  const PolicySpec& policy_;
  std::optional<UserTokenClass> shape_;
  std::unordered_map<std::string_view, SourcePos> first_seen_;  ///< views into the document
};

// ---------------------------------------------------------------------------
// Files

/// A file's content, or an SG000 / SG004 in `report`. The size is checked
/// before anything is read.
std::optional<std::string> read_file(const std::string& path, std::size_t max_bytes, Report& report) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    std::string why = ec.message();
    if (!why.empty()) why[0] = detail::ascii_lower(why[0]);
    report.error("SG000", {}, "cannot read the file: " + why);
    return std::nullopt;
  }
  if (size > max_bytes) {
    report.error("SG004", {}, "the file has " + std::to_string(size) + " bytes, more than the bound of " +
                                  std::to_string(max_bytes),
                 "split the file or raise the bound");
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  std::string content(static_cast<std::size_t>(size), '\0');
  if (!in || !in.read(content.data(), static_cast<std::streamsize>(size))) {
    report.error("SG000", {}, "cannot read the file");
    return std::nullopt;
  }
  return content;
}

bool within_bound(std::string_view text, std::size_t max_bytes, Report& report) {
  if (text.size() <= max_bytes) return true;
  report.error("SG004", {}, "the text has " + std::to_string(text.size()) + " bytes, more than the bound of " +
                                std::to_string(max_bytes),
               "split the file or raise the bound");
  return false;
}

}  // namespace

SpecResult parse_policy_text(std::string_view text, std::string file_name) {
  Report report(std::move(file_name));
  SpecResult result;
  Document doc;
  if (within_bound(text, kMaxPolicyBytes, report) && doc.parse(text, report)) {
    PolicySpec spec = PolicyReader(doc, report).read();
    if (!report.failed()) result.spec = std::move(spec);
  }
  result.diagnostics = report.take();
  return result;
}

SpecResult parse_policy_file(const std::string& path) {
  Report report(path);
  auto content = read_file(path, kMaxPolicyBytes, report);
  if (!content) return {std::nullopt, report.take()};
  return parse_policy_text(*content, path);
}

namespace {
LoadResult compile_parsed(SpecResult parsed) {
  LoadResult result;
  result.diagnostics = std::move(parsed.diagnostics);
  if (!parsed.spec) return result;
  CompileResult compiled = compile(std::move(*parsed.spec));
  result.policy = std::move(compiled.policy);
  result.diagnostics.insert(result.diagnostics.end(), std::make_move_iterator(compiled.diagnostics.begin()),
                            std::make_move_iterator(compiled.diagnostics.end()));
  sort_diagnostics(result.diagnostics);
  return result;
}
}  // namespace

LoadResult load_policy_text(std::string_view text, std::string file_name) {
  return compile_parsed(parse_policy_text(text, std::move(file_name)));
}

LoadResult load_policy_file(const std::string& path) { return compile_parsed(parse_policy_file(path)); }

TokensResult parse_tokens_text(std::string_view text, std::string file_name, const PolicySpec& policy) {
  Report report(std::move(file_name));
  TokensResult result;
  Document doc;
  if (within_bound(text, kMaxTokensBytes, report) && doc.parse(text, report)) {
    TokensFile tokens = TokensReader(doc, report, policy).read();
    if (!report.failed()) result.tokens = std::move(tokens);
  }
  result.diagnostics = report.take();
  return result;
}

TokensResult load_tokens_file(const std::string& path, const PolicySpec& policy) {
  Report report(path);
  auto content = read_file(path, kMaxTokensBytes, report);
  if (!content) return {std::nullopt, report.take()};
  return parse_tokens_text(*content, path, policy);
}

}  // namespace scopegate
