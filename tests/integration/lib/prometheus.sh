# shellcheck shell=bash
# Debian's Prometheus, private to one test: sourced after lib/env.sh, never
# run.  Its own config, data folder and a loopback port in a namespace; the
# trap stops it by its recorded pid.
#
#   prom_start NETNS TARGET [RULES]   scrape TARGET (HOST:PORT) every second,
#                                     with RULES loaded; sets PROM (its URL)
#   prom_query PROMQL                 the API's result array (JSON) on stdout
#   prom_value PROMQL                 the first sample's value, or fail
#   prom_is PROMQL VALUE / prom_ge PROMQL N   that value is VALUE / at least N
#                                     (for wait_until: asked again each time)
prom_pid="" prom_ns=""

prom_start() { # NETNS TARGET [RULES]
	local ns=$1 target=$2 rules=${3:-} port d=$tmp/prometheus
	command -v prometheus > /dev/null || skip "prometheus is missing (scripts/deps)"
	mkdir -p "$d/data"
	# A free loopback port in that namespace.
	for _ in $(seq 1 20); do
		port=$((19100 + RANDOM % 800))
		ip netns exec "$ns" ss -Htln "sport = :$port" | grep -q . || break
	done
	{
		printf 'global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n'
		[ -z "$rules" ] || printf 'rule_files:\n  - %s\n' "$rules"
		printf 'scrape_configs:\n  - job_name: superfluid\n'
		printf '    static_configs:\n      - targets: ["%s"]\n' "$target"
	} > "$d/prometheus.yml"
	# ip netns exec execs prometheus: $! is its pid.
	ip netns exec "$ns" prometheus --config.file="$d/prometheus.yml" \
		--storage.tsdb.path="$d/data" --web.listen-address="127.0.0.1:$port" \
		> "$d/log" 2>&1 < /dev/null &
	prom_pid=$! prom_ns=$ns
	PROM=http://127.0.0.1:$port
	wait_until 30 prom_get /-/ready > /dev/null ||
		die "prometheus did not get ready: $(tail -5 "$d/log")"
	say "prometheus (pid $prom_pid) on $PROM in $ns scrapes $target"
}

prom_get() { ip netns exec "$prom_ns" curl -sf -m 5 "$PROM$1"; }

prom_query() {
	ip netns exec "$prom_ns" curl -sf -m 5 --data-urlencode "query=$1" "$PROM/api/v1/query" |
		jq -ec 'select(.status == "success") | .data.result'
}
prom_value() { prom_query "$1" | jq -er '.[0].value[1]'; }
prom_is() { local v; v=$(prom_value "$1") && [ "$v" = "$2" ]; }
prom_ge() { local v; v=$(prom_value "$1") && [ "$v" -ge "$2" ]; }

prom_stop() {
	[ -n "$prom_pid" ] || return 0
	kill -TERM "$prom_pid" 2> /dev/null
	wait_until 20 not test -d "/proc/$prom_pid" || kill -KILL "$prom_pid" 2> /dev/null
	prom_pid=""
}
at_exit 20 prom_stop
