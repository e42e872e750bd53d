"""Deployment: SavedModel (TF Serving / TF Hub) and TFLite, and running them.

``saved_model`` (the export), ``lite`` (a checked TFLite runner), ``convert``
(one audio file through a SavedModel). Imports no evaluation code.
"""
