"""Traffic routing for the simulated endpoint: which model answers each request.

Pure functions: given request keys and a RoutingConfig, decide per request which model serves
the answer and which (if any) scores it silently in the shadow.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from core.workspace.errors import ConfigError

STRATEGIES: dict[str, str] = {
    "single": "Every request is answered by the champion model; nothing else runs.",
    "canary": "A small random share of requests goes to the challenger, to try it safely on real traffic.",
    "shadow": (
        "The champion answers every request while the challenger scores the same requests "
        "silently, for comparison only."
    ),
    "blue_green": (
        "Two full environments stand ready and all traffic goes to the active one, so switching back is instant."
    ),
    "ab": "Each user is assigned for good to the champion or the challenger, so the two can be compared fairly.",
}
COLORS = {"blue": "champion", "green": "challenger"}


@dataclass(frozen=True)
class RoutingConfig:
    strategy: str = "single"
    challenger_share: float = 0.1  # canary and ab: share of requests / users for the challenger
    active_color: str = "blue"  # blue_green: blue = champion serves, green = challenger serves

    def validate(self) -> RoutingConfig:
        if self.strategy not in STRATEGIES:
            raise ConfigError(
                f"The 'strategy' of RoutingConfig must be one of {', '.join(STRATEGIES)}; "
                f"got {self.strategy!r} instead."
            )
        share = self.challenger_share
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
            raise ConfigError(
                f"The 'challenger_share' of RoutingConfig must be a number between 0 and 1 "
                f"(0.1 sends 10% of traffic to the challenger); got {share!r} instead."
            )
        if self.active_color not in COLORS:
            raise ConfigError(
                f"The 'active_color' of RoutingConfig must be one of {', '.join(COLORS)}; "
                f"got {self.active_color!r} instead."
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoutingConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known}).validate()


def _hash_fraction(key: str, salt: int) -> float:
    """A stable number in [0, 1) per key: SHA-256 does not change between runs or versions,
    unlike Python's hash()."""
    digest = hashlib.sha256(f"{salt}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def route_requests(keys: list[str], config: RoutingConfig, seed: int = 0) -> list[dict[str, str | None]]:
    """Per request: {"serve": "champion"|"challenger", "shadow": "challenger"|None}.

    canary: each request independently (seeded random). ab: by a hash of the key salted with
    the seed, so the same user always lands in the same arm of one experiment.
    """
    config.validate()
    n = len(keys)
    to_challenger = np.zeros(n, dtype=bool)
    shadow = None
    if config.strategy == "canary":
        to_challenger = np.random.default_rng(seed).random(n) < config.challenger_share
    elif config.strategy == "ab":
        to_challenger = np.fromiter((_hash_fraction(str(k), seed) for k in keys), float, n) < config.challenger_share
    elif config.strategy == "blue_green":
        to_challenger = np.full(n, COLORS[config.active_color] == "challenger")
    elif config.strategy == "shadow":
        shadow = "challenger"
    return [{"serve": "challenger" if c else "champion", "shadow": shadow} for c in to_challenger]
