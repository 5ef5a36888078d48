#!/usr/bin/env bash
# sfctl status (one screen, and --json) against a real daemon on the test
# bed: site, mode, version, uptime, Keystone and Neutron as sfctl reaches
# them, the L2 agent alive, the pool's sizes, a failed ADD among the last
# errors; sfctl pools populate|free create and delete real Neutron ports;
# sfctl version and help, plain and --json; and their bad input.
# Exit 0 pass, 1 fail, 77 skip.
T=sfctl_status
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
SFCTL=$B/sfctl

testnet
ready_instance st host1 2 60 min=2 max=4 batch=2 refill_interval_ms=300 st:net:sg
I=$INSTANCE
c=$(scripts/sfhost conf "$I")
sock=$CONF_SOCKET

# --- status ---------------------------------------------------------------------------------
out=$("$SFCTL" -c "$c" status 2> "$tmp/err"); rc=$?
check "sfctl status exits 0 on a healthy host" test "$rc" = 0
check "... names the host, its site and mode" grep -q '^host      host1 (site core, mode bridge, ' <<< "$out"
check "... the daemon's version and uptime" \
	grep -Eq '^daemon    superfluidd [0-9.]+, up 0d 00:[0-9]{2}:[0-9]{2}; Neutron answers$' <<< "$out"
check "... Keystone and Neutron reached" grep -q '^keystone  ok' <<< "$out"
check "... Neutron reached" grep -q '^neutron   ok' <<< "$out"
check "... the L2 agent alive" grep -q '^agents .*Linux bridge agent alive' <<< "$out"
check "... no leak pending" grep -q '^leaks     0 pending; 0 port(s) overdue' <<< "$out"
check "... the pool: 2 ready, target 2, none in use" grep -Eq '^st +2 +2 +0 +0 +0$' <<< "$out"

mk_netns c1 c1
cni ADD "$NAME-c1" "/run/netns/$c1" eth0 "$(conf 1.0.0 "$NAME-no-such-net" "")"
expect "an ADD on a network Neutron does not have fails" 1 '.code > 0'
code=$(jq -r .code <<< "$out")
j=$("$SFCTL" -c "$c" status --json)
check "status --json: ok, the version, an uptime" \
	jq -e --arg v "$("$B/superfluidd" --version | cut -d' ' -f2)" \
	'.ok and .daemon.version == $v and .daemon.uptime_s >= 0 and .daemon.neutron_ok' <<< "$j"
check "status --json: the pool and the agent" \
	jq -e '(.daemon.pools[] | select(.name == "st") | .ready == 2 and .min == 2) and
	       ([.agents[] | select(.type == "Linux bridge agent" and .alive)] | length == 1)' <<< "$j"
check "status --json: the failed ADD is the last error, with its code ($code)" \
	jq -e --arg c "$code" '.daemon.last_errors[0] | .what == "cni ADD" and .code == $c' <<< "$j"
check "the screen lists it under last errors" \
	grep -Eq "^  [0-9-]+ [0-9:]+  cni ADD +$code\$" <<< "$("$SFCTL" -c "$c" status)"

# --- pools populate | free -----------------------------------------------------------------------
before=$(instance_ports "$I" | wc -l)
j=$("$SFCTL" pools populate st --count 1 --json --socket "$sock")
check "populate --count 1 creates one port" jq -e '.pool == "st" and .created == 1 and .max == 4' <<< "$j"
check "... which turns ready" wait_until 30 pool_settled "$I" st 3
check "... and is in Neutron" test "$(instance_ports "$I" | wc -l)" = $((before + 1))
out=$("$SFCTL" pools populate st --socket "$sock")
check "populate without --count fills to max" grep -q '^pool st: 1 port(s) created (max 4)' <<< "$out"
check "... 4 ready" wait_until 30 pool_settled "$I" st 4
check "populate a full pool creates none" \
	jq -e '.created == 0' <<< "$("$SFCTL" pools populate st --json --socket "$sock")"
