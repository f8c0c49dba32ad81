#!/usr/bin/env bash
# Regenerates docs/gallery/: one SVG per item of the standard set, f and f' on [-6, 6] (the
# gated items along their gate b, with a = 1), and the index docs/gallery/README.md, which
# lists them in the order of activation-dsl/src/standard.act with each item's doc comment.
#
#   bash scripts/gallery.sh
#
# Honours CARGO_TARGET_DIR. Everything is drawn by `activation-dsl plot`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/gallery
plot() { cargo run -q -p activation-dsl -- plot "$@"; }

rm -f "$out"/*.svg
names=$(plot @std -o "$out" | xargs -n1 basename | sed 's/\.svg$//')
# A gate is the interesting input of a gated unit.
for gated in glu swiglu geglu; do
    plot @std "$gated" --along b --at-rest 1 -o "$out/$gated.svg"
done

{
    echo "# Gallery"
    echo
    echo "Every activation of the standard set (\`activation-dsl/src/standard.act\`) and its"
    echo "derivative, drawn by \`activation-dsl plot\` on [-6, 6] with the default parameters;"
    echo "items with two inputs are drawn along one input, the other held at 1. Regenerate with"
    echo "\`bash scripts/gallery.sh\`."
    echo
    for n in $names; do
        # The item's \`///\` lines, joined.
        doc=$(awk -v n="$n" '
            /^\/\/\// { d = d (d ? " " : "") substr($0, 5); next }
            $0 ~ "^pub " n "\\(" { print d; exit }
            { d = "" }' activation-dsl/src/standard.act)
        echo "## \`$n\`"
        echo
        echo "$doc"
        echo
        echo "![$n]($n.svg)"
        echo
    done
} > "$out/README.md"
echo "wrote $(echo "$names" | wc -w) plots and $out/README.md"
