"""`make audit`: the supply chain of the installed environment, in three steps (docs/supply-chain.md).

    python tools/audit.py            # all three: sbom, verify, vulns
    python tools/audit.py sbom       # CycloneDX SBOM of this environment -> sbom.cdx.json
    python tools/audit.py verify     # the environment checked against the hashed lock (requirements.lock)
    python tools/audit.py vulns      # known vulnerabilities of the locked versions, where an advisory source answers
    python tools/audit.py lock       # requirements.lock written anew from constraints.txt (`make lock`)

Exit status: 0 clean (or the advisory source unreachable, said in one line), 1 a finding (a known
vulnerability, an installed version the lock does not pin, a lock entry without a hash), 2 a tool failed.
Runs with the environment's own interpreter (`.venv/bin/python`), which has the `audit` extra; imports no
studio code. Output: plain English lines (a command-line tool, like the studio's CLI).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
CONSTRAINTS = ROOT / "constraints.txt"
SBOM = ROOT / "sbom.cdx.json"
LOCK_HEADER = (
    "# Every pin of constraints.txt with the sha256 of the file pip installs on this kind of machine (CPython 3.11, Linux x86-64).\n"
    "# Regenerate: make lock. Verified by `make audit` (versions); not yet used to install (docs/supply-chain.md).\n"
)
# What a failed connection looks like in pip-audit's error output (requests/urllib3 wording).
_UNREACHABLE = re.compile(
    r"ConnectionError|NameResolutionError|Max retries exceeded|ProxyError|Failed to establish|timed out|"
    r"Temporary failure in name resolution|Connection refused",
    re.IGNORECASE,
)


def canonical(name: str) -> str:
    """A package name as the index compares names (PEP 503): 'Pip_Audit' -> 'pip-audit'."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> dict[str, tuple[str, int]]:
    """canonical name -> (pinned version, number of hashes) of a pip-compile lock (`name==version \\`
    lines, each followed by its `--hash=sha256:...` lines)."""
    entries: dict[str, tuple[str, int]] = {}
    current: str | None = None
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip().rstrip("\\").strip()
        if not line:
            continue
        if line.startswith("--hash="):
            if current is not None:
                version, hashes = entries[current]
                entries[current] = (version, hashes + 1)
            continue
        if line.startswith("-"):
            continue  # (pip options such as --index-url)
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;]+).*", line)
        if match is None:
            raise ValueError(f"{path.name}: cannot read the line {raw.strip()!r} (expected name==version)")
        current = canonical(match.group(1))
        entries[current] = (match.group(2), 0)
    return entries