ready_ids=$(ctl "$I" ports | jq -r '.ports[] | select(.state == "ready") | .port_id' | sort)
j=$("$SFCTL" pools free st --json --socket "$sock")
check "free frees the 4 ready ports" jq -e '.pool == "st" and .freed == 4' <<< "$j"
gone() { [ -z "$(comm -12 <(instance_ports "$I") <(printf '%s\n' "$ready_ids"))" ]; }
check "... they are deleted in Neutron" wait_until 30 gone
check "... and the pool refills to its min with new ports" wait_until 60 pool_settled "$I" st 2

# --- bad input --------------------------------------------------------------------------------------
"$SFCTL" pools populate nope --socket "$sock" > /dev/null 2> "$tmp/err"; rc=$?
check "populate of an unknown pool: exit 1" test "$rc" = 1
check "... saying so" grep -q "no pool 'nope' on this host" "$tmp/err"
"$SFCTL" pools populate st --count 0 --socket "$sock" > /dev/null 2> "$tmp/err"; rc=$?
check "populate --count 0 is a usage error" test "$rc" = 2
"$SFCTL" pools free st --count 2 --socket "$sock" > /dev/null 2> "$tmp/err"; rc=$?
check "free --count is a usage error" test "$rc" = 2
"$SFCTL" pools free --socket "$sock" > /dev/null 2>&1; rc=$?
check "free without a pool is a usage error" test "$rc" = 2
out=$("$SFCTL" -c "$c" status --socket "$tmp/none.sock" 2> "$tmp/err"); rc=$?
check "status with no daemon: exit 1" test "$rc" = 1
check "... the screen says the daemon is not reachable" grep -q '^daemon    NOT REACHABLE' <<< "$out"
check "... and still shows Keystone" grep -q '^keystone  ok' <<< "$out"
check "... --json says ok false" \
	jq -e '.ok == false and .daemon == null and .daemon_error' <<< "$("$SFCTL" -c "$c" status --json --socket "$tmp/none.sock" 2> /dev/null)"
"$SFCTL" status extra > /dev/null 2>&1; rc=$?
check "status with an argument is a usage error" test "$rc" = 2

# --- version and help, --json too (sfctl(8)) -------------------------------------------------------
v=$("$B/superfluidd" --version | cut -d' ' -f2)
check "version: 'sfctl VERSION'" test "$("$SFCTL" version)" = "sfctl $v"
check "version --json: name and version" \
	jq -e --arg v "$v" '. == {name: "sfctl", version: $v}' <<< "$("$SFCTL" version --json)"
cmds=$("$SFCTL" help | awk '/^Commands:/ { f = 1; next } f { print $1 }')
check "help --json lists the commands help lists, each with a summary" jq -e --arg c "$cmds" \
	'[.commands[].name] == ($c | split("\n")) and all(.commands[]; .summary | length > 0)' \
	<<< "$("$SFCTL" help --json)"
check "help --json gc: its usage is what help gc prints" jq -e --arg u "$("$SFCTL" help gc)" \
	'.name == "gc" and (.usage | rtrimstr("\n")) == $u' <<< "$("$SFCTL" help --json gc)"
check "help --json version: its usage names --json" \
	jq -e '.usage | test("^Usage: sfctl version \\[--json\\]")' <<< "$("$SFCTL" help version --json)"
for bad in "version extra" "version --bogus" "help --json nosuch" "help gc pools" "help --bogus"; do
	# shellcheck disable=SC2086
	"$SFCTL" $bad > "$tmp/out" 2> "$tmp/err"; rc=$?
	check "sfctl $bad: a usage error (exit 2), no JSON on stdout" \
		eval 'test "$rc" = 2 && { ! test -s "$tmp/out" || ! jq -e . "$tmp/out" > /dev/null 2>&1; }'
done
check "... help of an unknown command says so" \
	grep -q "no command 'nosuch'" <<< "$("$SFCTL" help --json nosuch 2>&1)"
finish
