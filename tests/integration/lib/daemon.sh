# shellcheck shell=bash
# What the daemon tests (tests/integration/daemon_*.sh and most others)
# source: sourced, never run.  It loads lib/env.sh (checks, the test bed's
# environment, the exit trap), lib/openstack.sh (Neutron over REST and the
# makers of networks, subnets and groups) and lib/instance.sh (superfluidd
# instances, the instance with a ready pool, ctl queries), and adds test-bed
# outages, namespaces, the real plugin run as a runtime runs it (a clean
# environment, CNI_* variables, a config on stdin) and checks on what it
# printed.  Everything made is recorded so that the EXIT trap removes it,
# pass or fail.
#
# The caller sets T (its name, for messages) before sourcing.
# "A && B || C" means "C when A or B fails" here; took_ms and the like are
# for the callers.
# shellcheck disable=SC2015,SC2034
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/lib/env.sh
. "$here/env.sh"
# shellcheck source=tests/integration/lib/openstack.sh
. "$here/openstack.sh"
# shellcheck source=tests/integration/lib/instance.sh
. "$here/instance.sh"
unset here

# Test-bed services a test stopped or froze (svc_stop, svc_freeze): the trap
# brings them back first, since the rest of the cleanup needs them.
stopped_svcs=() frozen_svcs=()
at_exit 10 svcs_restore

# --- test-bed outages ----------------------------------------------------------
# Tests that use these stop shared services: run them under
# `# sf-test: alone`: tests/run holds the bed's lock exclusively (docs/testbed.md).

# svc_pid SVC: the recorded pid of a test-bed service, if it still is that
# process (same start time); it leads its own session and process group.
svc_pid() {
	local pid start st
	read -r pid start < "$SF_TB_DIR/run/$1.pid" 2> /dev/null || return 1
	st=$(sed 's/.*) //' "/proc/$pid/stat" 2> /dev/null | cut -d' ' -f20) || return 1
	[ -n "$pid" ] && [ "$st" = "$start" ] || return 1
	printf '%s' "$pid"
}
svc_stop() { # SVC
	stopped_svcs+=("$1") svcs_touched=1
	scripts/testbed stop "$1" > /dev/null || die "scripts/testbed stop $1"
}
svc_start() { # SVC: returns once it answers (scripts/testbed start)
	scripts/testbed start "$1" > /dev/null || die "scripts/testbed start $1"
	local s rest=()
	for s in "${stopped_svcs[@]}"; do [ "$s" = "$1" ] || rest+=("$s"); done
	stopped_svcs=("${rest[@]}")
}
# svc_freeze SVC / svc_thaw SVC: SIGSTOP / SIGCONT its whole process group
# (neutron-server's API worker is a child of the recorded pid).
svc_freeze() {
	local pid
	pid=$(svc_pid "$1") || die "$1 does not run"
	frozen_svcs+=("$1:$pid") svcs_touched=1
	kill -STOP -- "-$pid" || die "SIGSTOP $1"
}
svc_thaw() {
	local f rest=()
	for f in "${frozen_svcs[@]}"; do
		if [ "${f%%:*}" = "$1" ]; then kill -CONT -- "-${f#*:}"; else rest+=("$f"); fi
	done
	frozen_svcs=("${rest[@]}")
}
# Thaws and starts what the test left down, then waits until the whole test
# bed answers again (the API, every agent alive): the next test needs it.
svcs_restore() {
	local f s
	for f in "${frozen_svcs[@]}"; do kill -CONT -- "-${f#*:}" 2> /dev/null; done
	frozen_svcs=()
	for s in "${stopped_svcs[@]}"; do
		say "restarting $s"
		scripts/testbed start "$s" > /dev/null 2>&1 || say "FAIL: restarting $s"
	done
	stopped_svcs=()
	[ -n "${svcs_touched:-}" ] || return 0
	wait_until 120 testbed_ok || say "FAIL: the test bed is not whole again: $(scripts/testbed status)"
}
testbed_ok() { scripts/testbed status > /dev/null 2>&1; }

