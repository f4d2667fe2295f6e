"""Public tables for `make accuracy`: every one ships inside an installed package (no downloads).

Each loader returns the table as a person would export it: readable column names, codes turned
into the labels their documentation gives where a real export would carry labels, and nothing
cleaned on the studio's behalf. Two tables are also written as a Portuguese export (``;``,
decimal comma, Latin-1, a few ``N/D`` and ``?`` cells), the shape of issue 8's lost column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

# How a Portuguese spreadsheet exports CSV; the plain baseline reads it with exactly these options.
PT_EXPORT = {"sep": ";", "decimal": ",", "encoding": "latin-1"}
PT_MISSING = ("N/D", "?")


@dataclass(frozen=True)
class PublicTable:
    name: str
    source: str  # where it ships
    target: str
    task: str  # binary | multiclass | regression
    shape: str  # the real-world shape it exercises
    load: Callable[[], pd.DataFrame]
    portuguese: bool = False  # written as a Portuguese export (PT_EXPORT, PT_MISSING tokens in holes)
    holes: tuple[tuple[str, str, float], ...] = ()  # (column, token, share of cells) for the export
    group: str | None = None  # an ID: its rows stay on one side of the split
    keys: tuple[str, ...] = ()  # ID and time columns: a model may rightly leave them out


# -- scikit-learn's bundled sets -------------------------------------------------------------------
def _sklearn_frame(loader, target: str, labels: bool = True, **kwargs) -> pd.DataFrame:
    bunch = loader(as_frame=True, **kwargs)
    df = bunch.frame.rename(columns={"target": target})
    if labels:
        df[target] = np.asarray(bunch.target_names)[df[target].to_numpy()]
    return df


def load_iris() -> pd.DataFrame:
    from sklearn.datasets import load_iris

    return _sklearn_frame(load_iris, "species")


def load_wine() -> pd.DataFrame:
    from sklearn.datasets import load_wine

    return _sklearn_frame(load_wine, "cultivar")


def load_breast_cancer() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    return _sklearn_frame(load_breast_cancer, "diagnosis")


def load_digits() -> pd.DataFrame:
    from sklearn.datasets import load_digits

    return _sklearn_frame(load_digits, "digit", labels=False)  # 64 pixels of 0-16, the digit as a number


def load_diabetes() -> pd.DataFrame:
    from sklearn.datasets import load_diabetes

    return _sklearn_frame(load_diabetes, "progression", labels=False, scaled=False)


def load_diabetes_pt() -> pd.DataFrame:
    """The same patients, as a Brazilian clinic's spreadsheet would name the columns."""
    return load_diabetes().rename(
        columns={
            "age": "idade",
            "sex": "sexo",
            "bmi": "imc",
            "bp": "pressão",
            "s1": "colesterol",
            "s2": "ldl",
            "s3": "hdl",
            "s4": "razão_col_hdl",
            "s5": "triglicerídeos_log",
            "s6": "glicose",
            "progression": "progressão",
        }
    )


# -- statsmodels' datasets -------------------------------------------------------------------------
def _statsmodels(name: str) -> pd.DataFrame:
    import importlib

    return importlib.import_module(f"statsmodels.datasets.{name}").load_pandas().data.copy()


def load_fair() -> pd.DataFrame:
    """Survey answers coded 1-6, exported as their labels; many genuine identical rows."""
    df = _statsmodels("fair")
    df["rate_marriage"] = df["rate_marriage"].map({1: "very poor", 2: "poor", 3: "fair", 4: "good", 5: "very good"})
    df["religious"] = df["religious"].map({1: "not", 2: "mildly", 3: "fairly", 4: "strongly"})
    df["educ"] = df["educ"].map(
        {
            9: "grade school",
            12: "high school",
            14: "some college",
            16: "college graduate",
            17: "some graduate school",
            20: "advanced degree",
        }
    )
    jobs = {
        1: "student",
        2: "farming or unskilled",
        3: "white-collar",
        4: "teacher, nurse or skilled",
        5: "managerial",
        6: "professional",
    }
    df["occupation"] = df["occupation"].map(jobs)
    df["occupation_husb"] = df["occupation_husb"].map(jobs)
    df["had_affair"] = np.where(df.pop("affairs") > 0, "yes", "no")
    return df


