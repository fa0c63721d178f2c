"""A helper module: edit it and the page shows the change after the reload."""

GREETING = "Hello from the helper"


def shout(text: str) -> str:
    return text.upper() + "!"
