#!/usr/bin/env bash
# A damaged state file, against a real superfluidd on host1 holding one
# port for a container (docs/state.md, "A damaged state file"): the file
# truncated to nothing, truncated to half, its header overwritten, or from
# a newer schema.  Each time the daemon refuses to start, its log names the
# file and says what to do, and Neutron's ports are untouched (none
# deleted, none handed out twice); with the file restored, the daemon
# carries on: the container still holds its port, DEL works, Neutron's
# ports are the store's.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2154,SC2317
T=daemon_state_file
ENV_TOOLS="jq socat curl openstack ip ping sqlite3"
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"

testnet sg
ready_instance a host1 2 60 p:net:sg min=2 max=2 batch=2
A=$INSTANCE
db=$(scripts/sfhost dir "$A")/state/state.db
mk_netns ns x
cni ADD "$NAME-x" "/run/netns/$ns" eth0 "$cf"
expect "ADD x" 0 '.ips[0].address != null' || die "ADD x"
port=$(held_port "$A" "$NAME-x") || die "x holds no port"
wait_pool "$A" p 2 60
before=$(instance_ports "$A")
scripts/sfhost stop "$A" > /dev/null || die "stopping $A"
cp "$db" "$tmp/good.db" || die "copying $db"
[ ! -e "$db-wal" ] || die "$db-wal left after a clean stop"

# damage WHAT FUNCTION ADVICE: the file from the copy, damaged by FUNCTION
# (run on it), must stop the daemon from starting with ADVICE in its log.
damage() {
	local what=$1 lines
	cp "$tmp/good.db" "$db"
	"$2" "$db" || die "damaging the file ($what)"
	lines=$(instance_log "$A" | wc -l)
	if scripts/sfhost restart "$A" > /dev/null 2>&1; then
		fail "$what: the daemon started"
		scripts/sfhost stop "$A" > /dev/null
		return
	fi
	pass "$what: the daemon refuses to start"
	msg=$(instance_log "$A" | tail -n +"$((lines + 1))" | grep 'refusing to start' | head -1)
	say "    $msg"
	check "... its log names the file" grep -qF "'$db'" <<< "$msg"
	check "... and says what to do ($3)" grep -q "$3" <<< "$msg"
	check "... Neutron's ports untouched" test "$(instance_ports "$A")" = "$before"
}
empty() { : > "$1"; }
half() { truncate -s $(( $(stat -c %s "$1") / 2 )) "$1"; }
scribble() { printf 'this is not SQLite at all' | dd of="$1" conv=notrunc status=none; }
newer() { sqlite3 "$1" 'PRAGMA user_version = 99'; }
damage "truncated to nothing" empty "Restore it from a backup"
damage "truncated to half" half "Restore it from a backup"
damage "its header overwritten" scribble "Restore it from a backup"
damage "a newer schema" newer "newer superfluid"

cp "$tmp/good.db" "$db"
scripts/sfhost restart "$A" > /dev/null || die "restarting $A with its file back"
check "the file restored: x still holds port $port" test "$(held_port "$A" "$NAME-x" eth0 in_use)" = "$port"
cni DEL "$NAME-x" "/run/netns/$ns" eth0 "$cf"
expect "DEL x" 0 ""
check "Neutron's ports tagged for $A are the store's" wait_until 20 ports_agree "$A"
finish