# --- partitions ------------------------------------------------------------------
# One instance cut off from Neutron and Keystone, packets dropped (not
# refused), while every other process on its host (other instances, the
# agents) keeps its path: the instance is started in a cgroup (v2) of its
# own, and a rule in its host's namespace (never the machine's) drops what
# that cgroup's sockets send to the API ports.  A socket belongs to the
# cgroup of the process that made it, so the instance must be started
# inside: part_enter; start_instance ...; part_leave.  The trap removes the
# rules, then the cgroup once its instances are gone.
PART_CG_ROOT=/sys/fs/cgroup/unified
part_cg=$NAME part_rules=()
part_enter() {
	[ -w "$PART_CG_ROOT/cgroup.procs" ] || skip "no cgroup v2 hierarchy at $PART_CG_ROOT"
	[ -d "$PART_CG_ROOT/$part_cg" ] || mkdir "$PART_CG_ROOT/$part_cg" || die "mkdir cgroup $part_cg"
	echo "$BASHPID" > "$PART_CG_ROOT/$part_cg/cgroup.procs" || die "joining cgroup $part_cg"
}
part_leave() { echo "$BASHPID" > "$PART_CG_ROOT/cgroup.procs" || die "leaving cgroup $part_cg"; }
# partition HOST [PORTS]: drop what the cgroup sends to the API's address
# (default ports: Neutron's 9696 and Keystone's 5000).
partition() {
	local rule=(OUTPUT -m cgroup --path "$part_cg" -d "$SF_TB_UNDERLAY_IP" -p tcp
		-m multiport --dports "${2:-9696,5000}" -j DROP)
	ip netns exec "sf-$1" iptables -I "${rule[@]}" || die "iptables in sf-$1"
	part_rules+=("sf-$1 ${rule[*]}")
}
# agent_partition HOST: drops what HOST's L2 agent sends to RabbitMQ, in
# HOST's namespace, so that the L3 agent beside it keeps its path: its
# connections to the broker (the transport_url of its neutron.conf) matched
# by their source ports, and those it opens later (an RPC call may take a
# new one from its pool; CI met a port turning ACTIVE so) by the test's
# cgroup, which the agent is moved into: a socket belongs to the cgroup its
# maker was in.  The agent's ports stop turning ACTIVE (it cannot ask for
# their details nor report them up), and after agent_down_time Neutron
# deems it dead.  heal removes the rules and puts the agent back in its own
# cgroup; so does the trap.
agent_cg=""   # "PID CGROUP" of an agent moved into part_cg
agent_partition() {
	local pid url port sports rule
	pid=$(svc_pid "agent-$1") || die "the L2 agent of $1 does not run"
	url=$(sed -n 's/^transport_url = //p' "$SF_TB_DIR/hosts/$1/neutron/neutron.conf")
	port=${url##*:} port=${port%%/*}
	[ -w "$PART_CG_ROOT/cgroup.procs" ] || skip "no cgroup v2 hierarchy at $PART_CG_ROOT"
	[ -d "$PART_CG_ROOT/$part_cg" ] || mkdir "$PART_CG_ROOT/$part_cg" || die "mkdir cgroup $part_cg"
	agent_cg="$pid $(sed -n 's/^0:://p' "/proc/$pid/cgroup")"
	echo "$pid" > "$PART_CG_ROOT/$part_cg/cgroup.procs" || die "moving the agent into cgroup $part_cg"
	rule=(OUTPUT -m cgroup --path "$part_cg" -d "$SF_TB_UNDERLAY_IP" -p tcp --dport "$port" -j DROP)
	ip netns exec "sf-$1" iptables -I "${rule[@]}" || die "iptables in sf-$1"
	part_rules+=("sf-$1 ${rule[*]}")
	sports=$(ip netns exec "sf-$1" ss -tnpH dst "$SF_TB_UNDERLAY_IP:$port" |
		awk -v p="pid=$pid," '$1 == "ESTAB" && index($0, p) { sub(/.*:/, "", $4); print $4 }' |
		head -15 | paste -sd,)
	[ -n "$sports" ] || die "the L2 agent of $1 (pid $pid) has no connection to $SF_TB_UNDERLAY_IP:$port"
	rule=(OUTPUT -d "$SF_TB_UNDERLAY_IP" -p tcp --dport "$port" -m multiport --sports "$sports" -j DROP)
	ip netns exec "sf-$1" iptables -I "${rule[@]}" || die "iptables in sf-$1"
	part_rules+=("sf-$1 ${rule[*]}")
	AGENT_PORTS=$sports
}
partitioned() { # HOST: a rule of ours is still in place
	ip netns exec "sf-$1" iptables -S OUTPUT | grep -q -- "--path $part_cg "
}
heal() { # removes every rule partition made
	local r
	for r in "${part_rules[@]}"; do
		# shellcheck disable=SC2086
		ip netns exec ${r%% *} iptables -D ${r#* } || say "FAIL: removing the rule ${r#* }"
	done
	part_rules=()
	if [ -n "$agent_cg" ]; then
		echo "${agent_cg%% *}" > "$PART_CG_ROOT${agent_cg#* }/cgroup.procs" 2> /dev/null ||
			echo "${agent_cg%% *}" > "$PART_CG_ROOT/cgroup.procs" ||
			say "FAIL: moving the agent (pid ${agent_cg%% *}) out of cgroup $part_cg"
		agent_cg=""
	fi
}
part_cleanup() {
	[ -d "$PART_CG_ROOT/$part_cg" ] || return 0
	# Whatever still runs in it (an instance not stopped) goes back to the root.
	while read -r pid; do echo "$pid" > "$PART_CG_ROOT/cgroup.procs"; done \
		< "$PART_CG_ROOT/$part_cg/cgroup.procs"
	rmdir "$PART_CG_ROOT/$part_cg" || say "FAIL: removing cgroup $part_cg"
}
at_exit 15 heal
at_exit 45 part_cleanup

# --- a slow or failing Neutron ----------------------------------------------------
# tests/tools/sfflaky, a proxy on host1's loopback in front of Neutron, for
# an instance's "[neutron] endpoint_override = http://127.0.0.1:$flaky_port".
FLAKY=$B/tests/tools/sfflaky
flaky_port=$(( 20000 + RANDOM % 10000 ))
flaky_pid=""
flaky_have() { [ -x "$FLAKY" ]; }
flaky_stop() { [ -z "$flaky_pid" ] || kill "$flaky_pid" 2> /dev/null; wait "$flaky_pid" 2> /dev/null; flaky_pid=""; }
at_exit 20 flaky_stop
# flaky_answers CODE: how many answers of that status the proxy logged (a
# line: "<ms> <what> METHOD PATH <status> <ms it arrived>"); flaky_last: the
# status of the last one.
flaky_answers() { awk -v c="$1" '$5 == c { n++ } END { print n + 0 }' "$tmp/flaky.log"; }
flaky_last() { tail -1 "$tmp/flaky.log" | awk '{ print $5 }'; }
flaky() { # OPTIONS...: (re)starts the proxy; its log in $tmp/flaky.log
	flaky_stop
	: > "$tmp/flaky.log"
	ip netns exec sf-host1 "$FLAKY" --listen "127.0.0.1:$flaky_port" \
		--upstream "${SF_TB_NEUTRON_URL#http://}" "$@" >> "$tmp/flaky.log" 2>&1 &
	flaky_pid=$!
	wait_until 5 ip netns exec sf-host1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$flaky_port" 2> /dev/null ||
		die "sfflaky does not listen on $flaky_port"
}

# --- a Neutron taken away from some daemons only -------------------------------------
# A fault-free sfflaky on HOST's loopback at $gate_port, for the instances
# whose ini has gate_ini's endpoint_override: gate_close HOST refuses their
# connections (what they see of a stopped neutron-server) and gate_open HOST
# forwards them again, while the shared neutron-server stays up for the
# tests beside this one.
gate_port=$(( 20000 + RANDOM % 10000 ))
declare -A gate_pids=()
gate_ini() { printf '[neutron]\nendpoint_override = http://127.0.0.1:%s\n' "$gate_port"; }
gate_open() { # HOST
	[ -z "${gate_pids[$1]:-}" ] || return 0
	ip netns exec "sf-$1" "$FLAKY" --listen "127.0.0.1:$gate_port" \
		--upstream "${SF_TB_NEUTRON_URL#http://}" >> "$tmp/gate-$1.log" 2>&1 &
	gate_pids[$1]=$!
	wait_until 5 ip netns exec "sf-$1" bash -c "exec 3<>/dev/tcp/127.0.0.1/$gate_port" 2> /dev/null ||
		die "sfflaky does not listen on $1's 127.0.0.1:$gate_port"
}
gate_close() { # HOST
	[ -n "${gate_pids[$1]:-}" ] || return 0
	kill "${gate_pids[$1]}" 2> /dev/null
	wait "${gate_pids[$1]}" 2> /dev/null
	unset "gate_pids[$1]"
}
gates_cleanup() { local h; for h in "${!gate_pids[@]}"; do gate_close "$h"; done; }
at_exit 35 gates_cleanup # after the instances stop

# --- clients that hold a connection -------------------------------------------------
# silent_client SOCKET: connects and sends nothing for a minute (socat, in
# the background); clients_cleanup (also the trap's) ends them all.
client_pids=()
silent_client() { sleep 60 | socat -u - "UNIX-CONNECT:$1" > /dev/null 2>&1 & client_pids+=($!); }
clients_cleanup() {
	local p
	for p in "${client_pids[@]}"; do kill "$p" 2> /dev/null; done
	client_pids=()
}
at_exit 20 clients_cleanup

# --- the plugin -------------------------------------------------------------------

# cni VERB CID NETNS IFNAME CONF [VAR=VALUE...]: runs the plugin as a
# runtime does: a clean environment, only the variables given (an empty
# CID, NETNS or IFNAME is left unset), the config on stdin.  Sets out, rc,
# err and took_ms.
cni() {
	local verb=$1 cid=$2 ns=$3 ifn=$4 cf=$5 t0
	shift 5
	local -a e=(CNI_COMMAND="$verb" CNI_PATH=/opt/cni/bin)
	[ -n "$cid" ] && e+=(CNI_CONTAINERID="$cid")
	[ -n "$ns" ] && e+=(CNI_NETNS="$ns")
	[ -n "$ifn" ] && e+=(CNI_IFNAME="$ifn")
	printf '%s' "$cf" > "$tmp/stdin"
	t0=$(date +%s%N)
	out=$(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} \
		${UBSAN_OPTIONS:+UBSAN_OPTIONS=$UBSAN_OPTIONS} "${e[@]}" "$@" "$P" \
		< "$tmp/stdin" 2> "$tmp/stderr")
	rc=$?
	took_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	err=$(cat "$tmp/stderr")
}

# expect NAME RC JQ-EXPR: checks the plugin's exit code and that the
# expression holds for the JSON it printed ("." for "any JSON").
expect() {
	local name=$1 want=$2 expr=$3
	if [ "$rc" != "$want" ]; then
		fail "$name: exit $rc, want $want; stdout: $out; stderr: $err"
		return 1
	fi
	if [ "$expr" = "" ]; then
		[ -z "$out" ] && { pass "$name"; return 0; }
		fail "$name: want no output, got: $out"
		return 1
	fi
	if jq -e "$expr" <<< "$out" > /dev/null 2>&1; then
		pass "$name"
		return 0
	fi
	fail "$name: '$expr' is false for: $out"
	return 1
}

# --- inside a namespace ---------------------------------------------------------------

link_json() { ip -n "$1" -j link show dev "$2" 2> /dev/null | jq -ec '.[0]'; } # NS IFNAME
link_absent() { ! ip -n "$1" link show dev "$2" > /dev/null 2>&1; }           # NS IFNAME
# The interfaces of a namespace but lo, sorted by name.
links_of() { ip -n "$1" -j link show | jq -r '[.[].ifname | select(. != "lo")] | sort | join(" ")'; }

# ping_ok NS IP SECONDS: some echo comes back within SECONDS.
ping_once() { ip netns exec "$1" ping -c 1 -W 1 "$2" > /dev/null 2>&1; }
ping_ok() { wait_until "$3" ping_once "$1" "$2"; }

# --- containers by label on instance $A, conflist $cf (the caller's) -----------
declare -A ns_of
add() { mk_netns "ns_of[$1]" "$1"; cni ADD "$NAME-$1" "/run/netns/${ns_of[$1]}" eth0 "$cf"; }
del() { cni DEL "$NAME-$1" "/run/netns/${ns_of[$1]}" eth0 "$cf"; expect "DEL $1" 0 ""; }
# drain PHASE [MAX]: warm ADDs until pool p has no ready port (the refiller
# must create), MAX (5) at most; their labels in $held.  undrain DELs them.
drain() {
	local k=0
	held=()
	while [ "$(pool_field "$A" p ready)" -gt 0 ] && [ "$k" -lt "${2:-5}" ]; do
		k=$((k + 1))
		add "$1$k"
		expect "$1: warm ADD $1$k ($took_ms ms)" 0 '.ips[0].address != null' || die "ADD $1$k"
		held+=("$1$k")
	done
}
undrain() { local l; for l in "${held[@]}"; do del "$l"; done; }
