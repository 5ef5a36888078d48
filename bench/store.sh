#!/usr/bin/env bash
# Builds bench/store_claim.c against the library and runs it: claim and
# release latency of the store with synchronous=NORMAL and FULL, on one
# thread and on two sharing the store.
#   bench/store.sh [DIR [CYCLES]]   DIR on the file system to measure
#                                    (default /var/tmp), CYCLES default 10000
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
dir=${1:-/var/tmp}
cycles=${2:-10000}
make -s O="$O" "$O/libsuperfluid.a"
mkdir -p "$O/bench"
# shellcheck disable=SC2046
${CC:-cc} -std=gnu11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Isrc -pthread \
	-o "$O/bench/store_claim" bench/store_claim.c "$O/libsuperfluid.a" \
	$(pkg-config --libs libcurl jansson libmnl sqlite3 inih libmicrohttpd) -lm
echo "== $(findmnt -n -o FSTYPE,SOURCE --target "$dir" 2>/dev/null || echo "$dir")"
"$O/bench/store_claim" -d "$dir" -n "$cycles" -t 1
"$O/bench/store_claim" -d "$dir" -n "$cycles" -t 2
