"""`make audit` (tools/audit.py): the SBOM names what is installed, the hashed lock matches the pins and
the environment, and an unreachable advisory source is said in one plain line (exit 0), a finding exits 1.

The steps that run the tools skip where the `audit` extra is not installed (`make test` does not install
it; `make audit` does)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
_SPEC = importlib.util.spec_from_file_location("studio_audit", ROOT / "tools" / "audit.py")
assert _SPEC is not None and _SPEC.loader is not None
audit = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(audit)

HASH = "--hash=sha256:" + "0" * 64
SIX_LOCK = (  # six as requirements.lock pins it
    "six==1.17.0 \\\n    --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274\n"
)


def _pins(path: Path) -> dict[str, str]:
    return {
        audit.canonical(line.split("==")[0]): line.split("==")[1].strip()
        for line in path.read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "tools" / "audit.py"), *args], capture_output=True, text=True)


def test_the_lock_pins_every_constraint_at_its_version_with_hashes():
    lock = audit.read_lock(ROOT / "requirements.lock")
    pins = _pins(ROOT / "constraints.txt")
    locked = {name: version for name, (version, _h) in lock.items()}
    stale = sorted(set(locked.items()) ^ set(pins.items()))
    assert not stale, f"requirements.lock is not in step with constraints.txt ({stale}): run `make lock`"
    assert all(hashes >= 1 for _v, hashes in lock.values())
    assert lock["scikit-learn"][0] == pins["scikit-learn"]


def test_lock_problems_name_an_unpinned_package_a_wrong_version_and_a_missing_hash(tmp_path):
    lock_file = tmp_path / "requirements.lock"
    lock_file.write_text(f"numpy==2.0.0 \\\n    {HASH}\nPandas_Extra==1.0 \\\n    {HASH} \\\n    {HASH}\nrich==1\n")
    lock = audit.read_lock(lock_file)
    assert lock == {"numpy": ("2.0.0", 1), "pandas-extra": ("1.0", 2), "rich": ("1", 0)}
    problems = audit.lock_problems(lock, {"numpy": "2.1.0", "pandas-extra": "1.0", "scipy": "1.0"})
    assert problems == [
        "numpy 2.1.0 is installed but requirements.lock pins 2.0.0",
        "scipy 1.0 is installed but not in requirements.lock",
        "rich has no hash in requirements.lock",
    ]
    assert audit.lock_problems({"numpy": ("2.0.0", 1)}, {"numpy": "2.0.0"}) == []


def test_a_known_vulnerability_is_a_finding_and_no_record_at_all_is_an_unreachable_source():
    finding = {
        "dependencies": [
            {"name": "requests", "version": "2.0.0", "vulns": [{"id": "PYSEC-1", "fix_versions": ["2.31.0"]}]},
            {"name": "numpy", "version": "2.0.0", "vulns": []},
        ]
    }
    status, lines = audit.summarise_vulns(finding)
    assert status == 1 and lines[0] == "vulns: requests 2.0.0: PYSEC-1 (fixed in 2.31.0)"
    nothing = {"dependencies": [{"name": "numpy", "skip_reason": "Dependency not found on PyPI"}] * 3}
    status, lines = audit.summarise_vulns(nothing)
    assert status == 0 and len(lines) == 1 and "advisory source unreachable" in lines[0]
    clean = {"dependencies": [{"name": "numpy", "version": "2.0.0", "vulns": []}]}
    assert audit.summarise_vulns(clean) == (0, ["vulns: no known vulnerabilities in the 1 locked packages checked."])


def test_an_unreachable_advisory_source_prints_one_plain_line_and_exits_0(tmp_path):
    pytest.importorskip("pip_audit")
    lock_file = tmp_path / "requirements.lock"
    lock_file.write_text(
        "six==1.17.0 \\\n    --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274\n"
    )
    # An OSV address on this machine where nothing listens: the connection is refused at once.
    done = _run("vulns", "--lock-file", str(lock_file), "--service", "osv", "--osv-url", "http://127.0.0.1:9/v1/query")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines() == [
        "vulns: advisory source unreachable (osv could not be reached from this machine); "
        "vulnerability check skipped, nothing was checked."
    ]
    assert "Traceback" not in done.stdout + done.stderr


ADVISORY = {
    "id": "GHSA-test-0000-0000",
    "summary": "a made-up advisory",
    "affected": [
        {
            "package": {"name": "six", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99.0"}]}],
        }
    ],
}


@contextmanager
def _advisory_server(answer: dict):
    """An OSV-like service on this machine that answers every query with `answer`."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1/query"
    finally:
        server.shutdown()
        server.server_close()


def test_a_known_vulnerability_from_the_advisory_source_exits_1_and_none_exits_0(tmp_path):
    pytest.importorskip("pip_audit")
    lock_file = tmp_path / "requirements.lock"
    lock_file.write_text(SIX_LOCK)
    with _advisory_server({"vulns": [ADVISORY]}) as url:
        done = _run("vulns", "--lock-file", str(lock_file), "--service", "osv", "--osv-url", url)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == "vulns: six 1.17.0: GHSA-test-0000-0000 (fixed in 99.0)"
    with _advisory_server({}) as url:
        done = _run("vulns", "--lock-file", str(lock_file), "--service", "osv", "--osv-url", url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "vulns: no known vulnerabilities in the 1 locked packages checked."


@pytest.mark.slow  # the SBOM of the whole environment, schema-validated: ~15 s of CPU, more on a loaded machine
def test_the_sbom_is_valid_cyclonedx_naming_scikit_learn_at_its_pinned_version(tmp_path):
    pytest.importorskip("cyclonedx_py")
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    out = tmp_path / "sbom.cdx.json"
    done = _run("sbom", "--sbom-file", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    text = out.read_text()
    bom = json.loads(text)
    assert bom["bomFormat"] == "CycloneDX"
    assert JsonStrictValidator(SchemaVersion.from_version(bom["specVersion"])).validate_str(text) is None
    versions = {c["name"].lower(): c["version"] for c in bom["components"]}
    assert versions["scikit-learn"] == _pins(ROOT / "constraints.txt")["scikit-learn"]
    assert bom["metadata"]["component"]["name"] == "mlops-studio"
