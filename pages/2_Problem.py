"""Problem: what to predict, what kind of task it is, and what "good enough" means for the gate."""

import streamlit as st

from core import pipeline
from core.data import datasets
from core.formatting import currency_symbol, format_number, format_value
from core.i18n import _
from core.problem.charts import caption_target, plot_target
from core.problem.definition import (
    METRICS,
    TASK_LABELS,
    TASKS,
    ProblemConfig,
    default_threshold,
    describe_id_like_target,
    detect_task,
    get_metric_label,
    suggest_problem,
)
from core.problem.store import get_problem
from core.training.caveats import suggest_group_column
from ui import cache
from ui.frame import page_setup, require_project
from ui.text import escape_markdown, optional_choice
from ui.widgets import chart, metric_help, user_errors

ws, project = page_setup(
    _("Problem"), ":material/flag:", _("Say what the model must predict and how good it must be to ship.")
)
project = require_project(project)
pid = project["id"]

cleaned = datasets.latest_dataset(ws, pid, "cleaned")
if cleaned is None:
    st.info(_("Load and clean a table on the Data page first: the target is one of its columns."))
    st.page_link("pages/1_Data.py", label=_("Go to Data"), icon=":material/table_view:", query_params={"project": pid})
    st.stop()
df = cache.dataset(ws, cleaned["id"])
saved = get_problem(ws, pid)
columns = list(df.columns)
raw = datasets.get_dataset(ws, cleaned["parent_id"]) if cleaned["parent_id"] else None
default_target = (
    saved.target if saved and saved.target in columns else pipeline.SAMPLES.get(raw["name"]) if raw else None
)
target = st.selectbox(
    _("Target — the column to predict"),
    columns,
    index=columns.index(default_target) if default_target in columns else None,
    key="target",
    placeholder=_("Choose the target column"),
)
if target is None:
    st.stop()
id_target = describe_id_like_target(df[target])
if id_target:
    st.warning(escape_markdown(id_target), icon=":material/warning:")

