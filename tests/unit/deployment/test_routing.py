import pytest

from core.deployment.routing import STRATEGIES, RoutingConfig, route_requests
from core.workspace.errors import ConfigError

KEYS = [f"user-{i}" for i in range(10_000)]


def _challenger_share(routes):
    return sum(r["serve"] == "challenger" for r in routes) / len(routes)


def test_single_sends_everything_to_the_champion():
    routes = route_requests(KEYS[:100], RoutingConfig())
    assert routes == [{"serve": "champion", "shadow": None}] * 100


@pytest.mark.parametrize("share", [0.1, 0.3])
def test_canary_sends_about_the_share_to_the_challenger(share):
    routes = route_requests(KEYS, RoutingConfig(strategy="canary", challenger_share=share), seed=1)
    assert _challenger_share(routes) == pytest.approx(share, abs=0.015)
    assert all(r["shadow"] is None for r in routes)
    # Seeded: same seed, same routing; other seed, different requests.
    assert route_requests(KEYS, RoutingConfig(strategy="canary", challenger_share=share), seed=1) == routes
    assert route_requests(KEYS, RoutingConfig(strategy="canary", challenger_share=share), seed=2) != routes


def test_canary_edges():
    assert _challenger_share(route_requests(KEYS[:500], RoutingConfig(strategy="canary", challenger_share=0.0))) == 0
    assert _challenger_share(route_requests(KEYS[:500], RoutingConfig(strategy="canary", challenger_share=1.0))) == 1


def test_ab_is_stable_per_key_and_splits_by_share():
    config = RoutingConfig(strategy="ab", challenger_share=0.5)
    routes = route_requests(KEYS, config)
    assert _challenger_share(routes) == pytest.approx(0.5, abs=0.02)
    arm = {key: r["serve"] for key, r in zip(KEYS, routes)}
    # The same user, asked again in another order and batch, lands in the same arm.
    again = list(reversed(KEYS[:2000])) + ["user-5", "user-5"]
    for key, route in zip(again, route_requests(again, config)):
        assert route["serve"] == arm[key]


def test_shadow_always_served_by_champion_with_challenger_shadow():
    routes = route_requests(KEYS[:1000], RoutingConfig(strategy="shadow", challenger_share=0.7))
    assert routes == [{"serve": "champion", "shadow": "challenger"}] * 1000


@pytest.mark.parametrize("color, model", [("blue", "champion"), ("green", "challenger")])
def test_blue_green_sends_all_traffic_to_the_active_color(color, model):
    routes = route_requests(KEYS[:1000], RoutingConfig(strategy="blue_green", active_color=color))
    assert routes == [{"serve": model, "shadow": None}] * 1000


def test_validation_and_round_trip():
    assert set(STRATEGIES) == {"single", "canary", "shadow", "blue_green", "ab"}
    with pytest.raises(ConfigError, match=r"'challenger_share' of RoutingConfig .* got 1.5 instead"):
        route_requests(KEYS[:3], RoutingConfig(strategy="canary", challenger_share=1.5))
    with pytest.raises(ConfigError, match="'strategy' of RoutingConfig must be one of single, canary"):
        RoutingConfig(strategy="rolling").validate()
    with pytest.raises(ConfigError, match="'active_color'"):
        RoutingConfig(active_color="red").validate()
    config = RoutingConfig(strategy="ab", challenger_share=0.25, active_color="green")
    assert RoutingConfig.from_dict(config.to_dict()) == config
    assert route_requests([], config) == []
