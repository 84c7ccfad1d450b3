"""Checks on submitted code before it is queued: size, encoding, emptiness, syntax.

Nothing here runs the code: ``compile`` only parses it.
"""
from __future__ import annotations


def inspect_code(code: str | bytes, max_bytes: int) -> tuple[str, str | None]:
    """Return (text to store, problem or None). A problem is a sentence the learner can act on."""
    if isinstance(code, bytes):
        try:
            text = code.decode("utf-8")
        except UnicodeDecodeError as exc:
            stored = code[:max_bytes].decode("utf-8", errors="replace")
            return stored, (f"Your file is not UTF-8 text (bad byte at position {exc.start}); "
                            "save it as UTF-8 and submit again.")
    else:
        text = code
    encoded = text.encode("utf-8", errors="surrogatepass")
    if len(encoded) > max_bytes:
        stored = encoded[:max_bytes].decode("utf-8", errors="ignore")
        return stored, (f"Your code is {len(encoded):,} bytes; the limit is {max_bytes:,}. "
                        "Remove data or output you pasted in, and submit again.")
    if "\x00" in text:
        return text.replace("\x00", ""), "Your code contains NUL characters; remove them and submit again."
    if not text.strip():
        return text, "Your code is empty: write your solution in the editor, then run or submit."
    try:
        compile(text, "submission.py", "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f"line {exc.lineno}" + (f", column {exc.offset}" if exc.offset else "")
        return text, f"Syntax error at {where}: {exc.msg}. Fix it and run again."
    except (RecursionError, MemoryError, ValueError):
        return text, "Your code is nested too deeply for Python to parse; simplify it."
    return text, None
