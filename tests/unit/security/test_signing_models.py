"""Models load without running code: skops' trusted types, or joblib with a signature keyed outside the
database. Each attack rewrites a model file AND its SHA-256 in the database (the attack the hash alone
let through) and checks the payload never ran."""

import hashlib
import io
import os
import pickle
import shutil

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io as sio

from core.security import model_format
from core.security.secret_key import KEY_FILE_ENV
from core.workspace import database
from core.workspace.database import Workspace
from core.workspace.errors import IntegrityError
from core.workspace.schema import MIGRATIONS


class Payload:
    """Unpickling this creates a folder: the proof that loading ran code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


class Unknown:
    """A type skops does not trust (the studio's catalog never makes one)."""

    def __init__(self, value=1):
        self.value = value

    def predict(self, X):
        return [self.value] * len(X)


@pytest.fixture(autouse=True)
def _no_key_env(monkeypatch):
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)


def _rewrite(ws, artifact_id, data, path=None):
    """What an attacker with write access to the workspace does: new bytes, and the database made to match."""
    info = ws.artifact_info(artifact_id)
    rel = path or info["path"]
    (ws.artifact_dir / rel).parent.mkdir(parents=True, exist_ok=True)
    (ws.artifact_dir / rel).write_bytes(data)
    with ws.transaction() as conn:
        conn.execute(
            "UPDATE artifacts SET path = ?, sha256 = ?, size = ? WHERE id = ?",
            (rel, hashlib.sha256(data).hexdigest(), len(data), artifact_id),
        )


def _pickled(obj):
    buf = io.BytesIO()
    joblib.dump(obj, buf)
    return buf.getvalue()


def _small_pipeline():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = np.arange(40, dtype=float).reshape(20, 2)
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(X, [0, 1] * 10), X


def test_joblib_alone_lets_a_rewritten_model_run_code(tmp_path):
    """The reproduction: a file and hash rewritten together pass the SHA-256 check, and joblib runs the payload."""
    marker = tmp_path / "pwned"
    data = _pickled(Payload(marker))
    joblib.load(io.BytesIO(data))  # what load_model did before: hash verified, then unpickled
    assert marker.exists()


def test_a_skops_model_rewritten_as_a_pickle_is_refused_and_never_runs(ws, tmp_path):
    model, X = _small_pipeline()
    artifact_id = ws.save_model(model)
    assert ws.artifact_info(artifact_id)["path"].endswith(".skops")
    marker = tmp_path / "pwned"
    _rewrite(ws, artifact_id, _pickled(Payload(marker)))
    with pytest.raises(IntegrityError, match="not a readable model"):
        ws.load_model(artifact_id)
    assert not marker.exists()


def test_a_rewritten_model_pointed_at_a_joblib_file_is_refused_and_never_runs(ws, tmp_path):
    model, _X = _small_pipeline()
    artifact_id = ws.save_model(model)
    marker = tmp_path / "pwned"
    _rewrite(ws, artifact_id, _pickled(Payload(marker)), path="model/evil.joblib")
    with pytest.raises(IntegrityError, match="not signed"):
        ws.load_model(artifact_id)
    assert not marker.exists()


def test_a_signed_joblib_model_rewritten_with_its_hash_is_refused(ws, tmp_path):
    artifact_id = ws.save_model(Unknown(7))
    info = ws.artifact_info(artifact_id)
    assert info["path"].endswith(".joblib") and len(info["signature"]) == 64
    assert ws.load_model(artifact_id).predict([0, 0]) == [7, 7]  # signed: loads
    marker = tmp_path / "pwned"
    _rewrite(ws, artifact_id, _pickled(Payload(marker)))
    with pytest.raises(IntegrityError, match="valid signature"):
        ws.load_model(artifact_id)
    assert not marker.exists()
    # Copying another artifact's signature does not help: the signature names its artifact id.
    other = ws.save_model(Unknown(8))
    with ws.transaction() as conn:
        conn.execute(
            "UPDATE artifacts SET signature = (SELECT signature FROM artifacts WHERE id = ?), sha256 = "
            "(SELECT sha256 FROM artifacts WHERE id = ?), path = (SELECT path FROM artifacts WHERE id = ?) WHERE id = ?",
            (other, other, other, artifact_id),
        )
    with pytest.raises(IntegrityError, match="valid signature"):
        ws.load_model(artifact_id)


def test_untrusted_types_in_a_skops_file_are_refused_before_anything_is_built(ws):
    model, _X = _small_pipeline()
    artifact_id = ws.save_model(model)
    _rewrite(ws, artifact_id, sio.dumps(Unknown(3)))  # a valid skops file naming a type the studio never makes
    with pytest.raises(IntegrityError, match=r"does not trust \(.*Unknown\)"):
        ws.load_model(artifact_id)


def test_the_studio_pipeline_round_trips_through_skops(ws):
    model, X = _small_pipeline()
    loaded = ws.load_model(ws.save_model(model))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert ws.load_model(ws.save_model({"weights": [1, 2, 3]})) == {"weights": [1, 2, 3]}


def test_the_sha256_check_still_comes_first(ws):
    model, _X = _small_pipeline()
    artifact_id = ws.save_model(model)
    path = ws.artifact_dir / ws.artifact_info(artifact_id)["path"]
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(IntegrityError, match="SHA-256"):
        ws.load_model(artifact_id)


