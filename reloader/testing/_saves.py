"""Saving a file the way editors do: in place, by an atomic rename, as vim does."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["EDITOR_SAVES", "save_atomic", "save_in_place", "save_vim"]


def save_in_place(path: Path, text: str) -> None:
    """VS Code and most editors: truncate and write the same inode."""
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)


def save_atomic(path: Path, text: str) -> None:
    """JetBrains 'safe write', many tools: write a temp file, rename it over the original."""
    temp = path.with_name(path.name + "___jb_tmp___")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def save_vim(path: Path, text: str) -> None:
    """vim with backupcopy=no: swap file, rename the original to a backup, write anew."""
    swap = path.with_name(f".{path.name}.swp")
    swap.write_bytes(b"b0VIM 9.0")
    backup = path.with_name(path.name + "~")
    os.replace(path, backup)
    path.write_text(text, encoding="utf-8")
    backup.unlink()
    swap.unlink()


EDITOR_SAVES = {"in_place": save_in_place, "atomic": save_atomic, "vim": save_vim}
