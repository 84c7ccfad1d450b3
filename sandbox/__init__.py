"""Isolation and running tests: learner code in, a ``CheckResult`` out. No database, no queues.

From the inside out: ``isolation`` (bubblewrap and rlimits), ``workspace`` (the files one run
sees), ``report`` and ``metrics`` (what pytest reported), ``outcome`` (how a run ended, in the
learner's words), the two engines ``cold`` (two fresh sandboxes per run) and ``warm`` (a zygote
per slot), ``engines`` (which one this machine gets), ``gpu``, and ``validate``, which proves
every exercise through them (``python -m sandbox validate``). What runs *inside* the sandbox is
``harness/``, a folder of its own. Nothing here imports torch.
"""
