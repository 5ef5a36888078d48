# shellcheck shell=bash
# The underlay: bridge sf-underlay in the root namespace (198.18.0.1/24)
# and one namespace per simulated host, joined to it by a veth
# (sf-hostN-u in the root namespace, underlay0 in the host's).  Edge
# hosts' veths join sf-edge instead, behind the WAN (testbed.d/sites.sh).

tb_link_exists() { # [netns] dev
	if [ $# -eq 2 ]; then
		ip -n "$1" link show dev "$2" > /dev/null 2>&1
	else
		ip link show dev "$1" > /dev/null 2>&1
	fi
}

tb_netns_exists() { # name
	[ -e "/run/netns/$1" ]
}

tb_underlay_up() {
	if ! tb_link_exists "$TB_UNDERLAY_BR"; then
		ip link add "$TB_UNDERLAY_BR" type bridge
	fi
	# The agents' VXLAN devices use multicast group 224.0.0.1 to flood;
	# with IGMP snooping the bridge drops that traffic since nobody joins.
	if [ "$(cat "/sys/class/net/$TB_UNDERLAY_BR/bridge/multicast_snooping")" != 0 ]; then
		ip link set "$TB_UNDERLAY_BR" type bridge mcast_snooping 0
	fi
	if ! ip -4 -o addr show dev "$TB_UNDERLAY_BR" | grep -qw "$TB_UNDERLAY_IP/$TB_UNDERLAY_PREFIX"; then
		ip addr add "$TB_UNDERLAY_IP/$TB_UNDERLAY_PREFIX" dev "$TB_UNDERLAY_BR"
	fi
	ip link set "$TB_UNDERLAY_BR" up
	# The WAN runs before any Edge host's veth moves behind it (an
	# upgraded test bed's host3 keeps its agent's connections).
	if tb_wan_enabled; then
		tb_edge_net_up
		tb_svc_up wan
	fi
	local i
	for i in $(tb_hosts); do
		tb_host_net_up "$i"
	done
}

tb_host_net_up() { # index
	local i=$1 ns ip veth=sf-host$1-u
	ns=$(tb_host_ns "$i")
	ip=$(tb_host_ip "$i")
	tb_netns_exists "$ns" || ip netns add "$ns"
	ip -n "$ns" link set lo up
	if ! tb_link_exists "$ns" underlay0; then
		ip link del "$veth" 2> /dev/null || true
		ip link add "$veth" type veth peer name underlay0 netns "$ns"
	fi
	ip link set "$veth" master "$(tb_host_bridge "$i")"
	ip link set "$veth" up
	if ! ip -n "$ns" -4 -o addr show dev underlay0 | grep -qw "$ip/$TB_UNDERLAY_PREFIX"; then
		ip -n "$ns" addr add "$ip/$TB_UNDERLAY_PREFIX" dev underlay0
	fi
	ip -n "$ns" link set underlay0 up
}

tb_host_net_ok() { # index
	local ns
	ns=$(tb_host_ns "$1")
	tb_netns_exists "$ns" &&
		ip -n "$ns" -4 -o addr show dev underlay0 2> /dev/null |
		grep -qw "$(tb_host_ip "$1")/$TB_UNDERLAY_PREFIX"
}

# Removes the host namespaces (with them go the agents' brq*, vxlan-*,
# tap* devices and iptables rules) and the underlay bridge and veths.
# Any sf-hostN namespace is ours, recorded or not: a crashed `up` with a
# different host count must not leave one behind; so are the routers'
# qrouter-<uuid> namespaces, made by the test bed's L3 agent.
tb_underlay_down() {
	local ns link
	for ns in $(ip netns list | awk '{print $1}' |
		grep -E '^(sf-host[0-9]+|qrouter-[0-9a-f-]{36})$'); do
		ip netns del "$ns"
	done
	for link in $(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' |
		grep -E '^sf-host[0-9]+-u$'); do
		ip link del "$link" 2> /dev/null || true
	done
	tb_edge_net_down
	if tb_link_exists "$TB_UNDERLAY_BR"; then
		ip link del "$TB_UNDERLAY_BR"
	fi
}
