#!/usr/bin/env bash
# sf-test: plain-build: it tests the test bed, not this build
# Proves the test bed's data plane without any superfluid code: two Neutron
# ports bound to two simulated hosts, plugged as os-vif plugs a VM's port
# with the Linux bridge agent, reach each other over Neutron's VXLAN, and
# security groups are enforced (a port whose group lacks ICMP is not
# pinged until the rule is added).
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
T=dataplane
ENV_TOOLS="jq curl openstack ip ping"
# shellcheck source=tests/integration/lib/env.sh
. "$(dirname "$0")/lib/env.sh"
# shellcheck source=tests/integration/lib/openstack.sh
. tests/integration/lib/openstack.sh

net24=$(rand_prefix).0/24
mtu=1450

os() { openstack "$@"; }

say "network $NAME ($net24), security groups, three ports as user $OS_USERNAME"
net_id=$(os network create "$NAME" -f value -c id) || die "network create"
made_networks+=("$net_id")   # with its ports, removed by the trap
subnet_id=$(os subnet create "$NAME" --network "$net_id" --subnet-range "$net24" \
	--no-dhcp --gateway none -f value -c id) || die "subnet create"
sg_icmp=$(os security group create "$NAME-icmp" -f value -c id) || die "sg create"
made_sgs+=("$sg_icmp")
os security group rule create "$sg_icmp" --ingress --ethertype IPv4 --protocol icmp \
	> /dev/null || die "sg rule create"
# Only the default egress rules: nothing may come in.
sg_closed=$(os security group create "$NAME-closed" -f value -c id) || die "sg create"
made_sgs+=("$sg_closed")

declare -A port_host port_mac port_ip
mkport() { # label host sg
	local js id
	js=$(os port create "$NAME-$1" --network "$net_id" --fixed-ip subnet="$subnet_id" \
		--host "$2" --device-owner compute:sftest --security-group "$3" -f json) ||
		die "port create $1"
	id=$(jq -r .id <<< "$js")
	port_host[$1]=$2
	port_mac[$1]=$(jq -r .mac_address <<< "$js")
	port_ip[$1]=$(jq -r '.fixed_ips[0].ip_address' <<< "$js")
	PORT_ID=$id
}
mkport c1 host1 "$sg_icmp"; id1=$PORT_ID
mkport c2 host2 "$sg_icmp"; id2=$PORT_ID
mkport c3 host2 "$sg_closed"; id3=$PORT_ID
say "ports: c1 ${port_ip[c1]} on host1, c2 ${port_ip[c2]} on host2 (ICMP allowed), c3 ${port_ip[c3]} on host2 (no ingress)"

# Plugs a port as os-vif does for the Linux bridge agent: tap<id[:11]> in
# the host namespace, enslaved to brq<net[:11]> (created if missing: the
# agent does not enslave compute:* ports, it expects Nova to), here as one
# end of a veth whose other end is the container's eth0.
plug() { # label port-id
	local label=$1 id=$2 hns c tap=tap${2:0:11} brq=brq${net_id:0:11}
	hns=$(host_ns "${port_host[$label]}")
	mk_netns c "$label"
	ip -n "$hns" link add "$tap" mtu "$mtu" type veth peer name eth0 netns "$c" ||
		die "veth $tap"
	made_links+=("$hns $tap")
	if ! ip -n "$hns" link show "$brq" > /dev/null 2>&1; then
		# The agent may create it at the same moment.
		ip -n "$hns" link add "$brq" type bridge 2> /dev/null ||
			ip -n "$hns" link show "$brq" > /dev/null || die "bridge $brq"
	fi
	ip -n "$hns" link set "$brq" up
	ip -n "$hns" link set "$tap" master "$brq" up || die "enslave $tap"
	ip -n "$c" link set eth0 address "${port_mac[$label]}" mtu "$mtu" up
	ip -n "$c" addr add "${port_ip[$label]}/24" dev eth0
}
plug c1 "$id1"
plug c2 "$id2"
plug c3 "$id3"
say "plugged: taps in brq${net_id:0:11} on both hosts, containers in namespaces $NAME-c{1,2,3}"

say "waiting for the three ports to turn ACTIVE"
start=$SECONDS
while :; do
	st=$(os port list --network "$net_id" -f json -c ID -c Status) || die "port list"
	active=$(jq '[.[] | select(.Status == "ACTIVE")] | length' <<< "$st")
	[ "$active" -eq 3 ] && break
	[ $((SECONDS - start)) -lt 60 ] || die "ports not ACTIVE after 60 s: $st"
	sleep 1
done
pass "all ports ACTIVE after $((SECONDS - start)) s"

vni=$(os network show "$net_id" -f value -c provider:segmentation_id) || die "network show"
for h in host1 host2; do
	hns=$(host_ns "$h")
	ip -n "$hns" -d link show "vxlan-$vni" 2> /dev/null | grep -q "master brq${net_id:0:11}" ||
		die "$h: no vxlan-$vni in brq${net_id:0:11}"
done
pass "vxlan-$vni (the network's VNI) is in the network's bridge on both hosts"

ping_from() { # container-label target-ip count deadline
	ip netns exec "$NAME-$1" ping -n -q -c "$3" -i 0.2 -W 1 -w "$4" "$2" > /dev/null 2>&1
}

ping_from c1 "${port_ip[c2]}" 3 15 || die "c1 (host1) cannot ping c2 (host2) across VXLAN"
pass "c1 on host1 pings c2 on host2 across the VXLAN underlay"

# Negative: c3's group lets nothing in.  ARP is not filtered by security
# groups, so c1 resolving c3's MAC proves the path works and only ICMP is
# refused.
if ping_from c1 "${port_ip[c3]}" 2 3; then
	die "c1 pings c3 although c3's security group has no ingress rule"
fi
ip -n "$NAME-c1" neigh show "${port_ip[c3]}" | grep -qi "lladdr ${port_mac[c3]}" ||
	die "c1 did not even resolve c3's MAC: the path to c3 is broken, not filtered"
pass "c1 reaches c3 at L2 (ARP) but its pings are dropped by c3's security group"

os security group rule create "$sg_closed" --ingress --ethertype IPv4 --protocol icmp \
	> /dev/null || die "sg rule create"
start=$SECONDS
until ping_from c1 "${port_ip[c3]}" 1 2; do
	[ $((SECONDS - start)) -lt 30 ] || die "c3 still refuses ICMP 30 s after the rule was added"
done
pass "after adding an ICMP rule to c3's group, c1 pings c3 ($((SECONDS - start)) s)"
finish
