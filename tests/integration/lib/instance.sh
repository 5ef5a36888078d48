# shellcheck shell=bash
# superfluidd instances on the test bed's hosts, and the instance with a
# ready pool most tests start from: sourced after lib/env.sh and
# lib/openstack.sh, never run.
#
#   testnet [SG[:icmp]...]      network, subnet and groups, removed by the trap
#   ready_instance LABEL HOST N SECONDS [POOL_INI...]
#                               an instance whose first pool holds N ready ports
#
# Every instance started here is stopped and purged by the trap, which
# also fails the test on a sanitizer report in its log.
# shellcheck disable=SC2034

B=${SF_BUILD:-${O:-build}}
case $B in /*) ;; *) B=$PWD/$B ;; esac
P=$B/superfluid
[ -x "$P" ] && [ -x "$B/superfluidd" ] || skip "$B/superfluid or superfluidd is not built (make first)"
export SF_BUILD=$B   # scripts/sfhost runs this build's daemon

made_instances=()

# testnet [SG[:icmp]...]: network $NAME-net with a subnet on a random
# 198.19.X.0/24, and a group $NAME-SG per SG (default: sg), "icmp" adding
# an ICMP ingress rule.  Sets pfx (198.19.X), net_id, subnet_id, SG_id.
testnet() {
	local g icmp groups=""
	pfx=$(rand_prefix)
	mk_network net_id net
	mk_subnet subnet_id "$net_id" "$pfx"
	for g in "${@:-sg}"; do
		icmp=""
		[[ $g == *:icmp ]] && icmp=icmp
		mk_sg "${g%%:*}_id" "${g%%:*}" $icmp
		groups+=" $NAME-${g%%:*}${icmp:+ (ICMP in)}"
	done
	say "network $NAME-net ($pfx.0/24); groups:$groups"
}

# pool_ini TOKEN...: an instance's INI text (scripts/sfhost start's stdin).
#   KEY=VALUE      a line "KEY = VALUE"; before any section, in [pools]
#                  (the defaults of every pool)
#   POOL:NET[:SG]  [pool POOL] on network $NAME-NET and group $NAME-SG
#                  (none without SG); the KEY=VALUEs after it are its own
#   '[SECTION]'    another section (say, [neutron])
pool_ini() {
	local t p sect=""
	for t in "$@"; do
		case $t in
		\[*\]) printf '%s\n' "$t"; sect=$t ;;
		*=*)
			[ -n "$sect" ] || { echo "[pools]"; sect="[pools]"; }
			printf '%s = %s\n' "${t%%=*}" "${t#*=}" ;;
		*:*)
			IFS=: read -r -a p <<< "$t"
			printf '[pool %s]\nnetwork = %s\n' "${p[0]}" "$NAME-${p[1]}"
			[ -z "${p[2]:-}" ] || printf 'security_groups = %s\n' "$NAME-${p[2]}"
			sect=pool ;;
		*) die "pool_ini: what is '$t'?" ;;
		esac
	done
}

# ready_instance LABEL HOST N SECONDS [POOL_INI...]: an instance on HOST
# (as start_instance; SF_DAEMON_INI and SF_DAEMON_ARGS pass through) with
# pool_ini's text, pool p on $NAME-net and $NAME-sg unless a POOL:NET[:SG]
# is given; returns once its first pool holds N ready ports at rest, within
# SECONDS.  Sets INSTANCE, CONF_SOCKET (its socket) and cf (a 1.0.0 network
# config for that pool's network and group).
ready_instance() {
	local label=$1 host=$2 n=$3 secs=$4 t pool="" net sg
	shift 4
	for t in "$@"; do
		[[ $t == *=* || $t == \[* || $t != *:* ]] && continue
		pool=$t
		break
	done
	[ -n "$pool" ] || { pool=p:net:sg; set -- "$@" "$pool"; }
	IFS=: read -r _ net sg <<< "$pool"
	start_instance "$label" "$host" < <(pool_ini "$@")
	CONF_SOCKET=$(scripts/sfhost sock "$INSTANCE")
	cf=$(conf 1.0.0 "$NAME-$net" "${sg:+[\"$NAME-$sg\"]}")
	say "instance $INSTANCE on $host; waiting for its pool ${pool%%:*}"
	wait_pool "$INSTANCE" "${pool%%:*}" "$n" "$secs"
}

# start_instance LABEL HOST < INI -> sets INSTANCE to its name.  The name is
# chosen so that its metrics port (scripts/sfhost derives it from the name)
# is not another instance's.
start_instance() {
	local label=$1 host=$2 name port taken=" " c
	for c in "$SF_TB_DIR"/sf/*/superfluid.conf; do
		[ -f "$c" ] && taken+="$(sed -n 's/^metrics_address = 127.0.0.1://p' "$c") "
	done
	for _ in $(seq 1 50); do
		name=it-$(od -An -tx1 -N3 /dev/urandom | tr -d ' \n')-$label
		port=$(( 9800 + $(cksum <<< "$name" | cut -d' ' -f1) % 150 ))
		[[ $taken != *" $port "* ]] && break
	done
	made_instances+=("$name")
	scripts/sfhost start "$name" "$host" > "$tmp/sfhost.out" 2>&1 ||
		die "scripts/sfhost start $name $host: $(cat "$tmp/sfhost.out")"
	INSTANCE=$name
}