with user_errors():
    suggestion = saved if saved and saved.target == target else suggest_problem(df, target)
    detected = detect_task(df[target])
    c1, c2 = st.columns(2)
    task = c1.radio(
        _("Task"),
        TASKS,
        index=TASKS.index(suggestion.task),
        horizontal=True,
        key=f"task_{target}",
        format_func=lambda code: _(TASK_LABELS[code]),
        help=_("Detected: {task}. Change it if the detection is wrong (e.g. ratings 1–5).").format(
            task=_(TASK_LABELS[detected])
        ),
    )
    positive = None
    if task == "binary":
        values = sorted(df[target].dropna().astype(str).unique())
        default_pos = str(suggestion.positive_class) if str(suggestion.positive_class) in values else values[-1]
        positive = c2.selectbox(
            _("Positive class — the outcome we want to catch"),
            values,
            index=values.index(default_pos),
            key=f"positive_{target}",
        )
    metrics = list(METRICS[task])
    metric = c1.selectbox(
        _("Success metric"),
        metrics,
        index=metrics.index(suggestion.metric) if suggestion.metric in metrics else 0,
        key=f"metric_{target}_{task}",
        format_func=get_metric_label,
        help=metric_help(metrics),
    )
    threshold = c2.number_input(
        _("Gate threshold — the least (or, for errors, the most) we accept"),
        value=float(suggestion.threshold if suggestion.metric == metric else default_threshold(metric, df[target])),
        key=f"threshold_{target}_{metric}",
        format="%.3f",
    )
    dates = [c for c in columns if str(df[c].dtype).startswith("datetime")]
    time_column = st.selectbox(
        _("Time column (optional) — evaluate on the latest rows instead of a random split"),
        [None, *dates],
        key="time_column",
        format_func=optional_choice,
        index=([None, *dates].index(suggestion.time_column) if suggestion.time_column in dates else 0),
    )

    with st.container(border=True):
        st.markdown(_("**How the model is validated and judged**"))
        g1, g2 = st.columns(2)
        id_like = [c for c in columns if c not in (target, time_column)]
        is_saved = saved is not None and saved.target == target
        suggested_group = suggestion.group_column if is_saved else suggest_group_column(df, suggestion)
        group_column = g1.selectbox(
            _("Group column (optional) — rows that share it stay together when splitting"),
            [None, *id_like],
            index=[None, *id_like].index(suggested_group) if suggested_group in id_like else 0,
            key=f"group_{target}",
            format_func=optional_choice,
            help=_(
                "Pick an ID shared by several rows (a customer with several orders): the model is then "
                "tested on customers it never saw, instead of on rows of customers it already knows."
            ),
        )
        sensitive_column = g2.selectbox(
            _("Sensitive column (optional) — check the model treats its groups alike"),
            [None, *id_like],
            index=[None, *id_like].index(suggestion.sensitive_column) if suggestion.sensitive_column in id_like else 0,
            key=f"sensitive_{target}",
            format_func=optional_choice,
            help=_("E.g. gender, age band or region. The gate compares the model's recall (or error) across groups."),
        )
        max_gap = g1.slider(
            _("Largest fairness gap the gate allows"),
            0.01,
            0.5,
            float(suggestion.max_fairness_gap),
            0.01,
            key=f"max_gap_{target}",
            disabled=sensitive_column is None,
            help=_("For yes/no: the difference in recall between the best- and worst-served group."),
        )
        max_latency = g2.number_input(
            _("Slowest answer the service allows (ms per request)"),
            1.0,
            10_000.0,
            float(suggestion.max_latency_ms),
            10.0,
            key=f"latency_{target}",
        )
        cost_fn = cost_fp = None
        if task == "binary":
            st.markdown(_("**What mistakes cost** — sets the decision threshold on the Train page"))
            k1, k2 = st.columns(2)
            cost_fn = k1.number_input(
                _("Cost of missing a real '{positive}' ({currency} per row)").format(
                    positive=escape_markdown(positive), currency=currency_symbol()
                ),
                0.0,
                1e9,
                float(suggestion.cost_false_negative or 500.0),
                10.0,
                key=f"cost_fn_{target}",
                help=_("E.g. the revenue lost when a churner leaves without an offer."),
            )
            cost_fp = k2.number_input(
                _("Cost of a false alarm ({currency} per row)").format(currency=currency_symbol()),
                0.0,
                1e9,
                float(suggestion.cost_false_positive or 50.0),
                10.0,
                key=f"cost_fp_{target}",
                help=_("E.g. the price of an offer sent to a customer who would have stayed."),
            )
            st.caption(
                _(
                    "A missed '{positive}' costs {ratio}× a false alarm here, so the best threshold flags more "
                    "rows when this ratio is high."
                ).format(positive=escape_markdown(positive), ratio=format_number(cost_fn / max(cost_fp, 1e-9)))
            )

    chart(plot_target(df, target, task), caption_target(df, target, task), key="target_chart")

    if st.button(_("Save problem definition"), key="save_problem", type="primary"):
        config = ProblemConfig(
            target=target,
            task=task,
            positive_class=positive,
            metric=metric,
            threshold=float(threshold),
            time_column=time_column,
            group_column=group_column,
            cost_false_negative=cost_fn,
            cost_false_positive=cost_fp,
            sensitive_column=sensitive_column,
            max_fairness_gap=float(max_gap),
            max_latency_ms=float(max_latency),
        )
        pipeline.stage_problem(ws, pid, cleaned["id"], config)
        st.success(
            _("Saved: predict '{target}' ({task}); the gate asks for {metric} {sign} {value} on unseen data.").format(
                target=escape_markdown(target),
                task=_(TASK_LABELS[task]),
                metric=get_metric_label(metric),
                sign="≤" if metric in ("rmse", "mae") else "≥",
                value=format_value(threshold, digits=4),
            )
        )

if get_problem(ws, pid):
    st.page_link(
        "pages/3_Features.py",
        label=_("Next: build features"),
        icon=":material/view_column:",
        query_params={"project": pid},
    )
