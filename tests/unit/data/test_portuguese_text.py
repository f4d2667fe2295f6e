"""The Data, Problem and Features texts core writes, in Portuguese inside ``use_language("pt")`` and in
English outside it (the CLI sets no language). Only what this code controls is asserted: the
sentence and its placeholders, not how core.formatting writes a number in Portuguese."""

import pandas as pd
import pytest

from core.data.charts import caption_column_distribution, caption_missing
from core.data.cleaning import CleaningStep, describe_step
from core.data.reader import read_path
from core.data.validation import derive_rules
from core.features.preprocessing import FeatureConfig, describe_feature_set, get_readable_feature_set
from core.i18n import use_language
from core.problem.charts import caption_target
from core.problem.definition import ProblemConfig, get_metric_label, validate_problem
from core.workspace.errors import DataError


def _profile():
    return pd.DataFrame(
        {"column": ["renda", "idade"], "missing": [30, 2], "missing_pct": [30.0, 2.0]},
    )


def test_the_missing_values_caption_in_portuguese_and_english():
    with use_language("pt"):
        pt = caption_missing(_profile())
    assert pt.startswith("renda é a que mais tem ausentes (30 linhas, ")
    assert "1 outra coluna também tem lacunas: preencha-os antes do treino." in pt
    assert caption_missing(_profile()).startswith("renda is missing most often (30 rows, 30%); 1 other column")


def test_a_category_caption_keeps_the_column_and_value_in_portuguese():
    df = pd.DataFrame({"plano": ["básico"] * 6 + ["premium"] * 4})
    with use_language("pt"):
        text = caption_column_distribution(df, "plano")
    assert text.startswith("plano tem 2 valores diferentes; o mais comum é básico, com 60")
    assert text.endswith("das linhas.")


def test_step_descriptions_and_the_target_caption_in_portuguese():
    step = CleaningStep("drop_duplicates", {})
    with use_language("pt"):
        assert describe_step(step) == "Descartar linhas duplicadas (só nos dados de treino)"
        assert describe_step(CleaningStep("impute", {"column": "idade", "strategy": "median", "value": 41})) == (
            "Preencher os ausentes de idade com a mediana (41)"
        )
        caption = caption_target(pd.DataFrame({"churn": ["não"] * 3 + ["sim"]}), "churn", "binary")
        assert caption.startswith("O valor mais comum, 'não', corresponde a 75")
        assert get_metric_label("accuracy") == "acurácia"
    assert describe_step(step) == "Drop duplicate rows (training data only)"
    assert get_metric_label("accuracy") == "accuracy"


def test_a_refusal_is_raised_in_the_language_of_whoever_asked():
    df = pd.DataFrame({"y": [1.0] * 30, "x": range(30)})
    problem = ProblemConfig(target="y", task="regression", metric="r2", threshold=0.5)
    with use_language("pt"), pytest.raises(DataError, match="tem o mesmo valor em todas as linhas"):
        validate_problem(df, problem)
    with pytest.raises(DataError, match="has the same value in every row"):  # the CLI: English
        validate_problem(df, problem)


def test_the_feature_table_and_validation_rules_in_portuguese():
    df = pd.DataFrame({"idade": [18 + i % 10 for i in range(40)], "plano": ["a", "b"] * 20, "churn": [0, 1] * 20})
    problem = ProblemConfig(target="churn", task="binary", metric="roc_auc", threshold=0.7)
    description = describe_feature_set(df, problem, FeatureConfig())
    with use_language("pt"):
        shown = get_readable_feature_set(description)
        rules = derive_rules(df, target="churn").describe_readable_df()
    assert list(shown.columns) == ["coluna", "tipo", "ausentes", "transformação"]
    assert set(shown["tipo"]) == {"numérica", "categórica"}
    assert rules["descrição"].iloc[0].startswith("idade: um número entre ")
    assert list(description["kind"].unique()) == ["numeric", "categorical"]  # the stored codes stay


def test_the_reader_notes_follow_the_language_and_stay_english_for_the_cli(tmp_path):
    path = tmp_path / "vendas.csv"
    path.write_text("valor;data\n1,5;03/05/2021\n2,25;04/05/2021\n;05/05/2021\n", encoding="utf-8")
    with use_language("pt"):
        _df, info = read_path(path)
    notes = {c.name: c.note for c in info.columns}
    assert notes["valor"].startswith("todos os 2 valores são números (vírgula decimal); 1 célula em branco")
    _df, info = read_path(path)
    assert {c.name: c.note for c in info.columns}["valor"].startswith("all 2 values are numbers (decimal comma)")


def test_a_latin1_file_is_explained_in_portuguese(tmp_path):
    path = tmp_path / "clientes.csv"
    path.write_bytes("nome;cidade\nJoão;São Paulo\nAna;Belém\n".encode("latin-1"))
    with use_language("pt"):
        _df, info = read_path(path)
    assert any(w.startswith("O arquivo não é UTF-8; foi lido como cp1252") for w in info.warnings), info.warnings
    with use_language("pt"), pytest.raises(DataError, match="O arquivo está vazio"):
        read_path(_empty(tmp_path))


def _empty(tmp_path):
    path = tmp_path / "vazio.csv"
    path.write_bytes(b"")
    return path
