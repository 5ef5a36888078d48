# Simulated VMs for the nested tests: sourced after lib/daemon.sh, never run.
#
# A simulated VM is a network namespace sf-vm-NAME whose NIC eth0 is a
# Neutron port bound to a simulated host and plugged as Nova and os-vif
# plug one with the Linux bridge agent: the port is made with
# device_owner compute:nova and binding:host_id hostN, then a veth
# tap<port11> (in sf-hostN, enslaved to the network's bridge brq<net11>,
# which the plugging side creates if the agent has not: the agent leaves
# compute:* ports to it) / eth0 (made in the VM with the port's MAC, MTU,
# address and default route).  Neutron then marks it ACTIVE, and the
# agent's firewall (the port's groups, anti-spoofing with its allowed
# address pairs) sits on the tap, as for a real VM.
#
# The VM also gets mgmt0 on the underlay (198.18.0.100-249), its stand-in
# for a real VM's route to the OpenStack API, so the daemon inside it
# reaches Keystone and Neutron; the tenant side has no path to it.
#
# mk_vm writes $SF_TB_DIR/hosts/vm-NAME/superfluid.conf (the hypervisor's
# config with the nested [host] keys), so `start_instance LABEL vm-NAME`
# runs a superfluidd inside the VM.  Everything is removed by the EXIT trap.
# shellcheck disable=SC2034

made_vms=()

# mk_vm VAR NAME HOSTN NET_ID [SUBNET_ID] [--trunk] [--sg SG_ID] [--mode macvlan|vlan]
# Sets VAR_port, VAR_trunk ("" without --trunk), VAR_ns, VAR_ip, VAR_mac.
mk_vm() {
	local var=$1 name=$2 hostn=$3 net=$4 subnet="" trunk=0 sg="" mode=macvlan
	shift 4
	while [ $# -gt 0 ]; do
		case $1 in
		--trunk) trunk=1 ;;
		--sg) sg=$2; shift ;;
		--mode) mode=$2; shift ;;
		*) subnet=$1 ;;
		esac
		shift
	done
	local ns=sf-vm-$name hns body port id mac ip cidr plen gw mtu tid="" brq tap k addr
	hns=$(host_ns "host$hostn")
	body=$(jq -nc --arg n "$net" --arg s "$subnet" --arg sg "$sg" --arg h "host$hostn" \
		--arg name "$NAME-vm-$name" '{port: ({network_id: $n, name: $name,
		device_owner: "compute:nova", device_id: $name, "binding:host_id": $h}
		+ (if $s != "" then {fixed_ips: [{subnet_id: $s}]} else {} end)
		+ (if $sg != "" then {security_groups: [$sg]} else {} end))}')
	port=$(neutron POST ports "$body" | jq -c .port) || die "creating VM $name's port"
	id=$(jq -r .id <<< "$port")
	mac=$(jq -r .mac_address <<< "$port")
	ip=$(jq -r '.fixed_ips[0].ip_address' <<< "$port")
	made_vms+=("$name $hostn $id")
	cidr=$(neutron GET "subnets/$(jq -r '.fixed_ips[0].subnet_id' <<< "$port")" | jq -c .subnet)
	plen=$(jq -r '.cidr | sub(".*/"; "")' <<< "$cidr")
	gw=$(jq -r '.gateway_ip // ""' <<< "$cidr")
	mtu=$(neutron GET "networks/$net" | jq -r .network.mtu)
	if [ "$trunk" = 1 ]; then
		tid=$(neutron POST trunks "$(jq -nc --arg p "$id" --arg n "$NAME-trunk-$name" \
			'{trunk: {port_id: $p, name: $n}}')" | jq -er .trunk.id) || die "creating VM $name's trunk"
	fi
	ip netns add "$ns" || die "creating namespace $ns"
	ip -n "$ns" link set lo up
	brq=brq${net:0:11} tap=tap${id:0:11}
	if ! ip -n "$hns" link show "$brq" > /dev/null 2>&1; then
		ip -n "$hns" link add "$brq" type bridge 2> /dev/null
		ip -n "$hns" link set "$brq" up
	fi
	ip -n "$hns" link add "$tap" mtu "$mtu" type veth peer name eth0 netns "$ns" ||
		die "plugging VM $name"
	ip -n "$hns" link set "$tap" master "$brq" up || die "enslaving $tap to $brq"
	ip -n "$ns" link set eth0 address "$mac" mtu "$mtu" up
	ip -n "$ns" addr add "$ip/$plen" dev eth0
	[ -n "$gw" ] && ip -n "$ns" route add default via "$gw" dev eth0
	# The management NIC: the first free underlay address from .100 up.
	for k in $(seq 100 249); do
		addr=198.18.0.$k
		ip -br -4 addr show | grep -q " $addr/" && continue
		grep -qs "^$addr\$" "$SF_TB_DIR"/vm-mgmt.* && continue
		echo "$addr" > "$SF_TB_DIR/vm-mgmt.$name" && break
	done
	ip link add "sfm${id:0:11}" type veth peer name mgmt0 netns "$ns" || die "VM $name's mgmt0"
	ip link set "sfm${id:0:11}" master sf-underlay up
	ip -n "$ns" addr add "$addr/24" dev mgmt0
	ip -n "$ns" link set mgmt0 up
	vm_active() { [ "$(port_get "$1" | jq -r .status)" = ACTIVE ]; }
	wait_until 30 vm_active "$id" || die "VM $name's port $id did not turn ACTIVE"
	mkdir -p "$SF_TB_DIR/hosts/vm-$name"
	awk -v name="vm-$name" -v mode="$mode" -v port="$id" '
		/^\[/ { sect = $0 }
		sect == "[daemon]" { next }
		sect == "[host]" && /^name =/ { print "name = " name; print "mode = " mode;
			print "link_interface = eth0"; print "vm_port = " port; next }
		{ print }' "$SF_TB_DIR/hosts/host$hostn/superfluid.conf" \
		> "$SF_TB_DIR/hosts/vm-$name/superfluid.conf"
	printf -v "${var}_port" '%s' "$id"
	printf -v "${var}_trunk" '%s' "$tid"
	printf -v "${var}_ns" '%s' "$ns"
	printf -v "${var}_ip" '%s' "$ip"
	printf -v "${var}_mac" '%s' "$mac"
}

