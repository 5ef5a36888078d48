#!/usr/bin/env bash
# sf-test: alone
# sf-test: plain-build: ASan runs its breaker, timeouts and retries in daemon_partition, daemon_flaky_*
# Outages of the test bed's services while containers come and go, against
# a real superfluidd on host1 (docs/outages.md has the figures):
#  - neutron-server, keystone, rabbitmq stopped in turn, with a warm pool:
#    warm ADDs succeed and the containers ping each other, DEL works (the
#    release is local), an ADD on the drained pool fails with code 11 within
#    cold_add_timeout + slack; the daemon's Neutron calls during the outage
#    are few and spaced further and further apart; once the service is back
#    the pool refills, Neutron learns the holders, and Neutron's tagged
#    ports are exactly the daemon's.  Keystone: one daemon with a cached
#    token, one that must authenticate (restarted during the outage).
#    RabbitMQ: new ports never turn ACTIVE, so none is handed out, none is
#    leaked, and they serve once the agents are back.
#  - a bulk create whose answer is lost (neutron-server SIGSTOPped while it
#    is in flight): the ports it made are adopted by tag, never made twice.
#  - the daemon SIGKILLed (its socket left behind): the plugin fails at once
#    (ADD, DEL, CHECK: code 11; STATUS: code 50).
# It stops shared services (hence "sf-test: alone" above).
# The trap restarts what it stopped and waits until the test bed answers.
# SF_OUTAGE_ONLY="neutron keystone rabbitmq bulk killed" picks parts.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# Variables set by the lib's makers (printf -v) and functions run through
# check/wait_until are invisible to shellcheck.
# shellcheck disable=SC2154,SC2317
T=daemon_outage
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"

only=${SF_OUTAGE_ONLY:-neutron keystone rabbitmq bulk killed}
want() { [[ " $only " == *" $1 "* ]]; }
COLD_S=4        # cold_add_timeout
SLACK_S=3
testnet sg:icmp

# A short client timeout, so that a hung Neutron costs seconds; a pool of 2
# that keeps no more than 2 ready ports.
ini=(on_demand=true "cold_add_timeout=$COLD_S" cooldown_ms=300 p:net:sg min=2 max=2 batch=2
	'[neutron]' connect_timeout=1 timeout=2 max_retries=1)
ready_instance a host1 2 60 "${ini[@]}"
A=$INSTANCE
cf() { CONF_SOCKET=$(scripts/sfhost sock "$1") conf 1.0.0 "$NAME-net" "[\"$NAME-sg\"]"; }

metrics() { ip netns exec sf-host1 curl -sf "http://$(scripts/sfhost metrics "$1")/metrics"; }
# Neutron calls the daemon made so far (each call, its transport retries
# included, counts once).
neutron_calls() {
	metrics "$1" | awk '/^superfluid_neutron_request_duration_seconds_count/ { s += $NF }
		END { print s + 0 }'
}
metric() { # INSTANCE NAME{LABELS}
	metrics "$1" | awk -v m="$2" '$1 == m { print $2; f = 1 } END { if (!f) print 0 }'
}
log_ms() { # a log line's time -> ms since the epoch
	date -d "$(cut -d' ' -f1 <<< "$1")" +%s%3N
}

# The instance's ports in Neutron (by its tag) and in its store, sorted.
store_ports() { ctl "$1" ports | jq -r '.ports[].port_id' | sort; }
same_ports() { [ "$(instance_ports "$1")" = "$(store_ports "$1")" ]; }
check_same_ports() { # INSTANCE WHEN
	if wait_until 20 same_ports "$1"; then
		pass "$2: Neutron's ports tagged for $1 are the store's ($(store_ports "$1" | wc -l)), none orphaned"
	else
		fail "$2: Neutron has [$(instance_ports "$1" | tr '\n' ' ')], the store [$(store_ports "$1" | tr '\n' ' ')]"
	fi
}

