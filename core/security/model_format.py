"""Models that load without running code: skops' secure format, or joblib signed with the secret key.

Unpickling runs whatever the file says, so a hash recorded in the database is no defence against
someone who can rewrite both the model file and the database. The studio therefore saves a model:

- in **skops' format** (``skops.io``) when every type in it is one scikit-learn's own or one listed in
  ``TRUSTED_TYPES`` (the types the catalog's pipelines use, including core/features/preprocessing.py's
  own transformer and functions, found with ``skops.io.get_untrusted_types`` on every model family:
  tests/unit/security/test_signing_models.py keeps this list exact). Loading builds only those types:
  a file naming any other type is refused before anything is built;
- else with **joblib, signed**: an HMAC-SHA256 (key: ``secret_key(root, "models")``, in a file outside
  the database) of the artifact's id and SHA-256, stored in ``artifacts.signature``. Loading checks the
  signature before unpickling: a file and database hash rewritten together are refused, because the
  signature cannot be made without the key file.

Models saved before signing existed (plain joblib, no signature) are signed once, when the workspace is
upgraded (``sign_legacy_models``, run by the migration that adds ``artifacts.signature``): those files are
trusted as much as the studio trusted them before (their SHA-256 must still match), and every joblib
artifact written or changed after that needs the key. A joblib model without a signature is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import zipfile
from pathlib import Path
from typing import Any

from core.i18n import _
from core.security.secret_key import KEY_FILE_ENV, secret_key
from core.workspace.errors import IntegrityError, StudioError

log = logging.getLogger("mlops_studio.security")

SKOPS_SUFFIX = ".skops"
JOBLIB_SUFFIX = ".joblib"
PURPOSE = "models"
SIGNATURE_COLUMN = "signature"  # artifacts.signature (the migration that adds it: schema.py, "# 17")

# Beyond scikit-learn's own estimators and numpy's basic types (skops trusts those by default): the
# types the studio's pipelines hold, per model family. A new family or transformer that adds a type
# is saved with joblib and signed until it is added here (the test names the missing type).
TRUSTED_TYPES: tuple[str, ...] = (
    "core.features.preprocessing.DateParts",
    "core.features.preprocessing.safe_log1p",
    "core.features.preprocessing.to_float_frame",
    "core.features.preprocessing.to_text_frame",
    "numpy.dtype",
    "sklearn.calibration._CalibratedClassifier",  # the SVM's Platt calibration
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",  # k-nearest neighbours' KD tree
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.tree._tree.Tree",
)


def dump_model(model: Any) -> tuple[bytes, str]:
    """The model's bytes and suffix: skops' format when every type in it is trusted, else joblib
    (which the caller must sign: ``sign``)."""
    try:
        from skops.io import dumps, get_untrusted_types

        data = deterministic_skops(dumps(model, compression=zipfile.ZIP_DEFLATED, compresslevel=3))
        untrusted = set(get_untrusted_types(data=data)) - set(TRUSTED_TYPES)
    except Exception as exc:  # noqa: BLE001 - an object skops cannot write: joblib and a signature
        log.info("model saved with joblib (skops cannot write it: %s)", exc)
        untrusted = {type(model).__qualname__}
    if not untrusted:
        return data, SKOPS_SUFFIX
    log.info("model saved with joblib and signed (types skops would not trust: %s)", sorted(untrusted))
    import joblib

    buf = io.BytesIO()
    joblib.dump(model, buf, compress=3)
    return buf.getvalue(), JOBLIB_SUFFIX


def deterministic_skops(data: bytes) -> bytes:
    """The same skops file with the same bytes for the same model: skops names each array file and
    memo entry by the object's ``id()`` and stamps the zip's entries with the time, so two saves of one
    model differ, and the spec's promise (same spec, data and seed: same model SHA-256) would break.
    Each ``__id__`` and ``file`` is renumbered in the order it first appears, entries are written sorted
    with a fixed date; loading reads the same model."""
    source = zipfile.ZipFile(io.BytesIO(data))
    schema = json.loads(source.read("schema.json"))
    ids: dict[Any, int] = {}
    files: dict[str, str] = {}

    def renumber(node: Any) -> Any:
        if isinstance(node, list):
            return [renumber(item) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "__id__" and isinstance(value, int):
                out[key] = ids.setdefault(value, len(ids))
            elif key == "file" and isinstance(value, str) and value in source.namelist():
                suffix = value[value.rfind(".") :] if "." in value else ""
                out[key] = files.setdefault(value, f"{len(files)}{suffix}")
            else:
                out[key] = renumber(value)
        return out

    renumbered = json.dumps(renumber(schema), sort_keys=True).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=3) as target:
        entries = [("schema.json", renumbered)] + [(new, source.read(old)) for old, new in files.items()]
        # An entry the schema does not name (none today) is kept as it is: never drop part of a model.
        entries += [
            (name, source.read(name)) for name in source.namelist() if name != "schema.json" and name not in files
        ]
        for name, payload in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, payload, compresslevel=3)
    return out.getvalue()


def load_skops(data: bytes, where: str) -> Any:
    """The model in skops bytes, built only from trusted types; IntegrityError otherwise."""
    from skops.io import get_untrusted_types, loads
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        return loads(data, trusted=list(TRUSTED_TYPES))  # checks every type before building anything
    except UntrustedTypesFoundException:
        untrusted = sorted(set(get_untrusted_types(data=data)) - set(TRUSTED_TYPES))
        raise IntegrityError(
            _(
                "The model file {path} contains types the studio does not trust ({types}); it was not "
                "loaded, because building them could run code. Re-run the training to replace it."
            ).format(path=where, types=", ".join(untrusted))
        ) from None
    except zipfile.BadZipFile:
        raise IntegrityError(
            _("The model file {path} is not a readable model; it was not loaded. Re-run the training.").format(
                path=where
            )
        ) from None
    except StudioError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged or hand-made file
        raise IntegrityError(
            _("The model file {path} could not be read ({why}); it was not loaded. Re-run the training.").format(
                path=where, why=type(exc).__name__
            )
        ) from None


def sign(workspace_root: Path, artifact_id: int, sha256: str) -> str:
    """The signature of a model artifact: HMAC-SHA256 of its id and SHA-256 under the models key."""
    message = f"mlops-studio model artifact\x00{int(artifact_id)}\x00{sha256}".encode()
    return hmac.new(secret_key(workspace_root, PURPOSE), message, hashlib.sha256).hexdigest()


def check_signature(workspace_root: Path, info: dict[str, Any], sha256: str) -> None:
    """Refuse a joblib model whose signature is missing or not made with this workspace's key."""
    where = info["path"]
    signature = info.get(SIGNATURE_COLUMN)
    if not signature:
        raise IntegrityError(
            _(
                "The model file {path} is not signed, so the studio will not unpickle it (a model file "
                "and its database record can be rewritten together). Re-run the training to replace it."
            ).format(path=where)
        )
    if not hmac.compare_digest(str(signature), sign(workspace_root, int(info["id"]), sha256)):
        raise IntegrityError(
            _(
                "The model file {path} does not carry a valid signature: it was changed after it was saved, or "
                "the studio's secret key file is not the one it was signed with (a copied or moved workspace "
                "needs its key file too, or {env} pointing at it). It was not loaded."
            ).format(path=where, env=KEY_FILE_ENV)
        )


def sign_legacy_models(ws: Any) -> int:
    """Sign the joblib models saved before signatures existed whose files still match their SHA-256
    (run once, by the migration that adds the column); returns how many were signed. A file that no
    longer matches stays unsigned, and is refused on load as it was before."""
    rows = ws.query(
        f"SELECT id, path, sha256 FROM artifacts WHERE kind = 'model' AND {SIGNATURE_COLUMN} IS NULL AND path LIKE ?",
        (f"%{JOBLIB_SUFFIX}",),
    )
    signed = []
    for row in rows:
        try:
            data = (ws.artifact_dir / row["path"]).read_bytes()
        except OSError:
            continue
        if hashlib.sha256(data).hexdigest() == row["sha256"]:
            signed.append((sign(ws.root, row["id"], row["sha256"]), row["id"]))
    if signed:
        with ws.transaction() as conn:
            conn.executemany(f"UPDATE artifacts SET {SIGNATURE_COLUMN} = ? WHERE id = ?", signed)
    return len(signed)
