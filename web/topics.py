"""The topic codes every area uses (re-exported from the shared list in duluan/topics.py)."""

from __future__ import annotations

from duluan.topics import ALL, IMAGE, SENSITIVE

__all__ = ["ALL", "IMAGE", "SENSITIVE"]
