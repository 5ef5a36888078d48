#!/usr/bin/env bash
# superfluidd SIGKILLed right after two ADDs (before it told Neutron who
# holds what), then started again: the containers keep their network
# throughout, the daemon still knows who holds which port, tells Neutron,
# DEL works, a new ADD gets a port nobody holds, and the pool refills.
# Neutron and the daemon agree on the instance's ports at the end.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# Variables set by the lib's makers (printf -v) and functions run through
# check/wait_until are invisible to shellcheck.
# shellcheck disable=SC2154,SC2317
T=daemon_restart
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"

testnet sg:icmp
ready_instance r host1 3 60 min=3 max=8 batch=3 cooldown_ms=1000
R=$INSTANCE

declare -A ns_of ip_of mac_of port_of
add() { # LABEL
	mk_netns "ns_of[$1]" "$1"
	cni ADD "$NAME-$1" "/run/netns/${ns_of[$1]}" eth0 "$cf"
	expect "ADD $1" 0 '.ips[0].address != null' || die "ADD $1"
	ip_of[$1]=$(jq -r '.ips[0].address | sub("/.*"; "")' <<< "$out")
	mac_of[$1]=$(jq -r '.interfaces[0].mac' <<< "$out")
}
add a
add b
scripts/sfhost kill "$R" > /dev/null || die "scripts/sfhost kill $R"
pass "SIGKILLed $R right after the ADDs"
for c in a b; do
	say "at the kill, Neutron's device_id of $c's port was '$(neutron GET \
		"ports?network_id=$net_id&mac_address=${mac_of[$c]}" | jq -r '.ports[0].device_id')'"
done

check "with the daemon dead, a still pings b" ping_ok "${ns_of[a]}" "${ip_of[b]}" 10
# Nothing can be released while the daemon is away: DEL says "try again"
# (code 11) rather than let the runtime forget the attachment.
cni DEL "$NAME-a" "/run/netns/${ns_of[a]}" eth0 "$cf"
expect "DEL a with the daemon dead: code 11" 1 '.code == 11'
check "... and a keeps its eth0" test "$(links_of "${ns_of[a]}")" = eth0
scripts/sfhost restart "$R" > "$tmp/restart.out" 2>&1 || die "restart: $(cat "$tmp/restart.out")"
pass "restarted $R"
check "after the restart, a pings b" ping_ok "${ns_of[a]}" "${ip_of[b]}" 5
check "after the restart, b pings a" ping_ok "${ns_of[b]}" "${ip_of[a]}" 5

for c in a b; do
	port_of[$c]=$(held_port "$R" "$NAME-$c") || fail "after the restart, the daemon lists no port for $c"
	check "after the restart, $c's port is in_use" test "$(port_state "$R" "${port_of[$c]:-none}")" = in_use
	check "... and is the port with $c's MAC ${mac_of[$c]}" \
		test "$(port_get "${port_of[$c]:-none}" | jq -r .mac_address)" = "${mac_of[$c]}"
done
check "the pool counts two ports in use" test "$(pool_field "$R" p in_use)" = 2
device_id_is() { [ "$(port_get "$1" | jq -r .device_id)" = "$2" ]; }
for c in a b; do
	check "Neutron's device_id of $c's port becomes $c (the sync survived the kill)" \
		wait_until 10 device_id_is "${port_of[$c]:-none}" "$NAME-$c"
done

cni DEL "$NAME-a" "/run/netns/${ns_of[a]}" eth0 "$cf"
expect "DEL a after the restart" 0 ""
check "DEL a: its eth0 is gone" wait_until 5 link_absent "${ns_of[a]}" eth0
state_is() { [ "$(port_state "$R" "$1")" = "$2" ]; }
check "DEL a: its port returns to the pool" wait_until 10 state_is "${port_of[a]:-none}" ready

add c
port_of[c]=$(held_port "$R" "$NAME-c") || fail "the daemon lists no port for c"
check "c gets a port that b does not hold" test -n "${port_of[c]}" -a "${port_of[c]}" != "${port_of[b]}"
check "c's address and MAC are not b's" test "${ip_of[c]}" != "${ip_of[b]}" -a "${mac_of[c]}" != "${mac_of[b]}"
check "c pings b" ping_ok "${ns_of[c]}" "${ip_of[b]}" 10
check "b still pings c" ping_ok "${ns_of[b]}" "${ip_of[c]}" 5

check "the pool refills to its minimum" wait_until 60 pool_settled "$R" p 3
daemon_ids=$(ctl "$R" ports | jq -r '.ports[].port_id' | sort)
neutron_ids=$(instance_ports "$R")
check "Neutron and the daemon agree on the instance's $(wc -w <<< "$daemon_ids") ports" \
	test "$daemon_ids" = "$neutron_ids"
check "exactly b and c hold ports" jq -e "[.ports[] | select(.state == \"in_use\") | .container_id] |
	sort == [\"$NAME-b\", \"$NAME-c\"]" <<< "$(ctl "$R" ports)"
if instance_log "$R" | grep -q 'superfluidd\[error\]'; then
	fail "the daemon logged errors: $(instance_log "$R" | grep 'superfluidd\[error\]' | head -3)"
else
	pass "the daemon logged no error"
fi

finish
