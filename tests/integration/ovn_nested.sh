#!/usr/bin/env bash
# Nested containers on OVN (docs/ovn.md "Nested", docs/nested.md): two
# simulated VMs on the OVN bed's first chassis (their ports logical switch
# ports, their taps in br-int), a superfluidd inside each, a bare-metal
# superfluidd on the second chassis.
#  - macvlan mode: the pool's ports are allowed address pairs of the VM's
#    port before any ADD; OVN's port security on the VM's logical switch
#    port holds each pair; Neutron's OVN driver makes each pool port a
#    virtual port (type virtual, virtual-parents = the VM's port); a nested
#    container's echo requests leave through the VM's port (port security
#    lets the pair through) and reach the bare-metal container on the other
#    chassis under one Geneve header; a macvlan whose address is not a pair
#    gets nothing through (its echo requests are on the VM's tap; OVN drops
#    them at the VM's port: not on the underlay, not at the peer); the
#    replies come back: the container's MAC is its own, not the pool port's
#    (which the virtual port keeps), so OVN sends frames to it to the VM's
#    port, which lists it (Neutron's OVN driver adds a pair's MAC);
#  - VLAN mode: the pool's subports are logical switch ports with
#    parent_name = the VM's port and tag = the subport's VLAN id, ACTIVE; a
#    frame tagged with that id from the VM's NIC (tests/tools/sfvlanping, a
#    packet socket: this kernel has no 802.1Q devices) reaches the
#    bare-metal container and its reply comes back tagged; an id that is no subport's gets nothing; on the
#    underlay the frame is in one Geneve header, untagged (OVN pops the tag
#    at the child port and carries the logical port in Geneve's OVN option).
# A pool emptied taking its pairs off the VM's port is nested_macvlan's (the same
# daemon code; Neutron's OVN driver rewrites the port security from them).
# Exit 0 pass, 1 fail, 77 skip (only when a package is missing).
# shellcheck disable=SC2016,SC2154,SC2317
T=ovn_nested
# shellcheck source=tests/integration/lib/ovn.sh
. "$(dirname "$0")/lib/ovn.sh"
# shellcheck source=tests/integration/lib/vm.sh
. tests/integration/lib/vm.sh
VLANPING=$B/tests/tools/sfvlanping
[ -x "$VLANPING" ] || die "no $VLANPING (make tests)"

# Group vm, the VMs', has no ingress rule; open, the bare metal's and the subports', lets ICMP in.
testnet vm open:icmp
mk_vm vm1 a "$H1" "$net_id" "$subnet_id" --sg "$vm_id" --mode macvlan
mk_vm vm2 v "$H1" "$net_id" "$subnet_id" --sg "$vm_id" --trunk --mode vlan
installed() { [ "$(vsctl "$H1" get Interface "tap${1:0:11}" external_ids:ovn-installed)" = '"true"' ]; }
check "both VMs' ports are claimed by ovn-controller on $H1 (taps in br-int, ovn-installed)" \
	wait_until 20 eval 'installed "$vm1_port" && installed "$vm2_port"'
start_instance v1 "$vm1_host" < <(pool_ini min=2 max=2 batch=2 cooldown_ms=200 p:net)
V1=$INSTANCE
start_instance v2 "$vm2_host" < <(pool_ini min=1 max=1 batch=1 q:net:open)
V2=$INSTANCE
start_instance bm "$H2" < <(pool_ini min=1 max=1 batch=1 open:net:open)
BM=$INSTANCE
# Long bounds: on the shared machine the API has been away for 90 s while
# others' tests ran; the daemons ride that out, and a healthy fill takes 10-20 s.
wait_pool "$V1" p 2 150
wait_pool "$V2" q 1 150
wait_pool "$BM" open 1 150

# --- macvlan mode: allowed address pairs and OVN's port security ----------------------
check "the VM's port carries its pool's 2 ports as allowed address pairs before any ADD" \
	test "$(vm_pairs "$vm1_port")" = "$(pool_pairs "$V1")"
lsp_security() { nbctl get Logical_Switch_Port "$vm1_port" port_security; }
all_in_security() {
	local id p
	for id in $(instance_ports "$V1"); do
		p=$(port_get "$id")
		lsp_security | grep -q "$(macvlan_mac "$(jq -r .mac_address <<< "$p")") $(jq -r '.fixed_ips[0].ip_address' <<< "$p")" ||
			return 1
	done
}
check "NB: the VM's logical switch port's port security has each pair (the container's MAC, the port's address)" \
	wait_until 20 all_in_security
lsp_addresses() { nbctl get Logical_Switch_Port "$vm1_port" addresses; }
all_in_addresses() {
	local id
	for id in $(instance_ports "$V1"); do
		lsp_addresses | grep -q "\"$(macvlan_mac "$(port_get "$id" | jq -r .mac_address)")\"" || return 1
	done
}
check "NB: ... and its addresses each container's MAC (so the switch delivers it to the VM's port)" \
	wait_until 20 all_in_addresses
