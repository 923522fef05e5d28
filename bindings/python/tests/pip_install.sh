#!/usr/bin/env bash
# The package as a user gets it: libcctv installed into a prefix, then
# `pip install ./bindings/python` in a virtual environment with no index
# (nothing downloaded), and a program that imports it from elsewhere.
# Usage: pip_install.sh BUILD_DIR CMAKE
set -euo pipefail
build=$1 cmake=$2
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cmake" --install "$build" --prefix "$work/prefix" >/dev/null
/usr/bin/python3 -m venv "$work/venv"
CMAKE_PREFIX_PATH="$work/prefix" "$work/venv/bin/pip" install --no-index --quiet "$here" \
  > "$work/pip.log" 2>&1 || { cat "$work/pip.log"; exit 1; }
cd "$work"
"$work/venv/bin/python" - "$work" <<'PY'
import datetime, sys
import cctv
work = sys.argv[1]
assert cctv.__file__.startswith(f"{work}/venv/"), cctv.__file__
tracker = cctv.Tracker("installed", store=f"rocksdb:{work}/data")
tracker.record_activity("installer", "/pip", {"via": "pip install"})
page = tracker.view_activity("/pip", datetime.date.today())
assert [a.actor for a in page] == ["installer"], page
PY
echo "pip install ./bindings/python works"
