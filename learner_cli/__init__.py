"""The course's command-line client for learners who write code in their own editor.

    python -m learner_cli login                          # store a personal token (made on My progress)
    python -m learner_cli check stable-softmax mine.py   # public tests, here, on this machine
    python -m learner_cli submit stable-softmax mine.py  # graded on the server, as the page's Submit

Only the standard library is needed to talk to the server; ``check`` also needs pytest and
torch on this machine, since it runs the public tests here.
"""
