#pragma once
/// Where the runner's credentials come from, as the comwit CLI resolves them
/// (shared/seeds/comwit-auth-and-scopes.txt), and how every secret is kept
/// out of what the runner prints.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scopegate::live {

/// A value and where it came from, for the plan: `--token`, `$COMWIT_PROJECT`,
/// `default_project of ~/.config/comwit/config.json`.
struct Sourced {
  std::string value;
  std::string source;
};

/// The caller's own token and project.
struct Credentials {
  std::optional<Sourced> token;
  std::optional<Sourced> project;
  std::string config_file;  ///< the config file read; empty when none was found
};

/// Reads environment variables; a seam so that callers decide what the
/// environment is (the process environment in the tool).
using GetEnv = std::optional<std::string> (*)(const char* name);

/// The process environment; an unset or empty variable is nullopt.
std::optional<std::string> process_env(const char* name);

/// The config file the comwit CLI reads: `$COMWIT_CONFIG`, else
/// `$XDG_CONFIG_HOME/comwit/config.json` when XDG_CONFIG_HOME is set, else
/// `$HOME/.config/comwit/config.json` (the XDG rule: a set XDG_CONFIG_HOME
/// replaces `~/.config`). Empty when none of the variables is set.
std::string config_path(GetEnv env);

/// Token: `token_flag`, else the config file's `token`. Project:
/// `project_flag`, else `$COMWIT_PROJECT`, else the config file's
/// `default_project`. The config file is read only when one of the two is
/// still open. A config file that `$COMWIT_CONFIG` names must exist; a
/// default one may be missing. A file that is not a JSON object with string
/// `token` and `default_project` (each optional) is an error naming the
/// file. Returns nullopt and sets `error` on any error.
std::optional<Credentials> resolve_credentials(const std::optional<std::string>& token_flag,
                                               const std::optional<std::string>& project_flag, GetEnv env,
                                               std::string* error);

/// Replaces every occurrence of a registered secret, in any letter case,
/// with a short prefix of it and `…(masked)`: `cwt_01…(masked)`. The prefix
/// never shows more than half of the secret. Immutable once built; safe for
/// concurrent use.
class Redactor {
 public:
  /// `known_prefix`: a prefix that carries no secret (the user class's `cwt_`),
  /// shown in full with two more characters.
  void add(std::string secret, std::string_view known_prefix = {});
  std::string redact(std::string_view text) const;

 private:
  struct Entry {
    std::string secret;
    std::size_t shown = 0;
  };
  std::vector<Entry> entries_;  ///< longest first, so that no secret is masked by a shorter one inside it
};

}  // namespace scopegate::live
