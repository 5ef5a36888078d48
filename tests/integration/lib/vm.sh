# shellcheck shell=bash disable=SC2015,SC2154  # A && B || die; tmp is lib/env.sh's
# Simulated VMs for the integration tests: sourced after lib/daemon.sh,
# never run.  docs/testbed.md ("Simulated VMs") says what one is.
#
# A VM is a namespace sf-vm-<name> whose eth0 is a Neutron port
# (device_owner compute:nova, bound to a simulated host, optionally a
# trunk's parent) plugged as Nova + os-vif plug it: a veth tap<port11> in
# the host's namespace, whose peer is eth0, enslaved to brq<net11> with the
# Linux bridge agent, or on an Open vSwitch or OVN host (its superfluid.conf
# names an OVSDB) a port of br-int with iface-id and attached-mac.  Its mgmt0 is a veth to the underlay
# bridge (198.18.0.100-199), the stand-in for a real VM's route to the
# APIs, so that a superfluidd inside it reaches Keystone and Neutron.
# Everything is recorded so that lib/daemon.sh's EXIT trap removes it.
# shellcheck disable=SC2034

VM_UNDERLAY_FIRST=100 VM_UNDERLAY_LAST=199
# The underlay addresses taken, one file per address naming its VM's
# namespace; made with noclobber (atomic) so that tests running at the
# same time never share one.  A file whose namespace is gone is stale.
# The default bed's folder also for the OVN bed's VMs: both beds share
# the underlay.
vm_ipdir=${SF_TESTBED_DIR:-/var/lib/sf-testbed}/vms/underlay-ips

made_vms=() # "NS PORT_ID TRUNK_ID|- HOSTNS TAP IPFILE CONFDIR OVSDB|-", in order
at_exit 40 vm_cleanup

# vm_underlay_take NS -> an address 198.18.0.X, recorded for NS.
vm_underlay_take() {
	local i f
	mkdir -p "$vm_ipdir" || return 1
	for i in $(seq "$VM_UNDERLAY_FIRST" "$VM_UNDERLAY_LAST"); do
		f=$vm_ipdir/$i
		if [ -f "$f" ] && [ ! -e "/run/netns/$(cat "$f" 2> /dev/null)" ]; then
			# Left by a killed run: reclaim it, unless another test
			# just did (then the noclobber below fails).
			rm -f "$f"
		fi
		if (set -o noclobber; printf '%s' "$1" > "$f") 2> /dev/null; then
			printf '198.18.0.%s' "$i"
			return 0
		fi
	done
	return 1
}