def load_randhie() -> pd.DataFrame:
    return _statsmodels("randhie")  # doctor visits (a skewed count) from a few flags: 55% identical rows


def load_engel() -> pd.DataFrame:
    return _statsmodels("engel")


def load_star98() -> pd.DataFrame:
    df = _statsmodels("star98")
    df["share_above"] = df["NABOVE"] / (df["NABOVE"] + df["NBELOW"])
    return df.drop(columns=["NABOVE", "NBELOW"])


def load_anes96() -> pd.DataFrame:
    df = _statsmodels("anes96")
    df["PID"] = df["PID"].map(
        dict(
            enumerate(
                [
                    "strong democrat",
                    "weak democrat",
                    "independent-democrat",
                    "independent",
                    "independent-republican",
                    "weak republican",
                    "strong republican",
                ]
            )
        )
    )
    df["vote"] = df["vote"].map({0: "Clinton", 1: "Dole"})
    return df


def load_modechoice() -> pd.DataFrame:
    df = _statsmodels("modechoice")
    df["individual"] = df["individual"].astype(int)
    df["mode"] = df["mode"].map({1: "air", 2: "train", 3: "bus", 4: "car"})
    df["choice"] = df["choice"].map({0: "no", 1: "yes"})
    return df


def load_grunfeld() -> pd.DataFrame:
    df = _statsmodels("grunfeld")
    df["year"] = df["year"].astype(int)
    return df


def load_macrodata() -> pd.DataFrame:
    """Quarterly US macro series with the quarter's end date, as exports carry it beside year/quarter."""
    df = _statsmodels("macrodata")
    df["year"] = df["year"].astype(int)
    df["quarter"] = df["quarter"].astype(int)
    ends = pd.PeriodIndex.from_fields(year=df["year"], quarter=df["quarter"], freq="Q").end_time
    df.insert(0, "date", ends.strftime("%Y-%m-%d"))
    return df


def load_china_smoking() -> pd.DataFrame:
    """A contingency table (8 cities x smoker x lung cancer) expanded to one row per person:
    three categorical columns, 16 distinct rows among thousands."""
    counts = _statsmodels("china_smoking")
    parts = []
    for column in counts.columns:
        _, smoker, _, cancer = column.split("_")
        for city, n in counts[column].items():
            parts.append(pd.DataFrame({"city": [city] * int(n), "smoker": smoker, "lung_cancer": cancer}))
    return pd.concat(parts, ignore_index=True)


# -- plotly.express.data -----------------------------------------------------------------------------
def load_gapminder() -> pd.DataFrame:
    import plotly.express as px

    return px.data.gapminder()  # country and ISO codes: 12 rows each (a category or an ID?)


def load_tips_pt() -> pd.DataFrame:
    """Restaurant tips as a Brazilian waiter's spreadsheet: Portuguese names and labels."""
    import plotly.express as px

    df = px.data.tips().rename(
        columns={
            "total_bill": "total_conta",
            "tip": "gorjeta",
            "sex": "sexo",
            "smoker": "fumante",
            "day": "dia",
            "time": "refeição",
            "size": "pessoas",
        }
    )
    return df.replace(
        {
            "sexo": {"Female": "Feminino", "Male": "Masculino"},
            "fumante": {"No": "Não", "Yes": "Sim"},
            "dia": {"Thur": "Quinta", "Fri": "Sexta", "Sat": "Sábado", "Sun": "Domingo"},
            "refeição": {"Lunch": "Almoço", "Dinner": "Jantar"},
        }
    )