declare -A ns_of ip_of
summary=()   # the figures, printed at the end (docs/outages.md)
# add INSTANCE LABEL: a warm ADD that must succeed.
add() {
	mk_netns "ns_of[$2]" "$2"
	cni ADD "$NAME-$2" "/run/netns/${ns_of[$2]}" eth0 "$(cf "$1")"
	expect "ADD $2 (warm, $took_ms ms)" 0 '.ips[0].address != null' || return 1
	ip_of[$2]=$(jq -r '.ips[0].address | sub("/.*"; "")' <<< "$out")
}
del() { # INSTANCE LABEL
	cni DEL "$NAME-$2" "/run/netns/${ns_of[$2]}" eth0 "$(cf "$1")"
	expect "DEL $2 ($took_ms ms)" 0 ""
}
# cold_fail INSTANCE LABEL: an ADD on the drained pool: code 11, in time,
# nothing left in the container.
cold_fail() {
	mk_netns "ns_of[$2]" "$2"
	cni ADD "$NAME-$2" "/run/netns/${ns_of[$2]}" eth0 "$(cf "$1")"
	expect "ADD $2 on the drained pool: code 11 after $took_ms ms" 1 '.code == 11 and (.msg | length) > 0'
	say "    its message: $(jq -r .msg <<< "$out")"
	check "... within cold_add_timeout + ${SLACK_S} s (${took_ms} ms)" \
		test "$took_ms" -lt $(( (COLD_S + SLACK_S) * 1000 ))
	check "... and the container holds no interface" test -z "$(links_of "${ns_of[$2]}")"
	cold_ms=$took_ms
}

