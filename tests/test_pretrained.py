"""The course's own pre-trained artefacts: the registry's build, manifest and checks, and the real ones."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from config import PROJECT_ROOT
from courseware import pretrained
from pretrained_fixtures import small_corpus, stand_in_artefacts  # noqa: F401 (fixtures)

PROJECT_DATA = PROJECT_ROOT / "data"
SHARED_CORPUS = PROJECT_ROOT.parent / "shared" / "data" / "tinyshakespeare.txt"


def test_a_build_records_every_file_with_its_checksum_and_the_recipes_facts(stand_in_artefacts, small_corpus, tmp_path):
    data = tmp_path / "data"
    folders = pretrained.build(data, small_corpus, ["counts"], log=lambda line: None)
    folder = folders["counts"]
    assert folder == data / "models" / "counts" and (folder / "counts.txt").read_text() == "2\n"
    manifest = json.loads((folder / pretrained.MANIFEST).read_text())
    assert manifest["facts"] == {"lines": 2} and manifest["version"] == 1
    assert set(manifest["files"]) == {"counts.txt", "nested/weights.bin"}
    assert manifest["files"]["counts.txt"] == pretrained.checksums(folder)["counts.txt"]
    assert pretrained.verify(data, "counts") == []
    assert pretrained.installed(data, "counts") == folder
    assert oct((folder / "counts.txt").stat().st_mode & 0o777) == "0o644"  # graders run as other users


def test_verify_reports_changed_missing_and_extra_files(stand_in_artefacts, small_corpus, tmp_path):
    data = tmp_path / "data"
    folder = pretrained.build(data, small_corpus, ["counts"], log=lambda line: None)["counts"]
    (folder / "counts.txt").write_text("3\n")
    (folder / "nested" / "weights.bin").unlink()
    (folder / "stray.txt").write_text("?")
    assert sorted(pretrained.verify(data, "counts")) == [
        "counts/counts.txt: changed since the build", "counts/nested/weights.bin: missing",
        "counts/stray.txt: not in the manifest"]


def test_a_second_build_keeps_a_current_artefact_and_a_new_recipe_version_rebuilds_it(
        stand_in_artefacts, small_corpus, tmp_path, monkeypatch):
    data = tmp_path / "data"
    logged: list[str] = []
    pretrained.build(data, small_corpus, ["counts"], log=logged.append)
    pretrained.build(data, small_corpus, ["counts"], log=logged.append)
    assert sum(line.startswith("building counts") for line in logged) == 1
    monkeypatch.setitem(pretrained.ARTEFACTS, "counts", dataclasses.replace(stand_in_artefacts["counts"], version=2))
    assert pretrained.installed(data, "counts") is None and pretrained.missing(data, ["counts"]) == ["counts"]
    pretrained.build(data, small_corpus, ["counts"], log=logged.append)
    assert sum(line.startswith("building counts") for line in logged) == 2
    assert json.loads((data / "models" / "counts" / pretrained.MANIFEST).read_text())["version"] == 2


def test_a_failing_recipe_leaves_nothing_behind(stand_in_artefacts, small_corpus, tmp_path):
    data = tmp_path / "data"
    with pytest.raises(RuntimeError, match="the recipe broke"):
        pretrained.build(data, small_corpus, ["broken"], log=lambda line: None)
    leftovers = [p.name for p in (data / "models").iterdir() if p.name != pretrained.LOCK]
    assert leftovers == [] and pretrained.installed(data, "broken") is None


def test_without_the_corpus_the_build_says_how_to_install_it(stand_in_artefacts, tmp_path):
    with pytest.raises(pretrained.PretrainedError, match="corpus fetch"):
        pretrained.build(tmp_path / "data", None, ["counts"], log=lambda line: None)
    with pytest.raises(pretrained.PretrainedError, match="no artefact nope"):
        pretrained.build(tmp_path / "data", None, ["nope"], log=lambda line: None)
    assert pretrained.start_background_build(tmp_path / "data", None) is None


def test_the_command_line_lists_what_is_missing(tmp_path):
    result = subprocess.run([sys.executable, "-m", "courseware", "models", "list"], capture_output=True, text=True,
                            env={"COURSE_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"},
                            cwd=PROJECT_ROOT, timeout=120)
    assert result.returncode == 1
    for name in pretrained.ARTEFACTS:
        assert f"{name} is not built: run `python -m courseware models build {name}`" in result.stdout


built = pytest.mark.skipif(bool(pretrained.missing(PROJECT_DATA)),
                           reason="the project's models are not built (make test builds them first)")


@built
def test_the_projects_artefacts_match_their_manifests():
    for name in pretrained.ARTEFACTS:
        assert pretrained.verify(PROJECT_DATA, name) == [], name


@built
def test_the_checkpoints_load_with_the_auto_classes_and_were_trained():
    code = (
        "import json, sys, torch\n"
        "from transformers import AutoTokenizer, AutoModelForCausalLM, AutoModelForMaskedLM\n"
        "out = {}\n"
        "for name, cls in (('tiny-gpt2', AutoModelForCausalLM), ('tiny-bert', AutoModelForMaskedLM)):\n"
        "    path = sys.argv[1] + '/' + name\n"
        "    tok = AutoTokenizer.from_pretrained(path); model = cls.from_pretrained(path)\n"
        "    text = 'First Citizen:\\nBefore we proceed any further, hear me speak.'\n"
        "    enc = tok(text, return_tensors='pt')\n"
        "    with torch.no_grad(): loss = model(**enc, labels=enc['input_ids']).loss.item()\n"
        "    out[name] = {'vocab': len(tok), 'loss': loss, 'training': model.training}\n"
        "print(json.dumps(out))\n")
    result = subprocess.run([sys.executable, "-c", code, str(PROJECT_DATA / "models")], capture_output=True,
                            text=True, timeout=300, env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    gpt2 = out["tiny-gpt2"]
    assert gpt2["vocab"] == 2048 and not gpt2["training"]
    # The corpus's first line, seen in training: far below a uniform guess over 2,048 tokens (7.6 nats).
    assert gpt2["loss"] < 5.0, gpt2
    manifest = json.loads((PROJECT_DATA / "models" / "tiny-bert" / pretrained.MANIFEST).read_text())
    assert manifest["facts"]["val_loss_after"] < manifest["facts"]["val_loss_before"] - 1.5, manifest["facts"]


READS_MODELS_SOLUTION = '''\
from pathlib import Path


def read_counts(folder):
    """What the learner's process sees of the artefact, and whether it can change it."""
    path = Path(folder) / "counts.txt"
    try:
        path.write_text("overwritten")
        wrote = True
    except OSError:
        wrote = False
    return path.read_text(), wrote
