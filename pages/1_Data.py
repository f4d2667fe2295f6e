"""Data: load a sample or upload a table, see how it was read, profile it, and clean it with a
replayable recipe; the raw upload, each recipe and each cleaned table are hashed versions."""

import streamlit as st

from core import pipeline
from core.data import datasets
from core.data.cleaning import CleaningRecipe, recipe_from_json, recipe_to_json
from core.data.export import to_safe_csv
from core.data.profiling import get_column_to_chart
from core.data.reader import THOUSANDS_CHOICES, ReadOptions, list_excel_sheets, read_path
from core.data.reader.wording import describe_read
from core.data.validation import ValidationRules
from core.formatting import format_count
from core.glossary import readable_columns
from core.i18n import _, ngettext
from core.problem.store import get_problem
from core.workspace.errors import StudioError
from ui import cache
from ui.erasure_panel import render_erasure_panel
from ui.frame import page_setup, require_project
from ui.privacy_panel import render_privacy_panel
from ui.recipe_editor import get_draft, render_add_step, render_offers, render_steps
from ui.text import escape_markdown
from ui.widgets import chart, readable_table, user_errors


def _auto(value: str) -> str:
    return _("auto") if value == "auto" else value


ws, project = page_setup(
    _("Data"), ":material/table_view:", _("Collect, profile and clean the table the model will learn from.")
)
project = require_project(project)
pid = project["id"]

# -- 1 · Load -----------------------------------------------------------------------------------------
st.subheader(_("1 · Load a table"))
sample_tab, upload_tab = st.tabs([_("Use a sample"), _("Upload a file")])
with sample_tab:
    sample = st.selectbox(
        _("Sample dataset"),
        list(pipeline.SAMPLES),
        key="sample_choice",
        help=_("Bundled, a little dirty on purpose; see sample_data/README.md."),
    )
    if st.button(_("Load sample"), key="load_sample"):
        with user_errors():
            df, info = read_path(pipeline.SAMPLE_DIR / sample)
            pipeline.stage_ingest(ws, pid, df, info, sample)
            st.toast(
                ngettext("Loaded {name}: {rows} row.", "Loaded {name}: {rows} rows.", len(df)).format(
                    name=sample, rows=format_count(len(df))
                )
            )
with upload_tab:
    upload = st.file_uploader(
        _("CSV, TSV, TXT, Excel or Parquet (gzip or zip compressed too)"),
        key="upload",
        type=["csv", "tsv", "txt", "xlsx", "parquet", "gz", "zip"],
    )
    if upload is not None:
        data = upload.getvalue()
        with st.expander(_("Reading options — detected automatically; change any and the preview follows")):
            c1, c2, c3, c4 = st.columns(4)
            delimiter = c1.selectbox(
                _("Delimiter"), ["auto", ",", ";", "\\t", "|"], key="opt_delimiter", format_func=_auto
            )
            decimal = c2.selectbox(_("Decimal mark"), ["auto", ".", ","], key="opt_decimal", format_func=_auto)
            thousands = c3.selectbox(
                _("Thousands separator"),
                ["auto", *THOUSANDS_CHOICES],
                key="opt_thousands",
                format_func=lambda v: {"auto": _("auto"), "": _("none")}.get(v, repr(v)),
            )
            quotechar = c4.selectbox(_("Quote character"), ["auto", '"', "'"], key="opt_quote", format_func=_auto)
            c1, c2, c3, c4 = st.columns(4)
            encoding = c1.selectbox(
                _("Encoding"),
                ["auto", "utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"],
                key="opt_encoding",
                format_func=_auto,
            )
            header = c2.number_input(_("Header row (0 = first line; -1 = detect)"), -1, 1000, -1, key="opt_header")
            sheets = []
            try:
                sheets = list_excel_sheets(data)
            except StudioError:
                pass
            sheet = (
                c3.selectbox(
                    _("Excel sheet"),
                    [None, *sheets],
                    key="opt_sheet",
                    format_func=lambda s: _("first (auto)") if s is None else s,
                )
                if sheets
                else None
            )
            na_text = c4.text_input(
                _("Also read as missing (comma-separated)"),
                "",
                key="opt_na",
                help=_(
                    'Blank cells are always missing. "NA" stays text unless you list it '
                    "here (it is a country code for Namibia)."
                ),
            )
            keep_tokens = st.checkbox(
                _("Keep missing-value words as text"),
                value=False,
                key="opt_keep_tokens",
                help=_(
                    "By default 'N/D', 'n/d', 's/d', '?', '-', 'NA', 'null', '#N/A'… are read "
                    "as missing in a column whose other values are all numbers (or all "
                    "dates); tick this if they mean something else in your file."
                ),
            )
        try:
            options = ReadOptions(
                delimiter=None if delimiter == "auto" else delimiter.replace("\\t", "\t"),
                decimal=None if decimal == "auto" else decimal,
                thousands=None if thousands == "auto" else thousands,
                quotechar=None if quotechar == "auto" else quotechar,
                encoding=None if encoding == "auto" else encoding,
                header_row=None if header < 0 else int(header),
                sheet=sheet,
                na_tokens=("", *[t.strip() for t in na_text.split(",") if t.strip()]),
                numeric_missing_tokens=not keep_tokens,
            )
            bar = st.progress(0.0, text=_("Reading…"))
            df, info = cache.read_upload(data, options, lambda f, m: bar.progress(min(f, 1.0), text=m))
            bar.empty()
        except StudioError as exc:
            st.error(escape_markdown(_("{file}: {error}").format(file=upload.name, error=exc)))
        else:
            st.success(escape_markdown(describe_read(info)))
            for warning in info.warnings:
                st.warning(escape_markdown(warning))
            st.dataframe(
                [
                    {
                        _("column"): c.name,
                        _("type"): c.dtype,
                        _("missing"): c.missing,
                        _("why"): c.note,
                        _("values that did not fit"): ", ".join(c.examples_not_fitting),
                    }
                    for c in info.columns
                ],
                hide_index=True,
                width="stretch",
            )
            st.caption(
                _(
                    "How each column was read and why, with the values that kept a column from a richer type. "
                    "Nothing is saved until you press the button below."
                )
            )
            st.dataframe(df.head(20), width="stretch")
            if st.button(_("Save as a new raw data version"), key="save_upload", type="primary"):
                with user_errors():
                    pipeline.stage_ingest(ws, pid, df, info, upload.name, upload=data)
                    st.toast(_("Saved {file}.").format(file=escape_markdown(upload.name)))

