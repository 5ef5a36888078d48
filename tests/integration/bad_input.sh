#!/usr/bin/env bash
# Malformed input on every surface, from one table (tests/integration/
# bad_input.tsv): the CNI config on stdin and the CNI environment (the real
# plugin against a real superfluidd on host1 with a warm pool), the daemon's
# socket protocol (raw bytes over socat), the config file (superfluidd -c
# FILE must refuse it), and Keystone/Neutron answers (an instance pointed at
# tests/integration/lib/fake_openstack.py on 127.0.0.1 in a namespace of its
# own).  Each case must get its exact error code and a message naming what
# is wrong; then nothing may be left behind: the instance's Neutron ports
# are its store's, its pool is back to its size, no interface in the
# host or the test's namespaces, no socket or state of a refused config.
# Ends with "N cases, N passed".  Exit 0 pass, 1 fail, 77 skip.
# shellcheck disable=SC2154,SC2317,SC2034
T=bad_input
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
command -v python3 > /dev/null || skip "python3 is missing"
TABLE=tests/integration/bad_input.tsv

testnet sg:icmp
ready_instance b host1 2 90 on_demand=false cooldown_ms=500 p:net:sg min=2 max=4 batch=2
E=$INSTANCE
SOCK=$CONF_SOCKET
good=$cf
mk_netns ns c
mk_netns ns2 c2
NSP=/run/netns/$ns
NSP2=/run/netns/$ns2
seen_ports=$(instance_ports "$E")
host_links_before=$(ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' ')

# --- the surfaces: each runner sets code (the CNI code seen, or "exit N"
# for a refused config) and msg (the text to search) -------------------------

# stdin and env: the real plugin.  Case snippets may set cf, cid, netns,
# ifn, verb, and extra (VAR=VALUE added to the environment; a VAR=VALUE
# of a variable cni() sets anyway replaces it).
run_plugin() {
	local cf=$good cid=$NAME-bad netns=$NSP ifn=eth0 verb=ADD
	local -a extra=()
	eval "$1"
	cni "$verb" "$cid" "$netns" "$ifn" "$cf" "${extra[@]}"
	code=$(jq -r '.code // empty' <<< "$out" 2> /dev/null)
	msg=$(jq -r '.msg + " / " + (.details // "")' <<< "$out" 2> /dev/null)
	[ "$rc" = 1 ] || code="exit $rc"
}

# socket: raw bytes (the snippet sets raw, or rawfile) over socat; the
# answer's stdout is the CNI error.
# A client that sends more than the daemon reads sees its write fail
# (EPIPE) before it reads the answer; socat then gives up, so such cases
# set client=py: it ignores the failed write and reads what was answered.
sock_py='import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
try:
    s.sendall(open(sys.argv[2], "rb").read())
    s.shutdown(socket.SHUT_WR)
except (BrokenPipeError, ConnectionResetError):
    pass
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
sys.stdout.write(data.decode())'
run_socket() {
	local raw="" rawfile=$tmp/raw ans client=socat
	eval "$1"
	[ -n "$raw" ] && printf '%b' "$raw" > "$rawfile"
	if [ "$client" = py ]; then
		ans=$(python3 -c "$sock_py" "$SOCK" "$rawfile" 2> "$tmp/socat.err")
	else
		ans=$(socat -t 10 - "UNIX-CONNECT:$SOCK" < "$rawfile" 2> "$tmp/socat.err")
	fi
	code=$(jq -r '.stdout | fromjson | .code // empty' <<< "$ans" 2> /dev/null)
	msg=$(jq -r '.stdout | fromjson | (.msg // .error // empty)' <<< "$ans" 2> /dev/null)
	[ -n "$code" ] || code="answer: ${ans:-none} $(cat "$tmp/socat.err")"
}

# config: the daemon must refuse FILE.  The snippet sets bad (a line put
# right after the section header sect), or perm/owner/credperm/credowner.  "@LINE"
# in the expected text stands for FILE:LINE of the bad line.
cfg_n=0
run_config() {
	local sect="" bad="" perm=0600 owner=root credperm=0600 credowner=root d
	eval "$1"
	cfg_n=$((cfg_n + 1))
	d=$tmp/cfg$cfg_n
	mkdir -p "$d"
	printf '[neutron]\npassword = cfg-secret\n' > "$d/cred.conf"
	chmod "$credperm" "$d/cred.conf"
	chown "$credowner" "$d/cred.conf"
	cat > "$d/base.conf" <<-EOF
	[neutron]
	auth_type = password
	auth_url = http://127.0.0.1:1/v3
	username = u
	user_domain_name = Default
	project_name = p
	project_domain_name = Default
	credentials_file = $d/cred.conf
	[host]
	name = h
	[daemon]
	socket = $d/sock
	state_dir = $d/state
	metrics_address = 127.0.0.1:1
	deployment = bad-input
	[pools]
	min = 1
	EOF
	if [ -n "$sect" ]; then
		awk -v s="$sect" -v b="$bad" '{print} $0 == s {print b}' "$d/base.conf" > "$d/sf.conf"
		line=$(( $(grep -nxF -- "$sect" "$d/base.conf" | cut -d: -f1) + 1 ))
	else
		cp "$d/base.conf" "$d/sf.conf"
		line=0
	fi
	chmod "$perm" "$d/sf.conf"
	chown "$owner" "$d/sf.conf"
	FILE=$d/sf.conf CRED=$d/cred.conf
	timeout 10 "$B/superfluidd" -c "$d/sf.conf" > "$d/out" 2>&1
	code="exit $?"
	msg=$(cat "$d/out")
	# Nothing of a refused daemon may remain.
	if [ -e "$d/sock" ] || [ -e "$d/state" ]; then
		msg="LEFT BEHIND: $(ls "$d") / $msg"
	fi
}

