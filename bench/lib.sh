# shellcheck shell=bash
# Helpers for bench/run: sourced, never run.  Neutron over REST and its
# makers (tests/integration/lib/openstack.sh, the integration tests' own), a
# superfluidd instance's metrics, and a record of everything made, which
# cleanup() removes, pass or fail.
# The caller sets W (its work folder) and RND (a random suffix) first, and
# has the test bed's environment and openrc loaded.

say() { printf '%s\n' "$*"; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

NAME=sfbench-$RND   # the prefix of what it makes in Neutron
made_instances=() made_links=()

# shellcheck source=tests/integration/lib/openstack.sh
. tests/integration/lib/openstack.sh

# --- superfluidd instances -------------------------------------------------

# start_instance NAME HOST < extra.ini
start_instance() {
	made_instances+=("$1")
	scripts/sfhost start "$1" "$2" > /dev/null || die "starting superfluidd '$1'"
}

# metrics NAME: the instance's /metrics text (it listens in its host's netns).
metrics() {
	local addr ns
	addr=$(scripts/sfhost metrics "$1")
	ns=$(sed -n 's#^netns = /run/netns/##p' "$(scripts/sfhost conf "$1")")
	ip netns exec "$ns" curl -sS --max-time 5 "http://$addr/metrics"
}

# neutron_calls NAME: Neutron calls the instance made so far, all ops.
neutron_calls() {
	metrics "$1" | awk '/^superfluid_neutron_request_duration_seconds_count/ { s += $NF }
		END { printf "%d\n", s }'
}

# ports_created NAME: ports the instance has created in Neutron.
ports_created() {
	metrics "$1" | awk '/^superfluid_ports_created_total/ { n = $NF } END { printf "%d\n", n }'
}

# cni_hist NAME VERB: "<count> <sum seconds>" of the daemon-side latency.
cni_hist() {
	metrics "$1" | awk -v v="verb=\"$2\"" '
		index($0, "superfluid_cni_request_duration_seconds_count{") == 1 && index($0, v) { c = $NF }
		index($0, "superfluid_cni_request_duration_seconds_sum{") == 1 && index($0, v) { s = $NF }
		END { printf "%d %.6f\n", c, s }'
}

# pool_ports NAME STATE: ports in that state, all pools.
pool_ports() {
	metrics "$1" | awk -v s="state=\"$2\"" '
		index($0, "superfluid_pool_ports{") == 1 && index($0, s) { n += $NF }
		END { printf "%d\n", n }'
}

# wait_ready NAME N TIMEOUT_S: until the instance has N ready ports.
wait_ready() {
	local i n=0
	for ((i = 0; i < $3 * 2; i++)); do
		n=$(pool_ports "$1" ready)
		[ "$n" -ge "$2" ] && return 0
		sleep 0.5
	done
	die "'$1' has $n ready ports after $3 s, wanted $2"
}

# wait_calm NAME: until the instance's Neutron call count has not moved for
# 3 s (holder updates and deletes after the previous section), at most 120 s.
wait_calm() {
	local last=-1 now still=0 i
	for ((i = 0; i < 120; i++)); do
		now=$(neutron_calls "$1")
		if [ "$now" = "$last" ]; then
			still=$((still + 1))
			[ "$still" -ge 3 ] && return 0
		else
			still=0
		fi
		last=$now
		sleep 1
	done
	say "  (warning: '$1' still calls Neutron after 120 s)"
}

# rss_kib NAME: the instance's resident memory, from /proc.
rss_kib() {
	local pid
	pid=$(cat "$(scripts/sfhost dir "$1")/pid")
	awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"
}

# --- the driver's output ----------------------------------------------------

# kv LINE KEY: the value of KEY=... in a cni_driver result line.
kv() {
	local k
	for k in $1; do
		[ "${k%%=*}" = "$2" ] && { printf '%s' "${k#*=}"; return 0; }
	done
	printf 'n/a'
}

# mean_ms COUNT0 SUM0 COUNT1 SUM1: mean of a histogram's new samples, in ms.
mean_ms() {
	awk -v c0="$1" -v s0="$2" -v c1="$3" -v s1="$4" \
		'BEGIN { if (c1 > c0) printf "%.2f", (s1 - s0) / (c1 - c0) * 1000; else printf "n/a" }'
}

# stats VERB SKIP FILE...: a cni_driver-style result line for the VERB calls
# in cni_driver -o files (in order), the first SKIP of them not counted.
stats() {
	local verb=$1 skip=$2 fail
	shift 2
	# Counted calls: "ms ok", in call order.
	cat "$@" | awk -v verb="$verb" -v skip="$skip" '$1 == verb && ++seen > skip { print $4, $5 }' \
		> "$W/stats.tmp"
	fail=$(awk '$2 != 1' "$W/stats.tmp" | wc -l)
	awk '$2 == 1 { print $1 }' "$W/stats.tmp" | sort -g | awk -v verb="$verb" -v fail="$fail" '
		function pct(p,  r) { r = int(p / 100 * n); if (r < p / 100 * n) r++; return v[r < 1 ? 1 : r] }
		{ v[++n] = $1; sum += $1 }
		END {
			printf "%-5s n=%d fail=%d", verb, n, fail
			if (n)
				printf " min_ms=%.2f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f mean_ms=%.2f",
					v[1], pct(50), pct(90), pct(99), v[n], sum / n
			printf "\n"
		}'
}

# ratio A B [FMT]: A / B.
ratio() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { if (b > 0) printf f, a / b; else printf "n/a" }'; }

# --- cleanup ------------------------------------------------------------------

cleanup() {
	local rc=$? i m
	set +e
	trap - EXIT
	say "== cleanup"
	if [ -n "${PODMAN_ROOT:-}" ] && [ -d "$PODMAN_ROOT" ]; then
		podman_cmd rm -af > /dev/null 2>&1
	fi
	if [ -n "${KEEP:-}" ]; then
		mkdir -p "$KEEP"
		for i in "${made_instances[@]}"; do
			cp "$(scripts/sfhost dir "$i")/log" "$KEEP/$i.log" 2> /dev/null
		done
		cp "$W"/calls-*.txt "$KEEP/" 2> /dev/null
		say "  logs and call timings kept in $KEEP"
	fi
	for i in "${made_instances[@]}"; do
		scripts/sfhost stop "$i" --purge > /dev/null 2>&1 || say "  purging instance $i failed"
	done
	# Namespaces a failed run left: bind mounts in our folder.
	awk -v d="$W/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2> /dev/null; done
	neutron_cleanup
	for i in "${made_links[@]}"; do
		ip link del "$i" 2> /dev/null
	done
	# Our folder holds every namespace file, the host-local state and podman's.
	[ -n "${W:-}" ] && rm -rf "$W"
	exit "$rc"
}
