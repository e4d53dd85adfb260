#!/usr/bin/env python3
"""Checks a SARIF log against the parts of the SARIF 2.1.0 schema that
policy-check uses (sarif-schema-2.1.0.json, OASIS), and against what GitHub code
scanning requires on top. Standard library only, so that it runs offline.

For each object type: the properties the schema requires, the types and ranges
of those we write, and no property the schema does not define (the schema sets
additionalProperties to false on every one of these objects).

Usage: sarif_check.py LOG.sarif   (exit 0 valid, 1 not, with every problem listed)
"""
import json
import sys

# Properties the schema defines, per object (the subset of objects we emit).
ALLOWED = {
    "sarifLog": {"$schema", "version", "runs", "inlineExternalProperties", "properties"},
    "run": {"tool", "invocations", "conversion", "language", "versionControlProvenance", "originalUriBaseIds",
            "artifacts", "logicalLocations", "graphs", "results", "automationDetails", "runAggregates",
            "baselineGuid", "redactionTokens", "defaultEncoding", "defaultSourceLanguage", "newlineSequences",
            "columnKind", "externalPropertyFileReferences", "threadFlowLocations", "taxonomies", "addresses",
            "translations", "policies", "webRequests", "webResponses", "specialLocations", "properties"},
    "tool": {"driver", "extensions", "properties"},
    "toolComponent": {"guid", "name", "organization", "product", "productSuite", "shortDescription",
                      "fullDescription", "fullName", "version", "semanticVersion", "dottedQuadFileVersion",
                      "releaseDateUtc", "downloadUri", "informationUri", "globalMessageStrings", "notifications",
                      "rules", "taxa", "locations", "language", "contents", "isComprehensive",
                      "localizedDataSemanticVersion", "minimumRequiredLocalizedDataSemanticVersion",
                      "associatedComponent", "translationMetadata", "supportedTaxonomies", "properties"},
    "reportingDescriptor": {"id", "deprecatedIds", "guid", "deprecatedGuids", "name", "deprecatedNames",
                            "shortDescription", "fullDescription", "messageStrings", "defaultConfiguration",
                            "helpUri", "help", "relationships", "properties"},
    "multiformatMessageString": {"text", "markdown", "properties"},
    "reportingConfiguration": {"enabled", "level", "rank", "parameters", "properties"},
    "result": {"ruleId", "ruleIndex", "rule", "kind", "level", "message", "analysisTarget", "locations", "guid",
               "correlationGuid", "occurrenceCount", "partialFingerprints", "fingerprints", "stacks",
               "codeFlows", "graphs", "graphTraversals", "relatedLocations", "suppressions", "baselineState",
               "rank", "attachments", "hostedViewerUri", "workItemUris", "provenance", "fixes", "taxa",
               "webRequest", "webResponse", "properties"},
    "message": {"text", "markdown", "id", "arguments", "properties"},
    "location": {"id", "physicalLocation", "logicalLocations", "message", "annotations", "relationships",
                 "properties"},
    "physicalLocation": {"address", "artifactLocation", "region", "contextRegion", "properties"},
    "artifactLocation": {"uri", "uriBaseId", "index", "description", "properties"},
    "region": {"startLine", "startColumn", "endLine", "endColumn", "charOffset", "charLength", "byteOffset",
               "byteLength", "snippet", "message", "sourceLanguage", "properties"},
}
LEVELS = {"none", "note", "warning", "error"}
COLUMN_KINDS = {"utf16CodeUnits", "unicodeCodePoints"}

problems = []


def fail(path, why):
    problems.append(f"{path}: {why}")


def obj(value, kind, path, required=()):
    if not isinstance(value, dict):
        fail(path, f"{kind} must be an object")
        return False
    for key in value:
        if key not in ALLOWED[kind]:
            fail(path, f"{kind} has no property '{key}'")
    for key in required:
        if key not in value:
            fail(path, f"{kind} requires '{key}'")
    return True


def string(value, path, non_empty=True):
    if not isinstance(value, str) or (non_empty and not value):
        fail(path, "must be a non-empty string" if non_empty else "must be a string")


def integer(value, path, minimum):
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        fail(path, f"must be an integer >= {minimum}")


def message_string(value, path):
    if obj(value, "multiformatMessageString", path, ("text",)):
        string(value.get("text"), path + ".text")


def properties(value, path):
    if not isinstance(value, dict):
        fail(path, "a property bag must be an object")
    elif "tags" in value:
        tags = value["tags"]
        if not isinstance(tags, list) or any(not isinstance(t, str) for t in tags) or len(set(tags)) != len(tags):
            fail(path + ".tags", "must be an array of unique strings")


