#!/usr/bin/python3
"""status-sa.py FILE SAID KEY: one counter of one SA in a `spigrp --status
--json` answer saved in FILE: KEY is packets, bytes, a drop reason (icv,
replay, policy, selector, malformed, inflate, mtu, seq), or "drops" for
the sum of the drop reasons except seq.  Prints the number, or -1 when
the SA or the key is missing.  Standard library only.
"""
import json
import sys

REASONS = ("icv", "replay", "policy", "selector", "malformed", "inflate", "mtu")


def walk(o, said):
    """Every object of @o (nested) whose "said" is @said."""
    if isinstance(o, dict):
        if o.get("said") == said:
            yield o
        for v in o.values():
            yield from walk(v, said)
    elif isinstance(o, list):
        for v in o:
            yield from walk(v, said)


def find(o, key):
    """The first scalar named @key in @o, depth first, or None."""
    if isinstance(o, dict):
        if key in o and not isinstance(o[key], (dict, list)):
            return o[key]
        for v in o.values():
            r = find(v, key)
            if r is not None:
                return r
    return None


def main():
    if len(sys.argv) != 4:
        print(__doc__.split("\n")[0], file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        sa = next(walk(json.load(f), sys.argv[2]), None)
    if sa is None:
        print(-1)
    elif sys.argv[3] == "drops":
        print(sum(max(find(sa, r) or 0, 0) for r in REASONS))
    else:
        v = find(sa, sys.argv[3])
        print(-1 if v is None else v)
    return 0


if __name__ == "__main__":
    sys.exit(main())
