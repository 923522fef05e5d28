#!/usr/bin/env bash
# `make bench`: what recording and viewing cost from Ruby and from Python,
# against the same loop in C++ through the same libcctv, in rotating rounds
# of the same run. Each round: 1,000,000 record_activity calls on one
# thread into the embedded store (without attributes, then with two), then
# 2,000 views of 100 activities. Reports each round, the medians, and each
# language over C++.
#   bench/bindings.sh BUILD_DIR      BINDINGS_ROUNDS=N (default 3),
#                                    BINDINGS_CALLS=N (default 1000000)
set -euo pipefail
build=$1
rounds=${BINDINGS_ROUNDS:-3}
calls=${BINDINGS_CALLS:-1000000}
views=2000
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

value() { echo "$1" | grep -o "\"$2\":[0-9.]*" | cut -d: -f2; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
med() {
  local key=$1
  shift
  for r in "$@"; do value "$r" "$key"; done | median
}

run_cpp() { "$build/bench/record_loop" "$work/cpp-$1" "$calls" "$views"; }
run_ruby() {
  ruby -I "$here/bindings/ruby/lib" -I "$build/bindings/ruby/ext/lib" \
    "$here/bench/bindings/ruby_bench.rb" "$work/ruby-$1" "$calls" "$views"
}
run_python() {
  PYTHONPATH="$build/bindings/python" /usr/bin/python3 \
    "$here/bench/bindings/python_bench.py" "$work/python-$1" "$calls" "$views"
}

echo "== bindings: $calls record_activity calls and $views views from Ruby and Python vs C++, $rounds rounds"
cpp_runs=()
ruby_runs=()
python_runs=()
for ((i = 1; i <= rounds; i++)); do
  # Each round in another order, so that no language always runs first.
  case $((i % 3)) in
    1) order=(cpp ruby python) ;;
    2) order=(ruby python cpp) ;;
    0) order=(python cpp ruby) ;;
  esac
  for language in "${order[@]}"; do
    case $language in
      cpp) cpp_runs+=("$(run_cpp "$i")") ;;
      ruby) ruby_runs+=("$(run_ruby "$i")") ;;
      python) python_runs+=("$(run_python "$i")") ;;
    esac
  done
  rm -rf "${work:?}"/*
  echo "round $i c++:    ${cpp_runs[-1]}"
  echo "round $i ruby:   ${ruby_runs[-1]}"
  echo "round $i python: ${python_runs[-1]}"
done
echo
printf "%-22s %9s %9s %9s %9s %9s\n" "median of $rounds" "c++" ruby python "ruby/c++" "py/c++"
for key in record_us record_cpu_us record_attrs_us record_attrs_cpu_us view_us; do
  c=$(med "$key" "${cpp_runs[@]}")
  r=$(med "$key" "${ruby_runs[@]}")
  p=$(med "$key" "${python_runs[@]}")
  awk -v k="$key" -v c="$c" -v r="$r" -v p="$p" \
    'BEGIN { printf "%-22s %9.3f %9.3f %9.3f %9.2f %9.2f\n", k, c, r, p, r / c, p / c }'
done
r=$(med record_us "${ruby_runs[@]}")
p=$(med record_us "${python_runs[@]}")
awk -v r="$r" -v p="$p" 'BEGIN { printf "record_activity: ruby %.3f us, python %.3f us a call (target <= 2 us; the 2014 gem: ~1000 us, a synchronous write)\n", r, p }'
