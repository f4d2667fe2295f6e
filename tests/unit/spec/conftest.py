"""Tables the spec tests read: a scikit-learn set and a Portuguese CSV (';', decimal comma, dd/mm/yyyy, Latin-1)."""

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="session")
def wine_csv(tmp_path_factory):
    from sklearn.datasets import load_wine

    path = tmp_path_factory.mktemp("tables") / "wine.csv"
    load_wine(as_frame=True).frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def breast_cancer_csv(tmp_path_factory):
    from sklearn.datasets import load_breast_cancer

    path = tmp_path_factory.mktemp("tables") / "breast_cancer.csv"
    frame = load_breast_cancer(as_frame=True).frame
    frame.iloc[:, [0, 1, 2, 3, 20, 21, 22, 30]].to_csv(path, index=False)  # a few columns: quick to train
    return path


@pytest.fixture(scope="session")
def portuguese_csv(tmp_path_factory):
    """Clientes de uma loja: ';' between columns, decimal comma, dd/mm/aaaa dates, Latin-1 accents."""
    rng = np.random.default_rng(3)
    n = 300
    renda = rng.normal(4200, 1500, n).round(2)
    idade = rng.integers(18, 80, n)
    regiao = rng.choice(["São Paulo", "Belém", "Goiânia", "Florianópolis"], n)
    data = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    chance = 1 / (1 + np.exp(-((renda - 4200) / 1500 + (idade - 45) / 20)))
    cancelou = np.where(rng.random(n) < chance, "sim", "não")
    lines = ["renda_mensal;idade;região;data_adesão;cancelou"]
    for i in range(n):
        lines.append(
            f"{str(renda[i]).replace('.', ',')};{idade[i]};{regiao[i]};{data[i].strftime('%d/%m/%Y')};{cancelou[i]}"
        )
    path = tmp_path_factory.mktemp("tables") / "clientes.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    return path
