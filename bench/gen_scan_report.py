#!/usr/bin/env python3
"""Writes a large synthetic scan report for bench/scan.sh, streaming (constant memory).

usage: gen_scan_report.py trivy|sarif OUT_FILE TARGET_MB

The shapes follow the real reports in ../shared/fixtures/scan-reports (Trivy schema 2, SARIF
2.1.0 with `security-severity` on rules). Prints the severity counts it wrote as JSON on stdout,
so the bench can check the importer's counts against numbers it did not compute itself.
"""
import json
import random
import sys

SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]
WEIGHTS = [2, 8, 30, 50, 10]
DESCRIPTION = (
    "A flaw was found in the library's parser where a crafted input could cause an out-of-bounds "
    "read, leading to a crash or information disclosure. " * 3
)


def trivy(out, target_bytes, rng):
    counts = {s.lower(): 0 for s in SEVERITIES}
    out.write('{"SchemaVersion": 2, "CreatedAt": "2026-11-20T08:30:00.123456789Z", ')
    out.write('"ArtifactName": "registry.example.com/bench/app:1.0", "ArtifactType": "container_image", ')
    out.write('"Metadata": {"OS": {"Family": "debian", "Name": "12.7"}}, "Results": [')
    written, n, first_result = 0, 0, True
    while written < target_bytes:
        if not first_result:
            out.write(",")
        first_result = False
        out.write(json.dumps({"Target": f"layer-{n}/usr/lib", "Class": "os-pkgs", "Type": "debian"})[:-1])
        out.write(', "Vulnerabilities": [')
        for i in range(1000):
            sev = rng.choices(SEVERITIES, WEIGHTS)[0]
            counts[sev.lower()] += 1
            v = {
                "VulnerabilityID": f"CVE-2026-{n * 1000 + i:06d}",
                "PkgName": f"libbench{i % 97}",
                "InstalledVersion": f"1.{i % 13}.{n % 7}-1",
                "FixedVersion": f"1.{i % 13}.{n % 7 + 1}-1",
                "Severity": sev,
                "Title": f"libbench: out-of-bounds read in parser {i}",
                "Description": DESCRIPTION,
                "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "V3Score": 9.8}},
                "References": [f"https://security-tracker.debian.org/tracker/CVE-2026-{n * 1000 + i:06d}"],
            }
            s = json.dumps(v)
            out.write(("," if i else "") + s)
            written += len(s) + 1
        out.write("]}")
        n += 1
    out.write("]}\n")
    return counts


BANDS = [("critical", 9.5), ("high", 7.5), ("medium", 5.0), ("low", 2.0)]


def band_of(rule):
    """Rule `rule`'s band: of every 50 rules, 1 critical, 5 high, 14 medium, 30 low."""
    k = rule % 50
    return BANDS[0 if k == 0 else 1 if k < 6 else 2 if k < 20 else 3]


def sarif(out, target_bytes, rng):
    counts = {"critical": 0, "high": 0, "medium": 0, "low": 0, "info": 0, "unknown": 0}
    rules = []
    for i in range(200):
        band, score = band_of(i)
        rules.append({
            "id": f"bench/rule-{i}",
            "name": f"BenchRule{i}",
            "shortDescription": {"text": f"Bench rule {i}"},
            "properties": {"security-severity": str(score), "tags": ["security"]},
        })
    out.write('{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [{')
    out.write('"tool": {"driver": {"name": "CodeQL", "semanticVersion": "2.19.0", "rules": ')
    out.write(json.dumps(rules))
    out.write('}}, "invocations": [{"executionSuccessful": true, "startTimeUtc": "2026-11-20T08:30:00Z", ')
    out.write('"endTimeUtc": "2026-11-20T09:10:00Z"}], "results": [')
    written, i = 0, 0
    while written < target_bytes:
        r = rng.randrange(len(rules))
        counts[band_of(r)[0]] += 1
        res = {
            "ruleId": rules[r]["id"],
            "ruleIndex": r,
            "level": "warning",
            "message": {"text": "Untrusted data flows into a sensitive sink without validation. " * 2},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": f"src/module{i % 500}/file{i % 37}.java"},
                "region": {"startLine": i % 900 + 1, "startColumn": 5},
            }}],
            "partialFingerprints": {"primaryLocationLineHash": f"{i:016x}:1"},
        }
        s = json.dumps(res)
        out.write(("," if i else "") + s)
        written += len(s) + 1
        i += 1
    out.write("]}]}\n")
    return counts


def main():
    kind, path, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = random.Random(5)
    with open(path, "w", buffering=1 << 20) as out:
        counts = {"trivy": trivy, "sarif": sarif}[kind](out, mb * 1024 * 1024, rng)
    print(json.dumps(counts, sort_keys=True))


if __name__ == "__main__":
    main()
