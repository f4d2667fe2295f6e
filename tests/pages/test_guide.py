"""Home draws the lesson's diagram (in Portuguese too), and the guided demo advances: its first step
runs as a job from Home, Next runs the following one and opens its page, the step stays in the URL."""

from core.workspace import jobs, projects


def no_errors(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def panel_text(at) -> str:
    return " ".join(m.value for m in at.markdown)


def settle(at, ws, pid):
    """Let the guide's job finish, then rerun as the page's poll would."""
    job = jobs.latest_job(ws, pid, "guide")
    if job is not None:
        assert jobs.wait_for_job(ws, job["id"], timeout=300)["status"] == "succeeded"
    at.run()


def test_home_draws_the_diagram_in_portuguese(fresh):
    make, _ws = fresh
    at = make()
    at.query_params["lang"] = "pt"
    at.run()
    no_errors(at)
    diagram = at.get("html")[0].proto.body
    assert diagram.count('class="node"') == 13 and diagram.count('class="concern"') == 4
    assert "Registro de modelos" in diagram and "Retreinamento necessário?" in diagram
    assert at.button(key="run_guided_demo").label == "Rodar a demo passo a passo"
    assert at.button(key="run_demo").label == "Rodar a demo completa"
    assert "Começar um projeto" in [h.value for h in at.subheader]


def test_the_guide_advances_step_by_step(fresh):
    make, ws = fresh
    at = make()
    at.run()
    at.button(key="run_guided_demo").click().run()
    no_errors(at)
    [project] = projects.list_projects(ws)
    pid = project["id"]
    assert at.query_params["guide"] in ("1", ["1"])
    settle(at, ws, pid)
    no_errors(at)
    text = panel_text(at)
    assert "Guided demo · step 1 of 10" in text and "**What happens.**" in text
    assert [s.value for s in at.success][-1].startswith("This step is done")
    at.button(key="guide_next").click().run()  # runs "prepare the data" as a job
    settle(at, ws, pid)
    settle(at, ws, pid)  # the finished job opens its step's page
    no_errors(at)
    assert at.query_params["guide"] in ("2", ["2"])
    assert "Guided demo · step 2 of 10" in panel_text(at)
    assert projects.get_stage_status(ws, pid)["data"]
    at.button(key="guide_back").click().run()
    assert at.query_params["guide"] in ("1", ["1"])
    # A step ahead of the work done offers to run the steps up to it; closing the guide removes the panel.
    at.query_params["guide"] = "5"
    at.run()
    assert at.button(key="guide_run").label == "Run the steps up to here"
    at.button(key="guide_close").click().run()
    assert "Guided demo" not in panel_text(at)


def test_the_guide_in_portuguese_and_after_the_project_is_deleted(fresh):
    make, ws = fresh
    pid = projects.create_unique_project(ws, "guided", source="telco_churn.csv")["id"]
    at = make()
    at.query_params["lang"] = "pt"
    at.query_params["project"] = str(pid)
    at.query_params["guide"] = "3"
    at.run()
    no_errors(at)
    text = panel_text(at)
    assert "Demo guiada · passo 3 de 10" in text and "**Por que importa.**" in text
    assert at.button(key="guide_run").label == "Rodar os passos até aqui"
    assert at.button(key="guide_next").label == "Próximo"
    projects.delete_project(ws, pid)
    at.run()
    no_errors(at)
    assert "Demo guiada" not in panel_text(at)


def test_hostile_guide_parameter_gives_a_normal_page(fresh):
    make, ws = fresh
    pid = projects.create_unique_project(ws, "guided", source="telco_churn.csv")["id"]
    for value in ("0", "99", "²", "1e3", "<b>"):
        at = make()
        at.query_params["project"] = str(pid)
        at.query_params["guide"] = value
        at.run()
        no_errors(at)
        assert "Guided demo" not in panel_text(at)