# The EXIT trap's part (lib/daemon.sh runs it after stopping the daemons,
# before deleting networks): subports off, trunk, namespace, veths, port.
cleanup_vms() {
	local v name hostn id tid subs
	for v in "${made_vms[@]}"; do
		read -r name hostn id <<< "$v"
		for tid in $(neutron GET "trunks?port_id=$id" | jq -r '.trunks[].id'); do
			subs=$(neutron GET "trunks/$tid" | jq -c '{sub_ports: [.trunk.sub_ports[] | {port_id}]}')
			[ "$(jq '.sub_ports | length' <<< "$subs")" -gt 0 ] &&
				neutron PUT "trunks/$tid/remove_subports" "$subs" > /dev/null
			neutron DELETE "trunks/$tid" > /dev/null || say "deleting trunk $tid failed"
		done
		ip netns del "sf-vm-$name" 2> /dev/null
		ip -n "$(host_ns "host$hostn")" link del "tap${id:0:11}" 2> /dev/null
		ip link del "sfm${id:0:11}" 2> /dev/null
		neutron DELETE "ports/$id" > /dev/null || say "deleting VM port $id failed"
		rm -rf "${SF_TB_DIR:?}/hosts/vm-$name" "$SF_TB_DIR/vm-mgmt.$name"
	done
}
cleanup_hooks+=(cleanup_vms)

# underlay_capture_check NS SRC_IP DST_IP [HOSTN]: pings DST_IP from NS
# while capturing VXLAN (UDP 8472, the Linux bridge agent's port) on hostN's
# underlay link (default host1), and succeeds when the capture shows the
# echo requests SRC_IP > DST_IP directly inside one VXLAN header: the inner
# frame is the container's own ICMP, not a second tunnel.
underlay_capture_check() {
	local ns=$1 src=$2 dst=$3 link=sf-host${4:-1}-u pcap pid txt
	pcap=$(mktemp "$tmp/underlay.XXXXXX")
	tcpdump -i "$link" -U -s 256 -c 12 -w "$pcap" "udp port 8472 and greater 100" 2> /dev/null &
	pid=$!
	sleep 1
	ip netns exec "$ns" ping -c 5 -i 0.2 -W 1 "$dst" > /dev/null 2>&1
	for _ in $(seq 1 20); do [ -d "/proc/$pid" ] || break; sleep 0.2; done
	[ -d "/proc/$pid" ] && kill "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null
	txt=$(tcpdump -r "$pcap" -nn -T vxlan 2> /dev/null)
	say "underlay ($link): $(head -2 <<< "$txt" | tr '\n' ' ')" >&2
	# tcpdump prints each packet as two lines: the outer UDP with its one
	# VXLAN header, then the inner frame.  Of the packets between the two
	# addresses (others' multicast may pass too), every inner frame must be
	# the ICMP itself, never another UDP/VXLAN header.
	awk -v s="$src" -v d="$dst" '
		NR % 2 == 1 { outer = $0; next }
		!index($0, s) || !index($0, d) { next }
		outer !~ /\.8472: VXLAN, flags \[I\] \(0x08\), vni [0-9]+$/ { bad = 1 }
		index($0, "IP " s " > " d ": ICMP echo request") == 1 { req++; next }
		index($0, "IP " d " > " s ": ICMP echo reply") == 1 { next }
		{ bad = 1 }
		END { exit (bad || !req || NR % 2) }' <<< "$txt"
}

# tap_capture HOSTN VM_PORT NS DST: the link-level view (tcpdump -e) of the
# ICMP that NS sends to DST as it leaves the VM, on the VM's tap.
tap_capture() {
	local hns tap=tap${2:0:11} pcap pid
	hns=$(host_ns "host$1")
	pcap=$(mktemp "$tmp/tap.XXXXXX")
	ip netns exec "$hns" tcpdump -i "$tap" -U -s 128 -c 2 -w "$pcap" "icmp or vlan" 2> /dev/null &
	pid=$!
	sleep 1
	ip netns exec "$3" ping -c 3 -i 0.2 -W 1 "$4" > /dev/null 2>&1
	for _ in $(seq 1 20); do [ -d "/proc/$pid" ] || break; sleep 0.2; done
	[ -d "/proc/$pid" ] && kill "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null
	tcpdump -r "$pcap" -nn -e 2> /dev/null
}
