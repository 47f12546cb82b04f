"""The Rich consoles every command prints through (standard output and errors)."""

from __future__ import annotations

from rich.console import Console

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
if not console.is_terminal:
    # Piped or logged output: wide enough that Chinese table headers and URLs are not cut to "…".
    console.width = max(console.width, 160)
