"""What the judge/learner split costs the GPT training lab: training steps in a fixed budget.

    .venv/bin/python bench/bridge_overhead.py [--budget 20]

Trains the lab's reference (``exercises/gpt-tiny-shakespeare/solution.py``) with the CPU
profile's model on tiny Shakespeare twice for ``--budget`` seconds each, on one thread:

- in this process, as the tests ran it before the split;
- through ``harness/bridge.py``: the learner's code in a forked process, the model
  built and ``train`` called from here through proxies, with the lab test's own live-loss
  forward hook (``LiveLoss``) on the learner's model, drawing into a folder of this process.

``train`` stops at its budget, so the cost shows as fewer steps. Prints one line:
``GPT lab steps in {budget} s: in process N, through the bridge M (overhead P %)``. Target
(judge issue): under 5 %. The sandbox's own cost is the same before and after and not measured.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "harness"))

import bridge  # noqa: E402
from courseware.corpus import corpus_file  # noqa: E402
from config import get_settings  # noqa: E402

SOLUTION = ROOT / "exercises" / "gpt-tiny-shakespeare" / "solution.py"
MODEL = dict(block_size=32, n_layer=2, n_head=4, n_embd=64, dropout=0.0, bias=True)  # the CPU profile
BATCH, LR = 64, 3e-3


def data():
    corpus = corpus_file(get_settings().data_dir)
    if corpus is None:
        sys.exit("tiny Shakespeare is not installed: run `make corpus` first")
    text = corpus.read_text(encoding="utf-8")
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    n = int(0.9 * len(ids))
    return len(chars), ids[:n], ids[n:]


def steps_of(module, vocab, train_data, val_data, budget: float, hook=None) -> int:
    torch.manual_seed(0)
    model = module.GPT(module.GPTConfig(vocab_size=vocab, **MODEL))
    handle = model.register_forward_hook(hook) if hook is not None else None
    try:
        result = module.train(model, train_data, val_data, budget_s=budget, device="cpu",
                              batch_size=BATCH, lr=LR)
    finally:
        if handle is not None:
            handle.remove()
    return int(result["steps"])


def in_process(vocab, train_data, val_data, budget: float) -> int:
    spec = importlib.util.spec_from_file_location("gpt_solution", SOLUTION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return steps_of(module, vocab, train_data, val_data, budget)


def through_bridge(vocab, train_data, val_data, budget: float) -> int:
    folder = Path(tempfile.mkdtemp(prefix="bridge-bench-"))
    (folder / "submission.py").write_text(SOLUTION.read_text(encoding="utf-8"), encoding="utf-8")
    judge_end, learner_end = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # the learner's process
        judge_end.close()
        sys.path.insert(0, str(folder))
        try:
            bridge.serve(learner_end.detach())
        finally:
            os._exit(0)
    learner_end.close()
    bridge._JUDGE = bridge.Peer(judge_end, "J")
    os.environ["COURSE_ARTIFACT_DIR"] = str(folder / "artifacts")
    sys.path.insert(0, str(SOLUTION.parent / "tests"))
    from test_public import LiveLoss  # the lab's hook, as the test registers it
    from course_harness import artifacts

    live_loss = LiveLoss(artifacts(), "training loss so far")
    try:
        return steps_of(bridge.learner_module(), vocab, train_data, val_data, budget, hook=live_loss)
    finally:
        judge_end.close()
        os.waitpid(pid, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=20.0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    vocab, train_data, val_data = data()
    direct = in_process(vocab, train_data, val_data, args.budget)
    bridged = through_bridge(vocab, train_data, val_data, args.budget)
    overhead = 100.0 * (1 - bridged / direct)
    print(f"GPT lab steps in {args.budget:g} s: in process {direct}, through the bridge {bridged} "
          f"(overhead {overhead:.1f} %)")


if __name__ == "__main__":
    main()
