"""Data: load a sample or upload a table, see how it was read, profile it, and clean it with a
replayable recipe; the raw upload, each recipe and each cleaned table are hashed versions."""

import streamlit as st

from core import pipeline
from core.data import datasets
from core.data.charts import (
    caption_column_distribution,
    caption_lineage,
    caption_missing,
    plot_column_distribution,
    plot_lineage,
    plot_missing,
)
from core.data.cleaning import CleaningRecipe, count_duplicated, get_before_after_df, recipe_from_json, recipe_to_json
from core.data.export import to_safe_csv
from core.data.lineage import get_lineage_graph
from core.data.profiling import get_column_to_chart
from core.data.reader import THOUSANDS_CHOICES, ReadOptions, list_excel_sheets, read_path
from core.data.validation import ValidationRules
from core.problem.store import get_problem
from core.workspace.errors import StudioError
from ui import cache
from ui.frame import page_setup, require_project
from ui.recipe_editor import get_draft, render_add_step, render_offers, render_steps
from ui.text import escape_markdown
from ui.widgets import chart, readable_table, user_errors

ws, project = page_setup(
    "Data", ":material/table_view:", "Collect, profile and clean the table the model will learn from."
)
project = require_project(project)
pid = project["id"]

# -- 1 · Load -----------------------------------------------------------------------------------------
st.subheader("1 · Load a table")
sample_tab, upload_tab = st.tabs(["Use a sample", "Upload a file"])
with sample_tab:
    sample = st.selectbox(
        "Sample dataset",
        list(pipeline.SAMPLES),
        key="sample_choice",
        help="Bundled, a little dirty on purpose; see sample_data/README.md.",
    )
    if st.button("Load sample", key="load_sample"):
        with user_errors():
            df, info = read_path(pipeline.SAMPLE_DIR / sample)
            pipeline.stage_ingest(ws, pid, df, info, sample)
            st.toast(f"Loaded {sample}: {len(df):,} rows.")