# own_metrics_port: for a daemon a test runs itself in sf-host1, a port of
# 9950-9999 (start_instance's have 9800-9949) nothing listens on there yet:
# two such daemons of one test, or of tests side by side, drew the same one.
own_metrics_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((9950 + $(od -An -tu2 -N2 /dev/urandom) % 50))
		[ -z "$(ip netns exec sf-host1 ss -Hltn "sport = :$p")" ] && break
	done
	echo "$p"
}

instance_log() { cat "$(scripts/sfhost dir "$1")/log"; }

# The trap's part: each instance stopped, its log searched, then purged.
instances_cleanup() {
	local i
	for i in "${made_instances[@]}"; do
		# SIGTERM first, so that a sanitizer build reports leaks in the
		# log, which the purge then deletes.
		scripts/sfhost stop "$i" > /dev/null 2>&1
		if instance_log "$i" 2> /dev/null | grep -q 'Sanitizer\|runtime error:'; then
			say "FAIL: a sanitizer report in the log of $i"
			exit_rc=1
		fi
		# The daemons' side of a failure (SF_IT_SHOW_LOGS=1: always).
		if [ "$exit_rc" -ne 0 ] || [ -n "${SF_IT_SHOW_LOGS:-}" ]; then
			say "log of $i:"
			instance_log "$i" 2> /dev/null | tail -n "${SF_IT_LOG_LINES:-40}" | sed 's/^/    | /'
		fi
		scripts/sfhost stop "$i" --purge > /dev/null 2>&1 || say "purging instance $i failed"
	done
	made_instances=()
}
at_exit 30 instances_cleanup

# conf VERSION NETWORK SG_JSON [JQ-UPDATE]: a network config on stdout.
# SG_JSON is a JSON array of names or ids, or "" for none.  CONF_SOCKET, if
# set, names the daemon's socket.
conf() {
	jq -nc --arg v "$1" --arg net "$2" --argjson sg "${3:-null}" \
		--arg sock "${CONF_SOCKET:-}" '{cniVersion: $v, name: "sfit", type: "superfluid",
		network: $net} + (if $sg then {securityGroups: $sg} else {} end) +
		(if $sock != "" then {socket: $sock} else {} end)' | jq -c "${4:-.}"
}

# tcp_mib_check WHAT SG_ID FROM_NS TO_NS IP: with a rule of SG_ID letting
# TCP 5201 in, 1 MiB sent from FROM_NS to a listener on IP in TO_NS arrives
# whole (tried for up to 20 s: the rule takes a moment); the rule goes after.
tcp_mib_check() {
	local rule
	rule=$(sg_allow_tcp "$2" 5201 | jq -r .security_group_rule.id)
	wait_until 20 tcp_through "$3" "$4" "$5" 5201 1048576
	check "a TCP rule added: 1 MiB $1 arrives whole ($(cat "$tmp/tcp.n") bytes)" \
		test "$(cat "$tmp/tcp.n")" = 1048576
	neutron DELETE "security-group-rules/$rule" > /dev/null || fail "deleting rule $rule"
}
# tcp_through FROM_NS TO_NS IP PORT BYTES: BYTES zeros sent over TCP from
# FROM_NS to a listener on IP:PORT in TO_NS arrive whole; what arrived is
# left in $tmp/tcp.n.
tcp_through() {
	ip netns exec "$2" timeout 10 socat -u "TCP-LISTEN:$4,reuseaddr" - 2> /dev/null |
		wc -c > "$tmp/tcp.n" &
	local lp=$!
	sleep 0.3
	head -c "$5" /dev/zero | ip netns exec "$1" timeout 8 \
		socat -u - "TCP:$3:$4,connect-timeout=3" 2> /dev/null
	wait "$lp"
	[ "$(cat "$tmp/tcp.n")" = "$5" ]
}

