#!/usr/bin/env python3
"""The bits of 2/pi for the exact argument reduction of `activation-runtime`'s scalar path
(`src/__private/reduce.rs`, `TWO_OVER_PI`): the first 3072 bits after the binary point, as 48
big-endian 64-bit words, computed with mpmath at 3400 bits.

Usage (from the workspace root; prints the Rust constant):

    python3 scripts/two_over_pi.py
"""
import mpmath

WORDS = 48
mpmath.mp.prec = 64 * WORDS + 328
bits = int(mpmath.floor(mpmath.mpf(2) / mpmath.pi * mpmath.mpf(2) ** (64 * WORDS)))
words = [(bits >> (64 * (WORDS - 1 - i))) & (2**64 - 1) for i in range(WORDS)]
print(f"pub(crate) const TWO_OVER_PI: [u64; {WORDS}] = [")
for i in range(0, WORDS, 3):
    print("    " + " ".join(f"0x{w:016x}," for w in words[i : i + 3]))
print("];")
