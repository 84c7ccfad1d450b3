#!/usr/bin/env bash
# Rebuilds the exercise editor's vendored files from the npm packages pinned in package-lock.json:
#   ui/editor_frontend/vendor/codemirror.js  (CodeMirror 6, one minified script exposing window.CM)
#   ui/editor_frontend/fonts/*.woff2, OFL.txt (JetBrains Mono, SIL Open Font License 1.1)
#   ui/editor_frontend/vendor/LICENSES.txt   (the MIT notices of everything in the bundle)
# Only for upgrading the editor: the app and the tests use the committed files and need no Node.js.
#   scripts/editor-bundle/build.sh      # needs node and npm
set -euo pipefail
cd "$(dirname "$0")"
out=../../ui/editor_frontend
npm ci --no-audit --no-fund
npm run build
font=node_modules/@fontsource/jetbrains-mono
for subset in latin latin-ext greek; do
  cp "$font/files/jetbrains-mono-$subset-400-normal.woff2" "$out/fonts/"
done
cp "$font/LICENSE" "$out/fonts/OFL.txt"
{
  echo "Third-party code in codemirror.js (built by scripts/editor-bundle/build.sh). All MIT licensed."
  for dir in node_modules/codemirror node_modules/@codemirror/* node_modules/@lezer/* node_modules/@marijn/* \
             node_modules/style-mod node_modules/w3c-keyname node_modules/crelt; do
    name=$(node -p "require('./$dir/package.json').name + ' ' + require('./$dir/package.json').version")
    printf '\n==== %s ====\n' "$name"
    cat "$dir"/LICENSE*
  done
} > "$out/vendor/LICENSES.txt"
echo "rebuilt $out/vendor/codemirror.js ($(wc -c < "$out/vendor/codemirror.js") bytes)"
