"""Course content: tracks, lessons and exercises kept as plain files, and the platform settings.

Run ``python -m courseware validate`` to check every track, lesson and exercise.
"""