# mk_vm VAR NAME HOSTN NET_ID [SUBNET_ID] [--trunk] [--sg SG_ID]
#       [--mode macvlan|vlan]
# Sets VAR_port, VAR_trunk (empty without --trunk), VAR_ns (sf-vm-X),
# VAR_host (vm-X: the HOST argument of scripts/sfhost start), VAR_ip (the
# tenant address), VAR_mac, VAR_mgmt_ip.  X is NAME plus this test's random
# suffix, so that tests running at the same time never collide.
mk_vm() {
	local _vm_var=$1 _vm_label=$2 _vm_name=$2-$RND _vm_hostn=$3 _vm_net=$4 _vm_subnet="" _vm_trunk=""
	local _vm_sg="" _vm_mode=macvlan _vm_body _vm_port _vm_tid=- _vm_ns _vm_hns _vm_mtu
	local _vm_ip _vm_mac _vm_sub _vm_cidr _vm_gw _vm_tap _vm_u _vm_mip _vm_cd _vm_pj _vm_db
	shift 4
	if [ $# -gt 0 ] && [[ $1 != --* ]]; then _vm_subnet=$1; shift; fi
	while [ $# -gt 0 ]; do
		case $1 in
		--trunk) _vm_trunk=1 ;;
		--sg) _vm_sg=$2; shift ;;
		--mode) _vm_mode=$2; shift ;;
		*) die "mk_vm: unknown option $1" ;;
		esac
		shift
	done
	_vm_ns=sf-vm-$_vm_name
	_vm_hns=$(host_ns "$_vm_hostn")
	[ -n "$_vm_hns" ] || die "mk_vm: no simulated host $_vm_hostn"
	_vm_mtu=$(neutron GET "networks/$_vm_net" | jq -er .network.mtu) || die "mk_vm: network $_vm_net"
	_vm_db=$(sed -n 's/^ovsdb = //p' "$SF_TB_DIR/hosts/$_vm_hostn/superfluid.conf")

	_vm_body=$(jq -nc --arg n "$NAME-vm-$_vm_label" --arg net "$_vm_net" --arg h "$_vm_hostn" \
		--arg s "$_vm_subnet" --arg sg "$_vm_sg" --arg dev "$(cat /proc/sys/kernel/random/uuid)" \
		'{port: ({name: $n, network_id: $net, device_owner: "compute:nova", device_id: $dev,
		  "binding:host_id": $h}
		  + (if $s != "" then {fixed_ips: [{subnet_id: $s}]} else {} end)
		  + (if $sg != "" then {security_groups: [$sg]} else {} end))}')
	_vm_pj=$(neutron POST ports "$_vm_body" | jq -ec .port) || die "mk_vm $_vm_label: creating its port"
	_vm_port=$(jq -r .id <<< "$_vm_pj")
	_vm_tap=tap${_vm_port:0:11}
	_vm_cd=$SF_TB_DIR/hosts/vm-$_vm_name
	# Recorded at once, completed below: the trap removes what exists.
	made_vms+=("$_vm_ns $_vm_port - $_vm_hns $_vm_tap - $_vm_cd ${_vm_db:--}")
	if [ -n "$_vm_trunk" ]; then
		_vm_tid=$(neutron POST trunks "$(jq -nc --arg p "$_vm_port" --arg n "$NAME-vm-$_vm_label" \
			'{trunk: {port_id: $p, name: $n}}')" | jq -er .trunk.id) || die "mk_vm $_vm_label: trunk"
		made_vms[-1]="$_vm_ns $_vm_port $_vm_tid $_vm_hns $_vm_tap - $_vm_cd ${_vm_db:--}"
	fi
	_vm_mac=$(jq -r .mac_address <<< "$_vm_pj")
	_vm_ip=$(jq -r '.fixed_ips[0].ip_address' <<< "$_vm_pj")
	_vm_sub=$(neutron GET "subnets/$(jq -r '.fixed_ips[0].subnet_id' <<< "$_vm_pj")" | jq -ec .subnet) ||
		die "mk_vm $_vm_label: its subnet"
	_vm_cidr=$(jq -r .cidr <<< "$_vm_sub")
	_vm_gw=$(jq -r '.gateway_ip // ""' <<< "$_vm_sub")

	# The plug, as os-vif does it: the bridge if the agent has not made it
	# yet (it leaves compute:* taps to the plugging side), the tap in it.
	ip netns add "$_vm_ns" || die "mk_vm $_vm_label: ip netns add $_vm_ns"
	ip -n "$_vm_ns" link set lo up
	if [ -z "$_vm_db" ] && ! ip -n "$_vm_hns" link show dev "brq${_vm_net:0:11}" > /dev/null 2>&1; then
		ip -n "$_vm_hns" link add "brq${_vm_net:0:11}" type bridge 2> /dev/null ||
			ip -n "$_vm_hns" link show dev "brq${_vm_net:0:11}" > /dev/null ||
			die "mk_vm $_vm_label: brq${_vm_net:0:11}"
	fi
	[ -n "$_vm_db" ] || ip -n "$_vm_hns" link set "brq${_vm_net:0:11}" up
	ip -n "$_vm_hns" link add "$_vm_tap" mtu "$_vm_mtu" type veth peer name eth0 \
		netns "$_vm_ns" address "$_vm_mac" mtu "$_vm_mtu" || die "mk_vm $_vm_label: the tap"
	if [ -n "$_vm_db" ]; then
		ip -n "$_vm_hns" link set "$_vm_tap" up &&
			ovs-vsctl --db="$_vm_db" --timeout=10 -- --may-exist add-port br-int "$_vm_tap" \
			-- set Interface "$_vm_tap" "external_ids:iface-id=$_vm_port" \
			"external_ids:attached-mac=$_vm_mac" external_ids:iface-status=active ||
			die "mk_vm $_vm_label: tap into br-int"
	else
		ip -n "$_vm_hns" link set "$_vm_tap" master "brq${_vm_net:0:11}" up ||
			die "mk_vm $_vm_label: tap into brq"
	fi
	ip -n "$_vm_ns" addr add "$_vm_ip/${_vm_cidr#*/}" dev eth0 || die "mk_vm $_vm_label: eth0's address"
	ip -n "$_vm_ns" link set eth0 up
	if [ -n "$_vm_gw" ]; then
		ip -n "$_vm_ns" route add default via "$_vm_gw" dev eth0 || die "mk_vm $_vm_label: default route"
	fi

	# The management NIC, on the underlay.
	_vm_mip=$(vm_underlay_take "$_vm_ns") || die "mk_vm $_vm_label: no free underlay address"
	made_vms[-1]="$_vm_ns $_vm_port $_vm_tid $_vm_hns $_vm_tap $vm_ipdir/${_vm_mip##*.} $_vm_cd ${_vm_db:--}"
	_vm_u=vm-${_vm_port:0:8}-u
	ip link add "$_vm_u" type veth peer name mgmt0 netns "$_vm_ns" || die "mk_vm $_vm_label: mgmt0"
	ip link set "$_vm_u" master sf-underlay up || die "mk_vm $_vm_label: $_vm_u into sf-underlay"
	ip -n "$_vm_ns" addr add "$_vm_mip/24" dev mgmt0
	ip -n "$_vm_ns" link set mgmt0 up

	# The base config of a superfluidd inside the VM (scripts/sfhost
	# start INSTANCE vm-X): the hypervisor's, plus the nested keys.
	mkdir -p "$_vm_cd" && chmod 0700 "$_vm_cd" || die "mk_vm $_vm_label: $_vm_cd"
	# Its [host] name is the VM's: nested ports are bound by the VM's port,
	# the name only tags them (sf-host=vm-X); the hypervisor's OVSDB is not
	# the VM's.
	awk -v mode="$_vm_mode" -v port="$_vm_port" -v name="vm-$_vm_name" '
		/^\[/ { sect = $0 }
		sect == "[host]" && /^name =/ { print "name = " name; next }
		sect == "[host]" && /^ovsdb =/ { next }
		{ print }
		$0 == "[host]" { print "mode = " mode; print "link_interface = eth0"
			print "vm_port = " port }' "$SF_TB_DIR/hosts/$_vm_hostn/superfluid.conf" \
		> "$_vm_cd/superfluid.conf" && chmod 0600 "$_vm_cd/superfluid.conf" ||
		die "mk_vm $_vm_label: its superfluid.conf"

	wait_until 30 vm_port_active "$_vm_port" ||
		die "mk_vm $_vm_label: port $_vm_port is not ACTIVE after 30 s: $(port_get "$_vm_port")"
	printf -v "${_vm_var}_port" '%s' "$_vm_port"
	printf -v "${_vm_var}_trunk" '%s' "${_vm_tid#-}"
	printf -v "${_vm_var}_ns" '%s' "$_vm_ns"
	printf -v "${_vm_var}_host" '%s' "vm-$_vm_name"
	printf -v "${_vm_var}_ip" '%s' "$_vm_ip"
	printf -v "${_vm_var}_mac" '%s' "$_vm_mac"
	printf -v "${_vm_var}_mgmt_ip" '%s' "$_vm_mip"
}