TABLES: tuple[PublicTable, ...] = (
    PublicTable("iris", "sklearn load_iris", "species", "multiclass", "tiny (150 rows)", load_iris),
    PublicTable("wine", "sklearn load_wine", "cultivar", "multiclass", "tiny, 13 measurements", load_wine),
    PublicTable(
        "breast_cancer", "sklearn load_breast_cancer", "diagnosis", "binary", "wide (30 columns)", load_breast_cancer
    ),
    PublicTable(
        "digits",
        "sklearn load_digits",
        "digit",
        "multiclass",
        "wide (64 small-integer pixels), 10 classes",
        load_digits,
    ),
    PublicTable(
        "diabetes",
        "sklearn load_diabetes(scaled=False)",
        "progression",
        "regression",
        "small regression, raw units",
        load_diabetes,
    ),
    PublicTable(
        "diabetes_pt",
        "sklearn load_diabetes, as a Portuguese export",
        "progressão",
        "regression",
        "';', decimal comma, Latin-1, N/D in the strongest predictor",
        load_diabetes_pt,
        portuguese=True,
        holes=(("imc", "N/D", 0.03), ("triglicerídeos_log", "?", 0.02)),
    ),
    PublicTable(
        "fair",
        "statsmodels fair",
        "had_affair",
        "binary",
        "all-categorical survey, many genuine identical rows",
        load_fair,
    ),
    PublicTable(
        "randhie",
        "statsmodels randhie",
        "mdvis",
        "regression",
        "20,190 rows, skewed count target, 55% identical rows",
        load_randhie,
    ),
    PublicTable("engel", "statsmodels engel", "foodexp", "regression", "one skewed feature", load_engel),
    PublicTable(
        "star98", "statsmodels star98", "share_above", "regression", "ratios and interaction terms", load_star98
    ),
    PublicTable("anes96", "statsmodels anes96", "vote", "binary", "survey scales and a labelled party ID", load_anes96),
    PublicTable(
        "modechoice",
        "statsmodels modechoice",
        "choice",
        "binary",
        "an ID (4 rows per traveller), split by traveller",
        load_modechoice,
        group="individual",
        keys=("individual",),
    ),
    PublicTable(
        "grunfeld",
        "statsmodels grunfeld",
        "invest",
        "regression",
        "panel: firm names and years",
        load_grunfeld,
        keys=("year",),
    ),
    PublicTable(
        "macrodata",
        "statsmodels macrodata",
        "unemp",
        "regression",
        "a date column beside year/quarter",
        load_macrodata,
        keys=("date", "year", "quarter"),
    ),
    PublicTable(
        "china_smoking",
        "statsmodels china_smoking, expanded",
        "lung_cancer",
        "binary",
        "expanded contingency table: 16 distinct rows",
        load_china_smoking,
    ),
    PublicTable(
        "gapminder",
        "plotly.express.data.gapminder",
        "lifeExp",
        "regression",
        "country names and ISO codes, years",
        load_gapminder,
        keys=("country", "iso_alpha", "iso_num", "year"),
    ),
    PublicTable(
        "tips_pt",
        "plotly.express.data.tips, as a Portuguese export",
        "gorjeta",
        "regression",
        "';', decimal comma, Latin-1, N/D in the bill, accented labels",
        load_tips_pt,
        portuguese=True,
        holes=(("total_conta", "N/D", 0.04),),
    ),
)


def punch_holes(df: pd.DataFrame, table: PublicTable, seed: int = 0) -> pd.DataFrame:
    """The table with each hole column written as decimal-comma text and a share of its cells replaced
    by the export's missing token (seeded), as a spreadsheet export carries them."""
    rng = np.random.default_rng(seed)
    out = df.copy()
    for column, token, share in table.holes:
        text = out[column].map(lambda v: "" if pd.isna(v) else _decimal_comma(v)).astype(object)
        text[rng.random(len(out)) < share] = token
        out[column] = text
    return out


def _decimal_comma(value) -> str:
    return str(value).replace(".", ",")


def write_table(df: pd.DataFrame, path: Path, table: PublicTable) -> None:
    if table.portuguese:
        df.to_csv(path, index=False, **PT_EXPORT)
    else:
        df.to_csv(path, index=False)


def read_table(path: Path, table: PublicTable) -> pd.DataFrame:
    """How a plain script reads the file: pandas defaults, or the export's known options."""
    if table.portuguese:
        return pd.read_csv(path, na_values=list(PT_MISSING), **PT_EXPORT)
    return pd.read_csv(path)
