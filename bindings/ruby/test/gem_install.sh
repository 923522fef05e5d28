#!/usr/bin/env bash
# The gem as a user gets it: libcctv installed into a prefix, `gem build`,
# `gem install` of the .gem (compiling the extension against that prefix)
# into a gem home of its own, and a program that requires it.
# Usage: gem_install.sh BUILD_DIR CMAKE
set -euo pipefail
build=$1 cmake=$2
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cmake" --install "$build" --prefix "$work/prefix" >/dev/null
(cd "$here" && gem build cctv.gemspec --output "$work/cctv.gem" >/dev/null 2>"$work/build.err") ||
  { cat "$work/build.err"; exit 1; }
GEM_HOME="$work/gems" gem install --local --no-document "$work/cctv.gem" \
  -- --with-cctv-dir="$work/prefix" >/dev/null
# Run from elsewhere, so that nothing but the installed gem is found.
cd "$work"
GEM_HOME="$work/gems" GEM_PATH="$work/gems" ruby -e '
  require "cctv"
  tracker = Cctv::Tracker.new("installed", store: "rocksdb:'"$work"'/data")
  tracker.record_activity("installer", "/gem", { "via" => "gem install" })
  page = tracker.view_activity("/gem", Date.today)
  abort "the installed gem did not read back what it recorded" unless page.first&.actor == "installer"
  abort "loaded from #{$LOADED_FEATURES.grep(/cctv_ext/).first}" unless $LOADED_FEATURES.grep(/cctv_ext/).first.start_with?("'"$work"'/gems")
'
echo "gem build and gem install work"