raw = datasets.latest_dataset(ws, pid, "raw")
if raw is None:
    st.info(_("Load a sample or upload a file to continue."))
    st.stop()

# -- 2 · Profile --------------------------------------------------------------------------------------
st.subheader(
    _("2 · Profile of {name} (raw version {version})").format(name=escape_markdown(raw["name"]), version=raw["version"])
)
raw_df = cache.dataset(ws, raw["id"])
problem = get_problem(ws, pid)
target = problem.target if problem and problem.target in raw_df.columns else pipeline.SAMPLES.get(raw["name"])
profile, alerts = cache.profile(ws, raw["id"], target)
m1, m2, m3 = st.columns(3)
m1.metric(_("Rows"), format_count(len(raw_df)))
m2.metric(_("Columns"), raw_df.shape[1])
m3.metric(_("Duplicate rows"), format_count(cache.duplicate_count(ws, raw["id"])))
st.caption(
    _(
        "The size of the table as loaded. Duplicate rows repeat an earlier row exactly: copies of one record "
        "(they would count twice in training), or different records with the same values (common when every "
        "column is a category), which is why dropping many of them is only offered."
    )
)
if len(alerts):
    with st.expander(
        ngettext("{n} data alert", "{n} data alerts", len(alerts)).format(n=len(alerts)),
        expanded=True,
        icon=":material/warning:",
    ):
        st.dataframe(readable_columns(alerts), hide_index=True, width="stretch")
readable_table(profile.drop(columns=["alerts", "alert_messages"], errors="ignore"), width="stretch")
st.caption(_("One line per column: its type, how much is missing, how many distinct values and the most common ones."))
missing_figure, missing_sentence = cache.missing_chart(ws, raw["id"], target)
if missing_figure.data:
    chart(missing_figure, missing_sentence, key="missing_chart")
else:  # nothing missing: a sentence says so, not an empty chart
    st.success(missing_sentence, icon=":material/check_circle:")
columns = list(raw_df.columns)
default = get_column_to_chart(columns, alerts, target)


@st.fragment  # choosing a column redraws its chart only, not the whole page
def column_distribution() -> None:
    column = st.selectbox(_("Distribution of"), columns, key="profile_column", index=columns.index(default))
    chart(*cache.column_chart(ws, raw["id"], column), key="dist_chart")


column_distribution()