# neutron: a fresh instance against the impostor in mode M (the token and
# the pools are cached, so every case starts from nothing), then one ADD.
fake_ns="" fake_port=""
start_fake() {
	mk_netns fake_ns fake
	ip netns exec "$fake_ns" python3 tests/integration/lib/fake_openstack.py "$tmp/fake" &
	fake_pid=$!
	wait_until 10 test -s "$tmp/fake" || die "the fake Keystone/Neutron did not start"
	fake_port=$(cat "$tmp/fake")
	mkdir -p "$tmp/fk"
	printf '[neutron]\npassword = fake-secret\n' > "$tmp/fk/cred.conf"
	chmod 0600 "$tmp/fk/cred.conf"
	cat > "$tmp/fk/sf.conf" <<-EOF
	[neutron]
	auth_type = password
	auth_url = http://127.0.0.1:$fake_port/v3
	username = superfluid
	user_domain_name = Default
	project_name = superfluid
	project_domain_name = Default
	region_name = RegionOne
	credentials_file = $tmp/fk/cred.conf
	max_retries = 0
	[host]
	name = fakehost
	[daemon]
	socket = $tmp/fk/sock
	state_dir = $tmp/fk/state
	metrics_address = 127.0.0.1:9777
	deployment = $NAME-fake
	netns = /run/netns/$fake_ns
	[pools]
	on_demand = true
	cold_add_timeout = 5
	EOF
	chmod 0600 "$tmp/fk/sf.conf"
}
run_neutron() {
	local mode pid
	eval "$1"
	[ -n "$fake_port" ] || start_fake
	printf '%s\n' "$mode" > "$tmp/fake.mode"
	rm -rf "$tmp/fk/state"
	"$B/superfluidd" -c "$tmp/fk/sf.conf" >> "$tmp/fk/log" 2>&1 < /dev/null &
	pid=$!
	wait_until 10 test -S "$tmp/fk/sock" || { code="no daemon"; msg=$(tail -3 "$tmp/fk/log"); return; }
	local CONF_SOCKET=$tmp/fk/sock
	cni ADD "$NAME-fk" "$NSP" eth0 "$(conf 1.0.0 fake-net "")"
	kill -TERM "$pid"
	wait "$pid"
	code=$(jq -r '.code // empty' <<< "$out" 2> /dev/null)
	msg=$(jq -r '.msg // empty' <<< "$out" 2> /dev/null)
	[ -e "$tmp/fk/sock" ] && msg="LEFT BEHIND: its socket / $msg"
	msg+=" / $(jq -r '.details // empty' <<< "$out" 2> /dev/null)"
}

# special: the snippet is a function of this file, which sets code and msg.
run_special() { eval "$1"; }

# The same container and interface ADDed again: the same answer (the port
# it holds); into another namespace, refused, the first left alone.
dup_same() {
	local mac1 port1
	cni ADD "$NAME-dup" "$NSP" eth0 "$good"
	[ "$rc" = 0 ] || { code="first ADD: $rc"; msg=$out; return; }
	mac1=$(jq -r '.interfaces[0].mac' <<< "$out")
	port1=$(held_port "$E" "$NAME-dup")
	seen_ports+=" $port1"
	cni ADD "$NAME-dup" "$NSP" eth0 "$good"
	code="exit $rc"
	msg="same MAC: $([ "$(jq -r '.interfaces[0].mac' <<< "$out")" = "$mac1" ] && echo yes); same port: $([ "$(held_port "$E" "$NAME-dup")" = "$port1" ] && echo yes)"
}
dup_other_ns() {
	local port1 mac1
	port1=$(held_port "$E" "$NAME-dup")
	mac1=$(link_json "$ns" eth0 | jq -r .address)
	cni ADD "$NAME-dup" "$NSP2" eth0 "$good"
	code=$(jq -r '.code // empty' <<< "$out" 2> /dev/null)
	msg=$(jq -r '.msg // empty' <<< "$out" 2> /dev/null)
	[ "$rc" = 1 ] || code="exit $rc"
	[ "$(held_port "$E" "$NAME-dup")" = "$port1" ] || msg="the first lost its port / $msg"
	[ "$(link_json "$ns" eth0 | jq -r .address)" = "$mac1" ] || msg="the first's eth0 changed / $msg"
	[ -z "$(links_of "$ns2")" ] || msg="LEFT BEHIND in $ns2: $(links_of "$ns2") / $msg"
	cni DEL "$NAME-dup" "$NSP" eth0 "$good"
	[ "$rc" = 0 ] || msg="DEL failed: $out / $msg"
}