# ctl INSTANCE QUERY: the daemon's answer to {"ctl": QUERY} (its "stdout").
# Fails when the daemon does not answer: jq 1.6 -e exits 0 on empty input,
# which would let a dead daemon pass every check built on this.
ctl() {
	local _ans
	_ans=$(printf '{"version":1,"ctl":"%s"}' "$2" |
		socat -t 5 - "UNIX-CONNECT:$(scripts/sfhost sock "$1")" 2> /dev/null) || return 1
	[ -n "$_ans" ] || return 1
	jq -ec '.stdout | fromjson' <<< "$_ans"
}

# pool_field INSTANCE POOL FIELD: one number of a pool (ready, in_use,
# cooldown, wiring, deleting, creating).
pool_field() {
	ctl "$1" pools | jq -er --arg p "$2" --arg f "$3" \
		'.pools[] | select(.name == $p) | .[$f]'
}

# The port an attachment holds, per the daemon: INSTANCE CID [IFNAME
# [STATE]]; with STATE, only a port in that state (say, in_use) counts.
held_port() {
	ctl "$1" ports | jq -er --arg c "$2" --arg i "${3:-eth0}" --arg s "${4:-}" \
		'[.ports[] | select(.container_id == $c and .ifname == $i and ($s == "" or .state == $s))] |
		 if length == 1 then .[0].port_id else error("not held") end'
}

port_state() { # INSTANCE PORT_ID -> its state per the daemon
	ctl "$1" ports | jq -er --arg p "$2" '.ports[] | select(.port_id == $p) | .state'
}

# A pool at rest: nothing wiring, creating or cooling, `ready` at least N.
pool_settled() { # INSTANCE POOL N
	ctl "$1" pools | jq -e --arg p "$2" --argjson n "$3" '.pools[] | select(.name == $p) |
		.ready >= $n and .wiring == 0 and .creating == 0 and .cooldown == 0 and
		.deleting == 0' > /dev/null
}

# The instance's ports in Neutron (by its tag) and in its store agree.
store_ports() { ctl "$1" ports | jq -r '.ports[].port_id' | sort; } # INSTANCE
ports_agree() { [ "$(instance_ports "$1")" = "$(store_ports "$1")" ]; } # INSTANCE
# Ports whose host interfaces on HOST (tap, sfp, sfb, a container's sfc)
# carry the instance's alias "sf:INSTANCE:PORT_ID", sorted ids.
host_ports() { # HOST INSTANCE
	ip -n "$(host_ns "$1")" -j -d link show | jq -r --arg a "sf:$2:" \
		'.[] | .ifalias // empty | select(startswith($a)) | ltrimstr($a)' | sort -u
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
# Neutron's tagged ports == the store's == the host's interfaces.
all_agree() { ports_agree "$2" && [ "$(host_ports "$1" "$2")" = "$(store_ports "$2")" ]; } # HOST INSTANCE

# instance_metric HOST INSTANCE NAME{LABELS}: one sample of its /metrics
# (0 when absent).
instance_metric() {
	ip netns exec "sf-$1" curl -sf "http://$(scripts/sfhost metrics "$2")/metrics" |
		awk -v m="$3" '$1 == m { print $2; f = 1 } END { if (!f) print 0 }'
}

wait_pool() { # INSTANCE POOL N SECONDS
	wait_until "$4" pool_settled "$1" "$2" "$3" ||
		die "pool '$2' of $1 did not reach $3 ready ports in $4 s: $(ctl "$1" pools)"
}
