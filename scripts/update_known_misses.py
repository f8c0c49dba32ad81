#!/usr/bin/env python3
"""Replaces KNOWN_MISSES in activation-runtime/tests/accuracy.rs with the list the accuracy test
prints when it fails (run it after a fix, then read `git diff`: the list may only shrink)."""
import re, subprocess, sys
out = subprocess.run(["cargo", "test", "-q", "-p", "activation-runtime", "--test", "accuracy"],
                     capture_output=True, text=True).stdout
blocks = re.findall(r"const KNOWN_MISSES: &\[\(&str, &str\)\] = &\[\n(?:.*?\n)?\];", out, re.S)
if not blocks:
    sys.exit("the accuracy test printed no list (it passes as it is)")
path = "activation-runtime/tests/accuracy.rs"
src = open(path).read()
src = re.sub(r"const KNOWN_MISSES: &\[\(&str, &str\)\] = &\[\n(?:.*?\n)?\];", lambda _: blocks[-1], src, count=1, flags=re.S)
open(path, "w").write(src)
count = blocks[-1].count("(" + chr(34))
print(f"KNOWN_MISSES now has {count} entries")