# -- 3 · Clean ----------------------------------------------------------------------------------------
st.subheader(_("3 · Cleaning recipe"))
st.write(
    _(
        "Suggested from the data. Remove any step, add your own, and watch what each does before saving. "
        "The recipe is saved as a version and replays on new data (production batches, retraining, the CLI)."
    )
)
suggestion = cache.suggested_cleaning(ws, raw["id"], target)
suggested = suggestion.recipe
draft = get_draft(ws, pid, raw["id"], suggested)
render_privacy_panel(ws, pid, raw["id"], raw_df, draft)
with user_errors():
    preview, reports = cache.preview(ws, raw["id"], recipe_to_json(draft))
    render_steps(ws, pid, raw["id"], draft, suggested, reports)
    render_offers(ws, pid, raw["id"], draft, suggestion.offers)
    render_add_step(ws, pid, raw["id"], draft, raw_df, preview, datasets.load_read_info(ws, raw["id"]))
    with st.expander(
        _("Preview: {before} → {after} rows").format(before=format_count(len(raw_df)), after=format_count(len(preview)))
    ):
        readable_table(cache.before_after(ws, raw["id"], recipe_to_json(draft)), width="stretch")
        st.caption(
            _("Before and after the recipe, per column: what changed, in rows, missing values and distinct values.")
        )
        st.dataframe(preview.head(20), width="stretch")
    replay = st.file_uploader(_("Or replay a saved recipe (JSON)"), type=["json"], key="recipe_upload")
    if replay is not None:
        loaded = recipe_from_json(replay.getvalue())
        steps = len(loaded.steps)
        if st.button(
            ngettext("Use this recipe ({n} step)", "Use this recipe ({n} steps)", steps).format(n=steps),
            key="use_recipe",
        ):
            datasets.save_recipe_draft(ws, pid, raw["id"], loaded)
            st.rerun()
    if st.button(_("Apply recipe and save cleaned version"), key="apply_recipe", type="primary"):
        bar = st.progress(0.0, text=_("Cleaning…"))
        out = pipeline.stage_clean(
            ws,
            pid,
            raw["id"],
            CleaningRecipe(draft.steps),
            target=target,
            progress=lambda f, m: bar.progress(min(f, 1.0), text=m),
        )
        bar.empty()
        st.toast(_("Saved cleaned version {version}.").format(version=out["dataset"]["version"]))

# -- 4 · The cleaned version --------------------------------------------------------------------------
cleaned = datasets.latest_cleaned_from(ws, raw["id"])
if cleaned:
    st.subheader(
        _("4 · Cleaned version {version}: {rows} rows × {columns} columns").format(
            version=cleaned["version"], rows=format_count(cleaned["rows"]), columns=cleaned["cols"]
        )
    )
    recipe_row = datasets.get_recipe(ws, cleaned["recipe_id"])
    for report in datasets.get_step_reports(recipe_row):
        st.markdown(f"- {escape_markdown(report['summary'])}")
        if report.get("warning"):
            st.warning(escape_markdown(report["warning"]), icon=":material/warning:")
    rules = datasets.load_rules(ws, cleaned["id"])
    if rules:
        with st.expander(_("Validation rules learned from this version")):
            st.dataframe(ValidationRules.from_dict(rules).describe_readable_df(), hide_index=True, width="stretch")
            st.caption(
                _(
                    "What the model expects of every input: the same rules check the rows sent to the endpoint "
                    "and the production data in monitoring."
                )
            )
    c1, c2 = st.columns(2)
    cleaned_id = cleaned["id"]
    # A callable: the CSV is built only when someone downloads it, not on every rerun.
    c1.download_button(
        _("Download the cleaned data (CSV, safe for spreadsheets)"),
        lambda: to_safe_csv(cache.dataset(ws, cleaned_id)),
        file_name=f"{project['name']}-cleaned-v{cleaned['version']}.csv",
        mime="text/csv",
        key="download_csv",
    )
    c2.download_button(
        _("Download the recipe (JSON)"),
        recipe_to_json(datasets.load_recipe(ws, cleaned["recipe_id"])),
        file_name=f"{project['name']}-recipe-v{recipe_row['version']}.json",
        mime="application/json",
        key="download_recipe",
    )
    st.caption(
        _(
            "Text cells that start with =, +, - or @ are prefixed with ' in the CSV, so a spreadsheet shows "
            "them instead of running them as formulas."
        )
    )
    chart(*cache.lineage_chart(ws, pid), key="lineage")
    st.page_link(
        "pages/2_Problem.py", label=_("Next: define the problem"), icon=":material/flag:", query_params={"project": pid}
    )
render_erasure_panel(ws, pid, columns)
