"""Database schema as an ordered list of migrations; applied ones are recorded in schema_migrations.

Append new migrations; never edit one that has shipped.
"""

MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE artifacts (
            id INTEGER PRIMARY KEY, kind TEXT NOT NULL, path TEXT NOT NULL,
            sha256 TEXT NOT NULL, size INTEGER NOT NULL, created_at REAL NOT NULL)""",
        """CREATE TABLE projects (
            id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at REAL NOT NULL,
            problem_json TEXT, source TEXT)""",
        """CREATE TABLE datasets (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),
            version INTEGER NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
            artifact_id INTEGER NOT NULL REFERENCES artifacts(id),
            parent_id INTEGER REFERENCES datasets(id), recipe_id INTEGER,
            read_info_json TEXT, rows INTEGER NOT NULL, cols INTEGER NOT NULL, created_at REAL NOT NULL)""",
        """CREATE TABLE recipes (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),
            version INTEGER NOT NULL, recipe_json TEXT NOT NULL, reports_json TEXT,
            source_dataset_id INTEGER REFERENCES datasets(id), created_at REAL NOT NULL)""",
        """CREATE TABLE feature_sets (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),
            version INTEGER NOT NULL, dataset_id INTEGER NOT NULL REFERENCES datasets(id),
            config_json TEXT NOT NULL, description_json TEXT, created_at REAL NOT NULL)""",
        """CREATE TABLE experiments (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),
            dataset_id INTEGER NOT NULL, feature_set_id INTEGER NOT NULL,
            problem_json TEXT NOT NULL, config_json TEXT NOT NULL, validation TEXT NOT NULL,
            best_run_id INTEGER, gate_json TEXT, holdout_artifact_id INTEGER, created_at REAL NOT NULL)""",
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY, experiment_id INTEGER NOT NULL REFERENCES experiments(id),
            project_id INTEGER NOT NULL, model_key TEXT NOT NULL, model_name TEXT NOT NULL,
            params_json TEXT, cv_scores_json TEXT, cv_score REAL, test_metrics_json TEXT,
            fit_seconds REAL, predict_ms_per_row REAL, error TEXT,
            model_artifact_id INTEGER, predictions_artifact_id INTEGER, created_at REAL NOT NULL)""",
        """CREATE TABLE model_versions (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),
            model_name TEXT NOT NULL, version INTEGER NOT NULL, run_id INTEGER NOT NULL REFERENCES runs(id),
            artifact_id INTEGER NOT NULL, sha256 TEXT NOT NULL, metrics_json TEXT, lineage_json TEXT,
            note TEXT, created_at REAL NOT NULL, UNIQUE(project_id, model_name, version))""",
        """CREATE TABLE aliases (
            project_id INTEGER NOT NULL, model_name TEXT NOT NULL, alias TEXT NOT NULL,
            version_id INTEGER NOT NULL REFERENCES model_versions(id), updated_at REAL NOT NULL,
            PRIMARY KEY (project_id, model_name, alias))""",
        """CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY, ts REAL NOT NULL, project_id INTEGER, action TEXT NOT NULL,
            detail_json TEXT)""",
        """CREATE TABLE deployments (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),
            routing_json TEXT NOT NULL, champion_version_id INTEGER NOT NULL,
            challenger_version_id INTEGER, active INTEGER NOT NULL DEFAULT 1, created_at REAL NOT NULL)""",
        """CREATE TABLE predictions (
            id INTEGER PRIMARY KEY, deployment_id INTEGER NOT NULL REFERENCES deployments(id),
            ts REAL NOT NULL, request_key TEXT, arm TEXT NOT NULL, version_id INTEGER NOT NULL,
            prediction TEXT, score REAL, shadow_version_id INTEGER, shadow_prediction TEXT,
            latency_ms REAL, input_json TEXT)""",
        "CREATE INDEX predictions_by_deployment ON predictions(deployment_id, id)",
        """CREATE TABLE monitoring_reports (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),
            deployment_id INTEGER REFERENCES deployments(id), traffic_json TEXT NOT NULL,
            report_artifact_id INTEGER NOT NULL, traffic_artifact_id INTEGER,
            retrain_recommended INTEGER NOT NULL, summary TEXT, created_at REAL NOT NULL)""",
        """CREATE TABLE explanations (
            id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id),
            artifact_id INTEGER NOT NULL, created_at REAL NOT NULL)""",
        """CREATE TABLE jobs (
            id INTEGER PRIMARY KEY, project_id INTEGER, kind TEXT NOT NULL, status TEXT NOT NULL,
            progress REAL NOT NULL DEFAULT 0, message TEXT, result_json TEXT, error TEXT,
            created_at REAL NOT NULL, updated_at REAL NOT NULL)""",
    ],
    # 2: say why an experiment was run ("retraining after monitoring report 3").
    ["ALTER TABLE experiments ADD COLUMN note TEXT"],
    # 3: the raw upload's own bytes and each recipe are hashed artifacts; validation rules are
    # learned from each cleaned dataset version and saved with it; monitoring keeps rule violations.
    [
        "ALTER TABLE datasets ADD COLUMN upload_artifact_id INTEGER REFERENCES artifacts(id)",
        "ALTER TABLE datasets ADD COLUMN rules_json TEXT",
        "ALTER TABLE recipes ADD COLUMN artifact_id INTEGER REFERENCES artifacts(id)",
        "ALTER TABLE monitoring_reports ADD COLUMN violations_artifact_id INTEGER REFERENCES artifacts(id)",
        # The recipe being edited on the Data page, so a refresh or a page switch loses no step.
        """CREATE TABLE recipe_drafts (
            project_id INTEGER NOT NULL REFERENCES projects(id), raw_dataset_id INTEGER NOT NULL,
            recipe_json TEXT NOT NULL, updated_at REAL NOT NULL, PRIMARY KEY (project_id, raw_dataset_id))""",
    ],
    # 4: the training lab. Experiments keep their validation warnings, what kind of session made them
    # (leaderboard | tuning | rerun) and the library versions; a job can be asked to stop; a tuning
    # study and its trials are saved as they run (the best-so-far chart reads them live).
    [
        "ALTER TABLE experiments ADD COLUMN warnings_json TEXT",
        "ALTER TABLE experiments ADD COLUMN kind TEXT NOT NULL DEFAULT 'leaderboard'",
        "ALTER TABLE experiments ADD COLUMN environment_json TEXT",
        "ALTER TABLE runs ADD COLUMN rerun_of INTEGER REFERENCES runs(id)",
        "ALTER TABLE jobs ADD COLUMN stop_requested INTEGER NOT NULL DEFAULT 0",
        """CREATE TABLE studies (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),
            feature_set_id INTEGER NOT NULL, job_id INTEGER REFERENCES jobs(id), config_json TEXT NOT NULL,
            train_config_json TEXT NOT NULL, metric TEXT NOT NULL, status TEXT NOT NULL,
            default_cv_score REAL, experiment_id INTEGER REFERENCES experiments(id), summary TEXT,
            created_at REAL NOT NULL)""",
        """CREATE TABLE trials (
            id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL REFERENCES studies(id), number INTEGER NOT NULL,
            params_json TEXT NOT NULL, cv_scores_json TEXT NOT NULL, cv_score REAL, seconds REAL NOT NULL,
            error TEXT, created_at REAL NOT NULL, UNIQUE (study_id, number))""",
    ],
    # 5: what was done about a monitoring report: the retraining it led to and its outcome (the
    # challenger it registered, or why nothing was), so Monitor tells the whole story afterwards.
    [
        """CREATE TABLE retrainings (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),
            report_id INTEGER NOT NULL REFERENCES monitoring_reports(id),
            experiment_id INTEGER REFERENCES experiments(id), outcome_json TEXT NOT NULL,
            created_at REAL NOT NULL)""",
    ],
    # 6: a run is registered at most once. Workspaces made before this check moved inside the write
    # transaction may hold duplicates (two sessions registering the same run): those stay, marked as
    # duplicates of the run's first version, so the migration never fails and no alias, deployment or
    # prediction loses the version it points at; the index refuses any new duplicate.
    [
        "ALTER TABLE model_versions ADD COLUMN duplicate_of INTEGER REFERENCES model_versions(id)",
        """UPDATE model_versions SET duplicate_of = (
               SELECT MIN(first.id) FROM model_versions first WHERE first.run_id = model_versions.run_id)
           WHERE id > (SELECT MIN(first.id) FROM model_versions first WHERE first.run_id = model_versions.run_id)""",
        """CREATE UNIQUE INDEX model_versions_one_per_run ON model_versions(run_id)
           WHERE duplicate_of IS NULL""",
        # The version a monitoring report watched (and a retraining challenges); older reports: the
        # version their deployment served.
        "ALTER TABLE monitoring_reports ADD COLUMN version_id INTEGER REFERENCES model_versions(id)",
    ],
    # 7: long work records its owner process (core/owner.py), so work a killed process left "running"
    # is marked interrupted while work another live process does (a CLI run beside the server) is not;
    # a project made by a pipeline run (CLI run, the demo) records how far the run got, so a run
    # stopped midway leaves a project marked incomplete rather than one that looks finished.
    [
        "ALTER TABLE jobs ADD COLUMN owner TEXT",
        "ALTER TABLE studies ADD COLUMN owner TEXT",
        "ALTER TABLE projects ADD COLUMN owner TEXT",
        # build_state: NULL (made by hand in the app) | building | complete | failed | stopped;
        # build_stage: the last stage the run finished (when it failed: the stage that failed).
        "ALTER TABLE projects ADD COLUMN build_state TEXT",
        "ALTER TABLE projects ADD COLUMN build_stage TEXT",
        "ALTER TABLE projects ADD COLUMN build_error TEXT",
    ],
    # 8: the lab's checks beyond the leaderboard, saved by run id so a refresh or another session shows
    # them again without recomputing (like explanations): the comparison of an experiment's two best
    # models (run_id: the best, other_run_id: the runner-up) and a run's robustness check; each result
    # is a JSON artifact.
    [
        """CREATE TABLE evaluation_checks (
            id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id), kind TEXT NOT NULL,
            other_run_id INTEGER REFERENCES runs(id), artifact_id INTEGER NOT NULL REFERENCES artifacts(id),
            created_at REAL NOT NULL)""",
        "CREATE INDEX evaluation_checks_by_run ON evaluation_checks(run_id, kind)",
    ],
    # 9: the release lab. Every answer is logged with a request id a client can quote later to send
    # the true label (feedback: label, labelled_at), where it came from (source: ui | http | simulator
    # | cli), what the deployment's validation policy did with the row (status: scored | flagged |
    # rejected | review | error, with its problems) and the shadow's score beside its prediction. A
    # deployment keeps its validation policy (reject | flag | review) and its rollout plan and state
    # (rollout_json: a canary's ramp, an A/B test's design); each decision a rollout takes is an event
    # with its evidence. A running HTTP endpoint process is recorded with its owner, so a page can show
    # it and a dead one is never reported as running.
    [
        "ALTER TABLE predictions ADD COLUMN request_id TEXT",
        "ALTER TABLE predictions ADD COLUMN source TEXT",
        "ALTER TABLE predictions ADD COLUMN status TEXT NOT NULL DEFAULT 'scored'",
        "ALTER TABLE predictions ADD COLUMN problems_json TEXT",
        "ALTER TABLE predictions ADD COLUMN shadow_score REAL",
        "ALTER TABLE predictions ADD COLUMN label TEXT",
        "ALTER TABLE predictions ADD COLUMN labelled_at REAL",
        "CREATE INDEX predictions_by_request_id ON predictions(request_id)",
        "ALTER TABLE deployments ADD COLUMN validation_policy TEXT NOT NULL DEFAULT 'flag'",
        "ALTER TABLE deployments ADD COLUMN rollout_json TEXT",
        """CREATE TABLE rollout_events (
            id INTEGER PRIMARY KEY, deployment_id INTEGER NOT NULL REFERENCES deployments(id),
            ts REAL NOT NULL, kind TEXT NOT NULL, share REAL, decision TEXT NOT NULL, evidence_json TEXT)""",
        "CREATE INDEX rollout_events_by_deployment ON rollout_events(deployment_id, id)",
        """CREATE TABLE endpoints (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),
            host TEXT NOT NULL, port INTEGER NOT NULL, pid INTEGER, owner TEXT, status TEXT NOT NULL,
            error TEXT, started_at REAL NOT NULL, stopped_at REAL)""",
    ],
    # 10: a request the endpoint refuses with 422 (a body that is not JSON, a missing column, text in a
    # number…) never reaches the model, so it has no row in predictions; it leaves a trace here instead:
    # when, from where, which route, the request ids it carried (capped), the 422's detail (capped), how
    # many rows it held and how large its body was. Deploy lists them and Monitor counts them beside the
    # answers.
    [
        """CREATE TABLE refused_requests (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id), ts REAL NOT NULL,
            source TEXT NOT NULL, route TEXT NOT NULL, request_ids_json TEXT, detail_json TEXT NOT NULL,
            rows INTEGER, body_bytes INTEGER)""",
        "CREATE INDEX refused_requests_by_project ON refused_requests(project_id, ts)",
    ],
    # 11: a batch's inputs are stored once. A request of many rows keeps its inputs (text cut as the
    # log cuts it) as one compressed columnar frame (format 'arrow-ipc-lz4': Arrow IPC, LZ4) here; its
    # answers are consecutive rows of predictions (first_prediction_id..last_prediction_id), written
    # in the same transaction with input_json NULL: prediction id p reads row p - first_prediction_id.
    # prediction_log.fill_input_json gives every reader the same input_json text a row would have held.
    [
        """CREATE TABLE prediction_inputs (
            id INTEGER PRIMARY KEY, deployment_id INTEGER NOT NULL REFERENCES deployments(id), ts REAL NOT NULL,
            rows INTEGER NOT NULL, format TEXT NOT NULL, data BLOB NOT NULL,
            first_prediction_id INTEGER NOT NULL, last_prediction_id INTEGER NOT NULL)""",
        "CREATE INDEX prediction_inputs_by_last_prediction ON prediction_inputs(last_prediction_id)",
    ],
    # 12: alert rules as data and the alert outbox. A project's edited alert rules, in order (none: the
    # defaults for its problem); each alert a report fired, once per report, rule and window, with its delivery to the project's webhook
    # (status pending | sent | failed, attempts, the last error); the webhook's URL on the project.
    [
        """CREATE TABLE alert_rules (
            project_id INTEGER NOT NULL REFERENCES projects(id), rule_id TEXT NOT NULL,
            position INTEGER NOT NULL, rule_json TEXT NOT NULL, updated_at REAL NOT NULL,
            PRIMARY KEY (project_id, rule_id))""",
        """CREATE TABLE alert_outbox (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),
            report_id INTEGER NOT NULL REFERENCES monitoring_reports(id), rule_id TEXT NOT NULL,
            alert_window INTEGER NOT NULL, severity TEXT NOT NULL, sentence TEXT NOT NULL,
            evidence_json TEXT NOT NULL, chart TEXT, status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, created_at REAL NOT NULL,
            updated_at REAL NOT NULL, UNIQUE (report_id, rule_id, alert_window))""",
        "CREATE INDEX alert_outbox_by_project ON alert_outbox(project_id, id)",
        "ALTER TABLE projects ADD COLUMN alert_webhook TEXT",
    ],
    # 13: the retraining loop that runs itself. A project's retraining policy
    # (trigger on alert | schedule | manual, release as shadow | canary, the traffic scenario, max rounds)
    # as JSON; each autopilot run (its job, the policy it ran with, running | done | stopped | failed |
    # interrupted, the final verdict) and each step of it as a timeline event (round, step, status, one
    # sentence, links to the report, experiment, version and rollout deployment it made).
    [
        """CREATE TABLE autopilot_policies (
            project_id INTEGER PRIMARY KEY REFERENCES projects(id), policy_json TEXT NOT NULL,
            updated_at REAL NOT NULL)""",
        """CREATE TABLE autopilot_runs (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id), job_id INTEGER,
            policy_json TEXT NOT NULL, status TEXT NOT NULL, verdict TEXT, sentence TEXT,
            start_deployment_id INTEGER, started_at REAL NOT NULL, ended_at REAL)""",
        "CREATE INDEX autopilot_runs_by_project ON autopilot_runs(project_id, id)",
        """CREATE TABLE autopilot_events (
            id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES autopilot_runs(id),
            project_id INTEGER NOT NULL, ts REAL NOT NULL, round INTEGER NOT NULL, step TEXT NOT NULL,
            status TEXT NOT NULL, sentence TEXT NOT NULL, links_json TEXT)""",
        "CREATE INDEX autopilot_events_by_run ON autopilot_events(run_id, id)",
    ],
    # 14: who did it, sign-off and lifecycle. Every audit entry names its actor (a person and their role,
    # or an automatic actor and on whose behalf; entries older than this migration have none); a
    # promotion to production is requested (by whom, why), approved or rejected (by whom, the comment) and
    # carried out (by whom) as a row of promotion_requests (status pending | approved | rejected |
    # carried_out | withdrawn); a version retired from use is archived (archived_at; the audit log says
    # by whom); a project's registry policy (whether people need a reviewer's approval to promote, and
    # whether a rollout's verdict promotes by itself) is JSON on the project (none: the defaults).
    [
        "ALTER TABLE audit_log ADD COLUMN actor TEXT",
        "ALTER TABLE audit_log ADD COLUMN actor_role TEXT",
        "ALTER TABLE audit_log ADD COLUMN on_behalf_of TEXT",
        """CREATE TABLE promotion_requests (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),
            version_id INTEGER NOT NULL REFERENCES model_versions(id), model_name TEXT NOT NULL,
            status TEXT NOT NULL, reason TEXT NOT NULL, requested_by TEXT NOT NULL, requested_role TEXT,
            requested_at REAL NOT NULL, reviewed_by TEXT, reviewed_role TEXT, review_comment TEXT,
            reviewed_at REAL, carried_out_by TEXT, carried_out_at REAL)""",
        "CREATE INDEX promotion_requests_by_project ON promotion_requests(project_id, id)",
        "ALTER TABLE model_versions ADD COLUMN archived_at REAL",
        "ALTER TABLE projects ADD COLUMN registry_policy_json TEXT",
    ],
    # 15: the feature store. Feature definitions live in the workspace, not in a project: one row per
    # name and version (a change is a new version; a version never changes), the definition itself as
    # JSON (core.featurestore.definitions), its entity and timestamp columns, owner and description. The
    # source table is a dataset version: source_dataset_id names it (lineage; no foreign key, so deleting
    # the project that uploaded it keeps a definition other projects use) and source_artifact_id holds
    # its data, which keeps that file in the workspace as long as a definition points at it. Which
    # project uses which definition (removed with the project). Feature values materialised for the
    # offline store: one hash-verified Parquet artifact per definition version and time range.
    [
        """CREATE TABLE feature_definitions (
            id INTEGER PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL, entity TEXT NOT NULL,
            timestamp_column TEXT NOT NULL, definition_json TEXT NOT NULL, owner TEXT NOT NULL,
            description TEXT NOT NULL, source_dataset_id INTEGER,
            source_artifact_id INTEGER REFERENCES artifacts(id), created_at REAL NOT NULL,
            UNIQUE (name, version))""",
        """CREATE TABLE feature_usage (
            project_id INTEGER NOT NULL REFERENCES projects(id),
            definition_id INTEGER NOT NULL REFERENCES feature_definitions(id), added_at REAL NOT NULL,
            PRIMARY KEY (project_id, definition_id))""",
        "CREATE INDEX feature_usage_by_definition ON feature_usage(definition_id)",
        """CREATE TABLE feature_materialisations (
            id INTEGER PRIMARY KEY, definition_id INTEGER NOT NULL REFERENCES feature_definitions(id),
            start_ts REAL, end_ts REAL, rows INTEGER NOT NULL, artifact_id INTEGER NOT NULL REFERENCES artifacts(id),
            created_at REAL NOT NULL)""",
        "CREATE INDEX feature_materialisations_by_definition ON feature_materialisations(definition_id, id)",
    ],
    # 17: model integrity and access (issue 16). artifacts.signature: the HMAC of a model saved with
    # joblib (one skops' secure format cannot hold), keyed by a file outside this database
    # (core.security.model_format); the models of an upgraded workspace are signed when it runs. api_keys:
    # a project's keys to its HTTP endpoint, stored as the SHA-256 of the key (never the key: it is 32
    # random bytes, so a fast hash is enough), its first characters to tell keys apart, an optional rate
    # limit ("600/minute"; none: the default), who made it and when, when and by whom it was revoked.
    # api_key_requests: one row per request a key made (time, route, rows, HTTP status, and the request ids
    # of its rows, which join the prediction log for their inputs: core.security.keys.key_usage).
    # workspace_settings: the optional workspace password's hash (core.security.password).
    [
        "ALTER TABLE artifacts ADD COLUMN signature TEXT",
        """CREATE TABLE api_keys (
            id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id), name TEXT NOT NULL,
            prefix TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE, rate_limit TEXT, created_at REAL NOT NULL,
            created_by TEXT, created_role TEXT, revoked_at REAL, revoked_by TEXT)""",
        "CREATE INDEX api_keys_by_project ON api_keys(project_id, id)",
        """CREATE TABLE api_key_requests (
            id INTEGER PRIMARY KEY, key_id INTEGER NOT NULL REFERENCES api_keys(id),
            project_id INTEGER NOT NULL, ts REAL NOT NULL, route TEXT NOT NULL, rows INTEGER NOT NULL,
            status INTEGER NOT NULL, request_ids_json TEXT)""",
        "CREATE INDEX api_key_requests_by_project ON api_key_requests(project_id, ts)",
        "CREATE INDEX api_key_requests_by_key ON api_key_requests(key_id, ts)",
        "CREATE TABLE workspace_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at REAL NOT NULL)",
    ],
]