all_virtual() {
	local id
	for id in $(instance_ports "$V1"); do
		[ "$(nbctl get Logical_Switch_Port "$id" type)" = virtual ] &&
			[ "$(nbctl get Logical_Switch_Port "$id" options:virtual-parents)" = "\"$vm1_port\"" ] ||
			return 1
	done
}
check "NB: each pool port is a virtual port whose parent is the VM's port (Neutron's OVN driver)" \
	wait_until 20 all_virtual

declare -A ns_of ip_of
mk_netns "ns_of[x]" x
cfx=$(CONF_SOCKET=$(scripts/sfhost sock "$V1") conf 1.0.0 "$NAME-net")
cni ADD "$NAME-x" "/run/netns/${ns_of[x]}" eth0 "$cfx"
expect "ADD x in the macvlan VM (warm, $took_ms ms)" 0 '.ips[0].address != null' || die "ADD x"
ip_of[x]=$(jq -r '.ips[0].address | sub("/.*"; "")' <<< "$out")
check "x's eth0 is a macvlan" jq -e '.linkinfo.info_kind == "macvlan"' \
	<<< "$(ip -d -j -n "${ns_of[x]}" link show dev eth0 | jq -c '.[0]')"
mk_netns "ns_of[b]" b
cfb=$(CONF_SOCKET=$(scripts/sfhost sock "$BM") conf 1.0.0 "$NAME-net" "[\"$NAME-open\"]")
cni ADD "$NAME-b" "/run/netns/${ns_of[b]}" eth0 "$cfb"
expect "ADD b on $H2 (bare metal)" 0 '.ips[0].address != null' || die "ADD b"
ip_of[b]=$(jq -r '.ips[0].address | sub("/.*"; "")' <<< "$out")
bmac=$(ip -n "${ns_of[b]}" -j link show dev eth0 | jq -r '.[0].address')

# Not a pair: a macvlan of the VM's NIC with a MAC and an address of its
# own, as a container that bypassed superfluid would have.
rogue_ip=$pfx.241
mk_netns rogue_ns rogue
ip -n "$vm1_ns" link add rogue0 link eth0 type macvlan mode bridge || die "the rogue macvlan"
ip -n "$vm1_ns" link set rogue0 netns "$rogue_ns" || die "rogue0 into its namespace"
ip -n "$rogue_ns" addr add "$rogue_ip/24" dev rogue0 && ip -n "$rogue_ns" link set rogue0 up
say "x ${ip_of[x]} and rogue $rogue_ip in the macvlan VM on $H1, b ${ip_of[b]} on $H2"

# The VM's tap, b's side and the underlay, while x and the rogue ping b
# (the rogue and b know each other's MACs: static neighbours, so that its
# echo requests leave the VM with no ARP, which port security drops too).
ip -n "${ns_of[b]}" neigh replace "$rogue_ip" lladdr "$(ip -n "$rogue_ns" -j link show rogue0 | jq -r '.[0].address')" dev eth0
ip -n "$rogue_ns" neigh replace "${ip_of[b]}" lladdr "$bmac" dev rogue0
timeout 20 ip netns exec "$(host_ns "$H1")" tcpdump -nn -i "tap${vm1_port:0:11}" -w "$tmp/tap.pcap" icmp 2> /dev/null &
cap_t=$!
timeout 20 ip netns exec "${ns_of[b]}" tcpdump -nn -i eth0 -w "$tmp/b.pcap" icmp 2> /dev/null &
cap_b=$!
timeout 20 tcpdump -nn -i "sf-$H1-u" -w "$tmp/u1.pcap" udp port 6081 2> /dev/null &
cap_u=$!
sleep 1
ip netns exec "$rogue_ns" ping -c 3 -i 0.5 -W 1 "${ip_of[b]}" > /dev/null 2>&1 &
rp=$!
x_ping=$(ip netns exec "${ns_of[x]}" ping -c 3 -i 0.5 -W 1 "${ip_of[b]}" 2>&1 | grep -o '[0-9]* received')
wait "$rp"
sleep 0.5
kill -INT "$cap_t" "$cap_b" "$cap_u" 2> /dev/null # timeout passes it on to tcpdump, which writes its file out
wait "$cap_t" "$cap_b" "$cap_u"
saw() { tcpdump -nn -r "$tmp/$1.pcap" 2> /dev/null | grep -c "IP $2 > ${ip_of[b]}: ICMP echo request"; }
b_saw() { saw b "$1"; }
check "the rogue's echo requests leave the VM: on its tap in br-int ($(saw tap "$rogue_ip") of 3)" \
	test "$(saw tap "$rogue_ip")" -ge 2
check "b (on $H2) gets x's echo requests: OVN's port security lets the pair out of the VM's port ($(b_saw "${ip_of[x]}") of 3)" \
	test "$(b_saw "${ip_of[x]}")" -ge 2
check "b gets none of the rogue's ($rogue_ip is not a pair: OVN drops it at the VM's port)" \
	test "$(b_saw "$rogue_ip")" -eq 0
