"""The Data, Problem and Features texts core writes, in Portuguese inside ``use_language("pt")`` and in
English outside it (the CLI sets no language). Only what this code controls is asserted: the
sentence and its placeholders, not how core.formatting writes a number in Portuguese."""

import pandas as pd
import pytest

from core.data.charts import caption_column_distribution, caption_missing
from core.data.cleaning import CleaningStep, describe_step
from core.data.reader import ReadOptions, read_path
from core.data.validation import caption_violations, check_rows, derive_rules
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


def _rules_and_rows():
    train = pd.DataFrame({"idade": [20, 30, 40, 50] * 10, "plano": ["básico", "premium"] * 20})
    rows = pd.DataFrame({"idade": [35, 99, 120], "plano": ["básico", "ouro", "premium"]})
    return derive_rules(train), rows


def test_a_violation_sentence_and_its_caption_in_portuguese_and_english():
    rules, rows = _rules_and_rows()
    with use_language("pt"):
        violations = check_rows(rows, rules)
        caption = caption_violations(violations, rows=len(rows), rules=rules)
    by_rule = {v.rule: v.message for v in violations}
    assert by_rule["above_max"].startswith("idade tem 2 linhas (")
    assert "acima do maior valor esperado pelo treino (" in by_rule["above_max"]
    assert by_rule["above_max"].endswith("): 120, 99.")
    assert by_rule["unknown_category"].startswith("plano tem 1 linha (")
    assert by_rule["unknown_category"].endswith("com uma categoria nunca vista no treino: 'ouro'.")
    assert caption.startswith("2 de 2 verificações falham: idade (2 linhas acima da faixa do treino, por exemplo ")
    english = {v.rule: v.message for v in check_rows(rows, rules)}
    assert english["above_max"].startswith("idade has 2 rows (")
    assert "above the highest value expected from training (" in english["above_max"]
    with use_language("pt"):
        assert caption_violations([], rows=3, rules=rules) == (
            "Todas as 3 linhas passam nas 2 verificações aprendidas com os dados de treino."
        )


def test_reader_refusals_in_portuguese_and_english_for_the_cli(tmp_path):
    blank = tmp_path / "brancos.csv"
    blank.write_text("\n   \n\n", encoding="utf-8")
    with use_language("pt"), pytest.raises(DataError, match="O arquivo só tem linhas em branco ou espaços"):
        read_path(blank)
    with pytest.raises(DataError, match="The file holds only blank lines or spaces"):
        read_path(blank)
    wrong = tmp_path / "vendas.csv"
    wrong.write_text("valor;cidade\n1;Recife\n2;Natal\n3;Belém\n", encoding="utf-8")
    with use_language("pt"), pytest.raises(DataError, match="Com vírgula .* como delimitador, o arquivo vira uma"):
        read_path(wrong, ReadOptions(delimiter=","))
    with pytest.raises(DataError, match="but semicolon"):
        read_path(wrong, ReadOptions(delimiter=","))
    pdf = tmp_path / "relatorio.csv"
    pdf.write_bytes(b"%PDF-1.4 binary")
    with use_language("pt"), pytest.raises(DataError, match="Este arquivo é um documento PDF, não uma tabela"):
        read_path(pdf)


def test_a_cleaning_parameter_refusal_in_portuguese():
    from core.data.cleaning.ops_common import check_columns
    from core.workspace.errors import ConfigError

    with use_language("pt"), pytest.raises(ConfigError, match="uma lista não vazia de nomes de colunas"):
        check_columns({"columns": []}, "drop_columns")
    with pytest.raises(ConfigError, match="a non-empty list of column names"):
        check_columns({"columns": []}, "drop_columns")
