"""The real HTTP endpoint of a project (FastAPI + uvicorn): the app (``app``), its input schema
(``schema``), reading bodies (``body``), running it in the foreground (``server``) and in a process
of its own tied to its owner (``process``)."""

from core.deployment.endpoint.app import create_app

__all__ = ["create_app"]