'''
READS_MODELS_TEST = '''\
import os

from course_harness import get_function, pretrained_path


def test_the_artefact_is_there_read_only_for_both_processes():
    folder = pretrained_path("counts")
    assert os.environ["COURSE_MODELS_DIR"] == "/data/models" and str(folder) == "/data/models/counts"
    assert (folder / "counts.txt").read_text() == "2\\n"
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    text, wrote = get_function("read_counts")(str(folder))
    assert (text, wrote) == ("2\\n", False)


def test_a_missing_artefact_fails_with_the_admins_command():
    pretrained_path("not-built")
'''


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["warm", "cold"])
def test_both_engines_mount_the_models_folder_read_only(engine, stand_in_artefacts, small_corpus, tmp_path):
    from conftest import write_content, write_exercise
    from courseware.loader import load_bank
    from sandbox.cold import Checker
    from sandbox.isolation import make_sandbox
    from sandbox.warm import WarmChecker

    data = tmp_path / "data"
    pretrained.build(data, small_corpus, ["counts"], log=lambda line: None)
    root = write_content(tmp_path / "content")
    folder = write_exercise(root, "reads-models", solution=READS_MODELS_SOLUTION,
                            starter="def read_counts(folder):\n    raise NotImplementedError\n")
    (folder / "tests" / "test_public.py").write_text(READS_MODELS_TEST)
    (folder / "tests" / "test_hidden.py").write_text("def test_nothing_hidden():\n    pass\n")
    spec = load_bank(root).exercises["reads-models"]
    models = pretrained.ensure_models_dir(data)
    if engine == "warm":
        checker = WarmChecker(sys.executable, slots=1, models=models)
    else:
        (tmp_path / "work").mkdir()
        checker = Checker(make_sandbox("bwrap"), tmp_path / "work", models=models)
    try:
        result = checker.check(spec, READS_MODELS_SOLUTION, "run")
    finally:
        checker.close()
    outcome = {t.name: t for t in result.tests}
    assert outcome["test_the_artefact_is_there_read_only_for_both_processes"].outcome == "passed", result
    missing = outcome["test_a_missing_artefact_fails_with_the_admins_command"]
    assert missing.outcome == "failed" and "python -m courseware models build" in missing.message, missing
    assert (data / "models" / "counts" / "counts.txt").read_text() == "2\n"


TOKENIZER_FINGERPRINT = (
    "import hashlib, sys\n"
    "from courseware.tiny_transformers import bert_tokenizer, gpt2_tokenizer\n"
    "lines = open(sys.argv[1], encoding='utf-8').read().splitlines()\n"
    "for make in (gpt2_tokenizer, bert_tokenizer):\n"
    "    print(hashlib.sha256(make(lines).backend_tokenizer.to_str().encode()).hexdigest())\n")


@pytest.mark.skipif(not SHARED_CORPUS.is_file(), reason="tiny Shakespeare is not beside the project")
def test_both_tokenizers_come_out_the_same_in_every_process():
    # Rust hash maps are seeded per process: a trainer that iterates one gives different pieces
    # from run to run (tokenizers' WordPiece trainer did), and then different weights.
    prints = [subprocess.run([sys.executable, "-c", TOKENIZER_FINGERPRINT, str(SHARED_CORPUS)], capture_output=True,
                             text=True, timeout=300, cwd=PROJECT_ROOT, check=True).stdout for _ in range(3)]
    assert len(set(prints)) == 1 and len(prints[0].split()) == 2, prints


@built
def test_the_word_vectors_put_related_words_together():
    import numpy as np

    folder = PROJECT_DATA / "models" / "word-vectors"
    words = (folder / "vocab.txt").read_text(encoding="utf-8").splitlines()
    vectors = np.load(folder / "vectors.npy")
    assert vectors.dtype == np.float32 and vectors.shape == (len(words), 100) and len(set(words)) == len(words)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    index = {w: i for i, w in enumerate(words)}

    def nearest(query: np.ndarray, exclude: set[str]) -> list[str]:
        order = np.argsort(-(unit @ (query / np.linalg.norm(query))))
        return [words[i] for i in order if words[i] not in exclude][:5]

    assert "day" in nearest(unit[index["night"]], {"night"})
    assert "son" in nearest(unit[index["father"]], {"father"})
    # him - he + she: the vectors carry grammatical relations, not only topics.
    query = unit[index["him"]] - unit[index["he"]] + unit[index["she"]]
    assert nearest(query, {"him", "he", "she"})[0] == "her"