# The daemon's attempts while Neutron fails: the delays the refiller's
# "Neutron failed ... next attempt in N ms" lines after LINE (the log's line
# count at the outage) announce must grow (the backoff; the gaps between
# the lines also hold each failed call's own time, which a loaded Neutron
# waiting on Keystone stretches to seconds), and the calls of all its
# threads must be few.
check_backoff() { # INSTANCE LOG-LINE CALLS-BEFORE OUTAGE-SECONDS WHAT
	local lines t prev=0 first=0 last=0 n=0 calls delays=() grow=1
	lines=$(instance_log "$1" | tail -n +"$2" | grep 'refiller: Neutron failed')
	while read -r line; do
		[ -n "$line" ] || continue
		t=$(log_ms "$line")
		if [ "$prev" -gt 0 ]; then
			[ "$first" -eq 0 ] && first=$((t - prev))
			last=$((t - prev))
		fi
		prev=$t n=$((n + 1))
		delays+=("$(sed -n 's/.*next attempt in \([0-9]*\) ms.*/\1/p' <<< "$line")")
	done <<< "$lines"
	# Each failure's range is above the last one's (state.c's backoff,
	# far below its cap in these outages): never less, and more in all.
	for ((i = 1; i < ${#delays[@]}; i++)); do
		[ "${delays[i]:-0}" -ge "${delays[i - 1]:-0}" ] || grow=0
	done
	[ "${delays[-1]:-0}" -gt "${delays[0]:-0}" ] || grow=0
	say "    refiller: $n failed passes, gaps $first -> $last ms, delays ${delays[*]} ms"
	check "$5: the refiller retried with growing delays ($n passes: ${delays[*]} ms)" \
		test "$n" -ge 2 -a "$grow" = 1
	calls=$(( $(neutron_calls "$1") - $3 ))
	# A loop at the syncer's tick (200 ms) would be 5 calls a second; with
	# the backoff each thread makes about log2(outage) failed passes.
	check "$5: $calls Neutron calls in a ${4} s outage (at most $(( $4 / 2 + 8 )))" \
		test "$calls" -le $(( $4 / 2 + 8 ))
	outage_calls=$calls
}

# One outage of SVC with a warm pool on instance INSTANCE.  The stop itself
# is done by the caller between "begin" and "during".
outage_begin() { # INSTANCE
	wait_pool "$1" p 2 60
	log0=$(( $(instance_log "$1" | wc -l) + 1 ))
	calls0=$(neutron_calls "$1")
	t_stop=$SECONDS
}
# Containers come and go: ADD x1 x2 (warm: the pool is drained), DEL x2
# (local: its port cools down and is ready again), ADD x3 (gets it back),
# ping x1 <-> x3, then ADD x4: code 11.
outage_during() { # INSTANCE TAG
	local i=$1 g=$2
	if ! add "$i" "${g}1" || ! add "$i" "${g}2"; then die "warm ADDs during the $g outage"; fi
	del "$i" "${g}2"
	check "$g: the released port is ready again without Neutron" \
		wait_until 10 pool_settled "$i" p 1
	add "$i" "${g}3" || die "ADD ${g}3"
	check "$g: ${g}1 pings ${g}3 (their interfaces work)" ping_ok "${ns_of[${g}1]}" "${ip_of[${g}3]}" 10
	cold_fail "$i" "${g}4"
}
# After the service is back: the pool refills, holders catch up, Neutron and
# the store agree.  Then the containers LABELS go, for the next outage.
# Up to 240 s: a port plugged while RabbitMQ is down turns ACTIVE only when
# the agent's lost RPC has timed out (rpc_response_timeout, 60 s), its
# random wait (up to 60 s) is over and it has resynced every device: in a
# CI run on 2026-12-07 that came 100 s after RabbitMQ was back.
outage_after() { # INSTANCE TAG LABELS...
	local i=$1 g=$2 t0=$SECONDS l
	if wait_until 240 pool_settled "$i" p 2; then
		refill_s=$((SECONDS - t0))
		pass "$g: the pool refilled to its minimum ${refill_s} s after the service returned"
	else
		fail "$g: the pool did not refill: $(ctl "$i" pools)"
	fi
	check "$g: Neutron shows the holders (device_id, name) of the ports in use" \
		wait_until 30 holders_synced "$i"
	check_same_ports "$i" "$g"
	shift 2
	for l in "$@"; do del "$i" "$l"; done
}

# --- neutron-server stopped ---------------------------------------------------------------
if want neutron; then
	say "== neutron-server stopped"
	outage_begin "$A"
	svc_stop neutron-server
	say "neutron-server stopped"
	outage_during "$A" n
	# Let the outage last long enough for the backoff to show.
	sleep $(( 20 - (SECONDS - t_stop) > 0 ? 20 - (SECONDS - t_stop) : 0 ))
	check_backoff "$A" "$log0" "$calls0" $((SECONDS - t_stop)) "neutron-server down"
	summary+=("neutron-server down $((SECONDS - t_stop)) s: code 11 after $cold_ms ms, $outage_calls Neutron calls")
	svc_start neutron-server
	outage_after "$A" n n1 n3
	summary+=("neutron-server back: pool at min after $refill_s s")
fi

# --- keystone stopped ------------------------------------------------------------------------
# Neutron checks every token with Keystone (token_cache_time = -1): a cached
# token does not help, Neutron answers 503.  A daemon that must authenticate
# (B, restarted during the outage) gets no token at all.  Both serve warm ADDs.
if want keystone; then
	say "== keystone stopped"
	start_instance b host1 < <(pool_ini "${ini[@]}")
	B=$INSTANCE
	outage_begin "$B"
	b_log0=$log0 b_calls0=$calls0
	outage_begin "$A"
	svc_stop keystone
	say "keystone stopped; $B restarts without a token"
	scripts/sfhost stop "$B" > /dev/null || die "stopping $B"
	scripts/sfhost restart "$B" > /dev/null || die "restarting $B"
	outage_during "$A" k
	k_cold=$cold_ms
	if ! add "$B" kb1 || ! add "$B" kb2; then die "warm ADDs on $B"; fi
	check "keystone: kb1 pings kb2 (daemon $B, no token)" ping_ok "${ns_of[kb1]}" "${ip_of[kb2]}" 10
	cold_fail "$B" kb3
	kb_cold=$cold_ms
	sleep $(( 20 - (SECONDS - t_stop) > 0 ? 20 - (SECONDS - t_stop) : 0 ))
	check_backoff "$A" "$log0" "$calls0" $((SECONDS - t_stop)) "keystone down, cached token"
	summary+=("keystone down $((SECONDS - t_stop)) s, cached token: code 11 after $k_cold ms, $outage_calls Neutron calls")
	check_backoff "$B" "$b_log0" "$b_calls0" $((SECONDS - t_stop)) "keystone down, no token"
	summary+=("keystone down, daemon restarted without a token: code 11 after $kb_cold ms, $outage_calls Neutron calls")
	svc_start keystone
	outage_after "$A" k k1 k3
	summary+=("keystone back: pool at min after $refill_s s (cached token)")
	outage_after "$B" kb kb1 kb2
	summary+=("keystone back: pool at min after $refill_s s more (new token)")
	scripts/sfhost stop "$B" > /dev/null
fi

# --- rabbitmq stopped ---------------------------------------------------------------------------
# neutron-server answers but its agents hear nothing: a new port is never
# wired, so never ACTIVE.  The daemon must not hand it out nor lose it.
if want rabbitmq; then
	say "== rabbitmq stopped"
	outage_begin "$A"
	svc_stop rabbitmq
	say "rabbitmq stopped"
	outage_during "$A" r
	# No port is handed out unless ACTIVE; the new ones wait, recorded.
	active_or_wiring() {
		local ids
		ids=$(ctl "$A" ports | jq -r '.ports[] | select(.state == "in_use" or .state == "ready") | .port_id')
		for id in $ids; do
			[ "$(port_get "$id" | jq -r .status)" = ACTIVE ] || return 1
		done
	}
	check "rabbitmq: every port ready or in use is ACTIVE in Neutron" active_or_wiring
	r_wiring=$(pool_field "$A" p wiring)
	say "    ports waiting for ACTIVE (wiring): $r_wiring"
	check_same_ports "$A" "rabbitmq down"
	# Long enough for Neutron to declare the agents dead (agent_down_time).
	sleep $(( 20 - (SECONDS - t_stop) > 0 ? 20 - (SECONDS - t_stop) : 0 ))
	say "    agents alive per Neutron: $(neutron GET 'agents?fields=host&fields=binary&fields=alive' |
		jq -c '[.agents[] | select(.alive) | .host + " " + .binary]')"
	r_calls=$(( $(neutron_calls "$A") - calls0 )) r_out=$((SECONDS - t_stop))
	# Neutron answers: what it costs is the poll of the wiring ports (one
	# status query per 300 ms), not a retry loop.
	check "rabbitmq down: $r_calls Neutron calls in $r_out s (at most $(( r_out * 10 / 3 + 10 )))" \
		test "$r_calls" -le $(( r_out * 10 / 3 + 10 ))
	summary+=("rabbitmq down $r_out s: code 11 after $cold_ms ms, $r_calls Neutron calls (answered), $r_wiring port(s) left wiring")
	t0=$SECONDS
	svc_start rabbitmq
	if wait_until 120 testbed_ok; then
		pass "rabbitmq: the agents report again $((SECONDS - t0)) s after it started"
	else
		fail "rabbitmq: the agents did not come back: $(scripts/testbed status)"
	fi
	summary+=("rabbitmq back: agents alive after $((SECONDS - t0)) s")
	outage_after "$A" r r1 r3
	summary+=("rabbitmq back: pool at min after $refill_s s more")
fi

# --- a bulk create whose answer is lost ------------------------------------------------------------
# neutron-server frozen (SIGSTOP) while the refiller's bulk POST is in
# flight: the client times out (2 s), the server makes the ports when it
# wakes.  They must be adopted by tag, and no second batch sent for them.
if want bulk; then
	say "== a bulk create whose answer is lost"
	wait_pool "$A" p 2 60
	log0=$(( $(instance_log "$A" | wc -l) + 1 ))
	bulk='superfluid_neutron_request_duration_seconds_count{op="port_create_bulk"}'
	leak='superfluid_leaked_ports_total{kind="neutron"}'
	bulk0=$(metric "$A" "$bulk") leak0=$(metric "$A" "$leak")
	# Drain the pool back to back (within quiet_ms): its deficit, 2, is then
	# one bulk create.  It may hold more than min (adopted ports).
	nready=$(pool_field "$A" p ready) nports=$(instance_ports "$A" | wc -l)
	fs=()
	for k in $(seq 1 "$nready"); do mk_netns "ns_of[f$k]" "f$k"; fs+=("f$k"); done
	svc_freeze neutron-server
	say "neutron-server frozen"
	cfa=$(cf "$A")
	for f in "${fs[@]}"; do
		cni ADD "$NAME-$f" "/run/netns/${ns_of[$f]}" eth0 "$cfa"
		expect "ADD $f (warm, $took_ms ms)" 0 '.ips[0].address != null' || die "ADD $f"
	done
	lost() { instance_log "$A" | tail -n +"$log0" | grep -q "pool 'p': creating 2 port(s): "; }
	check "the refiller's bulk create of 2 timed out" wait_until 15 lost
	sleep 5   # the refiller's next passes, while the server still sleeps
	svc_thaw neutron-server
	say "neutron-server thawed"
	wait_pool "$A" p 2 60
	bulks=$(( $(metric "$A" "$bulk") - bulk0 )) adopted=$(( $(metric "$A" "$leak") - leak0 ))
	check "one bulk create in all (made $bulks): no second batch for the lost one" test "$bulks" = 1
	check "the lost batch's 2 ports were adopted by tag (adopted $adopted)" test "$adopted" = 2
	check "Neutron holds $nports + 2 ports for $A" test "$(instance_ports "$A" | wc -l)" = $((nports + 2))
	check_same_ports "$A" "lost bulk create"
	summary+=("lost bulk create: $bulks bulk POST, $adopted ports adopted by tag")
	for f in "${fs[@]}"; do del "$A" "$f"; done
fi

# --- the daemon killed ---------------------------------------------------------------------------------
# SIGKILL leaves its socket file behind: connecting is refused at once.
if want killed; then
	say "== the daemon killed"
	mk_netns ns_k dk
	scripts/sfhost kill "$A" > /dev/null
	sock=$(scripts/sfhost sock "$A")
	check "the killed daemon's socket file is left behind" test -S "$sock"
	for verb in ADD DEL CHECK; do
		cni "$verb" "$NAME-dk" "/run/netns/$ns_k" eth0 "$(cf "$A")"
		expect "$verb with the daemon killed: code 11 naming the socket" 1 \
			".code == 11 and (.msg | contains(\"$sock\"))"
		check "... at once ($took_ms ms)" test "$took_ms" -lt 1000
	done
	cni STATUS "" "" "" "$(CONF_SOCKET=$sock conf 1.1.0 "$NAME-net" "[\"$NAME-sg\"]")"
	expect "STATUS with the daemon killed: code 50 ($took_ms ms)" 1 ".code == 50"
	say "    message: $(jq -r .msg <<< "$out"); stderr: $err"
	check "the container's namespace is untouched" test -z "$(links_of "$ns_k")"
	summary+=("daemon killed: ADD/DEL/CHECK code 11, STATUS code 50, each in < 1 s")
fi

say "figures:"
for line in "${summary[@]}"; do say "    $line"; done
finish
