#!/usr/bin/env bash
# Runs the cargo-fuzz targets of activation-dsl (nightly Rust and cargo-fuzz needed:
# `rustup toolchain install nightly && cargo install cargo-fuzz`).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]    # default: 600 s each, all three targets, one after
#                                            # the other, pinned to core 0 when taskset exists
#
# Each run starts from the committed corpus (activation-dsl/fuzz/corpus/<target>) and adds
# what it finds there; libFuzzer's last status line (executions, coverage, corpus size) is
# printed per target, and a crash, timeout (10 s per input) or out-of-memory (2 GB) input is
# written to activation-dsl/fuzz/artifacts/<target>/. Afterwards minimize the corpus with
# `cargo +nightly fuzz cmin <target>` before committing it; a minimized failing input goes to
# fuzz/regressions/<target>/ (tests/fuzz_corpus.rs replays both on stable).
set -euo pipefail
cd "$(dirname "$0")/../activation-dsl"
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(parse_check expand symbolic)
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)
cargo +nightly fuzz build --release
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    log="fuzz/artifacts/$t/run.log"
    echo "==> $t for ${secs}s (log: activation-dsl/$log)"
    set +e
    "${pin[@]}" cargo +nightly fuzz run --release "$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1
    rc=$?
    set -e
    grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -1 || true
    grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb' "$log" || true
    ls "fuzz/artifacts/$t" | grep -v run.log || true
    echo "exit $rc"
done
