# shellcheck shell=bash
# The test bed's Neutron over REST (curl: an `openstack` call costs ~1 s),
# for the integration tests (after lib/env.sh) and bench/lib.sh: sourced,
# never run.  The caller gives say, die and NAME (the prefix of what it
# makes), and has the test bed's environment and openrc loaded.
#
# The makers record what they make; neutron_cleanup removes it: lib/env.sh's
# trap runs it (registered below), bench/lib.sh's cleanup calls it.
# shellcheck disable=SC2034

made_networks=() made_sgs=() made_routers=()

host_ns() { # hostN -> its namespace
	local v="SF_TB_HOST${1#host}_NS"
	printf '%s' "${!v}"
}

host_ovsdb() { # hostN -> its OVSDB (the OVN bed's chassis), or nothing
	local v="SF_TB_HOST${1#host}_OVSDB"
	printf '%s' "${!v:-}"
}
# host_ovsdb_ifaces HOST DEPLOYMENT: the names of the OVSDB Interfaces
# that DEPLOYMENT's daemon plugged on HOST (external_ids:sf-deployment),
# one a line; nothing on a host without an OVSDB here.
host_ovsdb_ifaces() {
	[ -n "$(host_ovsdb "$1")" ] || return 0
	ovs-vsctl --db="$(host_ovsdb "$1")" --timeout=10 --bare --columns=name find Interface \
		"external_ids:sf-deployment=$2" | sed '/^$/d'
}

# shellcheck disable=SC2015  # die when either fails
TOKEN=$(openstack token issue -f value -c id) && [ -n "$TOKEN" ] || die "no Keystone token"

# neutron METHOD PATH [BODY]: prints the answer; fails on an HTTP error
# (whose body goes to stderr).
neutron() {
	local body
	body=$(curl -sS --fail-with-body -X "$1" -H "X-Auth-Token: $TOKEN" \
		-H 'Content-Type: application/json' ${3:+--data "$3"} \
		"$SF_TB_NEUTRON_URL/v2.0/$2") || { echo "$1 $2: $body" >&2; return 1; }
	printf '%s' "$body"
}

# The makers set the variable named by their first argument (not echo: a
# command substitution's subshell would lose the record for the trap); their
# locals are prefixed _mk_ so that they never hide the caller's variable.

# mk_network VAR LABEL: network $NAME-LABEL.
mk_network() {
	local _mk_id
	_mk_id=$(neutron POST networks "$(jq -nc --arg n "$NAME-$2" '{network: {name: $n}}')" |
		jq -er .network.id) || die "creating network $NAME-$2"
	made_networks+=("$_mk_id")
	printf -v "$1" '%s' "$_mk_id"
}

# mk_network_nops VAR LABEL: network $NAME-LABEL without port security
# (port_security_enabled=false), so that its ports have none nor any group
# unless asked: the OVN bed's networks for --method binding (with security
# groups the bed's userspace ovs-vswitchd aborts on conntrack, docs/ovn.md).
mk_network_nops() {
	local _mk_id
	_mk_id=$(neutron POST networks "$(jq -nc --arg n "$NAME-$2" \
		'{network: {name: $n, port_security_enabled: false}}')" | jq -er .network.id) ||
		die "creating network $NAME-$2 without port security"
	made_networks+=("$_mk_id")
	printf -v "$1" '%s' "$_mk_id"
}

# mk_subnet VAR NETWORK_ID PREFIX [JQ-UPDATE]: PREFIX is e.g. 198.19.7 for
# 198.19.7.0/24.  Addresses .10 to .200 go to ports; the gateway is .1.
mk_subnet() {
	local _mk_body _mk_id
	_mk_body=$(jq -nc --arg net "$2" --arg p "$3" --arg n "$NAME" '{subnet: {
		name: $n, network_id: $net, ip_version: 4, cidr: ($p + ".0/24"),
		gateway_ip: ($p + ".1"), enable_dhcp: false,
		allocation_pools: [{start: ($p + ".10"), end: ($p + ".200")}]}}' |
		jq -c "${4:-.}") || die "subnet body"
	_mk_id=$(neutron POST subnets "$_mk_body" | jq -er .subnet.id) || die "creating subnet $3.0/24"
	printf -v "$1" '%s' "$_mk_id"
}

# mk_sg VAR LABEL [icmp]: group $NAME-LABEL; a new group only lets traffic
# out; "icmp" adds an ICMP ingress rule.
mk_sg() {
	local _mk_id
	_mk_id=$(neutron POST security-groups \
		"$(jq -nc --arg n "$NAME-$2" '{security_group: {name: $n}}')" |
		jq -er .security_group.id) || die "creating security group $NAME-$2"
	made_sgs+=("$_mk_id")
	if [ "${3:-}" = icmp ]; then
		sg_allow_icmp "$_mk_id" > /dev/null || die "ICMP rule on $2"
	fi
	printf -v "$1" '%s' "$_mk_id"
}

sg_allow_icmp() { # SG_ID
	neutron POST security-group-rules "$(jq -nc --arg sg "$1" '{security_group_rule: {
		security_group_id: $sg, direction: "ingress", ethertype: "IPv4", protocol: "icmp"}}')"
}
sg_allow_tcp() { # SG_ID PORT
	neutron POST security-group-rules "$(jq -nc --arg sg "$1" --argjson p "$2" '{security_group_rule: {
		security_group_id: $sg, direction: "ingress", ethertype: "IPv4", protocol: "tcp",
		port_range_min: $p, port_range_max: $p}}')"
}

