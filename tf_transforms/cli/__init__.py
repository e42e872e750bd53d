"""The command-line layer: absl flag definitions shared by the top-level scripts.

Nothing in the library imports this package.
"""
