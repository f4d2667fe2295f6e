"""Cleaning as a replayable recipe: a list of steps whose every parameter is resolved from data.

`suggest_recipe` (and the `make_*_step` factories) look at the training table and write down
concrete decisions (the fill value, the outlier bounds, the categories to keep, the spelling
mapping). `apply_recipe` replays exactly those decisions on any table: the training data, a
production batch, a retraining set or a `--test` file. A recipe is plain JSON (`to_dict` /
`from_dict`, `recipe_to_json` / `recipe_from_json`), so it is saved with its lineage and can be
downloaded and uploaded again.

Steps (op: params), and what each does with `training=False` (new data to score):

====================  ===========================================================  ==============
op                    params                                                       training=False
====================  ===========================================================  ==============
drop_columns          columns                                                      applies
rename_columns        mapping {old: new}                                           applies
to_numeric            columns, decimal "."|",", thousands None|","|"."|" "|"'"      applies
to_datetime           columns, format (None = detect)                              applies
to_boolean            columns, missing_as_false (default False)                    applies
trim_whitespace       columns                                                      applies
unify_categories      column, mapping {variant: canonical}                         applies
group_rare            column, min_share, other_label "Other", keep [categories]    applies
impute                column, strategy mean|median|mode|constant|indicator, value  applies
clip_outliers         column, lower, upper                                         applies
drop_outlier_rows     column, lower, upper                                         skipped
drop_duplicates       subset (None = all columns)                                  skipped
filter_rows           column, operator, value                                      skipped
drop_missing_target   column                                                       skipped
====================  ===========================================================  ==============

`suggest_cleaning` returns the safe suggested steps (`.recipe`) and, apart, the steps it only
*offers* (`.offers`): any suggested step that would remove more than 5 % of the rows, drop a column
or turn many values into missing is never applied silently; the user adds it, seeing what it does.

Rows are only ever removed when training: a production batch must get a prediction for every
row it sends. Value fixes always apply, so the model sees data shaped as it was trained on.
A step whose column is not in the table is skipped with a note in its summary (never an error),
so a recipe replays on batches that lack the target or a dropped column.

The package: `recipe` (steps, recipes, JSON, replay, reports) looks ops up in `ops`, the registry,
which gathers one module per family of ops, each op's apply + validate + describe together
(`ops_columns`, `ops_text`, `ops_missing`, `ops_rows`, over `ops_common`); `factories` (steps
resolved from data now) and `suggestions` (what to propose) sit on top. This face hands on the
public API, so `from core.data.cleaning import apply_recipe` works as before.
"""

from core.data.cleaning.factories import (
    make_group_rare_step,
    make_impute_step,
    make_outlier_step,
)
from core.data.cleaning.ops import (
    OPS,
    ROW_REMOVING_OPS,
)
from core.data.cleaning.ops_columns import (
    DECIMAL_MARKS,
    THOUSANDS_SEPARATORS,
    parse_booleans,
    parse_numbers,
)
from core.data.cleaning.ops_common import (
    FALSE_SPELLINGS,
    TRUE_SPELLINGS,
)
from core.data.cleaning.ops_missing import (
    IMPUTE_STRATEGIES,
    MISSING_FLAG_SUFFIX,
)
from core.data.cleaning.ops_rows import (
    FILTER_OPERATORS,
    OUTLIER_ACTIONS,
    OUTLIER_METHODS,
    count_duplicated,
    find_duplicated,
    get_filter_mask,
)
from core.data.cleaning.ops_text import (
    RARE_MIN_SHARE,
    get_common_categories,
)
from core.data.cleaning.recipe import (
    MOSTLY_MISSING_SHARE,
    RECIPE_FORMAT,
    CleaningRecipe,
    CleaningStep,
    StepReport,
    apply_recipe,
    apply_step,
    describe_step,
    get_before_after_df,
    get_values_turned_missing,
    preview_recipe,
    recipe_from_json,
    recipe_to_json,
    summarize_reports,
    validate_step,
)
from core.data.cleaning.suggestions import (
    OUTLIER_GAP_OF_SPAN,
    OUTLIER_MAX_SHARE,
    OUTLIER_MIN_RATIO,
    RARE_MIN_LEVELS,
    SAFE_MISSING_SHARE,
    SAFE_ROW_SHARE,
    SENTINEL_MAX_SHARE,
    SENTINEL_NEGATIVES,
    CleaningOffer,
    CleaningSuggestion,
    describe_offers,
    find_impossible_bounds,
    get_cleaning_warnings,
    get_number_format,
    suggest_cleaning,
    suggest_recipe,
    with_offer,
)

__all__ = [
    "RECIPE_FORMAT",
    "MOSTLY_MISSING_SHARE",
    "CleaningStep",
    "CleaningRecipe",
    "StepReport",
    "recipe_to_json",
    "recipe_from_json",
    "apply_recipe",
    "apply_step",
    "preview_recipe",
    "get_values_turned_missing",
    "validate_step",
    "describe_step",
    "summarize_reports",
    "get_before_after_df",
    "OPS",
    "ROW_REMOVING_OPS",
    "TRUE_SPELLINGS",
    "FALSE_SPELLINGS",
    "DECIMAL_MARKS",
    "THOUSANDS_SEPARATORS",
    "parse_numbers",
    "parse_booleans",
    "RARE_MIN_SHARE",
    "get_common_categories",
    "IMPUTE_STRATEGIES",
    "MISSING_FLAG_SUFFIX",
    "FILTER_OPERATORS",
    "OUTLIER_METHODS",
    "OUTLIER_ACTIONS",
    "get_filter_mask",
    "find_duplicated",
    "count_duplicated",
    "make_outlier_step",
    "make_impute_step",
    "make_group_rare_step",
    "RARE_MIN_LEVELS",
    "SENTINEL_NEGATIVES",
    "SENTINEL_MAX_SHARE",
    "OUTLIER_MAX_SHARE",
    "OUTLIER_MIN_RATIO",
    "OUTLIER_GAP_OF_SPAN",
    "SAFE_ROW_SHARE",
    "SAFE_MISSING_SHARE",
    "CleaningOffer",
    "CleaningSuggestion",
    "suggest_recipe",
    "suggest_cleaning",
    "get_number_format",
    "with_offer",
    "describe_offers",
    "get_cleaning_warnings",
    "find_impossible_bounds",
]