def test_a_copied_workspace_without_its_key_file_refuses_signed_models_and_says_why(tmp_path):
    ws = Workspace(tmp_path / "a" / "ws")
    signed = ws.save_model(Unknown(5))
    plain = ws.save_model({"x": 1})
    shutil.copytree(ws.root, tmp_path / "b" / "ws")
    copy = Workspace(tmp_path / "b" / "ws")
    assert copy.load_model(plain) == {"x": 1}  # skops: no key needed
    with pytest.raises(IntegrityError, match=KEY_FILE_ENV):
        copy.load_model(signed)
    shutil.copy(tmp_path / "a" / "ws.key", tmp_path / "b" / "ws.key")  # the key travels with it: loads
    assert copy.load_model(signed).value == 5


def _legacy_joblib(ws, obj):
    """A model as the studio saved it before this change: joblib, no signature."""
    return ws.write_artifact("model", _pickled(obj), ".joblib")


def test_models_of_an_upgraded_workspace_are_signed_once_and_load(tmp_path, monkeypatch):
    number = database.signatures_migration()
    assert number is not None
    monkeypatch.setattr(database, "MIGRATIONS", MIGRATIONS[: number - 1])
    old = Workspace(tmp_path / "ws")
    model, X = _small_pipeline()
    kept = _legacy_joblib(old, model)
    tampered = _legacy_joblib(old, {"b": 2})
    path = old.artifact_dir / old.artifact_info(tampered)["path"]
    path.write_bytes(path.read_bytes() + b"x")  # changed before the upgrade: its hash no longer matches
    monkeypatch.setattr(database, "MIGRATIONS", MIGRATIONS)
    new = Workspace(tmp_path / "ws")
    np.testing.assert_array_equal(new.load_model(kept).predict(X), model.predict(X))
    assert new.artifact_info(tampered)["signature"] is None
    with pytest.raises(IntegrityError):
        new.load_model(tampered)
    # After the upgrade, an unsigned joblib model (written by hand, or by an attacker) is refused.
    sneaked = _legacy_joblib(new, {"c": 3})
    with pytest.raises(IntegrityError, match="not signed"):
        new.load_model(sneaked)
    assert Workspace(tmp_path / "ws").artifact_info(sneaked)["signature"] is None  # reopening signs nothing


def test_a_fresh_workspace_makes_no_key_file_until_a_signature_needs_it(tmp_path):
    ws = Workspace(tmp_path / "ws")
    ws.save_model({"x": 1})
    assert not (tmp_path / "ws.key").exists()
    ws.save_model(Unknown())
    assert (tmp_path / "ws.key").exists()


def _probe_table(n=160, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n),
            "income": rng.lognormal(10, 1, n),
            "plan": rng.choice(["a", "b", "c"], n),
            "since": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        }
    )
    df["y_bin"] = np.where(rng.random(n) > 0.5, "yes", "no")
    df["y_multi"] = rng.choice(["p", "q", "r"], n)
    df["y_reg"] = rng.normal(100, 10, n)
    return df


def _untrusted_types_of_every_family(tasks, one_hot=(True, False)):
    from core.features.preprocessing import FeatureConfig
    from core.problem.definition import ProblemConfig
    from core.training.catalog import get_catalog
    from core.training.config import TrainConfig
    from core.training.trainer import train_models

    df = _probe_table()
    found: set[str] = set()
    for task, target, metric in tasks:
        data = df.drop(columns=[c for c in ("y_bin", "y_multi", "y_reg") if c != target])
        keys = tuple(s.key for s in get_catalog(task))
        for features in [FeatureConfig(log_columns=("income",), one_hot=flag) for flag in one_hot]:
            result = train_models(
                data,
                ProblemConfig(target=target, task=task, metric=metric),
                features,
                TrainConfig(models=keys, cv_folds=2),
            )
            for r in result.results:
                assert r.pipeline is not None, r.error
                found |= set(sio.get_untrusted_types(data=sio.dumps(r.pipeline)))
                assert model_format.dump_model(r.pipeline)[1] == ".skops", r.key
    return found


def test_a_binary_leaderboard_saves_every_family_in_skops_format():
    found = _untrusted_types_of_every_family([("binary", "y_bin", "roc_auc")], one_hot=(True,))
    assert found <= set(model_format.TRUSTED_TYPES)
    assert {"core.features.preprocessing.DateParts", "sklearn.tree._tree.Tree"} <= found


@pytest.mark.slow
def test_trusted_types_are_exactly_what_the_catalog_uses():
    """Every family of every task, one-hot and ordinal, log and date columns: the list is complete and
    holds nothing the studio never saves (a type trusted for nothing is a door left open)."""
    found = _untrusted_types_of_every_family(
        [("binary", "y_bin", "roc_auc"), ("multiclass", "y_multi", "f1_macro"), ("regression", "y_reg", "r2")]
    )
    assert found == set(model_format.TRUSTED_TYPES)


def test_the_same_model_saved_twice_has_the_same_bytes(ws):
    """skops names array files and memo entries by id() and stamps entries with the time: the studio
    renumbers them, so the spec's promise (same spec, data and seed: same model SHA-256) holds."""
    import time

    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = load_iris(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x, y)
    first = ws.save_model(model)
    time.sleep(2.1)  # a zip entry's time has two-second steps
    second = ws.save_model(pickle.loads(pickle.dumps(model)))  # another object: other id()s
    assert ws.artifact_info(first)["sha256"] == ws.artifact_info(second)["sha256"]
    assert ws.artifact_info(first)["path"].endswith(".skops")
    assert (ws.load_model(second).predict_proba(x) == model.predict_proba(x)).all()
