#!/usr/bin/env bash
# Installs cctv from a build tree into a temporary prefix, then configures,
# builds and runs a separate project that uses find_package(cctv).
# Usage: run.sh BUILD_DIR CONSUMER_SOURCE_DIR CMAKE
set -euo pipefail
build=$1 consumer=$2 cmake=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cmake" --install "$build" --prefix "$work/prefix" >/dev/null
"$cmake" -S "$consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
"$cmake" --build "$work/build" >/dev/null
"$work/build/consumer" "rocksdb:$work/data"
test -x "$work/prefix/bin/cctv"
"$work/prefix/bin/cctv" --store "rocksdb:$work/data" view consumer-test --target /installed -f ndjson | grep -q '"actor":"installer"'
echo "find_package(cctv) works"
