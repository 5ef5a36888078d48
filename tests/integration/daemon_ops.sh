#!/usr/bin/env bash
# What an operator relies on in superfluidd itself: only root reaches the
# socket (its mode, and the peer-credential check behind it); health,
# readiness and Prometheus metrics on loopback with the request histograms
# and pool sizes; sfctl pools/ports; SIGHUP applies a good config (a lower
# max trims the ready ports) and keeps the running one when the new one is
# broken; SIGTERM stops cleanly.
# Exit 0 pass, 1 fail, 77 skip.
T=daemon_ops
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
SFCTL=${SF_BUILD:-build}/sfctl

testnet sg:icmp
ready_instance o host1 2 60 min=2 max=4 batch=2 cooldown_ms=500 ops:net:sg
I=$INSTANCE
dir=$(scripts/sfhost dir "$I")
sock=$CONF_SOCKET
hns=$(host_ns host1)
metrics="http://$(scripts/sfhost metrics "$I")"

# --- the socket ----------------------------------------------------------------
check "the socket is mode 0600, owned by root" test "$(stat -c '%a %u' "$sock")" = "600 0"
# Prints what a non-root client gets: "denied" (connect refused), "no
# answer" (connected, closed without a reply), or the reply.
ask_as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
except PermissionError:
    print("denied")
    sys.exit(0)
try:
    s.sendall(b"{\"version\":1,\"ctl\":\"pools\"}")
    s.shutdown(socket.SHUT_WR)
    print(s.recv(65536).decode() or "no answer")
except OSError:
    print("no answer")' "$sock"
}
check "a non-root user cannot connect (mode 0600)" test "$(ask_as_nobody)" = denied
# With the mode opened up, the peer-credential check still refuses.
chmod 0666 "$sock"
check "a non-root user who connects gets no answer (SO_PEERCRED)" \
	test "$(ask_as_nobody)" = "no answer"
check "the refusal is logged" grep -q "only uid 0 may use" "$dir/log"
chmod 0600 "$sock"

# --- sfctl ----------------------------------------------------------------------
out=$("$SFCTL" -c "$(scripts/sfhost conf "$I")" pools)
check "sfctl pools shows the pool and its ready ports" \
	grep -Eq "^ops +$net_id +[2-4] +0 " <<< "$out"
check "sfctl pools --json is the daemon's answer" \
	jq -e '.[0].name == "ops" and .[0].ready >= 2' <<< "$("$SFCTL" pools --json --socket "$sock")"
check "sfctl ports --json lists the ready ports with addresses" \
	jq -e "[.[] | select(.state == \"ready\" and (.ips[0].cidr | startswith(\"$pfx.\")))] | length >= 2" \
	<<< "$("$SFCTL" ports --json --socket "$sock")"
check "sfctl with no daemon says so and fails" \
	not "$SFCTL" pools --socket "$tmp/none.sock"

# --- health and metrics -------------------------------------------------------------
get() { ip netns exec "$hns" curl -s -o "$tmp/body" -w '%{http_code}' "$metrics$1"; }
check "/healthz answers 200" test "$(get /healthz)" = 200
check "/readyz answers 200 once Neutron was reached" test "$(get /readyz)" = 200
check "/metrics answers 200" test "$(get /metrics)" = 200
check "metrics: the pool's ready ports" \
	grep -Eq '^superfluid_pool_ports\{pool="ops",state="ready"\} [2-4]$' "$tmp/body"
check "metrics: Neutron calls were counted" \
	grep -q '^superfluid_neutron_request_duration_seconds_count{op="port_create_bulk"}' "$tmp/body"
check "metrics: ports created" grep -Eq '^superfluid_ports_created_total [1-9]' "$tmp/body"
check "metrics: resident memory" grep -Eq '^superfluid_process_resident_memory_bytes [1-9]' "$tmp/body"
check "metrics listen on loopback only" \
	not ip netns exec "$hns" curl -s -m 2 "http://$SF_TB_HOST1_IP:${metrics##*:}/healthz"

mk_netns c1 c1
cni ADD "$NAME-c1" "/run/netns/$c1" eth0 "$(conf 1.1.0 "$NAME-net" "[\"$NAME-sg\"]")"
expect "ADD" 0 '.ips | length == 1'
cni DEL "$NAME-c1" "/run/netns/$c1" eth0 "$(conf 1.1.0 "$NAME-net" "[\"$NAME-sg\"]")"
expect "DEL" 0 ""
get /metrics > /dev/null
check "metrics: the ADD's latency was observed" \
	grep -q '^superfluid_cni_request_duration_seconds_count{verb="ADD"} 1$' "$tmp/body"
check "metrics: the DEL was counted as a success" \
	grep -q '^superfluid_cni_requests_total{verb="DEL",result="ok"} 1$' "$tmp/body"

# --- SIGHUP -------------------------------------------------------------------------
pid=$(cat "$dir/pid")
conf_file=$(scripts/sfhost conf "$I")
cp "$conf_file" "$tmp/good.conf"
sed -i 's/^max = 4$/max = 6/; s/^min = 2$/min = 3/' "$conf_file"
kill -HUP "$pid"
wait_until 20 test "$(pool_field "$I" ops min)" = 3
check "SIGHUP applies new pool sizes" test "$(pool_field "$I" ops max)" = 6
check "the pool refills to its new minimum" wait_until 60 pool_settled "$I" ops 3
sed -i 's/^max = 6$/max = 1/; s/^min = 3$/min = 1/' "$conf_file"
kill -HUP "$pid"
trimmed() {
	ctl "$I" pools | jq -e '.pools[] | select(.name == "ops") |
		.ready == 1 and .wiring == 0 and .creating == 0 and .deleting == 0' > /dev/null &&
		[ "$(instance_ports "$I" | wc -l)" = 1 ]
}
check "SIGHUP lowering max sends the ready ports above it back to Neutron, no ADD needed" \
	wait_until 60 trimmed
echo "bogus_key = 1" >> "$conf_file"
kill -HUP "$pid"
check "SIGHUP with a broken config logs the file, line and key" \
	wait_until 10 grep -Eq "superfluid.conf:[0-9]+: .*bogus_key.*keeping the running" "$dir/log"
check "... and the daemon keeps serving" test "$(pool_field "$I" ops min)" = 1
cp "$tmp/good.conf" "$conf_file"

# --- SIGTERM ------------------------------------------------------------------------
kill -TERM "$pid"
check "SIGTERM stops the daemon within 10 s" wait_until 10 not test -d "/proc/$pid"
check "... and removes its socket" test ! -e "$sock"
check "... saying so" grep -q "stopping on signal 15" "$dir/log"
finish