with upload_tab:
    upload = st.file_uploader(
        "CSV, TSV, TXT, Excel or Parquet (gzip or zip compressed too)",
        key="upload",
        type=["csv", "tsv", "txt", "xlsx", "parquet", "gz", "zip"],
    )
    if upload is not None:
        data = upload.getvalue()
        with st.expander("Reading options — detected automatically; change any and the preview follows"):
            c1, c2, c3, c4 = st.columns(4)
            delimiter = c1.selectbox("Delimiter", ["auto", ",", ";", "\\t", "|"], key="opt_delimiter")
            decimal = c2.selectbox("Decimal mark", ["auto", ".", ","], key="opt_decimal")
            thousands = c3.selectbox(
                "Thousands separator",
                ["auto", *THOUSANDS_CHOICES],
                key="opt_thousands",
                format_func=lambda v: {"auto": "auto", "": "none"}.get(v, repr(v)),
            )
            quotechar = c4.selectbox("Quote character", ["auto", '"', "'"], key="opt_quote")
            c1, c2, c3, c4 = st.columns(4)
            encoding = c1.selectbox(
                "Encoding", ["auto", "utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"], key="opt_encoding"
            )
            header = c2.number_input("Header row (0 = first line; -1 = detect)", -1, 1000, -1, key="opt_header")
            sheets = []
            try:
                sheets = list_excel_sheets(data)
            except StudioError:
                pass
            sheet = (
                c3.selectbox(
                    "Excel sheet",
                    [None, *sheets],
                    key="opt_sheet",
                    format_func=lambda s: "first (auto)" if s is None else s,
                )
                if sheets
                else None
            )
            na_text = c4.text_input(
                "Also read as missing (comma-separated)",
                "",
                key="opt_na",
                help='Blank cells are always missing. "NA" stays text unless you list it '
                "here (it is a country code for Namibia).",
            )
            keep_tokens = st.checkbox(
                "Keep missing-value words as text",
                value=False,
                key="opt_keep_tokens",
                help="By default 'N/D', 'n/d', 's/d', '?', '-', 'NA', 'null', '#N/A'… are read "
                "as missing in a column whose other values are all numbers (or all "
                "dates); tick this if they mean something else in your file.",
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
            bar = st.progress(0.0, text="Reading…")
            df, info = cache.read_upload(data, options, lambda f, m: bar.progress(min(f, 1.0), text=m))
            bar.empty()
        except StudioError as exc:
            st.error(escape_markdown(f"{upload.name}: {exc}"))
        else:
            st.success(
                escape_markdown(
                    f"Read {info.rows:,} rows × {len(info.columns)} columns as {info.format}"
                    + (
                        f" (encoding {info.encoding}, delimiter {info.delimiter!r}, decimal {info.decimal!r}, "
                        + (f"thousands {info.thousands!r})" if info.thousands else "no thousands separator)")
                        if info.format == "csv"
                        else ""
                    )
                    + (f", sheet '{info.sheet}'" if info.sheet else "")
                    + "."
                )
            )
            for warning in info.warnings:
                st.warning(escape_markdown(warning))
            st.dataframe(
                [
                    {
                        "column": c.name,
                        "type": c.dtype,
                        "missing": c.missing,
                        "why": c.note,
                        "values that did not fit": ", ".join(c.examples_not_fitting),
                    }
                    for c in info.columns
                ],
                hide_index=True,
                width="stretch",
            )
            st.caption(
                "How each column was read and why, with the values that kept a column from a richer type. "
                "Nothing is saved until you press the button below."
            )
            st.dataframe(df.head(20), width="stretch")
            if st.button("Save as a new raw data version", key="save_upload", type="primary"):
                with user_errors():
                    pipeline.stage_ingest(ws, pid, df, info, upload.name, upload=data)
                    st.toast(f"Saved {escape_markdown(upload.name)}.")

raw = datasets.latest_dataset(ws, pid, "raw")
if raw is None:
    st.info("Load a sample or upload a file to continue.")
    st.stop()

# -- 2 · Profile --------------------------------------------------------------------------------------
st.subheader(f"2 · Profile of {escape_markdown(raw['name'])} (raw version {raw['version']})")
raw_df = cache.dataset(ws, raw["id"])
problem = get_problem(ws, pid)
target = problem.target if problem and problem.target in raw_df.columns else pipeline.SAMPLES.get(raw["name"])
profile, alerts = cache.profile(ws, raw["id"], target)
m1, m2, m3 = st.columns(3)
m1.metric("Rows", f"{len(raw_df):,}")
m2.metric("Columns", raw_df.shape[1])
m3.metric("Duplicate rows", f"{count_duplicated(raw_df):,}")
st.caption(
    "The size of the table as loaded. Duplicate rows repeat an earlier row exactly: copies of one record "
    "(they would count twice in training), or different records with the same values (common when every "
    "column is a category), which is why dropping many of them is only offered."
)
if len(alerts):
    with st.expander(f"{len(alerts)} data alert(s)", expanded=True, icon=":material/warning:"):
        st.dataframe(alerts, hide_index=True, width="stretch")
readable_table(profile.drop(columns=["alerts", "alert_messages"], errors="ignore"), width="stretch")
st.caption("One line per column: its type, how much is missing, how many distinct values and the most common ones.")
chart(plot_missing(profile), caption_missing(profile), key="missing_chart")
columns = list(raw_df.columns)
default = get_column_to_chart(columns, alerts, target)
column = st.selectbox("Distribution of", columns, key="profile_column", index=columns.index(default))
chart(plot_column_distribution(raw_df, column), caption_column_distribution(raw_df, column), key="dist_chart")

# -- 3 · Clean ----------------------------------------------------------------------------------------
st.subheader("3 · Cleaning recipe")
st.write(
    "Suggested from the data. Remove any step, add your own, and watch what each does before saving. "
    "The recipe is saved as a version and replays on new data (production batches, retraining, the CLI)."
)
suggestion = cache.suggested_cleaning(ws, raw["id"], target)
suggested = suggestion.recipe
draft = get_draft(ws, pid, raw["id"], suggested)
with user_errors():
    preview, reports = cache.preview(ws, raw["id"], recipe_to_json(draft))
    render_steps(ws, pid, raw["id"], draft, suggested, reports)
    render_offers(ws, pid, raw["id"], draft, suggestion.offers)
    render_add_step(ws, pid, raw["id"], draft, raw_df, preview, datasets.load_read_info(ws, raw["id"]))
    with st.expander(f"Preview: {len(raw_df):,} → {len(preview):,} rows"):
        readable_table(get_before_after_df(raw_df, preview), width="stretch")
        st.caption(
            "Before and after the recipe, per column: what changed, in rows, missing values and distinct values."
        )
        st.dataframe(preview.head(20), width="stretch")
    replay = st.file_uploader("Or replay a saved recipe (JSON)", type=["json"], key="recipe_upload")
    if replay is not None:
        loaded = recipe_from_json(replay.getvalue())
        if st.button(f"Use this recipe ({len(loaded.steps)} steps)", key="use_recipe"):
            datasets.save_recipe_draft(ws, pid, raw["id"], loaded)
            st.rerun()
    if st.button("Apply recipe and save cleaned version", key="apply_recipe", type="primary"):
        bar = st.progress(0.0, text="Cleaning…")
        out = pipeline.stage_clean(
            ws,
            pid,
            raw["id"],
            CleaningRecipe(draft.steps),
            target=target,
            progress=lambda f, m: bar.progress(min(f, 1.0), text=m),
        )
        bar.empty()
        st.toast(f"Saved cleaned version {out['dataset']['version']}.")

# -- 4 · The cleaned version --------------------------------------------------------------------------
cleaned = datasets.latest_cleaned_from(ws, raw["id"])
if cleaned:
    st.subheader(f"4 · Cleaned version {cleaned['version']}: {cleaned['rows']:,} rows × {cleaned['cols']} columns")
    recipe_row = datasets.get_recipe(ws, cleaned["recipe_id"])
    for report in datasets.get_step_reports(recipe_row):
        st.markdown(f"- {escape_markdown(report['summary'])}")
        if report.get("warning"):
            st.warning(escape_markdown(report["warning"]), icon=":material/warning:")
    rules = datasets.load_rules(ws, cleaned["id"])
    if rules:
        with st.expander("Validation rules learned from this version"):
            st.dataframe(ValidationRules.from_dict(rules).describe_df(), hide_index=True, width="stretch")
            st.caption(
                "What the model expects of every input: the same rules check the rows sent to the endpoint "
                "and the production data in monitoring."
            )
    c1, c2 = st.columns(2)
    cleaned_id = cleaned["id"]
    # A callable: the CSV is built only when someone downloads it, not on every rerun.
    c1.download_button(
        "Download the cleaned data (CSV, safe for spreadsheets)",
        lambda: to_safe_csv(cache.dataset(ws, cleaned_id)),
        file_name=f"{project['name']}-cleaned-v{cleaned['version']}.csv",
        mime="text/csv",
        key="download_csv",
    )
    c2.download_button(
        "Download the recipe (JSON)",
        recipe_to_json(datasets.load_recipe(ws, cleaned["recipe_id"])),
        file_name=f"{project['name']}-recipe-v{recipe_row['version']}.json",
        mime="application/json",
        key="download_recipe",
    )
    st.caption(
        "Text cells that start with =, +, - or @ are prefixed with ' in the CSV, so a spreadsheet shows "
        "them instead of running them as formulas."
    )
    nodes, edges = get_lineage_graph(ws, pid)
    chart(plot_lineage(nodes, edges), caption_lineage(nodes, edges), key="lineage")
    st.page_link(
        "pages/2_Problem.py", label="Next: define the problem", icon=":material/flag:", query_params={"project": pid}
    )
