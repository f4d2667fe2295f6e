"""The endpoint's per-key rate limit: a moving window (limits), 429 with Retry-After, per key."""

import pytest
from fastapi.testclient import TestClient

from core.deployment.endpoint import create_app
from core.security import keys
from core.security.ratelimit import DEFAULT_RATE_LIMIT, KeyRateLimiter, check_rate_limit, parse_rate_limit
from core.workspace.errors import ConfigError
from core.workspace.projects import create_project


def test_a_key_over_its_limit_gets_429_with_retry_after_and_others_do_not(ws):
    pid = create_project(ws, "nothing deployed")["id"]  # a 503 after the gate: the gate let it through
    client = TestClient(create_app(ws.root, pid), raise_server_exceptions=False)
    tight, row = keys.create_key(ws, pid, name="scraper", rate_limit="3/minute")
    other, _row = keys.create_key(ws, pid, name="app")
    codes = [
        client.post("/predict", json={"rows": [{}]}, headers={"Authorization": f"Bearer {tight}"}).status_code
        for _i in range(5)
    ]
    assert codes == [503, 503, 503, 429, 429]
    limited = client.post("/predict", json={"rows": [{}]}, headers={"Authorization": f"Bearer {tight}"})
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert "3/minute" in limited.json()["detail"]
    assert client.post("/predict", json={"rows": [{}]}, headers={"Authorization": f"Bearer {other}"}).status_code == 503
    usage = keys.key_usage(ws, pid, key_id=row["id"])
    assert usage["status"].tolist() == [503, 503, 503, 429, 429, 429]


def test_the_default_limit_and_its_moving_window():
    limiter = KeyRateLimiter("2/second")
    assert [limiter.hit(1), limiter.hit(1), limiter.hit(2)] == [None, None, None]
    assert limiter.hit(1) == 1.0  # over: wait (at least) a second
    assert limiter.hit(1, "5/minute") is None  # its own limit counts separately
    assert parse_rate_limit(DEFAULT_RATE_LIMIT).amount == 600


@pytest.mark.parametrize("text", ["abc", "0/minute", "10/fortnight", "-1/second"])
def test_a_limit_that_cannot_be_read_is_refused(text):
    with pytest.raises(ConfigError, match="600/minute"):
        check_rate_limit(text)
    assert check_rate_limit("  ") is None and check_rate_limit("10 per second") == "10 per second"
