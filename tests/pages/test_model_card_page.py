"""Registry shows the model card of the selected version, with its two downloads."""

from tests.pages.test_pages import no_errors, open_page


def _download_labels(at) -> list[str]:
    """The model card's downloads (Registry also offers the project's spec, issue 14)."""
    return [element.proto.label for element in at.get("download_button") if "model card" in element.proto.label]


def test_registry_shows_the_champions_card_and_both_downloads(app):
    at = open_page(app(), "pages/6_Registry.py")
    no_errors(at)
    assert at.selectbox(key="registry_card_version").value == 1  # the champion's version id comes first
    assert "Download model card (HTML)" in _download_labels(at)
    assert "Download model card (PDF)" in _download_labels(at)
    assert any(s.value.startswith("GO: ROC-AUC") for s in at.success), [s.value for s in at.success]
    text = " ".join(m.value for m in at.markdown)
    assert "churn-demo v1 predicts 'churn'" in text and "It is the champion" in text
    assert "from 2018-" in text and "('signup_date')" in text  # the period of the time column (Data section)
    gate = next(d.value for d in at.dataframe if "what it found" in d.value.columns)
    assert "Good enough for the business" in set(gate["check"]) and set(gate["result"]) == {"passed"}


def test_registry_card_follows_the_version_picked(app):
    at = open_page(app(), "pages/6_Registry.py")
    at.selectbox(key="registry_card_version").set_value(2).run()
    no_errors(at)
    text = " ".join(m.value for m in at.markdown)
    assert "churn-demo v2 predicts" in text and "It is the challenger" in text
    assert len(_download_labels(at)) == 2
