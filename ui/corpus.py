"""The tiny Shakespeare panel: download it (checksum verified) or upload a copy."""
from __future__ import annotations

import streamlit as st

from courseware import corpus
from config import Settings


def corpus_panel(settings: Settings) -> None:
    """Shows whether the corpus is installed and offers to fetch or upload it."""
    if corpus.corpus_file(settings.data_dir) is not None:
        st.caption("📚 tiny Shakespeare is installed; your generated text will come from it.")
        return
    with st.container(border=True):
        st.markdown("📚 **tiny Shakespeare is not installed yet.** This exercise uses it: install it here "
                    "(some exercises fall back to a short built-in text, training exercises need the corpus).")
        if st.button("Download it (1.1 MB, checksum verified)", key="corpus_fetch"):
            try:
                corpus.fetch(settings.shakespeare_url, settings.data_dir)
                st.rerun()
            except corpus.CorpusError as exc:
                st.error(str(exc))
        upload = st.file_uploader("…or upload your copy of tinyshakespeare.txt", type=["txt"], key="corpus_upload")
        if upload is not None:
            try:
                corpus.install_corpus(upload.getvalue(), settings.data_dir, upload.name)
                st.rerun()
            except corpus.CorpusError as exc:
                st.error(str(exc))
