"""Storage for the course platform: SQLAlchemy 2.0 models, engines, migrations and queries.

The package knows nothing of the UI. Pages and the checker open a short session per
action and call the plain functions of one module each::

    from db.engine import make_engine, session_factory
    from db.migrate import upgrade

    engine = make_engine("sqlite:///data/course.db")
    upgrade(engine)                       # safe on every start
    Session = session_factory(engine)
    with Session() as session:
        user = users.authenticate(session, "ada", "correct horse")

Modules: ``engine`` (engines, sessions, SQLite pragmas), ``models`` (tables),
``migrate`` (Alembic upgrade/current; ``python -m db upgrade``), ``users`` (accounts,
argon2 passwords, login throttling), ``submissions`` (the grading state machine),
``progress`` (enrollments, lessons done, per-exercise progress), ``drafts`` (editor
autosave).
"""
