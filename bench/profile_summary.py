"""Where the time went, from py-spy's collapsed stacks (`py-spy record --format raw`, as bench_vs_fides.py's
BENCH_VS_PROFILE writes them): per group of files (web or worker), the share of samples in which each function
was on the stack (inclusive), the functions that most often were the one running (self), and with --match the
inclusive share of every frame whose text contains that string.

    .venv/bin/python bench/profile_summary.py /tmp/prof/form-web-*.txt
    .venv/bin/python bench/profile_summary.py --match=render_to_string /tmp/prof/form-worker-*.txt
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

# py-spy writes a frame as "function (path/to/file.py:line)"; the line makes one function many frames.
FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")


def frame_name(frame: str) -> str:
    found = FRAME.match(frame.strip())
    if not found:
        return frame.strip()
    path = found["file"]
    for marker in ("site-packages/", "python3.11/", "/wt-intake/", "/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{found['function']} ({path})"


def main(argv: list[str]) -> None:
    matches = [a.split("=", 1)[1] for a in argv if a.startswith("--match=")]
    files = [Path(a) for a in argv if not a.startswith("--")]
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    matched: Counter[str] = Counter()
    total = 0
    for file in files:
        for line in file.read_text(errors="replace").splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = [frame_name(f) for f in stack.split(";")]
            # Idle: a process waiting for work (a sync worker in select, Celery's pool reading its pipe).
            waiting = frames[-1].startswith(("select (", "poll (", "_recv (", "read (")) if frames else False
            if waiting and not any("handle_request" in f or "trace_task" in f for f in frames):
                continue
            total += count
            own[frames[-1]] += count
            for name in set(frames):
                inclusive[name] += count
            for text in matches:
                if any(text in f for f in frames):
                    matched[text] += count
    if not total:
        print("no samples")
        return
    print(f"{total} busy samples in {len(files)} files\n\ninclusive (on the stack):")
    for name, count in inclusive.most_common(60):
        print(f"{100 * count / total:6.1f}%  {name}")
    print("\nself (running):")
    for name, count in own.most_common(25):
        print(f"{100 * count / total:6.1f}%  {name}")
    for text in matches:
        print(f"\n{text}: {100 * matched[text] / total:.1f}% of busy samples")


if __name__ == "__main__":
    main(sys.argv[1:])
