"""The guided demo and the lesson's diagram: what the Home page and the narration panel draw.

``steps``: the demo pipeline cut at its stages, each with its narration and the page that shows it.
``diagram``: the lesson's pipeline as nodes and edges, with each node's status in a project, and its SVG.
"""
