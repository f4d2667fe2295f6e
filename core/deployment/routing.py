"""Traffic routing for the simulated endpoint: which model answers each request.

Pure functions: given request keys and a RoutingConfig, decide per request which model serves
the answer and which (if any) scores it silently in the shadow.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from core.i18n import N_, _, pgettext
from core.workspace.errors import ConfigError

STRATEGIES: dict[str, str] = {
    "single": N_("Every request is answered by the champion model; nothing else runs."),
    "canary": N_("A small random share of requests goes to the challenger, to try it safely on real traffic."),
    "shadow": N_(
        "The champion answers every request while the challenger scores the same requests "
        "silently, for comparison only."
    ),
    "blue_green": N_(
        "Two full environments stand ready and all traffic goes to the active one, so switching back is instant."
    ),
    "ab": N_("Each user is assigned for good to the champion or the challenger, so the two can be compared fairly."),
}
COLORS = {"blue": "champion", "green": "challenger"}


def strategy_name(strategy: str) -> str:
    """A strategy's key as a teacher names it, in the session's language ("canary" -> "canary" in
    English, "implantação canário" in Portuguese); stored codes stay English."""
    names = {
        "single": pgettext("strategy", "single"),
        "canary": pgettext("strategy", "canary"),
        "shadow": pgettext("strategy", "shadow"),
        "blue_green": pgettext("strategy", "blue-green"),
        "ab": pgettext("strategy", "A/B test"),
    }
    return names.get(strategy, strategy.replace("_", " "))


def strategy_caption(strategy: str) -> str:
    """What a strategy does, in a sentence in the session's language."""
    return _(STRATEGIES[strategy]) if strategy in STRATEGIES else ""


def colour_name(colour: str) -> str:
    """Blue-green's colour as a word in the session's language (the stored code stays "blue"/"green")."""
    return {"blue": pgettext("colour", "blue"), "green": pgettext("colour", "green")}.get(colour, colour)


@dataclass(frozen=True)
class RoutingConfig:
    strategy: str = "single"
    challenger_share: float = 0.1  # canary and ab: share of requests / users for the challenger
    active_color: str = "blue"  # blue_green: blue = champion serves, green = challenger serves

    def validate(self) -> RoutingConfig:
        if self.strategy not in STRATEGIES:
            raise ConfigError(
                _("The 'strategy' of RoutingConfig must be one of {choices}; got {value} instead.").format(
                    choices=", ".join(STRATEGIES), value=repr(self.strategy)
                )
            )
        share = self.challenger_share
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
            raise ConfigError(
                _(
                    "The 'challenger_share' of RoutingConfig must be a number between 0 and 1 "
                    "(0.1 sends 10% of traffic to the challenger); got {value} instead."
                ).format(value=repr(share))
            )
        if self.active_color not in COLORS:
            raise ConfigError(
                _("The 'active_color' of RoutingConfig must be one of {choices}; got {value} instead.").format(
                    choices=", ".join(COLORS), value=repr(self.active_color)
                )
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
