"""Data: load a sample or upload a table, profile it, clean it with a recipe; each result is a version."""
import streamlit as st

from core import datasets, pipeline, projects
from core.cleaning import CleaningRecipe, CleaningStep, find_duplicated, get_before_after_df
from core.errors import StudioError
from core.profiling import caption_column_distribution, caption_missing, plot_column_distribution, plot_missing
from core.reader import ReadOptions, read_path
from ui import cache
from ui.frame import page_setup, require_project
from ui.widgets import chart, user_errors

ws, project = page_setup("Data", ":material/table_view:",
                         "Collect, profile and clean the table the model will learn from.")
project = require_project(project)
pid = project["id"]

# -- Load -------------------------------------------------------------------------------------------
st.subheader("1 · Load a table")
sample_tab, upload_tab = st.tabs(["Use a sample", "Upload a file"])
with sample_tab:
    sample = st.selectbox("Sample dataset", list(pipeline.SAMPLES), key="sample_choice",
                          help="Bundled, a little dirty on purpose; see sample_data/README.md.")
    if st.button("Load sample", key="load_sample"):
        with user_errors():
            df, info = read_path(pipeline.SAMPLE_DIR / sample)
            pipeline.stage_ingest(ws, pid, df, info, sample)
            st.toast(f"Loaded {sample}: {len(df):,} rows.")
with upload_tab:
    upload = st.file_uploader("CSV, TSV, Excel or Parquet (gzip-compressed CSV too)", key="upload",
                              type=["csv", "tsv", "txt", "xlsx", "parquet", "gz"])
    with st.expander("Reading options (detected automatically)"):
        c1, c2, c3 = st.columns(3)
        delimiter = c1.selectbox("Delimiter", ["auto", ",", ";", "\\t", "|"], key="opt_delimiter")
        decimal = c2.selectbox("Decimal mark", ["auto", ".", ","], key="opt_decimal")
        encoding = c3.selectbox("Encoding", ["auto", "utf-8", "utf-16", "cp1252", "latin-1"], key="opt_encoding")
    if upload is not None:
        options = ReadOptions(
            delimiter=None if delimiter == "auto" else delimiter.replace("\\t", "\t"),
            decimal=None if decimal == "auto" else decimal,
            encoding=None if encoding == "auto" else encoding,
        )
        try:
            df, info = cache.read_upload(upload.getvalue(), options)
        except StudioError as exc:
            st.error(f"{upload.name}: {exc}")
        else:
            st.success(f"Read {info.rows:,} rows × {len(info.columns)} columns as {info.format}"
                       + (f" (encoding {info.encoding}, delimiter {info.delimiter!r}, decimal {info.decimal!r})"
                          if info.format == "csv" else "") + ".")
            for warning in info.warnings:
                st.warning(warning)
            st.dataframe([{"column": c.name, "type": c.dtype, "missing": c.missing, "why": c.note}
                          for c in info.columns], hide_index=True, width="stretch")
            st.caption("How each column was read, and why; check this before saving — nothing is saved yet.")
            st.dataframe(df.head(20), width="stretch")
            if st.button("Save as a new raw data version", key="save_upload", type="primary"):
                with user_errors():
                    pipeline.stage_ingest(ws, pid, df, info, upload.name)
                    st.toast(f"Saved {upload.name}.")

raw = datasets.latest_dataset(ws, pid, "raw")
if raw is None:
    st.info("Load a sample or upload a file to continue.")
    st.stop()

# -- Profile ----------------------------------------------------------------------------------------
st.subheader(f"2 · Profile of {raw['name']} (raw version {raw['version']})")
raw_df = cache.dataset(ws, raw["id"])
problem = projects.get_problem(ws, pid)
target = problem.target if problem and problem.target in raw_df.columns else pipeline.SAMPLES.get(raw["name"])
profile, alerts = cache.profile(ws, raw["id"], target)
m1, m2, m3 = st.columns(3)
m1.metric("Rows", f"{len(raw_df):,}")
m2.metric("Columns", raw_df.shape[1])
m3.metric("Duplicate rows", f"{int(find_duplicated(raw_df).sum()):,}")
st.caption("The size of the table as loaded; duplicate rows are exact copies that would count twice in training.")
if len(alerts):
    with st.expander(f"⚠️ {len(alerts)} data alert(s)", expanded=True):
        st.dataframe(alerts, hide_index=True, width="stretch")
st.dataframe(profile.drop(columns=["alerts", "alert_messages"], errors="ignore"), hide_index=True, width="stretch")
st.caption("One line per column: its type, how much is missing, how many distinct values and the most common ones.")
chart(plot_missing(profile), caption_missing(profile), key="missing_chart")
column = st.selectbox("Distribution of", list(raw_df.columns), key="profile_column")
chart(plot_column_distribution(raw_df, column), caption_column_distribution(raw_df, column), key="dist_chart")

# -- Clean ------------------------------------------------------------------------------------------
st.subheader("3 · Cleaning recipe")
st.write("Suggested from the data; untick a step to leave it out. The recipe is saved as a version and "
         "replays on new data (production batches, retraining).")
suggested = cache.suggested_recipe(ws, raw["id"], target)
chosen = []
for i, step in enumerate(suggested.steps):
    params = ", ".join(f"{k}={v}" for k, v in step.params.items() if k != "mapping")
    if st.checkbox(f"`{step.op}` {params}"[:200], value=True, key=f"step_{raw['id']}_{i}"):
        chosen.append(step)
drop = st.multiselect("Also drop columns", list(raw_df.columns), key=f"drop_{raw['id']}")
if drop:
    chosen.append(CleaningStep("drop_columns", {"columns": drop}))
if st.button("Apply recipe and save cleaned version", key="apply_recipe", type="primary"):
    with user_errors():
        out = pipeline.stage_clean(ws, pid, raw["id"], CleaningRecipe(tuple(chosen)), target=target)
        st.session_state["clean_reports"] = [r.summary for r in out["reports"]]
        st.toast(f"Saved cleaned version {out['dataset']['version']}.")

cleaned = datasets.latest_dataset(ws, pid, "cleaned")
if cleaned:
    st.markdown(f"**Latest cleaned version:** {cleaned['name']} — {cleaned['rows']:,} rows × {cleaned['cols']} columns.")
    for line in st.session_state.get("clean_reports", []):
        st.write(f"- {line}")
    parent = cache.dataset(ws, cleaned["parent_id"]) if cleaned["parent_id"] else None
    if parent is not None:
        st.dataframe(get_before_after_df(parent, cache.dataset(ws, cleaned["id"])), hide_index=True,
                     width="stretch")
        st.caption("Before and after cleaning, per column: fewer missing values and unified spellings mean "
                   "the model learns from the data as it really is.")
    st.markdown("**Lineage** — what was made from what:")
    st.dataframe(datasets.get_lineage_df(ws, pid), hide_index=True, width="stretch")
    st.page_link("pages/2_Problem.py", label="Next: define the problem", icon=":material/flag:", query_params={"project": pid})