def physical_location(value, path):
    if not obj(value, "physicalLocation", path, ("artifactLocation",)):  # anyOf address/artifactLocation
        return
    art = value.get("artifactLocation")
    if obj(art, "artifactLocation", path + ".artifactLocation", ("uri",)):  # code scanning wants the uri
        string(art.get("uri"), path + ".artifactLocation.uri")
        if " " in art.get("uri", ""):
            fail(path + ".artifactLocation.uri", "is not a URI reference (unescaped space)")
    region = value.get("region")
    if region is None:
        fail(path, "code scanning requires a region")
    elif obj(region, "region", path + ".region", ("startLine",)):
        for key in ("startLine", "startColumn", "endLine", "endColumn"):
            if key in region:
                integer(region[key], f"{path}.region.{key}", 1)
        if region.get("endLine", region.get("startLine", 1)) < region.get("startLine", 1):
            fail(path + ".region", "ends before it starts")


def location(value, path):
    if obj(value, "location", path):
        if "id" in value:
            integer(value["id"], path + ".id", -1)
        if "message" in value and obj(value["message"], "message", path + ".message"):
            string(value["message"].get("text"), path + ".message.text")
        if "physicalLocation" not in value:
            fail(path, "code scanning requires a physicalLocation")
        else:
            physical_location(value["physicalLocation"], path + ".physicalLocation")


def check(log):
    if not obj(log, "sarifLog", "$", ("version", "runs")):
        return
    if log.get("version") != "2.1.0":
        fail("$.version", "must be \"2.1.0\"")
    string(log.get("$schema"), "$.$schema")  # code scanning requires it
    runs = log.get("runs")
    if not isinstance(runs, list) or not runs:
        fail("$.runs", "must be a non-empty array")
        return
    for i, run in enumerate(runs):
        rp = f"$.runs[{i}]"
        if not obj(run, "run", rp, ("tool",)):
            continue
        if "columnKind" in run and run["columnKind"] not in COLUMN_KINDS:
            fail(rp + ".columnKind", "unknown column kind")
        tool = run.get("tool")
        if not obj(tool, "tool", rp + ".tool", ("driver",)):
            continue
        driver = tool.get("driver")
        dp = rp + ".tool.driver"
        if not obj(driver, "toolComponent", dp, ("name",)):
            continue
        string(driver.get("name"), dp + ".name")
        if "version" in driver:
            string(driver["version"], dp + ".version")
        if "informationUri" in driver and "://" not in str(driver["informationUri"]):
            fail(dp + ".informationUri", "must be an absolute URI")
        rules = driver.get("rules", [])
        if not isinstance(rules, list):
            fail(dp + ".rules", "must be an array")
            rules = []
        ids = []
        for j, rule in enumerate(rules):
            rpath = f"{dp}.rules[{j}]"
            if not obj(rule, "reportingDescriptor", rpath, ("id",)):
                ids.append(None)
                continue
            string(rule.get("id"), rpath + ".id")
            ids.append(rule.get("id"))
            for key in ("shortDescription", "fullDescription", "help"):  # code scanning wants all three
                if key not in rule:
                    fail(rpath, f"code scanning requires '{key}'")
                else:
                    message_string(rule[key], f"{rpath}.{key}")
            if "defaultConfiguration" in rule:
                conf = rule["defaultConfiguration"]
                if obj(conf, "reportingConfiguration", rpath + ".defaultConfiguration"):
                    if conf.get("level", "warning") not in LEVELS:
                        fail(rpath + ".defaultConfiguration.level", "unknown level")
            if "properties" in rule:
                properties(rule["properties"], rpath + ".properties")
        if len(set(ids)) != len(ids):
            fail(dp + ".rules", "rule ids must be unique")
        results = run.get("results")
        if not isinstance(results, list):
            fail(rp + ".results", "code scanning requires a results array")
            continue
        for j, result in enumerate(results):
            p = f"{rp}.results[{j}]"
            if not obj(result, "result", p, ("message",)):
                continue
            msg = result.get("message")
            if obj(msg, "message", p + ".message") and "text" not in msg and "id" not in msg:
                fail(p + ".message", "requires 'text' or 'id'")
            string(msg.get("text") if isinstance(msg, dict) else None, p + ".message.text")
            if result.get("level", "warning") not in LEVELS:
                fail(p + ".level", "unknown level")
            rule_id = result.get("ruleId")
            string(rule_id, p + ".ruleId")
            if "ruleIndex" in result:
                integer(result["ruleIndex"], p + ".ruleIndex", -1)
                k = result["ruleIndex"]
                if not (isinstance(k, int) and 0 <= k < len(ids) and ids[k] == rule_id):
                    fail(p + ".ruleIndex", "does not point at the rule named by ruleId")
            locs = result.get("locations")
            if not isinstance(locs, list) or not locs:
                fail(p + ".locations", "code scanning requires at least one location")
            else:
                for k, loc in enumerate(locs):
                    location(loc, f"{p}.locations[{k}]")
            for k, loc in enumerate(result.get("relatedLocations", [])):
                location(loc, f"{p}.relatedLocations[{k}]")
            fps = result.get("partialFingerprints", {})
            if not isinstance(fps, dict) or any(not isinstance(v, str) for v in fps.values()):
                fail(p + ".partialFingerprints", "must map names to strings")
            if "properties" in result:
                properties(result["properties"], p + ".properties")


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        try:
            log = json.load(f)
        except json.JSONDecodeError as e:
            print(f"not JSON: {e}")
            return 1
    check(log)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
