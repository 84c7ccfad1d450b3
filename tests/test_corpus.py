"""Tiny Shakespeare: checksum-verified install from a file or a (loopback) download."""
import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from courseware import corpus

from conftest import SHARED_CORPUS
from config import PROJECT_ROOT

LOCAL = corpus.corpus_file(PROJECT_ROOT / "data") or (SHARED_CORPUS if SHARED_CORPUS.is_file() else None)
needs_corpus = pytest.mark.skipif(LOCAL is None, reason="tiny Shakespeare is not in ../shared/data or ./data")


def test_a_wrong_file_is_refused_and_nothing_is_installed(tmp_path):
    fake = tmp_path / "fake.txt"
    fake.write_text("To be or not to be\n")
    with pytest.raises(corpus.CorpusError, match="is not tiny Shakespeare"):
        corpus.add_local(fake, tmp_path / "data")
    assert corpus.corpus_file(tmp_path / "data") is None
    assert not list((tmp_path / "data").rglob("*.txt"))


def test_a_missing_file_says_what_to_give(tmp_path):
    with pytest.raises(corpus.CorpusError, match="does not exist"):
        corpus.add_local(tmp_path / "nope.txt", tmp_path)


def test_an_unreachable_source_explains_the_local_alternative(tmp_path):
    with pytest.raises(corpus.CorpusError, match="corpus add FILE"):
        corpus.fetch("http://127.0.0.1:9/input.txt", tmp_path, timeout_s=2)


@needs_corpus
def test_a_local_copy_is_verified_and_installed(tmp_path):
    path = corpus.add_local(LOCAL, tmp_path)
    assert path == corpus.corpus_file(tmp_path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == corpus.SHA256
    assert path.stat().st_mode & 0o777 == 0o644  # the graders' unprivileged users read it


@needs_corpus
def test_download_from_a_server_is_verified(tmp_path):
    served = tmp_path / "www"
    served.mkdir()
    (served / "input.txt").write_bytes(LOCAL.read_bytes())

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/input.txt"
        path = corpus.fetch(url, tmp_path / "data")
        assert corpus.corpus_file(tmp_path / "data") == path
    finally:
        server.shutdown()