geneve() { tcpdump -nn -e -r "$tmp/u1.pcap" 2> /dev/null | grep "$1 > ${ip_of[b]}: ICMP echo request"; }
check "on the underlay x's requests are in one Geneve header, nothing else around them" \
	eval '[ "$(geneve "${ip_of[x]}" | grep -c "Geneve.*ethertype IPv4 (0x0800)")" -ge 2 ] &&
		[ "$(geneve "${ip_of[x]}" | grep -c "Geneve.*Geneve\|VXLAN")" -eq 0 ]'
check "... and no frame of the rogue's leaves $H1" test -z "$(geneve "$rogue_ip")"
check "x gets b's echo replies back through the VM's port ($x_ping of 3)" test "${x_ping% received}" -ge 2

cni DEL "$NAME-x" "/run/netns/${ns_of[x]}" eth0 "$cfx"
expect "DEL x" 0 ""

# --- VLAN mode: trunk subports as child logical switch ports --------------------------
read -r sub vid <<< "$(ctl "$V2" ports | jq -r '.ports[] | select(.state == "ready") | "\(.port_id) \(.vlan)"' | head -1)"
if [ -z "$sub" ] || [ "$vid" = null ]; then die "no ready subport in $V2: $(ctl "$V2" ports)"; fi
say "subport $sub, VLAN $vid, of trunk $vm2_trunk"
check "NB: the subport's logical switch port has parent_name = the VM's port and tag = $vid" \
	eval '[ "$(nbctl get Logical_Switch_Port "$sub" parent_name)" = "\"$vm2_port\"" ] &&
		[ "$(nbctl get Logical_Switch_Port "$sub" tag)" = "$vid" ]'
sub_active() { [ "$(port_get "$sub" | jq -r .status)" = ACTIVE ]; }
check "the subport is ACTIVE (ovn-controller claimed the child port with its parent)" wait_until 30 sub_active
sp=$(port_get "$sub")
check "... bound by the trunk driver ($(jq -c '{device_owner, vif: .["binding:vif_type"], host: .["binding:host_id"]}' <<< "$sp"))" \
	jq -e '.device_owner == "trunk:subport" and .["binding:vif_type"] == "ovs"' <<< "$sp"
smac=$(jq -r .mac_address <<< "$sp") sip=$(jq -r '.fixed_ips[0].ip_address' <<< "$sp")
echo_tagged() { # VID: echo from the subport's MAC and address to b, tagged VID, from the VM's NIC
	ip netns exec "$vm2_ns" "$VLANPING" eth0 "$1" "$smac" "$sip" "$bmac" "${ip_of[b]}" 2 > "$tmp/echo.$1"
}
timeout 20 tcpdump -nn -i "sf-$H1-u" -w "$tmp/u2.pcap" udp port 6081 2> /dev/null &
cap_u=$!
sleep 1
wrong=$((vid % 4094 + 1))
echo_tagged "$wrong" &
ep=$!
echo_tagged "$vid"
wait "$ep"
kill -INT "$cap_u" 2> /dev/null
wait "$cap_u"
check "a frame tagged $vid from the VM's NIC reaches b on $H2, the reply comes back tagged $vid ($(cat "$tmp/echo.$vid"))" \
	grep -Eq 'replies [1-9][0-9]* untagged 0$' "$tmp/echo.$vid"
check "a frame tagged $wrong (no subport's) gets nothing back ($(cat "$tmp/echo.$wrong"))" \
	grep -q 'replies 0 untagged 0' "$tmp/echo.$wrong"
# One line per frame (-vv prints Geneve's options and the inner headers on more lines).
g2() {
	tcpdump -nn -vv -e -r "$tmp/u2.pcap" 2> /dev/null |
		awk '/^[0-9]/ { if (f != "") print f; f = $0; next } { f = f " " $0 } END { if (f != "") print f }' |
		grep "$sip > ${ip_of[b]}: ICMP echo request"
}
tkey() { sbctl --bare --columns=tunnel_key find Port_Binding "logical_port=$1"; }
key=$(tkey "$sub") bkey=$(tkey "$(held_port "$BM" "$NAME-b" eth0)")
opt=$(printf 'data %04x%04x' "$key" "$bkey")
check "the underlay: the subport's request in one Geneve header, untagged inside, OVN's option naming the subport ($opt)" \
	eval '[ "$(g2 | grep -c .)" -ge 2 ] && [ "$(g2 | grep -o Geneve | wc -l)" = "$(g2 | grep -c .)" ] &&
		[ "$(g2 | grep -c "802.1Q\|vlan")" -eq 0 ] && [ "$(g2 | grep -c "ethertype IPv4")" = "$(g2 | grep -c .)" ] &&
		[ "$(g2 | grep -c "$opt")" = "$(g2 | grep -c .)" ]'
g2 | head -1 | cut -c1-600 | sed 's/^/    | /'

cni DEL "$NAME-b" "/run/netns/${ns_of[b]}" eth0 "$cfb"
expect "DEL b" 0 ""
finish
