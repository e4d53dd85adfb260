#!/usr/bin/env python3
"""Mutation check of the conformance cases (conformance issue item 5).

Writes mutated copies of policies/comwit.yaml, each one plausible mistake a
policy author could make, and asserts that conformance-cases fails on every
one. Each mutant must load: a mutant the loader refuses is a broken mutant
(exit 2), since then the loader, not the cases, would be catching it. Prints one
line per mutant and the score `caught N/M (P%)`; exit status 0 only at 100%.

  mutation_check.py --runner build/conformance/conformance-cases
                    [--policy policies/comwit.yaml] [--policy-check build/tools/policy-check/policy-check]
                    [--keep DIR]

With --policy-check, each mutant's `policy-check validate` summary is shown
(lint findings), for information. With --keep, the mutants are written to DIR
and kept, so that one can be run by hand:
  conformance-cases --policy DIR/<name>.yaml
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile


def route(method, path, body):
    """The text of one block-style route of comwit.yaml."""
    return f"  - method: {method}\n    path: {path}\n{body}"


# (name, what the mutant gets wrong, [(old text, new text), ...]). Each old
# text must occur exactly once in the policy, so that a change to comwit.yaml
# breaks this script loudly instead of making a mutant equal to the original.
MUTANTS = [
    ("scope-changed",
     "POST .../deploy guarded by app:write instead of app:deploy",
     [("    path: /v1/projects/{projectId}/apps/{appId}/deploy\n    scope: app:deploy\n",
       "    path: /v1/projects/{projectId}/apps/{appId}/deploy\n    scope: app:write\n")]),
    ("scope-write-to-read",
     "POST .../databases guarded by database:read instead of database:write",
     [(route("POST", "/v1/projects/{projectId}/databases", "    scope: database:write\n"),
       route("POST", "/v1/projects/{projectId}/databases", "    scope: database:read\n"))]),
    ("scope-read-to-write",
     "GET .../records guarded by domain:write instead of domain:read",
     [("    path: /v1/projects/{projectId}/domains/{domain}/records\n    scope: domain:read\n",
       "    path: /v1/projects/{projectId}/domains/{domain}/records\n    scope: domain:write\n")]),
    ("list-scope-changed",
     "GET /v1/projects guarded by app:read instead of project:read",
     [("    path: /v1/projects\n    scope: project:read\n", "    path: /v1/projects\n    scope: app:read\n")]),
    ("operator-only-dropped",
     "GET /v1/status scoped (project:read) instead of operator-only",
     [("    path: /v1/status\n    operator_only: true\n", "    path: /v1/status\n    scope: project:read\n")]),
    ("operator-only-dropped-in-family",
     "GET, DELETE /v1/databases/{databaseId} scoped; only the prefix family still guards them",
     [("    path: /v1/databases/{databaseId}\n    operator_only: true\n",
       "    path: /v1/databases/{databaseId}\n    scope: database:read\n")]),
    ("operator-only-made-public",
     "GET /v1/status public",
     [("    path: /v1/status\n    operator_only: true\n", "    path: /v1/status\n    auth: none\n")]),
    ("hidden-alias-exposed",
     "hidden alias GET /v1/apps/{appId} scoped (app:read) instead of operator-only",
     [("    path: /v1/apps/{appId}\n    operator_only: true\n", "    path: /v1/apps/{appId}\n    scope: app:read\n")]),
    ("hidden-deploy-alias-exposed",
     "hidden alias POST /v1/apps/{appId}/deploy scoped (app:deploy)",
     [("    path: /v1/apps/{appId}/deploy\n    operator_only: true\n",
       "    path: /v1/apps/{appId}/deploy\n    scope: app:deploy\n")]),
    ("hidden-project-alias-exposed",
     "hidden alias GET /v1/project/{projectId} scoped (project:read, with membership)",
     [("    path: /v1/project/{projectId}\n    operator_only: true\n",
       "    path: /v1/project/{projectId}\n    scope: project:read\n")]),
    ("hidden-db-alias-exposed",
     "hidden alias GET /v1/projects/{projectId}/db scoped (database:read, with membership)",
     [("    path: /v1/projects/{projectId}/db\n    operator_only: true\n",
       "    path: /v1/projects/{projectId}/db\n    scope: database:read\n")]),
    ("project-parameter-removed",
     "GET .../apps/{appId} without a membership check (project: null)",
     [(route("GET", "/v1/projects/{projectId}/apps/{appId}", "    scope: app:read\n"),
       route("GET", "/v1/projects/{projectId}/apps/{appId}", "    scope: app:read\n    project: null\n"))]),
    ("project-parameter-removed-write",
     "DELETE .../records/{recordId} without a membership check",
     [(route("DELETE", "/v1/projects/{projectId}/domains/{domain}/records/{recordId}", "    scope: domain:write\n"),
       route("DELETE", "/v1/projects/{projectId}/domains/{domain}/records/{recordId}",
             "    scope: domain:write\n    project: null\n"))]),
    ("project-parameter-renamed",
     "project_parameter appId: membership checked on the app id, and not at all where there is none",
     [("project_parameter: projectId\n", "project_parameter: appId\n")]),
    ("family-prefix-shortened",
     "prefix family /v1/data instead of /v1/databases",
     [("  - prefix: /v1/databases\n", "  - prefix: /v1/data\n")]),
    ("family-prefix-lengthened",
     "prefix family /v1/databases/ (no longer covers /v1/databases-old)",
     [("  - prefix: /v1/databases\n", "  - prefix: /v1/databases/\n")]),
    ("family-removed",
     "no prefix family at all",
     [("operator_prefixes:\n  - prefix: /v1/databases\n"
       "    description: the non-project databases family, also paths that no route declares\n",
       "operator_prefixes: []\n")]),
    ("public-route-added",
     "GET /v1/auth/device added as a public route",
     [(route("POST", "/v1/auth/device", "    auth: none\n"),
       route("GET", "/v1/auth/device", "    auth: none\n") + route("POST", "/v1/auth/device", "    auth: none\n"))]),
    ("public-route-made-scoped",
     "POST /v1/auth/device/token scoped (project:read) instead of public",
     [(route("POST", "/v1/auth/device/token", "    auth: none\n"),
       route("POST", "/v1/auth/device/token", "    scope: project:read\n"))]),
    ("method-added",
     "PATCH added beside PUT .../env",
     [("  - method: PUT\n    path: /v1/projects/{projectId}/apps/{appId}/env\n",
       "  - methods: [PUT, PATCH]\n    path: /v1/projects/{projectId}/apps/{appId}/env\n")]),
    ("method-added-operator-only",
     "PUT added to the operator-only /v1/databases",
     [("  - methods: [GET, POST]\n    path: /v1/databases\n",
       "  - methods: [GET, POST, PUT]\n    path: /v1/databases\n")]),
    ("method-changed",
     "DELETE .../apps/{appId} declared as PATCH",
     [(route("DELETE", "/v1/projects/{projectId}/apps/{appId}", ""),
       route("PATCH", "/v1/projects/{projectId}/apps/{appId}", ""))]),
    ("route-deleted",
     "DELETE .../domains/{hostname} gone",
     [(route("DELETE", "/v1/projects/{projectId}/apps/{appId}/domains/{hostname}",
             "    scope: app:write\n    description: detach a hostname from an app\n"), "")]),
    ("list-route-deleted",
     "GET /v1/projects (the list, which checks no membership) gone",
     [(route("GET", "/v1/projects", "    scope: project:read\n    description: list the projects you can access\n"),
       "")]),
    ("parameter-made-literal",
     "GET .../builds/{buildId} written as .../builds/latest",
     [("    path: /v1/projects/{projectId}/apps/{appId}/builds/{buildId}\n",
       "    path: /v1/projects/{projectId}/apps/{appId}/builds/latest\n")]),
    ("catch-all-added",
     "GET /v1/projects/{projectId}/{section} added (project:read): unknown project paths answer",
     [(route("GET", "/v1/projects/{projectId}", "    scope: project:read\n"),
       route("GET", "/v1/projects/{projectId}/{section}", "    scope: project:read\n")
       + route("GET", "/v1/projects/{projectId}", "    scope: project:read\n"))]),
    # The next three survived every case until cases/matching/unlisted-paths.yaml.
    ("public-route-added-elsewhere",
     "GET /v1/health added as a public route",
     [("routes:\n", "routes:\n" + route("GET", "/v1/health", "    auth: none\n"))]),
    ("scoped-route-added",
     "GET /v1/users added, guarded by project:read",
     [("routes:\n", "routes:\n" + route("GET", "/v1/users", "    scope: project:read\n"))]),
    ("operator-only-route-added",
     "GET /v1/admin added as an operator-only route",
     [("routes:\n", "routes:\n" + route("GET", "/v1/admin", "    operator_only: true\n"))]),
    ("token-prefix-changed",
     "user tokens start cwu_ instead of cwt_",
     [("    prefix: cwt_\n", "    prefix: cwu_\n")]),
    ("actor-header-renamed",
     "actor header X-Comwit-Actor instead of X-Comwit-Actor-User-Id",
     [("    actor_header: X-Comwit-Actor-User-Id\n", "    actor_header: X-Comwit-Actor\n")]),
    ("default-actor-changed",
     "the operator's actor without a header is console instead of operator",
     [("    default_actor: operator\n", "    default_actor: console\n")]),
]


def broken(message):
    """A mutant or a run this script cannot judge: exit status 2."""
    print(f"mutation_check: {message}", file=sys.stderr)
    sys.exit(2)


def mutate(text, edits, name):
    for old, new in edits:
        count = text.count(old)
        if count != 1:
            broken(f"mutant {name}: the text to replace occurs {count} times in the policy, not once:\n{old}")
        text = text.replace(old, new)
    return text


def run_cases(runner, mutant):
    """(exit status, stdout, stderr) of the case runner on one mutant."""
    done = subprocess.run([runner, "--policy", mutant], capture_output=True, text=True)
    return done.returncode, done.stdout, done.stderr


def validate_summary(policy_check, mutant):
    done = subprocess.run([policy_check, "validate", mutant], capture_output=True, text=True)
    lines = [line for line in done.stderr.splitlines() if line.startswith(mutant)]
    return lines[-1][len(mutant) + 2:] if lines else f"exit {done.returncode}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runner", required=True, help="the conformance-cases executable")
    parser.add_argument("--policy", default=os.path.join(os.path.dirname(__file__), "..", "..", "policies",
                                                         "comwit.yaml"))
    parser.add_argument("--policy-check", help="the policy-check executable, to show each mutant's lint summary")
    parser.add_argument("--keep", help="write the mutants to this directory and keep them")
    args = parser.parse_args()

    with open(args.policy, encoding="utf-8") as f:
        original = f.read()
    with tempfile.TemporaryDirectory(prefix="scopegate-mutants-") as scratch:
        directory = args.keep or scratch
        os.makedirs(directory, exist_ok=True)
        caught = 0
        for name, what, edits in MUTANTS:
            text = mutate(original, edits, name)
            path = os.path.join(directory, name + ".yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(f"# Mutant {name} of {os.path.basename(args.policy)}: {what}\n" + text)
            status, out, err = run_cases(args.runner, path)
            refused = [line for line in err.splitlines() if line.startswith(path)]
            if status == 2 and refused:
                broken(f"mutant {name} does not load, so the loader catches it, not the cases:\n" + "\n".join(refused))
            if status == 1:
                failed = re.search(r"(\d+) failed", out)
                verdict = f"caught   {failed.group(1) if failed else '?'} cases fail"
            elif status == 2:
                # The policy loads; the runner refuses the fixtures under it
                # (a tokens fixture no longer fits the user class).
                first = err.splitlines()[0] if err else "no message"
                verdict = f"caught   the fixtures no longer load: {first}"
            elif status == 0:
                verdict = "SURVIVED every case passes"
            else:
                broken(f"conformance-cases ended with status {status} on mutant {name}:\n{err}")
            caught += status != 0
            lint = f" [validate: {validate_summary(args.policy_check, path)}]" if args.policy_check else ""
            print(f"{name:34} {verdict}\n{'':34} ({what}){lint}", flush=True)
        total = len(MUTANTS)
        print(f"caught {caught}/{total} ({100 * caught // total}%)")
        return 0 if caught == total else 1


if __name__ == "__main__":
    sys.exit(main())
