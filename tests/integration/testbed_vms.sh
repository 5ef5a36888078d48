#!/usr/bin/env bash
# sf-test: plain-build: it tests the test bed, not this build
# The simulated VMs of lib/vm.sh (docs/testbed.md): two VMs on host1 and
# host2 on one network reach each other over Neutron's VXLAN, their ports
# are ACTIVE and bound as Nova binds them, a --trunk VM's port is its
# trunk's parent, a container plugged by a superfluidd on host2 reaches
# both, the underlay carries the VMs' ICMP under exactly one VXLAN header,
# the VM reaches the APIs over mgmt0, and the trap leaves nothing behind.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2154,SC2317,SC2016  # SC2016: jq programs
T=testbed_vms
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
# shellcheck source=tests/integration/lib/vm.sh
. "$(dirname "$0")/lib/vm.sh"
command -v tcpdump > /dev/null || skip "tcpdump is missing (scripts/deps)"

testnet open:icmp

mk_vm vm1 a host1 "$net_id" "$subnet_id" --sg "$open_id"
mk_vm vm2 b host2 "$net_id" --trunk --sg "$open_id" --mode vlan
say "vm1 $vm1_ns $vm1_ip (host1, port $vm1_port), vm2 $vm2_ns $vm2_ip (host2, trunk $vm2_trunk)"

for v in vm1 vm2; do
	p=${v}_port
	check "$v's port is ACTIVE, compute:nova, bound to its host" jq -e --arg h "$([ $v = vm1 ] &&
		echo host1 || echo host2)" '.status == "ACTIVE" and .device_owner == "compute:nova" and
		.["binding:host_id"] == $h and .["binding:vif_type"] == "bridge"' <<< "$(port_get "${!p}")"
done
check "vm1 has no trunk" test -z "$vm1_trunk"
check "vm2's port is its trunk's parent" jq -e --arg p "$vm2_port" '.trunk.port_id == $p' \
	<<< "$(neutron GET "trunks/$vm2_trunk")"
check "vm2's eth0 has its port's MAC and the network's MTU" jq -e --arg m "$vm2_mac" \
	--argjson mtu "$(neutron GET "networks/$net_id" | jq .network.mtu)" \
	'.address == $m and .mtu == $mtu' <<< "$(link_json "$vm2_ns" eth0)"
check "vm1's default route is the subnet's gateway, on eth0" \
	grep -q "default via $pfx.1 dev eth0" <<< "$(ip -n "$vm1_ns" route show default)"
check "vm1's tap is in host1's brq of the network" jq -e --arg b "brq${net_id:0:11}" '.master == $b' \
	<<< "$(link_json sf-host1 "tap${vm1_port:0:11}")"

check "vm1 (host1) pings vm2 (host2) over VXLAN" ping_ok "$vm1_ns" "$vm2_ip" 15
check "vm2 pings vm1" ping_ok "$vm2_ns" "$vm1_ip" 5

check "the capture's checker rejects a second VXLAN header, a lost reply, other addresses" \
	python3 tests/integration/lib/vxlan_check.py --self-test
say "capture on host1's underlay port while vm1 pings vm2"
check "the underlay carries vm1's ICMP in exactly one VXLAN header (UDP 8472)" \
	underlay_capture_check host1 "$vm1_ns" "$vm1_ip" "$vm2_ip"

check "vm1 reaches Neutron's API over mgmt0 ($vm1_mgmt_ip)" ip netns exec "$vm1_ns" \
	curl -sS -m 5 -o /dev/null "$SF_TB_NEUTRON_URL/"
check "vm1 has no route to the underlay through eth0" \
	grep -q 'dev mgmt0' <<< "$(ip -n "$vm1_ns" route get "$SF_TB_UNDERLAY_IP")"
check "vm1's daemon config names eth0 and its port" grep -qx "vm_port = $vm1_port" \
	"$SF_TB_DIR/hosts/$vm1_host/superfluid.conf"
check "vm2's daemon config is in vlan mode" grep -qx "mode = vlan" \
	"$SF_TB_DIR/hosts/$vm2_host/superfluid.conf"

# A bare-metal container on host2, plugged by superfluidd.
ready_instance h2 host2 1 60 min=1 max=2 batch=1 open:net:open
mk_netns c c
cni ADD "$NAME-c" "/run/netns/$c" eth0 "$cf"
expect "ADD a container on host2" 0 '.ips[0].address != null' || die "ADD"
c_ip=$(jq -r '.ips[0].address | sub("/.*"; "")' <<< "$out")
check "the container (host2) pings vm1 (host1)" ping_ok "$c" "$vm1_ip" 15
check "the container pings vm2 (host2, same bridge)" ping_ok "$c" "$vm2_ip" 5
check "vm1 pings the container" ping_ok "$vm1_ns" "$c_ip" 5
cni DEL "$NAME-c" "/run/netns/$c" eth0 "$cf"
expect "DEL the container" 0 ""

# A subport on vm2's trunk (as nested VLAN mode will add): the cleanup must
# remove it before the trunk.
mk_network net2_id net2
mk_subnet subnet2_id "$net2_id" "$(rand_prefix)"
sp=$(neutron POST ports "$(jq -nc --arg n "$NAME-sub" --arg net "$net2_id" \
	'{port: {name: $n, network_id: $net}}')" | jq -er .port.id) || die "creating a subport's port"
neutron PUT "trunks/$vm2_trunk/add_subports" "$(jq -nc --arg p "$sp" \
	'{sub_ports: [{port_id: $p, segmentation_type: "vlan", segmentation_id: 100}]}')" > /dev/null ||
	die "adding the subport"
check "vm2's trunk has the subport (VLAN 100)" jq -e --arg p "$sp" \
	'.sub_ports == [{port_id: $p, segmentation_type: "vlan", segmentation_id: 100}]' \
	<<< "$(neutron GET "trunks/$vm2_trunk/get_subports")"

# The trap's VM part, run now so that its result can be checked.
ports="$vm1_port $vm2_port"
vm_cleanup
for ns in "$vm1_ns" "$vm2_ns"; do check "$ns is gone" not test -e "/run/netns/$ns"; done
for p in $ports; do
	check "port $p is gone" not neutron GET "ports/$p" 2> /dev/null
	for h in sf-host1 sf-host2; do check "tap${p:0:11} is gone from $h" link_absent "$h" "tap${p:0:11}"; done
	check "its underlay veth is gone" not ip link show dev "vm-${p:0:8}-u"
done
check "the trunk is gone, its subport first" not neutron GET "trunks/$vm2_trunk" 2> /dev/null
check "the subport's port is left to its owner (not a VM's)" neutron GET "ports/$sp"
check "the VMs' configs are gone" not test -e "$SF_TB_DIR/hosts/$vm1_host"
check "no underlay address is still taken for them" not grep -rqs "$RND" "$vm_ipdir"

finish
