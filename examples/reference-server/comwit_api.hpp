#pragma once
/// The Comwit API surface over in-memory data: the resource layer behind the
/// authorization step. It is reached only for allowed requests and is
/// dispatched on the route the engine chose, with parameters read from the
/// canonical path, so the router can never disagree with the authorizer
/// about which route, or which project, a request is for.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scopegate::example {

struct ApiCall {
  std::string_view route;  ///< the decision's route: `GET /v1/projects/{projectId}`
  std::string_view path;   ///< the decision's canonical path
  std::string_view body;
  std::string_view actor;  ///< the decision's actor: the user, or whom the operator acts for
  /// The caller's member projects; nullptr for the operator, who sees all.
  const std::vector<std::string>* projects = nullptr;
};

struct ApiReply {
  int status = 200;
  std::string body;  ///< JSON
  std::vector<std::pair<std::string, std::string>> headers;
};

/// Thread-safe: one mutex guards the data.
class ComwitApi {
 public:
  /// `projects`: the ids to seed, each with a database, an app with a build,
  /// an env and a hostname, and a domain with a record. `approved_token`:
  /// what polling a device code yields (`--approve-as`); none means
  /// `authorization_pending` for ever.
  ComwitApi(const std::vector<std::string>& projects, std::optional<std::string> approved_token,
            std::string verification_uri);

  ApiReply handle(const ApiCall& call);

 private:
  struct Database {
    std::string name, created_by;
  };
  struct App {
    std::string name, created_by, deployed_build;
    std::map<std::string, std::string> env;
    std::vector<std::string> builds;
    std::vector<std::string> hostnames;
  };
  struct Record {
    std::string type, name, value;
  };
  struct Domain {
    bool purchased = false;
    std::map<std::string, Record> records;
  };
  struct Project {
    std::map<std::string, Database> databases;
    std::map<std::string, App> apps;
    std::map<std::string, Domain> domains;
  };
  using Params = std::map<std::string, std::string>;

  ApiReply dispatch(std::string_view route, const Params& p, const ApiCall& call);
  ApiReply device_start();
  ApiReply device_poll(std::string_view body);
  std::string next_id(std::string_view prefix);

  std::mutex mutex_;
  std::map<std::string, Project> projects_;
  std::map<std::string, Database> platform_databases_;
  std::map<std::string, std::string> device_codes_;  ///< device_code -> user_code
  std::optional<std::string> approved_token_;
  std::string verification_uri_;
  unsigned long counter_ = 0;
};

}  // namespace scopegate::example