def installed() -> dict[str, str]:
    """canonical name -> version of what this environment has installed (as `pip freeze` lists it, the
    editable studio itself left out: what `make lock` pins)."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"], capture_output=True, text=True, check=True
    ).stdout
    found = {}
    for line in out.splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            found[canonical(name)] = version.strip()
    return found


def lock_problems(lock: dict[str, tuple[str, int]], environment: dict[str, str]) -> list[str]:
    """One line per problem: an installed package the lock leaves out or pins at another version, or a
    lock entry without a hash."""
    problems = []
    for name, version in sorted(environment.items()):
        if name not in lock:
            problems.append(f"{name} {version} is installed but not in {LOCK.name}")
        elif lock[name][0] != version:
            problems.append(f"{name} {version} is installed but {LOCK.name} pins {lock[name][0]}")
    problems += [f"{name} has no hash in {LOCK.name}" for name, (_v, hashes) in sorted(lock.items()) if not hashes]
    return problems


def verify(lock_path: Path = LOCK) -> int:
    if not lock_path.exists():
        print(f"verify: {lock_path.name} is missing; run `make lock` to write it.")
        return 1
    lock = read_lock(lock_path)
    environment = installed()
    problems = lock_problems(lock, environment)
    for line in problems:
        print(f"verify: {line}")
    if problems:
        print(f"verify: {len(problems)} problem(s); `make lock` re-pins after a deliberate change.")
        return 1
    print(
        f"verify: all {len(environment)} installed packages are pinned in {lock_path.name} at their installed "
        f"version, with sha256 hashes for each of its {len(lock)} entries."
    )
    return 0


def sbom(out: Path = SBOM) -> int:
    """The CycloneDX SBOM (JSON, validated against the schema by cyclonedx-py) of this environment."""
    command = [
        sys.executable,
        "-m",
        "cyclonedx_py",
        "environment",
        "--pyproject",
        str(ROOT / "pyproject.toml"),
        "--output-format",
        "JSON",
        "--output-reproducible",
        "--output-file",
        str(out),
        sys.executable,
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        print(f"sbom: cyclonedx-py failed: {last}")
        return 2
    bom = json.loads(out.read_text())
    components = bom.get("components", [])
    print(
        f"sbom: {out.name} written: CycloneDX {bom.get('specVersion')}, {len(components)} components "
        f"(each with its version, licence where declared and package URL)."
    )
    return 0


def summarise_vulns(report: dict, service: str = "pypi") -> tuple[int, list[str]]:
    """(exit status, lines) for pip-audit's JSON report: 1 with one line per known vulnerability; 0 with
    a plain line when no advisory could be read (the source unreachable) or none was found."""
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = [d for d in dependencies if not d.get("skip_reason")]
    findings = [
        f"vulns: {d['name']} {d.get('version', '')}: {v.get('id')} (fixed in {', '.join(v.get('fix_versions') or []) or 'no release yet'})"
        for d in audited
        for v in d.get("vulns", [])
    ]
    if findings:
        return 1, findings + [f"vulns: {len(findings)} known vulnerabilit{'y' if len(findings) == 1 else 'ies'} found."]
    if dependencies and not audited:
        why = f"{service} gave no advisory record for any of the {len(skipped)} locked packages"
        return 0, [
            unreachable_line(why + ("; this machine reaches the package index only" if service == "pypi" else ""))
        ]
    lines = [f"vulns: no known vulnerabilities in the {len(audited)} locked packages checked."]
    if skipped:
        names = ", ".join(d["name"] for d in skipped[:5]) + (", ..." if len(skipped) > 5 else "")
        lines.append(f"vulns: {len(skipped)} could not be checked (no advisory record): {names}.")
    return 0, lines


def unreachable_line(why: str) -> str:
    return f"vulns: advisory source unreachable ({why}); vulnerability check skipped, nothing was checked."


def vulns(lock_path: Path = LOCK, service: str = "pypi", osv_url: str | None = None, timeout: int = 15) -> int:
    """pip-audit on the locked versions (no install, no resolution: the lock is complete and hashed)."""
    if not lock_path.exists():
        print(f"vulns: {lock_path.name} is missing; run `make lock` to write it.")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        command = [
            sys.executable,
            "-m",
            "pip_audit",
            "--requirement",
            str(lock_path),
            "--disable-pip",
            "--no-deps",
            "--vulnerability-service",
            service,
            "--format",
            "json",
            "--output",
            str(out),
            "--progress-spinner",
            "off",
            "--timeout",
            str(timeout),
        ]
        if osv_url:
            command += ["--osv-url", osv_url]
        done = subprocess.run(command, capture_output=True, text=True)
        report = json.loads(out.read_text()) if out.exists() and out.stat().st_size else None
    if report is None:
        if _UNREACHABLE.search(done.stderr):
            print(unreachable_line(f"{service} could not be reached from this machine"))
            return 0
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        print(f"vulns: pip-audit failed: {last}")
        return 2
    status, lines = summarise_vulns(report, service)
    print("\n".join(lines))
    return status


def lock(out: Path = LOCK) -> int:
    """requirements.lock from constraints.txt: the same pins, each with the sha256 of the file pip picks for
    this machine's kind (Python version and platform) on the index, read from pip's own install report (a
    dry run: nothing is installed, and pip downloads a file only where the index gives no metadata for it)."""
    with tempfile.TemporaryDirectory() as tmp:
        report_path = Path(tmp) / "report.json"
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--dry-run",
            "--ignore-installed",
            "--no-deps",
            "--requirement",
            str(CONSTRAINTS),
            "--report",
            str(report_path),
        ]
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0 or not report_path.exists():
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            print(f"lock: pip could not resolve the pins: {last}")
            return 2
        report = json.loads(report_path.read_text())
    lines, missing = [], []
    for item in sorted(report["install"], key=lambda i: canonical(i["metadata"]["name"])):
        name, version = item["metadata"]["name"], item["metadata"]["version"]
        digest = item.get("download_info", {}).get("archive_info", {}).get("hashes", {}).get("sha256")
        if digest is None:
            missing.append(name)
            continue
        lines.append(f"{name}=={version} \\\n    --hash=sha256:{digest}")
    if missing:
        print(f"lock: the index gave no sha256 for {', '.join(missing)}; {out.name} not written.")
        return 2
    out.write_text(LOCK_HEADER + "\n".join(lines) + "\n")
    print(f"lock: {out.name} written ({len(lines)} packages with hashes).")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tools/audit.py", description=__doc__.split("\n", 1)[0])
    parser.add_argument("step", nargs="?", default="all", choices=["all", "sbom", "verify", "vulns", "lock"])
    parser.add_argument("--lock-file", type=Path, default=LOCK)
    parser.add_argument("--sbom-file", type=Path, default=SBOM)
    parser.add_argument("--service", default="pypi", choices=["pypi", "osv"], help="pip-audit's advisory source")
    parser.add_argument("--osv-url", default=None, help="another OSV API address (with --service osv)")
    args = parser.parse_args(argv)
    if args.step == "lock":
        return lock(args.lock_file)
    statuses = []
    if args.step in ("all", "sbom"):
        statuses.append(sbom(args.sbom_file))
    if args.step in ("all", "verify"):
        statuses.append(verify(args.lock_file))
    if args.step in ("all", "vulns"):
        statuses.append(vulns(args.lock_file, args.service, args.osv_url))
    return max(statuses)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
