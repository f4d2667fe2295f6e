"""No request leaves the server: every page of a demo project, in both languages, asks only the app.

A classroom may have no internet. Streamlit used to fetch each page's material icon from
fonts.gstatic.com (one request per rerun); anything like it (a font, a CDN script, a map tile, a
plotly topojson) fails here with the page and the URL that asked for it.
"""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import urlparse

import pytest

from tests.e2e.conftest import REPO_ROOT, STAGES, assert_no_exception, goto, wait_idle

LOCAL_SCHEMES = {"data", "blob", "about", "chrome-extension"}


def foreign_requests(requests: list[tuple[str, str]], app_host: str) -> list[str]:
    """The requests (page, url) whose host is not the app's."""
    foreign = []
    for where, url in requests:
        parsed = urlparse(url)
        if parsed.scheme in LOCAL_SCHEMES:
            continue
        if parsed.hostname != app_host:
            foreign.append(f"{where}: {url}")
    return foreign


def test_foreign_requests_are_recognised():
    requests = [
        ("Home", "http://127.0.0.1:8501/_stcore/health"),
        ("Home", "data:image/svg+xml;base64,AAAA"),
        ("Data", "https://fonts.gstatic.com/s/i/short-term/release/materialsymbolsrounded/home/default/24px.svg"),
    ]
    assert foreign_requests(requests, "127.0.0.1") == [
        "Data: https://fonts.gstatic.com/s/i/short-term/release/materialsymbolsrounded/home/default/24px.svg"
    ]


@pytest.mark.browser
@pytest.mark.slow
def test_no_page_requests_another_host(start_fresh_server, page):
    server = start_fresh_server()
    subprocess.run(
        [sys.executable, "-m", "core", "demo", "--workspace", str(server.workspace)],
        cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL, timeout=600,
    )  # fmt: skip
    requests: list[tuple[str, str]] = []
    where = {"page": "Home"}
    page.on("request", lambda request: requests.append((where["page"], request.url)))

    visits = [("Home", "/")] + [(name, path) for path, name in STAGES]
    for lang in ("en", "pt"):
        for name, path in visits:
            where["page"] = f"{name} ({lang})"
            goto(page, server.base_url, f"{path}?project=1&lang={lang}")
            page.wait_for_timeout(1500)  # lazy fonts, images, chart assets
            wait_idle(page)
            assert_no_exception(page, where["page"])

    assert len(requests) > 20, "the request recorder saw nothing: the test would pass blind"
    host = urlparse(server.base_url).hostname
    foreign = foreign_requests(requests, host)
    assert not foreign, "requests to other hosts:\n" + "\n".join(sorted(set(foreign))[:40])
