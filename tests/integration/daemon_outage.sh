#!/usr/bin/env bash
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
# It stops shared services: run it alone (flock -x /run/sf-testbed.lock).
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
pfx=$(rand_prefix)
mk_network net_id net
mk_subnet subnet_id "$net_id" "$pfx"
mk_sg sg_id sg icmp

# A short client timeout, so that a hung Neutron costs seconds; a pool of 2
# that keeps no more than 2 ready ports.
instance_ini() {
	cat << EOF
[neutron]
connect_timeout = 1
timeout = 2
max_retries = 1
[pools]
on_demand = true
cold_add_timeout = $COLD_S
cooldown_ms = 300
quiet_ms = 50
max_defer_ms = 500
[pool p]
network = $NAME-net
security_groups = $NAME-sg
min = 2
max = 2
batch = 2
EOF
}
start_instance a host1 < <(instance_ini)
A=$INSTANCE
say "instance $A on host1; waiting for its pool"
wait_pool "$A" p 2 60
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
# Neutron shows the holder of each port in use, and no holder on the others.
holders_synced() { # INSTANCE
	local sp np
	sp=$(ctl "$1" ports | jq -c '[.ports[] | {id: .port_id, d: (.container_id // "")}] | sort')
	np=$(neutron GET "ports?tags=sf-deployment=$1&fields=id&fields=device_id&fields=name" |
		jq -c '[.ports[] | {id, d: .device_id}] | sort')
	[ "$sp" = "$np" ] && neutron GET "ports?tags=sf-deployment=$1&fields=name&fields=device_id" |
		jq -e '[.ports[] | select(.device_id != "") | .name | startswith("sf-")] | all' > /dev/null
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

# The daemon's attempts while Neutron fails: the refiller's and the syncer's
# "next attempt in" lines after LINE (the log's line count at the outage).
# Checks that the waits grow and that the calls are few.
check_backoff() { # INSTANCE LOG-LINE CALLS-BEFORE OUTAGE-SECONDS WHAT
	local lines t prev=0 first=0 last=0 n=0 calls
	lines=$(instance_log "$1" | tail -n +"$2" | grep 'refiller: Neutron failed')
	while read -r line; do
		[ -n "$line" ] || continue
		t=$(log_ms "$line")
		if [ "$prev" -gt 0 ]; then
			[ "$first" -eq 0 ] && first=$((t - prev))
			last=$((t - prev))
		fi
		prev=$t n=$((n + 1))
	done <<< "$lines"
	say "    refiller: $n failed passes, first gap $first ms, last gap $last ms"
	check "$5: the refiller retried with growing gaps ($n passes, gaps $first -> $last ms)" \
		test "$n" -ge 3 -a "$last" -gt "$first"
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
# the store agree.  Then x1 and x3 go, for the next outage.
outage_after() { # INSTANCE TAG
	local i=$1 g=$2 t0=$SECONDS
	if wait_until 90 pool_settled "$i" p 2; then
		refill_s=$((SECONDS - t0))
		pass "$g: the pool refilled to its minimum ${refill_s} s after the service returned"
	else
		fail "$g: the pool did not refill: $(ctl "$i" pools)"
	fi
	check "$g: Neutron shows the holders (device_id, name) of the ports in use" \
		wait_until 30 holders_synced "$i"
	check_same_ports "$i" "$g"
	del "$i" "${g}1"
	del "$i" "${g}3"
}

# --- neutron-server stopped ---------------------------------------------------------------
if want neutron; then
	say "== neutron-server stopped"
	outage_begin "$A"
	svc_stop neutron-server
	outage_during "$A" n
	# Let the outage last long enough for the backoff to show.
	sleep $(( 20 - (SECONDS - t_stop) > 0 ? 20 - (SECONDS - t_stop) : 0 ))
	check_backoff "$A" "$log0" "$calls0" $((SECONDS - t_stop)) "neutron-server down"
	summary+=("neutron-server down $((SECONDS - t_stop)) s: code 11 after $cold_ms ms, $outage_calls Neutron calls")
	svc_start neutron-server
	outage_after "$A" n
	summary+=("neutron-server back: pool at min after $refill_s s")
fi

say "figures:"
for line in "${summary[@]}"; do say "    $line"; done
finish
