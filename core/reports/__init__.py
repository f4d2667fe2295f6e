"""Reports people take away from the studio, built from what the workspace already knows (the stores),
never by training or explaining again: the model card of a registered version (``card.py``)."""