vm_port_active() { [ "$(neutron GET "ports/$1" | jq -r .port.status)" = ACTIVE ]; }

# The trap's part (at_exit 40: after the instances stop): newest first.  The namespace takes eth0
# and mgmt0 and so their peers (tap, vm-*-u); a trunk goes before its
# parent port, and its subports before it (Neutron refuses otherwise).
vm_cleanup() {
	local i ns port tid hns tap ipf cd db sp
	for ((i = ${#made_vms[@]} - 1; i >= 0; i--)); do
		read -r ns port tid hns tap ipf cd db <<< "${made_vms[$i]}"
		ip netns del "$ns" 2> /dev/null
		ip -n "$hns" link del "$tap" 2> /dev/null
		[ "$db" = - ] || ovs-vsctl --db="$db" --timeout=10 --if-exists del-port "$tap"
		if [ "$tid" != - ]; then
			sp=$(neutron GET "trunks/$tid/get_subports" | jq -c '{sub_ports: [.sub_ports[] | {port_id}]}')
			if [ -n "$sp" ] && [ "$(jq '.sub_ports | length' <<< "$sp")" -gt 0 ]; then
				neutron PUT "trunks/$tid/remove_subports" "$sp" > /dev/null ||
					say "removing the subports of trunk $tid failed"
			fi
			neutron DELETE "trunks/$tid" > /dev/null || say "deleting trunk $tid failed"
		fi
		neutron DELETE "ports/$port" > /dev/null || say "deleting VM port $port failed"
		[ "$ipf" = - ] || rm -f "$ipf"
		rm -rf "$cd"
	done
	made_vms=()
}

# --- the VM's port and the pool it carries ----------------------------------------------

# vm_pairs PORT_ID: its allowed address pairs, {ip_address, mac_address}, sorted.
vm_pairs() { port_get "$1" | jq -c '[.allowed_address_pairs[] | {ip_address, mac_address}] | sort'; }

# macvlan_mac MAC: the MAC a macvlan container gets for a port of that MAC
# (docs/nested.md): bit 2 of the first octet flipped, fa:16:3e:.. -> fe:16:3e:..
macvlan_mac() { printf '%02x%s' "$((16#${1:0:2} ^ 4))" "${1:2}"; }

# pool_pairs INSTANCE: the pairs its ports need (every fixed IP, v4 and v6,
# with the container's MAC: macvlan_mac of the port's), from Neutron's view
# of them, sorted.
pool_pairs() {
	local id p want="[]"
	for id in $(instance_ports "$1"); do
		p=$(port_get "$id")
		want=$(jq -c --argjson p "$p" --arg m "$(macvlan_mac "$(jq -r .mac_address <<< "$p")")" \
			'. + [$p.fixed_ips[] | {ip_address, mac_address: $m}] | sort' <<< "$want")
	done
	echo "$want"
}

# vm_pool_empty INSTANCE: HUPs the instance (one pool, none of its ports
# held) with min = max = 0: the refiller sends the pool's READY ports back
# to Neutron, and a port still wiring once it turns READY.  Returns once
# Neutron holds none of its ports (60 s at most).
vm_pool_empty() {
	local _vpe_inst=$1
	sed -i 's/^min = [0-9]*$/min = 0/; s/^max = [0-9]*$/max = 0/' "$(scripts/sfhost conf "$1")"
	kill -HUP "$(cat "$(scripts/sfhost dir "$1")/pid")"
	# shellcheck disable=SC2016  # expanded by eval, at each try
	wait_until 60 eval '[ -z "$(instance_ports "$_vpe_inst")" ]'
}

# --- the underlay --------------------------------------------------------------------

# underlay_capture_check HOSTN SRC_NS SRC_IP DST_IP: captures the VXLAN
# traffic host HOSTN sends and receives on the underlay while SRC_NS pings
# DST_IP (SRC_IP being its address), and checks that the ping's frames
# cross it as UDP to port 8472 (the Linux bridge agent's VXLAN port:
# `ip -d link show vxlan-<vni>` says dstport 8472) with exactly one VXLAN
# header whose inner frame is the ping's ICMP, SRC_IP to DST_IP and back:
# no second encapsulation.  It captures on sf-hostN-u, the host's port of
# the sf-underlay bridge: a capture on the bridge device itself sees only
# what the bridge delivers to the root namespace, not unicast it forwards
# between its ports.  Prints what it saw; fails when it saw no such frame
# or any frame of these addresses otherwise encapsulated.
underlay_capture_check() {
	local hostn=$1 ns=$2 src=$3 dst=$4 pcap pid r
	command -v tcpdump > /dev/null || { say "tcpdump is missing (scripts/deps)"; return 1; }
	pcap=$(mktemp "$tmp/underlay.XXXXXX.pcap")
	tcpdump -i "sf-$hostn-u" -nn -U -s 256 -w "$pcap" udp > "$pcap.log" 2>&1 &
	pid=$!
	# Capturing once tcpdump says so (its stderr).
	wait_until 10 grep -q 'listening on' "$pcap.log" || { kill "$pid"; say "tcpdump did not start"; return 1; }
	ip netns exec "$ns" ping -c 3 -i 0.3 -W 1 "$dst" > /dev/null 2>&1
	sleep 0.5
	kill -INT "$pid"
	wait "$pid" 2> /dev/null
	python3 "$(dirname "${BASH_SOURCE[0]}")/vxlan_check.py" "$pcap" "$src" "$dst" > "$pcap.out"
	r=$?
	# On stderr: `check` drops stdout.
	tail -n 4 "$pcap.out" | sed "s/^/$T: /" >&2
	rm -f "$pcap" "$pcap.log" "$pcap.out"
	return "$r"
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
