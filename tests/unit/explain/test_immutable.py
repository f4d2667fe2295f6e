"""What a counterfactual keeps unchanged by default (core.explain.immutable): the sensitive column,
personal characteristics by name (English and Portuguese) and dates; never ordinary features whose
names merely contain those letters."""

import pandas as pd
import pytest

from core.explain.immutable import default_immutable, is_protected_name


@pytest.mark.parametrize(
    "name",
    ["age", "Age", "customerAge", "senior_citizen", "gender", "dateOfBirth", "Sex", "race", "ethnicity",
     "Nationality", "marital_status", "idade", "Idade", "data_nascimento", "sexo", "gênero", "genero", "Raça",
     "nacionalidade", "estado civil", "Estado_Civil", "signup_date"],
)  # fmt: skip
def test_personal_characteristics_and_dates_by_name(name):
    assert is_protected_name(name)


@pytest.mark.parametrize(
    "name", ["usage", "page_views", "average", "cidade", "trace", "tenure_months", "partner", "monthly_charges"]
)
def test_ordinary_features_are_free(name):
    assert not is_protected_name(name)


def test_default_immutable_adds_the_sensitive_column_and_date_columns():
    features = ["gender", "senior_citizen", "partner", "tenure_months", "region", "opened", "contract"]
    data = pd.DataFrame({"opened": pd.to_datetime(["2024-01-02"]), "contract": ["One year"]})
    assert default_immutable(features, ["region", None], data) == ["gender", "senior_citizen", "region", "opened"]
    assert default_immutable(["tenure", "contract"]) == []
