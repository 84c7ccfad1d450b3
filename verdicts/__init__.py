"""How a verdict reads, on the page and in the learner's command line: the per-test table
(``table``), pytest's output filtered for learners (``learner_output``) and the one-word class of a
failure (``failure_class``). Pure functions over stored results; no database, no sandbox.
"""
