#!/usr/bin/env python3
"""Where an install spent its time: the installer's own log (one "<UTC time> [LEVEL]  message" line per action),
each line charged with the seconds until the next one, the slowest first.

    slowest-steps.py LOG [N]    the N (default 10) slowest steps of the last run in LOG, and that run's total

A run starts at its "bundle verified" line (every subcommand verifies before it acts); the e2e test prints this
after the installs so that the time of an E2E run can be attributed to installer steps, not guessed.
"""
import sys
from datetime import datetime


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    entries = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            stamp, _, message = line.rstrip("\n").partition(" ")
            try:
                when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
            except ValueError:
                continue
            entries.append((when, message.strip()))
    starts = [i for i, (_, m) in enumerate(entries) if "bundle verified" in m or "signature good" in m]
    if starts:
        # the run begins at the signature/verification lines just before the last "bundle verified"
        last = starts[-1]
        while last > 0 and last - 1 in starts:
            last -= 1
        entries = entries[last:]
    if len(entries) < 2:
        print(f"{path}: fewer than two timestamped lines")
        return 1
    steps = [((entries[i + 1][0] - when).total_seconds(), message) for i, (when, message) in enumerate(entries[:-1])]
    total = (entries[-1][0] - entries[0][0]).total_seconds()
    print(f"last run: {total:.0f} s, {len(entries)} log lines; slowest steps (seconds until the next line):")
    for seconds, message in sorted(steps, key=lambda s: -s[0])[:top]:
        share = 100 * seconds / total if total else 0
        print(f"  {seconds:6.0f} s {share:4.0f}%  {message[:150]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
