# Shared by tests/integration/daemon_*.sh: sourced, never run (tests/run
# runs only tests/integration/*.sh, so this folder is not a test).
#
# What it gives a test: the test bed's environment; a Neutron token and
# REST helpers (curl: an `openstack` call costs ~1 s); makers of networks,
# subnets, security groups, namespaces and superfluidd instances, each
# recorded so that the EXIT trap removes it, pass or fail; the real plugin
# run as a runtime runs it (a clean environment, CNI_* variables, a config
# on stdin); sfctl-style queries over the daemon's socket; and checks that
# print every assertion.
#
# The caller sets T (its name, for messages) before sourcing.
# "A && B || C" means "C when A or B fails" here; INSTANCE, took_ms and
# the like are for the callers.
# shellcheck disable=SC2015,SC2034
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.." || exit 1

T=${T:-daemon}
say() { printf '%s: %s\n' "$T" "$*"; }
skip() { say "SKIP: $*"; exit 77; }
failures=0
pass() { say "ok:   $*"; }
fail() { say "FAIL: $*"; failures=$((failures + 1)); }
# A setup step failed: nothing after it means anything.
die() { say "FAIL (fatal): $*"; failures=$((failures + 1)); exit 1; }
# check NAME COMMAND...: passes when the command succeeds (its stdout is
# dropped).
check() {
	local name=$1; shift
	if "$@" > /dev/null; then pass "$name"; else fail "$name"; fi
}
not() { ! "$@"; }
finish() {
	if [ "$failures" -gt 0 ]; then
		say "$failures check(s) failed"
		exit 1
	fi
	say "all checks passed"
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip "needs root (namespaces, the test bed)"
for tool in jq socat curl openstack ip ping; do
	command -v "$tool" > /dev/null || skip "$tool is missing (scripts/deps)"
done
B=${SF_BUILD:-${O:-build}}
case $B in /*) ;; *) B=$PWD/$B ;; esac
P=$B/superfluid
[ -x "$P" ] && [ -x "$B/superfluidd" ] || skip "$B/superfluid or superfluidd is not built (make first)"
export SF_BUILD=$B   # scripts/sfhost runs this build's daemon
env_file=$(scripts/testbed env 2> /dev/null) && [ -f "$env_file" ] ||
	skip "the test bed is not up (scripts/testbed up)"
set -a
# shellcheck disable=SC1090
. "$env_file"
# shellcheck disable=SC1090
. "$SF_TB_OPENRC_SUPERFLUID"
set +a
[ -n "${SF_TB_HOST2_NS:-}" ] || skip "needs two simulated hosts"

RND=$(od -An -tx1 -N3 /dev/urandom | tr -d ' \n')
NAME=sfit-$RND           # Neutron names and namespaces
tmp=$(mktemp -d "/tmp/sf-$T.XXXXXX")

# Everything made, for the trap.
made_instances=() made_netns=() made_networks=() made_sgs=()
made_links=()   # "NAMESPACE IFNAME" of interfaces a test made by hand
# Test-bed services a test stopped or froze (svc_stop, svc_freeze): the trap
# brings them back first, since the rest of the cleanup needs them.
stopped_svcs=() frozen_svcs=()
# Functions other libs (lib/vm.sh) add to remove what they made: run after
# the instances stop, before the namespaces, networks and groups go.
cleanup_hooks=()

host_ns() { # hostN -> its namespace
	local v="SF_TB_HOST${1#host}_NS"
	printf '%s' "${!v}"
}

cleanup() {
	local rc=$? i id hns
	set +e
	trap - EXIT
	say "cleanup"
	svcs_restore
	for i in "${made_instances[@]}"; do
		# SIGTERM first, so that a sanitizer build reports leaks in the
		# log, which the purge then deletes.
		scripts/sfhost stop "$i" > /dev/null 2>&1
		if instance_log "$i" 2> /dev/null | grep -q 'Sanitizer\|runtime error:'; then
			say "FAIL: a sanitizer report in the log of $i"
			rc=1
		fi
		# The daemons' side of a failure (SF_IT_SHOW_LOGS=1: always).
		if [ "$rc" -ne 0 ] || [ -n "${SF_IT_SHOW_LOGS:-}" ]; then
			say "log of $i:"
			instance_log "$i" 2> /dev/null | tail -n "${SF_IT_LOG_LINES:-40}" | sed 's/^/    | /'
		fi
		scripts/sfhost stop "$i" --purge > /dev/null 2>&1 || say "purging instance $i failed"
	done
	for i in "${cleanup_hooks[@]}"; do "$i"; done
	for i in "${made_netns[@]}"; do ip netns del "$i" 2> /dev/null; done
	for i in "${made_links[@]}"; do ip -n "${i%% *}" link del "${i#* }" 2> /dev/null; done
	for id in "${made_networks[@]}"; do
		# Anything an instance made and its purge missed.
		for i in $(neutron GET "ports?network_id=$id&fields=id" | jq -r '.ports[].id'); do
			neutron DELETE "ports/$i" > /dev/null
		done
		neutron DELETE "networks/$id" > /dev/null || say "deleting network $id failed"
		for hns in $SF_TB_HOSTS; do
			ip -n "$(host_ns "$hns")" link del "brq${id:0:11}" 2> /dev/null
		done
	done
	for id in "${made_sgs[@]}"; do
		neutron DELETE "security-groups/$id" > /dev/null || say "deleting group $id failed"
	done
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- test-bed outages ----------------------------------------------------------
# Tests that use these stop shared services: run them under
# `flock -x /run/sf-testbed.lock` (docs/testbed.md).

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

# --- Neutron over REST ------------------------------------------------------

TOKEN=$(openstack token issue -f value -c id) && [ -n "$TOKEN" ] || die "no Keystone token"

# neutron METHOD PATH [BODY]: prints the answer; fails on an HTTP error
# (whose body goes to stderr).
neutron() {
	local body
	body=$(curl -sS --fail-with-body -X "$1" -H "X-Auth-Token: $TOKEN" \
		-H 'Content-Type: application/json' ${3:+--data "$3"} \
		"$SF_TB_NEUTRON_URL/v2.0/$2") || { echo "$1 $2: $body" >&2; return 1; }
	printf '%s' "$body"
}

# The makers set the variable named by their first argument (not echo: a
# command substitution's subshell would lose the record for the trap); their
# locals are prefixed _mk_ so that they never hide the caller's variable.

# mk_network VAR LABEL
mk_network() {
	local _mk_id
	_mk_id=$(neutron POST networks "$(jq -nc --arg n "$NAME-$2" '{network: {name: $n}}')" |
		jq -er .network.id) || die "creating network $NAME-$2"
	made_networks+=("$_mk_id")
	printf -v "$1" '%s' "$_mk_id"
}

# mk_subnet VAR NETWORK_ID PREFIX [JQ-UPDATE]: PREFIX is e.g. 198.19.7 for
# 198.19.7.0/24.  Addresses .10 to .200 go to ports; the gateway is .1.
mk_subnet() {
	local _mk_body _mk_id
	_mk_body=$(jq -nc --arg net "$2" --arg p "$3" --arg n "$NAME" '{subnet: {
		name: $n, network_id: $net, ip_version: 4, cidr: ($p + ".0/24"),
		gateway_ip: ($p + ".1"), enable_dhcp: false,
		allocation_pools: [{start: ($p + ".10"), end: ($p + ".200")}]}}' |
		jq -c "${4:-.}") || die "subnet body"
	_mk_id=$(neutron POST subnets "$_mk_body" | jq -er .subnet.id) || die "creating subnet $3.0/24"
	printf -v "$1" '%s' "$_mk_id"
}

# mk_sg VAR LABEL [icmp]: a new group only lets traffic out; "icmp" adds
# an ICMP ingress rule.
mk_sg() {
	local _mk_id
	_mk_id=$(neutron POST security-groups \
		"$(jq -nc --arg n "$NAME-$2" '{security_group: {name: $n}}')" |
		jq -er .security_group.id) || die "creating security group $NAME-$2"
	made_sgs+=("$_mk_id")
	if [ "${3:-}" = icmp ]; then
		sg_allow_icmp "$_mk_id" > /dev/null || die "ICMP rule on $2"
	fi
	printf -v "$1" '%s' "$_mk_id"
}

sg_allow_icmp() { # SG_ID
	neutron POST security-group-rules "$(jq -nc --arg sg "$1" '{security_group_rule: {
		security_group_id: $sg, direction: "ingress", ethertype: "IPv4", protocol: "icmp"}}')"
}

# A random third octet for 198.19.X.0/24 (1..199: 198.19.200.0/24 is the
# host route tests use).
rand_prefix() { printf '198.19.%d' $(( $(od -An -tu2 -N2 /dev/urandom) % 199 + 1 )); }

port_get() { neutron GET "ports/$1" | jq -c .port; } # ID -> the port object

# Ports of an instance in Neutron (its deployment tag), sorted ids.
instance_ports() { # INSTANCE
	neutron GET "ports?tags=sf-deployment=$1&fields=id" | jq -r '.ports[].id' | sort
}

# --- namespaces ---------------------------------------------------------------

mk_netns() { # VAR LABEL: a fresh namespace, lo up
	local _mk_ns=$NAME-$2
	ip netns add "$_mk_ns" || die "ip netns add $_mk_ns"
	made_netns+=("$_mk_ns")
	ip -n "$_mk_ns" link set lo up
	printf -v "$1" '%s' "$_mk_ns"
}

# --- superfluidd instances ------------------------------------------------------

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

instance_log() { cat "$(scripts/sfhost dir "$1")/log"; }

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

# The port an attachment holds, per the daemon: INSTANCE CID [IFNAME].
held_port() {
	ctl "$1" ports | jq -er --arg c "$2" --arg i "${3:-eth0}" \
		'[.ports[] | select(.container_id == $c and .ifname == $i)] |
		 if length == 1 then .[0].port_id else error("not held") end'
}

port_state() { # INSTANCE PORT_ID -> its state per the daemon
	ctl "$1" ports | jq -er --arg p "$2" '.ports[] | select(.port_id == $p) | .state'
}

# wait_until SECONDS COMMAND...: polls every 0.2 s.
wait_until() {
	local deadline=$((SECONDS + $1)); shift
	while :; do
		"$@" && return 0
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.2
	done
}

# A pool at rest: nothing wiring, creating or cooling, `ready` at least N.
pool_settled() { # INSTANCE POOL N
	ctl "$1" pools | jq -e --arg p "$2" --argjson n "$3" '.pools[] | select(.name == $p) |
		.ready >= $n and .wiring == 0 and .creating == 0 and .cooldown == 0 and
		.deleting == 0' > /dev/null
}

wait_pool() { # INSTANCE POOL N SECONDS
	wait_until "$4" pool_settled "$1" "$2" "$3" ||
		die "pool '$2' of $1 did not reach $3 ready ports in $4 s: $(ctl "$1" pools)"
}

# --- the plugin -------------------------------------------------------------------

# conf VERSION NETWORK SG_JSON [JQ-UPDATE]: a network config on stdout.
# SG_JSON is a JSON array of names or ids, or "" for none.
conf() {
	jq -nc --arg v "$1" --arg net "$2" --argjson sg "${3:-null}" \
		--arg sock "${CONF_SOCKET:-}" '{cniVersion: $v, name: "sfit", type: "superfluid",
		network: $net} + (if $sg then {securityGroups: $sg} else {} end) +
		(if $sock != "" then {socket: $sock} else {} end)' | jq -c "${4:-.}"
}

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