sg_allow_icmp6() { # SG_ID: ICMPv6 in (echo among it; NDP passes without a rule)
	neutron POST security-group-rules "$(jq -nc --arg sg "$1" '{security_group_rule: {
		security_group_id: $sg, direction: "ingress", ethertype: "IPv6", protocol: "ipv6-icmp"}}')"
}

# mk_v6_subnet VAR NETWORK_ID PREFIX6: PREFIX6::/64 (rand_prefix6's form),
# gateway PREFIX6::1, no address mode (Neutron assigns, nobody sends RAs).
mk_v6_subnet() {
	local _mk_id
	_mk_id=$(neutron POST subnets "$(jq -nc --arg net "$2" --arg p "$3" --arg n "$NAME" '{subnet: {
		name: $n, network_id: $net, ip_version: 6, cidr: ($p + "::/64"),
		gateway_ip: ($p + "::1"), enable_dhcp: false}}')" | jq -er .subnet.id) ||
		die "creating subnet $3::/64"
	printf -v "$1" '%s' "$_mk_id"
}

# A random ULA /48 prefix's first two groups, fdXX:YYYY (PREFIX6 for
# mk_v6_subnet; append ":N" for more /64s).
rand_prefix6() { printf 'fd%02x:%x' $((RANDOM % 256)) $((RANDOM % 65535 + 1)); }

# A random third octet for 198.19.X.0/24 (1..199: 198.19.200.0/24 is the
# host route tests use).
rand_prefix() { printf '198.19.%d' $(( $(od -An -tu2 -N2 /dev/urandom) % 199 + 1 )); }

port_get() { neutron GET "ports/$1" | jq -c .port; } # ID -> the port object

# mk_ext_network VAR LABEL PREFIX: an external network $NAME-LABEL
# (router:external, for floating IPs) with a subnet PREFIX.0/24 as mk_subnet.
mk_ext_network() {
	local _mk_id _mk_sub
	_mk_id=$(neutron POST networks "$(jq -nc --arg n "$NAME-$2" \
		'{network: {name: $n, "router:external": true}}')" | jq -er .network.id) ||
		die "creating external network $NAME-$2"
	made_networks+=("$_mk_id")
	mk_subnet _mk_sub "$_mk_id" "$3"
	printf -v "$1" '%s' "$_mk_id"
}

# mk_router VAR LABEL SUBNET_ID [EXT_NET_ID]: router $NAME-LABEL with an
# interface on SUBNET_ID (its gateway address), its gateway on EXT_NET_ID if
# given.  neutron_cleanup removes it (interfaces, then the router) before
# the networks.
mk_router() {
	local _mk_id
	_mk_id=$(neutron POST routers "$(jq -nc --arg n "$NAME-$2" --arg e "${4:-}" \
		'{router: ({name: $n} + if $e == "" then {} else {external_gateway_info: {network_id: $e}} end)}')" |
		jq -er .router.id) || die "creating router $NAME-$2"
	made_routers+=("$_mk_id")
	neutron PUT "routers/$_mk_id/add_router_interface" "$(jq -nc --arg s "$3" '{subnet_id: $s}')" \
		> /dev/null || die "router $NAME-$2: an interface on $3"
	printf -v "$1" '%s' "$_mk_id"
}

# Ports of an instance in Neutron (its deployment tag), sorted ids.
instance_ports() { # INSTANCE
	neutron GET "ports?tags=sf-deployment=$1&fields=id" | jq -r '.ports[].id' | sort
}

# Removes the recorded networks (with any port left on them, and the
# bridges the agents may leave on the hosts) and groups.
neutron_cleanup() {
	local id i hns
	for id in "${made_networks[@]}"; do
		# Floating IPs on it (a leak the test reports itself).
		for i in $(neutron GET "floatingips?floating_network_id=$id&fields=id" |
			jq -r '.floatingips[].id'); do
			neutron DELETE "floatingips/$i" > /dev/null
		done
	done
	for id in "${made_routers[@]}"; do
		for i in $(neutron GET "ports?device_id=$id&device_owner=network:router_interface&fields=id" |
			jq -r '.ports[].id'); do
			neutron PUT "routers/$id/remove_router_interface" "{\"port_id\": \"$i\"}" > /dev/null
		done
		neutron DELETE "routers/$id" > /dev/null || say "deleting router $id failed"
	done
	made_routers=()
	for id in "${made_networks[@]}"; do
		# Anything an instance made and its purge missed.
		for i in $(neutron GET "ports?network_id=$id&fields=id" | jq -r '.ports[].id'); do
			neutron DELETE "ports/$i" > /dev/null
		done
		neutron DELETE "networks/$id" > /dev/null || say "deleting network $id failed"
		for hns in $SF_TB_HOSTS; do
			ip -n "$(host_ns "$hns")" link del "brq${id:0:11}" 2> /dev/null
		done
	done
	made_networks=()
	for id in "${made_sgs[@]}"; do
		neutron DELETE "security-groups/$id" > /dev/null || say "deleting group $id failed"
	done
	made_sgs=()
}
if declare -F at_exit > /dev/null; then at_exit 60 neutron_cleanup; fi
