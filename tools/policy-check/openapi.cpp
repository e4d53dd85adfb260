#include "openapi.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace scopegate::cli {
namespace {

using Json = nlohmann::json;

/// Positions of mapping keys by JSON pointer (`/paths/~1v1~1status/get`).
using KeyPositions = std::map<std::string, SourcePos>;

/// An upper bound on the nodes a YAML description may expand to: aliases can
/// make a small text a huge tree.
constexpr std::size_t kMaxNodes = 1'000'000;

constexpr std::array<std::string_view, 8> kOperationKeys = {"get",  "put",   "post",  "delete",
                                                            "options", "head", "patch", "trace"};

std::string pointer_token(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

/// yaml-cpp counts lines and columns from 0; diagnostics count from 1.
SourcePos to_pos(const YAML::Mark& mark) {
  if (mark.line < 0) return {};
  return {static_cast<std::uint32_t>(mark.line + 1), static_cast<std::uint32_t>(mark.column + 1)};
}

class YamlToJson {
 public:
  explicit YamlToJson(KeyPositions& positions) : positions_(positions) {}

  /// False when the tree is over kMaxNodes.
  bool convert(const YAML::Node& node, const std::string& pointer, Json& out) {
    if (++nodes_ > kMaxNodes) return false;
    switch (node.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        out = nullptr;
        return true;
      case YAML::NodeType::Scalar:
        out = node.Scalar();
        return true;
      case YAML::NodeType::Sequence: {
        out = Json::array();
        std::size_t i = 0;
        for (const auto& item : node) {
          Json value;
          if (!convert(item, pointer + "/" + std::to_string(i++), value)) return false;
          out.push_back(std::move(value));
        }
        return true;
      }
      case YAML::NodeType::Map: {
        out = Json::object();
        for (const auto& entry : node) {
          const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : std::string();
          const std::string child = pointer + "/" + pointer_token(key);
          positions_.emplace(child, to_pos(entry.first.Mark()));
          Json value;
          if (!convert(entry.second, child, value)) return false;
          out[key] = std::move(value);
        }
        return true;
      }
    }
    return true;
  }

 private:
  KeyPositions& positions_;
  std::size_t nodes_ = 0;
};

OpenApiResult input_error(const std::string& file, SourcePos pos, std::string message, std::string hint = {}) {
  OpenApiResult result;
  result.diagnostics.push_back(
      Diagnostic{"SG400", Severity::kError, file, pos, std::move(message), std::move(hint), std::nullopt});
  return result;
}

class Reader {
 public:
  Reader(std::string file, const KeyPositions& positions) : file_(std::move(file)), positions_(positions) {}

  OpenApiResult read(const Json& doc) {
    OpenApiResult result;
    if (!doc.is_object()) return fail({}, "the description is not a mapping");
    auto version = doc.find("openapi");
    if (version == doc.end() || !version->is_string() || !version->get<std::string>().starts_with("3."))
      return fail(at("/openapi"), "`openapi` must name version 3.x");
    auto paths = doc.find("paths");
    if (paths == doc.end() || !paths->is_object()) return fail(at("/paths"), "`paths` must be a mapping");
    const Json* document_security = doc.contains("security") ? &doc["security"] : nullptr;

    ApiDescription api;
    api.file = file_;
    for (const auto& [path, item] : paths->items()) {
      const std::string item_pointer = "/paths/" + pointer_token(path);
      if (!item.is_object()) continue;
      if (item.contains("$ref")) {
        ApiOperation op;
        op.path = path;
        op.pos = at(item_pointer);
        op.unusable = "it is a $ref";
        api.operations.push_back(std::move(op));
        continue;
      }
      for (std::string_view key : kOperationKeys) {
        auto found = item.find(std::string(key));
        if (found == item.end() || !found->is_object()) continue;
        api.operations.push_back(operation(*found, key, path, item_pointer + "/" + std::string(key),
                                           document_security));
      }
    }
    std::stable_sort(api.operations.begin(), api.operations.end(),
                     [](const ApiOperation& a, const ApiOperation& b) { return a.pos < b.pos; });
    result.api = std::move(api);
    return result;
  }

 private:
  SourcePos at(const std::string& pointer) const {
    auto it = positions_.find(pointer);
    return it == positions_.end() ? SourcePos{} : it->second;
  }

  OpenApiResult fail(SourcePos pos, std::string message) const {
    return input_error(file_, pos, std::move(message), "write `openapi: 3.1.0` and a `paths` mapping");
  }

  ApiOperation operation(const Json& op_json, std::string_view key, const std::string& path,
                         const std::string& pointer, const Json* document_security) const {
    ApiOperation op;
    op.method.reserve(key.size());
    for (char c : key) op.method += static_cast<char>(c - 'a' + 'A');
    op.path = path;
    op.pos = at(pointer);
    if (auto tags = op_json.find("tags"); tags != op_json.end() && tags->is_array())
      for (const auto& t : *tags)
        op.operator_only = op.operator_only || (t.is_string() && t.get<std::string>() == kOperatorOnlyTag);
    const Json* security = op_json.contains("security") ? &op_json["security"] : document_security;
    if (security && security->is_array()) {
      op.has_security = true;
      op.is_public = security->empty();
      for (const auto& requirement : *security) {
        if (!requirement.is_object()) continue;
        op.is_public = op.is_public || requirement.empty();
        for (const auto& [scheme, scopes] : requirement.items()) {
          if (!scopes.is_array()) continue;
          for (const auto& s : scopes)
            if (s.is_string()) op.scopes.push_back(s.get<std::string>());
        }
      }
      std::sort(op.scopes.begin(), op.scopes.end());
      op.scopes.erase(std::unique(op.scopes.begin(), op.scopes.end()), op.scopes.end());
    }
    return op;
  }

  std::string file_;
  const KeyPositions& positions_;
};

}  // namespace

OpenApiResult read_openapi_text(std::string_view text, std::string file_name) {
  KeyPositions positions;
  Json doc;
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') {
    doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return input_error(file_name, {}, "not valid JSON");
  } else {
    try {
      YAML::Node root = YAML::Load(std::string(text));
      if (!YamlToJson(positions).convert(root, "", doc))
        return input_error(file_name, {}, "the description expands to more than " + std::to_string(kMaxNodes) +
                                              " nodes");
    } catch (const YAML::Exception& e) {
      return input_error(file_name, to_pos(e.mark), "invalid yaml: " + e.msg);
    }
  }
  return Reader(std::move(file_name), positions).read(doc);
}

OpenApiResult read_openapi_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return input_error(path, {}, "cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  return read_openapi_text(text.str(), path);
}

}  // namespace scopegate::cli
