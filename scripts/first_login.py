"""Prints how to log in the first time (run by `make run` before Streamlit starts)."""
from sqlalchemy.engine import make_url

from config import get_settings
from db.engine import make_engine, session_factory
from db.users import has_admin


def main() -> None:
    """Say whether to create the admin account or log in with an existing one."""
    settings = get_settings()
    engine = make_engine(settings.sqlalchemy_url)
    with session_factory(engine)() as session:
        fresh = not has_admin(session)
    engine.dispose()
    print("\n  Course platform: open http://127.0.0.1:8501")
    if fresh:
        print("  First run: the page asks you to create the admin account (username + password).")
    else:
        # A PostgreSQL URL carries the password: never print it.
        print("  Log in with your account; the database is",
              make_url(settings.sqlalchemy_url).render_as_string(hide_password=True))
    print("  Stop with Ctrl+C.\n")


if __name__ == "__main__":
    main()
