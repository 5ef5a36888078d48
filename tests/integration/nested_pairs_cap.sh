#!/usr/bin/env bash
# Macvlan mode against Neutron's cap on allowed address pairs
# (max_allowed_address_pair, 10 by default, as in the test bed): a pool
# that asks for more than the VM's port can carry fills up to the cap and
# stops there.  The ports Neutron refused are deleted (Neutron's tagged
# ports stay equal to the daemon's), the refiller does not loop creating
# and deleting, and an ADD beyond the cap gets a CNI error that names the
# cause.  Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes.
# shellcheck disable=SC2154,SC2317
T=nested_pairs_cap
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
# shellcheck source=tests/integration/lib/vm.sh
. "$(dirname "$0")/lib/vm.sh"

cap=$(awk -F' *= *' '$1 == "max_allowed_address_pair" { print $2 }' \
	"$SF_TB_DIR"/conf/neutron/neutron.conf 2> /dev/null)
cap=${cap:-10}
testnet sg:icmp
mk_vm vm c host1 "$net_id" "$subnet_id" --sg "$sg_id" --mode macvlan
want=$((cap + 4))
say "VM $vm_ns; Neutron takes at most $cap pairs per port; the pool asks for $want"

start_instance c "$vm_host" < <(pool_ini min=$want max=$want batch=$want cold_add_timeout=5 p:net)
C=$INSTANCE
capped() {
	ctl "$C" pools | jq -e --argjson c "$cap" '.pools[] | select(.name == "p") |
		.ready == $c and .wiring == 0 and .creating == 0 and .deleting == 0' > /dev/null
}
check "the pool fills to the cap, $cap ready ports" wait_until 150 capped
pairs=$(port_get "$vm_port" | jq '.allowed_address_pairs | length')
check "the VM's port carries $cap pairs ($pairs)" test "$pairs" = "$cap"
same_ports() { [ "$(instance_ports "$C")" = "$(ctl "$C" ports | jq -r '[.ports[].port_id] | sort | .[]')" ]; }
check "the ports Neutron refused are deleted: its tagged ports are the daemon's $cap" \
	wait_until 20 same_ports
check "the daemon said why, once" \
	test "$(instance_log "$C" | grep -c 'takes no more allowed address pairs')" = 1
metrics() { ip netns exec "$vm_ns" curl -sf "http://$(scripts/sfhost metrics "$C")/metrics"; }
calls() { metrics | awk '/^superfluid_neutron_request_duration_seconds_count/ { s += $NF } END { print s + 0 }'; }
c0=$(calls)
sleep 10
c1=$(calls)
check "no create-and-delete loop: $((c1 - c0)) Neutron calls in 10 s at the cap" test $((c1 - c0)) -le 2

declare -A ns_of
cf=$(CONF_SOCKET=$(scripts/sfhost sock "$C") conf 1.0.0 "$NAME-net")
for i in $(seq 1 "$cap"); do
	mk_netns "ns_of[$i]" "c$i"
	cni ADD "$NAME-c$i" "/run/netns/${ns_of[$i]}" eth0 "$cf"
	[ "$rc" = 0 ] || fail "ADD c$i: $out"
done
mk_netns extra extra
cni ADD "$NAME-extra" "/run/netns/$extra" eth0 "$cf"
expect "ADD beyond the cap: code 11, saying why" 1 \
	'.code == 11 and (.msg | test("max_allowed_address_pair"))'
check "... and leaves no interface" test -z "$(links_of "$extra")"
finish
