"""Course content: tracks, lessons and exercises kept as plain files, their specs, loader and corpus.

Run ``python -m sandbox validate`` to check every track, lesson and exercise.
"""
