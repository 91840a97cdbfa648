"""The pure core: values in, values out.

Nothing here does I/O, reads the clock or the environment, logs, or is ``async``. The edges
(``grimoire.web``, ``grimoire.storage``, ``grimoire.github``, ``grimoire.worker``) call into it; it
never calls out. An import-linter ``forbidden`` contract in pyproject.toml keeps it that way.
"""
