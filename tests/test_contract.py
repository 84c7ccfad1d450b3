"""The host and the zygote speak only the messages harness/contract.py declares, and the
limits, names and harness file lists each side uses are the contract's."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from config import PROJECT_ROOT
from harness import contract

SIDES = {"host": PROJECT_ROOT / "sandbox" / "warm.py", "zygote": PROJECT_ROOT / "harness" / "zygote.py"}
# The variables through which each side handles each message.
VARIABLES = {
    "job": {"Job"}, "limits": {"JobLimits"}, "ready": {"Ready"},
    "answer": {"Answer", "Failure", "Live"}, "failure": {"Failure"}, "live": {"Live"},
}


def message_key_problems(source: str) -> list[str]:
    """Keys used on a message variable that its message lacks, and annotated message literals
    whose keys differ from their message's."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        used: tuple[str, str] | None = None
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            used = node.value.id, node.slice.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "pop") \
                and isinstance(node.func.value, ast.Name) and node.args and isinstance(node.args[0], ast.Constant):
            used = node.func.value.id, node.args[0].value
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str) \
                and len(node.comparators) == 1 and isinstance(node.comparators[0], ast.Name):
            used = node.comparators[0].id, node.left.value  # "live" in answer
        if used is not None and used[0] in VARIABLES:
            name, key = used
            if not any(key in contract.MESSAGE_KEYS[m] for m in VARIABLES[name]):
                problems.append(f"line {node.lineno}: {name}[{key!r}] is in none of {sorted(VARIABLES[name])}")
        if isinstance(node, ast.AnnAssign) and isinstance(node.value, ast.Dict) \
                and isinstance(node.annotation, ast.Name) and node.annotation.id in contract.MESSAGE_KEYS:
            keys = {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
            expected = contract.MESSAGE_KEYS[node.annotation.id]
            if keys != expected:
                problems.append(f"line {node.lineno}: {node.annotation.id} literal has {sorted(keys ^ expected)} "
                                "unlike the contract")
            for key, value in zip(node.value.keys, node.value.values):
                if isinstance(key, ast.Constant) and key.value == "limits" and isinstance(value, ast.Dict):
                    inner = {k.value for k in value.keys if isinstance(k, ast.Constant)}
                    if inner != contract.MESSAGE_KEYS["JobLimits"]:
                        problems.append(f"line {value.lineno}: limits {sorted(inner ^ contract.MESSAGE_KEYS['JobLimits'])}")
    return problems


@pytest.mark.parametrize("side", sorted(SIDES))
def test_each_side_uses_only_keys_the_contract_declares(side):
    assert message_key_problems(SIDES[side].read_text(encoding="utf-8")) == []


def test_every_message_the_sides_exchange_is_built_as_declared():
    """Each side builds its messages as annotated literals, so the check above sees every key."""
    host, zygote = (SIDES[s].read_text(encoding="utf-8") for s in ("host", "zygote"))
    assert "job: Job = {" in host
    for message in ("Ready", "Live", "Answer", "Failure"):
        assert f": {message} = {{" in zygote, message


@pytest.mark.parametrize("bad, complaint", [
    ('job = {}\nx = job["tmeout"]\n', "job['tmeout']"),
    ('answer = {}\nanswer.get("memory_limit_hit")\n', "answer['memory_limit_hit']"),
    ('ready: Ready = {"ready": True}\n', "Ready literal"),
    ('job: Job = {"id": "x"}\n', "Job literal"),
])
def test_the_check_catches_a_key_the_contract_lacks(bad, complaint):
    assert any(complaint in p for p in message_key_problems(bad))


def test_every_declared_key_is_read_by_the_side_that_receives_it():
    """No field written and never read: the host reads each answer key, the zygote each job key."""
    host, zygote = (SIDES[s].read_text(encoding="utf-8") for s in ("host", "zygote"))
    for key in contract.MESSAGE_KEYS["Answer"] | contract.MESSAGE_KEYS["Failure"] | contract.MESSAGE_KEYS["Live"]:
        assert f'"{key}"' in host, key
    for key in contract.MESSAGE_KEYS["Job"] | contract.MESSAGE_KEYS["JobLimits"]:
        assert f'job["{key}"]' in zygote or f'job.get("{key}")' in zygote or f'job.pop("{key}"' in zygote \
            or f'limits["{key}"]' in zygote or f'["limits"]["{key}"]' in zygote, key


def test_the_content_loader_reserves_every_harness_name():
    from courseware import loader

    assert loader.RESERVED_NAMES is contract.RESERVED_NAMES
    on_disk = {p.name for p in (PROJECT_ROOT / "harness").glob("*.py")} - {"__init__.py"}
    assert on_disk == set(contract.JUDGE_HARNESS) | set(contract.RUNTIME_ONLY), \
        "a harness file is missing from contract.JUDGE_HARNESS or RUNTIME_ONLY"
    assert "metric_gate.py" in contract.RESERVED_NAMES and "contract.py" in contract.RESERVED_NAMES


def test_numbers_both_sides_share_come_from_the_contract():
    """The literals that once lived on both sides (16 MB, exit codes, environment names) now
    appear only in the contract."""
    literals = ["16 * 1024 * 1024", "= 71", "= 72", '"COURSE_BRIDGE_FD"', '"COURSE_INPUT_DIR"',
                '"COURSE_ARTIFACT_DIR"', '"COURSE_SHARED_DIR"', '"COURSE_CORPUS"', '"COURSE_SUBMISSION_SOURCE"']
    files = [*(PROJECT_ROOT / "sandbox").glob("*.py"), *(PROJECT_ROOT / "harness").glob("*.py"),
             *(PROJECT_ROOT / "learner_cli").glob("*.py")]
    offenders = [f"{path.relative_to(PROJECT_ROOT)}: {lit}" for path in files if path.name != "contract.py"
                 for lit in literals if lit in path.read_text(encoding="utf-8")]
    assert offenders == []
