"""Where the leaderboard's folds and a study's trials run: on this machine (threads, the default) or
as tasks on a Dask cluster (``core.training.cluster``), chosen per run and giving the same scores.

The choice is a ``ClusterChoice``: this machine, a local cluster of N worker processes started by the
studio, or the address of a running scheduler (``tcp://host:8786``). It comes from, first to last:
``use_cluster``/``set_cluster`` (the Train page's control, the CLI's ``--cluster``), the environment
variable ``MLOPS_STUDIO_CLUSTER`` (``local``, ``local:4`` or an address), else this machine. It is a
context variable, so a job started from the page (which copies its starter's context) uses the
choice of the page that started it.

This module imports no Dask: a run on this machine never pays for it.
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.i18n import N_, _, ngettext
from core.workspace.errors import ConfigError, StudioError

if TYPE_CHECKING:
    from core.training.cluster import ClusterRun
    from core.training.trainer import PreparedData

log = logging.getLogger(__name__)
ENV_VAR = "MLOPS_STUDIO_CLUSTER"
THIS_MACHINE, LOCAL_CLUSTER, ADDRESS = "this-machine", "local-cluster", "address"
# Translate where shown: _(MODES[code]).
MODES = {
    THIS_MACHINE: N_("This machine"),
    LOCAL_CLUSTER: N_("A local cluster of worker processes"),
    ADDRESS: N_("A cluster at an address"),
}
MAX_LOCAL_WORKERS = 16
_ADDRESS = re.compile(r"^(tcp|tls|ws|wss)://[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$")


@dataclass(frozen=True)
class ClusterChoice:
    """Where training runs. ``fallback``: when the cluster does not answer, train on this machine (and
    say so) instead of stopping with an error; only when the person asked for it."""

    mode: str = THIS_MACHINE
    address: str = ""
    n_workers: int = 2
    fallback: bool = False

    @property
    def on_cluster(self) -> bool:
        return self.mode != THIS_MACHINE

    def describe(self) -> str:
        """Where the work runs, in words (for messages)."""
        if self.mode == LOCAL_CLUSTER:
            return ngettext(
                "a local cluster of {n} worker process", "a local cluster of {n} worker processes", self.n_workers
            ).format(n=self.n_workers)
        if self.mode == ADDRESS:
            return _("the cluster at {address}").format(address=self.address)
        return _("this machine")


def parse_cluster(text: str | None, *, fallback: bool = False) -> ClusterChoice:
    """``""``/``none``/``off`` → this machine; ``local`` → a local cluster of 2 workers; ``local:N`` → N
    workers; ``tcp://host:8786`` (or ``host:8786``, read as tcp) → that scheduler. Else a ConfigError."""
    value = (text or "").strip()
    if value.lower() in ("", "none", "off", "this-machine"):
        return ClusterChoice(fallback=fallback)
    match = re.fullmatch(r"local(?::(\d{1,3}))?", value.lower())
    if match:
        n = int(match.group(1) or 2)
        if not 1 <= n <= MAX_LOCAL_WORKERS:
            raise ConfigError(
                _("A local cluster takes 1 to {most} worker processes; got {n}.").format(most=MAX_LOCAL_WORKERS, n=n)
            )
        return ClusterChoice(LOCAL_CLUSTER, n_workers=n, fallback=fallback)
    address = value if "://" in value else f"tcp://{value}"
    if not _ADDRESS.match(address):
        raise ConfigError(
            _(
                "The cluster address '{value}' is not one Dask can reach; write it as tcp://host:8786 "
                "(or 'local' for a local cluster)."
            ).format(value=value)
        )
    return ClusterChoice(ADDRESS, address=address, fallback=fallback)


_choice: contextvars.ContextVar[ClusterChoice | None] = contextvars.ContextVar("studio_cluster", default=None)


def set_cluster(choice: ClusterChoice | None) -> None:
    """Make ``choice`` the engine of this context from now on (None: back to the environment variable).
    The CLI sets it once for the command; the Train page on every run of the page."""
    _choice.set(choice)


@contextlib.contextmanager
def use_cluster(choice: ClusterChoice | None) -> Iterator[None]:
    token = _choice.set(choice)
    try:
        yield
    finally:
        _choice.reset(token)


def current_cluster() -> ClusterChoice:
    """The choice in force: set in this context, else ``$MLOPS_STUDIO_CLUSTER``, else this machine."""
    chosen = _choice.get()
    if chosen is not None:
        return chosen
    return parse_cluster(os.environ.get(ENV_VAR))


@contextlib.contextmanager
def cluster_run(data: PreparedData) -> Iterator[ClusterRun | None]:
    """The cluster the coming folds and trials run on, with ``data`` scattered to every worker once;
    None for this machine. A cluster that does not answer raises a ``StudioError`` naming it, or, when
    the choice allows a fallback, yields None and adds a warning to ``data.warnings`` (shown with the
    leaderboard) saying the work ran on this machine instead."""
    choice = current_cluster()
    if not choice.on_cluster:
        yield None
        return
    if choice.mode == ADDRESS and not _ADDRESS.match(choice.address):
        raise ConfigError(
            _(
                "The cluster address '{value}' is not one Dask can reach; write it as tcp://host:8786 "
                "(or 'local' for a local cluster)."
            ).format(value=choice.address)
        )
    from core.training import cluster  # Dask is imported only when a cluster is asked for

    try:
        run = cluster.ClusterRun(cluster.get_client(choice), data, choice.describe())
    except StudioError as exc:
        if not choice.fallback:
            raise
        log.warning("training on this machine instead of %s: %s", choice.address or choice.mode, exc)
        where = choice.describe()
        data.warnings.append(
            _("{where} did not answer, so this training ran on this machine instead, as you chose.").format(
                where=where[0].upper() + where[1:]
            )
        )
        yield None
        return
    try:
        yield run
    finally:
        run.close()


class _ClusterAction(argparse.Action):
    """``--cluster VALUE``: parsed (a bad value is argparse's one-line error) and made the command's engine."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        try:
            choice = parse_cluster(str(values))
        except ConfigError as exc:
            parser.error(str(exc).rstrip("."))
        set_cluster(choice)
        setattr(namespace, self.dest, choice)


def add_cluster_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--cluster`` flag of a command that trains (the CLI's ``run``): where the folds and trials run."""
    parser.add_argument(
        "--cluster",
        action=_ClusterAction,
        metavar="ADDRESS",
        help=f"run the leaderboard's folds and the tuning trials on a Dask cluster: tcp://host:8786, "
        f"'local' (2 worker processes here) or 'local:N' (default ${ENV_VAR}, else this machine)",
    )