# A client that connects and sends nothing must not hold up the others: a
# good ADD (and DEL) completes while it hangs.
idle_client() {
	local hang
	# A FIFO no one writes to: socat connects and waits for input forever.
	mkfifo "$tmp/idle"
	exec 7<> "$tmp/idle"
	socat -t 30 - "UNIX-CONNECT:$SOCK" < "$tmp/idle" > /dev/null 2>&1 &
	hang=$!
	sleep 0.3
	cni ADD "$NAME-idle" "$NSP" eth0 "$good"
	code="exit $rc"
	msg=$(jq -c '{interfaces: (.interfaces | length)}' <<< "$out" 2> /dev/null)
	seen_ports+=" $(held_port "$E" "$NAME-idle")"
	cni DEL "$NAME-idle" "$NSP" eth0 "$good"
	[ "$rc" = 0 ] || msg="DEL failed: $out"
	kill "$hang" 2> /dev/null
	wait "$hang" 2> /dev/null
	exec 7>&-
}

# --- the table ---------------------------------------------------------------

n=0 passed=0
while IFS=$'\t' read -r -u 3 id surface input want words; do
	case $id in '' | \#*) continue ;; esac
	n=$((n + 1))
	code="" msg="" line=0 FILE="" CRED=""
	"run_$surface" "$input"
	words=${words//@LINE/$FILE:$line}
	words=${words//@FILE/$FILE}
	words=${words//@CRED/$CRED}
	if [ "$code" != "$want" ]; then
		fail "$id ($surface) $input: got '$code', want '$want'; msg: $msg"
	elif [[ $msg == *"LEFT BEHIND"* ]]; then
		fail "$id ($surface): $msg"
	elif [ -n "$words" ] && ! grep -qiF -- "$words" <<< "$msg"; then
		fail "$id ($surface) $input: the message does not say '$words': $msg"
	else
		passed=$((passed + 1))
		pass "$id ($surface): $want: ${msg:0:160}"
	fi
done 3< "$TABLE"

# --- nothing left behind ------------------------------------------------------

store_ports() { ctl "$E" ports | jq -r '.ports[].port_id' | sort; }
settled() { pool_settled "$E" p 2 && [ "$(instance_ports "$E")" = "$(store_ports)" ]; }
if wait_until 30 settled; then
	pass "the instance's Neutron ports are its store's, and its pool is back to 2 ready"
else
	fail "ports or pool not as before: neutron $(instance_ports "$E" | tr '\n' ' '); store $(store_ports | tr '\n' ' '); $(ctl "$E" pools)"
fi
check "the pool holds no more than its max (4)" test "$(instance_ports "$E" | wc -l)" -le 4
check "nothing is held" jq -e '[.ports[] | select(.container_id != null and .container_id != "")] | length == 0' <<< "$(ctl "$E" ports)"
for x in "$ns" "$ns2" "$fake_ns"; do
	[ -n "$x" ] && check "no interface left in $x" test -z "$(links_of "$x")"
done
# Host ends (sfc, sfp, sfb, tap + the port id's first 11 characters) in
# sf-host1: none for a port the instance no longer has; the same kinds for
# every port it has.
ends_of() { # PORT_ID -> the kinds of host end it has, e.g. "sfb sfp tap"
	local k
	for k in sfb sfc sfp tap; do
		ip -n sf-host1 link show "$k${1:0:11}" > /dev/null 2>&1 && printf '%s ' "$k"
	done
}
now_ports=$(instance_ports "$E")
for id in $(tr ' ' '\n' <<< "$seen_ports" | sort -u); do
	grep -qx "$id" <<< "$now_ports" && continue
	check "port $id, gone, left no host end" test -z "$(ends_of "$id")"
done
kinds=$(for id in $now_ports; do ends_of "$id"; echo; done | sort -u)
check "every port of the pool has the same host ends ($kinds)" test "$(wc -l <<< "$kinds")" -eq 1
check "no new interface in the host's namespace" \
	test "$(ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' ')" = "$host_links_before"
check "no refused config left a socket or a state directory" \
	test -z "$(find "$tmp" -maxdepth 2 \( -name sock -o -name state \) -path "$tmp/cfg*")"
if [ -n "$fake_port" ]; then
	kill "$fake_pid" 2> /dev/null
	wait "$fake_pid" 2> /dev/null
	check "the fake instance left no socket" test ! -e "$tmp/fk/sock"
	check "the impostor was never asked to delete anything" not grep -q ' DELETE ' "$tmp/fake.log"
fi
# The daemons run here, not by the lib (a sanitizer build reports there).
check "no sanitizer report from the refused configs' or the impostor's daemons" \
	not grep -qs 'Sanitizer\|runtime error:' "$tmp"/cfg*/out "$tmp/fk/log"
say "$n cases, $passed passed"
[ "$n" -ge 40 ] || fail "the table has $n cases; at least 40 wanted"
finish
