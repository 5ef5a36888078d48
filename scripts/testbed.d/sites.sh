# shellcheck shell=bash
# Two sites, Core and Edge, and a simulated WAN between them.  Core hosts'
# underlay veths join sf-underlay (198.18.0.1, the control plane); Edge
# hosts' (SF_TESTBED_EDGE_HOSTS, default "3 4") join sf-edge, a bridge
# with no address, which reaches sf-underlay only through the delay line:
#
#   sf-underlay -- sf-wan-c ==veth== core0 [netns sf-wan: sfwan] edge0 ==veth== sf-wan-e -- sf-edge
#
# sfwan (tests/tools/sfwan.c, built into $TB_DIR/bin) is the service
# `wan`.  The sf-wan namespace has no address and no IPv6, so it never
# answers or sends anything itself; sf-edge has ARP off and no IPv6
# address, so that the root namespace never answers an Edge host's ARP
# for 198.18.0.1 the short way.  The bridge-side veths have gso_max_segs 1:
# the bridge segments GSO (VXLAN's UDP-tunnel GSO has no vnet header)
# before frames reach sfwan, which forwards them whole.  Nothing here
# touches the firewall or forwarding settings.

TB_EDGE_BR=sf-edge
TB_WAN_NS=sf-wan
TB_WAN_DELAY_MS=${SF_TESTBED_WAN_DELAY_MS:-15}
TB_SITES="core edge"

tb_host_site() { # index
	if [[ " $TB_EDGE_HOSTS " == *" $1 "* ]]; then echo edge; else echo core; fi
}

tb_site_hosts() { # site: its host indexes
	local i
	for i in $(tb_hosts); do
		[ "$(tb_host_site "$i")" = "$1" ] && echo "$i"
	done
	return 0
}

tb_wan_enabled() { [ -n "$(tb_site_hosts edge)" ]; }

tb_host_bridge() { # index: the bridge its underlay veth joins
	if [ "$(tb_host_site "$1")" = edge ]; then echo "$TB_EDGE_BR"; else echo "$TB_UNDERLAY_BR"; fi
}

# The sf-edge bridge, the sf-wan namespace and the two veths; no service.
tb_edge_net_up() {
	local side peer br
	if ! tb_link_exists "$TB_EDGE_BR"; then
		ip link add "$TB_EDGE_BR" type bridge
		ip link set "$TB_EDGE_BR" addrgenmode none
	fi
	if [ "$(cat "/sys/class/net/$TB_EDGE_BR/bridge/multicast_snooping")" != 0 ]; then
		ip link set "$TB_EDGE_BR" type bridge mcast_snooping 0
	fi
	ip link set "$TB_EDGE_BR" arp off up
	if ! tb_netns_exists "$TB_WAN_NS"; then
		ip netns add "$TB_WAN_NS"
		ip netns exec "$TB_WAN_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
	fi
	for side in c e; do
		if [ $side = c ]; then peer=core0 br=$TB_UNDERLAY_BR; else peer=edge0 br=$TB_EDGE_BR; fi
		if ! tb_link_exists "$TB_WAN_NS" "$peer"; then
			ip link del "sf-wan-$side" 2> /dev/null || true
			ip link add "sf-wan-$side" type veth peer name "$peer" netns "$TB_WAN_NS"
		fi
		ip link set "sf-wan-$side" gso_max_segs 1 master "$br" up
		ip -n "$TB_WAN_NS" link set "$peer" up
	done
}

tb_edge_net_ok() {
	tb_link_exists "$TB_EDGE_BR" && tb_link_exists "$TB_WAN_NS" core0 &&
		tb_link_exists "$TB_WAN_NS" edge0
}

# Builds $TB_DIR/bin/sfwan from the source when it changed (a C compiler
# is all it needs: libc only).
tb_wan_build() {
	local src=$TB_LIB/../../tests/tools/sfwan.c bin=$TB_DIR/bin/sfwan sum
	[ -f "$src" ] || tb_die "$src missing"
	install -d -m 0755 "$TB_DIR/bin"
	sum=$(sha256sum < "$src")
	[ -x "$bin" ] && [ "$(cat "$bin.sha256" 2> /dev/null)" = "$sum" ] && return 0
	tb_log "building $bin"
	cc -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -o "$bin.new" "$src" ||
		tb_die "cannot build sfwan from $src"
	mv -f "$bin.new" "$bin"
	printf '%s\n' "$sum" > "$bin.sha256"
	tb_running wan sfwan && tb_log "wan runs an older sfwan: scripts/testbed stop wan; scripts/testbed start wan"
	return 0
}

tb_wan_start() {
	local log=$TB_LOGS/wan.log lines=0
	tb_wan_build
	[ -f "$log" ] && lines=$(wc -l < "$log")
	tb_spawn wan "$log" -- nsenter --net="/run/netns/$TB_WAN_NS" \
		"$TB_DIR/bin/sfwan" --delay-ms "$TB_WAN_DELAY_MS" core0 edge0
	# Ready once it printed its banner (both sockets open).
	tb_wait_ready wan 10 "$log" \
		eval "tail -n +$((lines + 1)) '$log' 2> /dev/null | grep -q ' one way'" ||
		tb_die "wan (sfwan) did not start"
}

# Removes what tb_edge_net_up made (the service is stopped before).
tb_edge_net_down() {
	local l
	tb_netns_exists "$TB_WAN_NS" && ip netns del "$TB_WAN_NS"
	for l in sf-wan-c sf-wan-e "$TB_EDGE_BR"; do
		tb_link_exists "$l" && ip link del "$l"
	done
	return 0
}
