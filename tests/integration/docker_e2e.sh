#!/usr/bin/env bash
# Docker, end to end, on Neutron: Debian's dockerd (a private one, in
# host1's namespace, with no iptables, forwarding or bridge of its own;
# lib/docker.sh) with superfluid-docker as its libnetwork network and IPAM
# driver, for superfluidd on host1; a peer on host2 attached with the CNI
# plugin through host2's daemon.
#
# It checks: `docker network create` maps to the Neutron network and
# subnet named in the options (Docker shows the subnet's CIDR and
# gateway); `docker run --network` gets a port that was ready in the pool
# (MAC, address, default route as Neutron says; ACTIVE on host1); it pings
# the peer across hosts and back; `docker network connect` to a network
# whose group has no ICMP adds eth1 with a port of that pool, which the
# peer cannot ping while it pings eth0; `docker network disconnect`
# removes it and its port goes back; `docker rm` and `docker network rm`
# leave no port held and no interface; bad input (malformed JSON, an
# unknown option, a Neutron network that does not exist) is refused with
# a clear Err and leaks nothing; `docker run --ip` gets a port made for
# that address (ACTIVE, pings), an address another port has is refused
# (IpAddressAlreadyAllocated), and its port is deleted on `docker rm`; the host's forwarding and firewall
# are as they were; `docker network create --subnet` with no Neutron
# network named makes one (tagged the driver's), two containers on it ping
# each other, and `docker network rm` deletes it with its ports; the
# driver restarted (its state file, its pinned namespaces) between
# CreateEndpoint and Join, with containers running, and between a made
# network's create and rm loses nothing and leaks nothing.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2015,SC2317,SC2154  # `A && pass || fail`; helpers called indirectly; testnet sets *_id
T=docker_e2e
ENV_TOOLS="dockerd docker nsenter openstack jq socat curl ip iptables"
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
# shellcheck source=tests/integration/lib/docker.sh
. tests/integration/lib/docker.sh
docker_usable || skip "dockerd, docker or /bin/busybox is missing"
[ -x "$B/superfluid-docker" ] || skip "$B/superfluid-docker is not built"

h1=$(host_ns host1)
# The forwarding switch, the FORWARD policy and Docker's chains, in the
# root namespace and host1's (the agents add their own chains meanwhile).
host_state() {
	local ns
	for ns in "" "$h1"; do
		${ns:+ip netns exec "$ns"} sysctl -n net.ipv4.ip_forward
		${ns:+ip netns exec "$ns"} iptables -S FORWARD | head -1
		${ns:+ip netns exec "$ns"} iptables -S | grep -c DOCKER
		${ns:+ip netns exec "$ns"} iptables -t nat -S | grep -c 'DOCKER\|MASQUERADE'
	done
}
host_state > "$tmp/host.before" 2>&1

testnet icmp:icmp closed
# A second network for eth1: Docker refuses two interfaces on one subnet.
mk_network net2_id net2
pfx2=$pfx
while [ "$pfx2" = "$pfx" ]; do pfx2=$(rand_prefix); done
mk_subnet subnet2_id "$net2_id" "$pfx2"
start_instance dk1 host1 <<-EOF
	[pools]
	min = 2
	max = 4
	batch = 2
	cooldown_ms = 500
	[pool icmp]
	network = $net_id
	security_groups = $icmp_id
	[pool closed]
	network = $net2_id
	security_groups = $closed_id
	min = 1
EOF
I1=$INSTANCE
ready_instance dk2 host2 1 90 min=1 max=2 p:net:icmp
say "superfluidd $INSTANCE on host2 serves the peer"
wait_pool "$I1" icmp 2 90
wait_pool "$I1" closed 1 90
pass "superfluidd on host1 (pools icmp: 2 ready, closed: 1) and on host2"

# The peer: a namespace on host2's side, attached by the CNI plugin.
mk_netns peer_ns peer
cni ADD "$NAME-peer" "/run/netns/$peer_ns" eth0 "$cf"
expect "the peer on host2: CNI ADD" 0 '.ips[0].address' || die "no peer"
peer_ip=$(jq -r '.ips[0].address | split("/")[0]' <<< "$out")

docker_private "$h1"
docker_driver "$NAME" "$I1" "$h1"
pass "dockerd $(dk version -f '{{.Server.Version}}') (pid $dk_pid) in host1's namespace; driver $NAME (pid $dk_drv_pid)"

# --- 1. networks ---------------------------------------------------------------------

mk_dnet() { # DOCKER-NETWORK NET SG [EXTRA...]
	dk network create -d "$NAME" --ipam-driver "$NAME" --ipam-opt "neutron.net.name=$NAME-$2" \
		--ipam-opt "superfluid.security_groups=$NAME-$3" "${@:4}" "$1" > "$tmp/net.out" 2>&1
}
mk_dnet "$NAME-open" net icmp -o "neutron.net.uuid=$net_id" --subnet "$pfx.0/24" ||
	die "docker network create: $(cat "$tmp/net.out")"
mk_dnet "$NAME-closed" net2 closed ||
	die "docker network create (closed): $(cat "$tmp/net.out")"
ipam=$(dk network inspect "$NAME-open" | jq -c '.[0].IPAM.Config[0]')
ipam2=$(dk network inspect "$NAME-closed" | jq -c '.[0].IPAM.Config[0]')
[ "$ipam" = "{\"Subnet\":\"$pfx.0/24\"}" ] &&
	[ "$ipam2" = "{\"Subnet\":\"$pfx2.0/24\",\"Gateway\":\"$pfx2.1\"}" ] &&
	pass "docker network create -d $NAME --ipam-driver $NAME: --subnet $pfx.0/24 accepted (Neutron's); without --subnet, Docker shows Neutron's $pfx2.0/24 via $pfx2.1" ||
	fail "the Docker networks' IPAM: $ipam and $ipam2, want $pfx.0/24 and $pfx2.0/24 via $pfx2.1"

# --- 2. docker run ---------------------------------------------------------------------

ready_before=$(ctl "$I1" ports | jq -r '.ports[] | select(.state == "ready") | .port_id')
t0=$(date +%s%N)
dk run -d --network "$NAME-open" --name "$NAME-d1" "$dk_image" sleep 600 > "$tmp/run.out" 2>&1 ||
	die "docker run: $(cat "$tmp/run.out")"
run_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ifaddr() { dk exec "$NAME-d1" ip -o -4 addr show "$1" | sed -n 's/.*inet \([0-9.]*\/[0-9]*\).*/\1/p'; }
ifmac() { dk exec "$NAME-d1" ip -o link show "$1" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }
ip0=$(ifaddr eth0) mac0=$(ifmac eth0)
say "d1: eth0 $mac0 $ip0 (docker run took $run_ms ms)"
port0=$(ctl "$I1" ports | jq -er --arg ip "$ip0" \
	'[.ports[] | select(.state == "in_use" and .ips[0].cidr == $ip)] | if length == 1 then .[0].port_id else error("none") end') ||
	die "superfluidd lends no port with $ip0: $(ctl "$I1" ports)"
grep -qxF "$port0" <<< "$ready_before" &&
	pass "d1: its port ${port0:0:8} was ready in the pool before docker run (the warm path)" ||
	fail "d1: its port $port0 was not a ready one"
port_get "$port0" | jq -e --arg mac "$mac0" --arg ip "${ip0%/*}" --arg sg "$icmp_id" '
	.mac_address == $mac and .fixed_ips[0].ip_address == $ip and .status == "ACTIVE" and
	.["binding:host_id"] == "host1" and .security_groups == [$sg]' > /dev/null &&
	pass "d1: Neutron port ${port0:0:8} ACTIVE on host1, group icmp, MAC and address as eth0" ||
	fail "d1: Neutron's port does not match eth0 $mac0 $ip0: $(port_get "$port0")"
dk exec "$NAME-d1" ip route | grep -q "^default via $pfx.1 dev eth0" &&
	pass "d1: default route via the subnet's gateway" ||
	fail "d1: routes: $(dk exec "$NAME-d1" ip route)"

d1_ping() { dk exec "$NAME-d1" ping -c 1 -W 1 "$1" > /dev/null 2>&1; }
check "d1 -> the peer on host2 ping (VXLAN)" wait_until 10 d1_ping "$peer_ip"
check "the peer -> d1 eth0 ping" ping_ok "$peer_ns" "${ip0%/*}" 10

# --- 3. network connect / disconnect -------------------------------------------------

dk network connect "$NAME-closed" "$NAME-d1" > "$tmp/conn.out" 2>&1 ||
	fail "docker network connect: $(cat "$tmp/conn.out")"
ip1=$(ifaddr eth1)
port1=$(ctl "$I1" ports | jq -er --arg ip "$ip1" \
	'[.ports[] | select(.state == "in_use" and .pool == "closed" and .ips[0].cidr == $ip)] | .[0].port_id // error("none")') &&
	pass "docker network connect: eth1 $ip1 with port ${port1:0:8} of the pool 'closed'" ||
	fail "docker network connect: eth1 '$ip1' holds no port of pool closed: $(ctl "$I1" ports)"
[ "$(ifmac eth1)" = "$(port_get "${port1:-none}" | jq -r .mac_address)" ] &&
	pass "eth1 has its Neutron port's MAC" || fail "eth1's MAC is not its port's"
ping_blocked() { ! ip netns exec "$1" ping -c 3 -W 1 "$2" > /dev/null 2>&1; }
check "the peer -> d1 eth1 (group without ICMP): no echo comes back" ping_blocked "$peer_ns" "${ip1%/*}"
check "the peer -> d1 eth0 (group icmp) still pings" ping_ok "$peer_ns" "${ip0%/*}" 10
dk network disconnect "$NAME-closed" "$NAME-d1" > "$tmp/conn.out" 2>&1 ||
	fail "docker network disconnect: $(cat "$tmp/conn.out")"
dk exec "$NAME-d1" ip link show eth1 > /dev/null 2>&1 && fail "eth1 is still in d1" ||
	pass "docker network disconnect: eth1 is gone from d1"
port_ready() { [ "$(port_state "$I1" "$1")" = ready ]; }
wait_until 15 port_ready "${port1:-none}" && pass "eth1's port ${port1:0:8} is ready in the pool again" ||
	fail "eth1's port is $(port_state "$I1" "${port1:-none}")"

# --- 3b. docker run --ip: a port made for the address -----------------------------------

sip=$pfx.250 t_ip=$SECONDS
held0=$(ctl "$I1" ports | jq '[.ports[] | select(.state == "in_use")] | length')
dk run -d --network "$NAME-open" --ip "$sip" --name "$NAME-s1" "$dk_image" sleep 600 \
	> "$tmp/run.out" 2>&1 || fail "docker run --ip $sip: $(cat "$tmp/run.out")"
sport=$(ctl "$I1" ports | jq -r --arg ip "$sip/24" \
	'[.ports[] | select(.state == "in_use" and .ips[0].cidr == $ip)] | .[0].port_id // "none"')
[ "$(dk exec "$NAME-s1" ip -o -4 addr show eth0 2>&1 | grep -o "inet [0-9./]*")" = "inet $sip/24" ] &&
	port_get "$sport" | jq -e --arg ip "$sip" --arg sg "$icmp_id" '.fixed_ips == [.fixed_ips[0]] and
		.fixed_ips[0].ip_address == $ip and .status == "ACTIVE" and
		.["binding:host_id"] == "host1" and .security_groups == [$sg]' > /dev/null &&
	pass "docker run --ip $sip: eth0 $sip/24, Neutron port ${sport:0:8} made for it (ACTIVE on host1, group icmp)" ||
	fail "docker run --ip $sip: eth0 $(dk exec "$NAME-s1" ip -o -4 addr show eth0 2>&1); port $sport: $(port_get "$sport" 2>&1)"
s1_ping() { dk exec "$NAME-s1" ping -c 1 -W 1 "$peer_ip" > /dev/null 2>&1; }
check "s1 ($sip) -> the peer on host2 ping" wait_until 10 s1_ping
if dk run -d --network "$NAME-open" --ip "$peer_ip" --name "$NAME-s2" "$dk_image" sleep 600 \
	> "$tmp/run.out" 2>&1; then
	fail "docker run --ip $peer_ip (the peer's address) succeeded"
else
	grep -q "is taken in Neutron.*IpAddressAlreadyAllocated" "$tmp/run.out" &&
		pass "docker run --ip $peer_ip (the peer's) fails: $(grep -o "address $peer_ip is taken[^:]*" "$tmp/run.out" | head -1)" ||
		fail "docker run --ip of a taken address: not the expected message: $(cat "$tmp/run.out")"
fi
dk rm -f "$NAME-s1" "$NAME-s2" > /dev/null 2>&1
gone() { ! neutron GET "ports/$1" > /dev/null 2>&1 && [ -z "$(port_state "$I1" "$1" 2> /dev/null)" ]; }
held() { [ "$(ctl "$I1" ports | jq '[.ports[] | select(.state == "in_use")] | length')" = "$1" ]; }
wait_until 15 gone "$sport" && held "$held0" &&
	[ -z "$(neutron GET "ports?network_id=$net_id&fixed_ips=ip_address%3D$sip" | jq -r '.ports[].id')" ] &&
	pass "docker rm: port ${sport:0:8} deleted in Neutron and forgotten by the daemon; no port has $sip; $held0 held as before" ||
	fail "after docker rm of s1: port $sport is '$(port_state "$I1" "$sport")', Neutron: $(neutron GET "ports/$sport" 2>&1 | head -c 200)"
say "the --ip checks took $((SECONDS - t_ip)) s"

# --- 4. bad input ----------------------------------------------------------------------

err_is() { # NAME ANSWER SUBSTRING
	jq -er .Err <<< "$2" 2> /dev/null | grep -qF "$3" && pass "$1: Err \"$(jq -r .Err <<< "$2")\"" ||
		fail "$1: want an Err with '$3', got: $2"
}
held_before=$(ctl "$I1" ports | jq '[.ports[] | select(.state == "in_use")] | length')
err_is "malformed JSON to RequestPool" "$(dk_call /IpamDriver.RequestPool '{"Pool": ')" "not a JSON object"
err_is "an unknown call" "$(dk_call /NetworkDriver.Frobnicate '{}')" "unknown call"
err_is "RequestAddress in a pool that does not exist" \
	"$(dk_call /IpamDriver.RequestAddress '{"PoolID":"sf-nope","Address":"","Options":{}}')" "no pool"
err_is "Join of an endpoint that does not exist" \
	"$(dk_call /NetworkDriver.Join '{"NetworkID":"x","EndpointID":"y","SandboxKey":"/z"}')" "no endpoint"
if mk_dnet "$NAME-bad1" net icmp --ipam-opt neutron.net.colour=blue; then
	fail "docker network create with an unknown option succeeded"
else
	grep -q "unknown option 'neutron.net.colour'" "$tmp/net.out" &&
		pass "docker network create with an unknown option fails: $(grep -o "unknown option[^(]*" "$tmp/net.out")" ||
		fail "unknown option: not the expected message: $(cat "$tmp/net.out")"
fi
if dk network create -d "$NAME" --ipam-driver "$NAME" --ipam-opt "neutron.net.name=$NAME-nosuch" \
	"$NAME-bad2" > "$tmp/net.out" 2>&1; then
	fail "docker network create on a Neutron network that does not exist succeeded"
else
	grep -q "no such network" "$tmp/net.out" &&
		pass "docker network create on an unknown Neutron network fails: $(grep -o "Neutron network[^\"]*" "$tmp/net.out" | head -1)" ||
		fail "unknown Neutron network: not the expected message: $(cat "$tmp/net.out")"
fi
held_after=$(ctl "$I1" ports | jq '[.ports[] | select(.state == "in_use")] | length')
[ "$held_after" = "$held_before" ] && pass "after the bad input the daemon still lends $held_after port(s): nothing leaked" ||
	fail "the daemon lends $held_after ports after the bad input, $held_before before"
[ -z "$(dk network ls -q --filter name="$NAME-bad")" ] && pass "no Docker network left by the refused creates" ||
	fail "a refused network exists: $(dk network ls)"

# The daemon and the driver restarted between CreateEndpoint and Join (the
# calls made directly, as dockerd makes them): the claim is in the daemon's
# store, the endpoint in the driver's state file and the interface in its
# parked namespace, pinned in its park folder, so Join still works.
pool=$(dk_call /IpamDriver.RequestPool "$(jq -nc --arg n "$NAME-net" --arg sg "$NAME-icmp" \
	'{AddressSpace: "superfluid-local", Pool: "", SubPool: "", V6: false,
	  Options: {"neutron.net.name": $n, "superfluid.security_groups": $sg}}')")
pool_id=$(jq -r '.PoolID // empty' <<< "$pool")
addr=$(dk_call /IpamDriver.RequestAddress "{\"PoolID\":\"$pool_id\",\"Address\":\"\",\"Options\":{}}" |
	jq -r '.Address // empty')
eid=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
ans=$(dk_call /NetworkDriver.CreateNetwork "$(jq -nc --arg p "$(jq -r .Pool <<< "$pool")" \
	'{NetworkID: "sfit-direct", Options: {}, IPv4Data: [{AddressSpace: "superfluid-local", Pool: $p}]}')")
ans+=$(dk_call /NetworkDriver.CreateEndpoint "$(jq -nc --arg e "$eid" --arg a "$addr" \
	'{NetworkID: "sfit-direct", EndpointID: $e, Interface: {Address: $a}, Options: {}}')")
say "direct calls: pool ${pool_id:-none}, address ${addr:-none}, endpoint ${eid:0:12}; restarting $I1 and the driver"
scripts/sfhost stop "$I1" > /dev/null && scripts/sfhost restart "$I1" > /dev/null ||
	fail "sfhost stop + restart $I1"
docker_driver_restart
grep -q "state '.*': [1-9][0-9]* pool(s), [1-9][0-9]* network(s), [1-9][0-9]* address(es) restored" \
	"$tmp/driver.log" && pass "the restarted driver restored its state: $(grep -o "[0-9]* pool(s).*restored" "$tmp/driver.log" | tail -1)" ||
	fail "the restarted driver restored nothing: $(tail -3 "$tmp/driver.log")"
join=$(dk_call /NetworkDriver.Join "{\"NetworkID\":\"sfit-direct\",\"EndpointID\":\"$eid\",\"SandboxKey\":\"\"}")
src=$(jq -r '.InterfaceName.SrcName // empty' <<< "$join")
[ -n "$addr" ] && [ -n "$src" ] && [ "$(jq -r .Gateway <<< "$join")" = "$pfx.1" ] &&
	ip -n "$h1" link show "$src" > /dev/null 2>&1 &&
	pass "Join after the daemon and the driver restarted: $src in host1's namespace, gateway $pfx.1 ($ans)" ||
	fail "Join after the restarts: $join (address '$addr', earlier answers: $ans)"
pins() { find "$dk_dir/park" -mindepth 1 | wc -l; }
pins0=$(pins)
rel=$(dk_call /IpamDriver.ReleaseAddress "{\"PoolID\":\"$pool_id\",\"Address\":\"$addr\"}")
rel+=$(dk_call /NetworkDriver.DeleteNetwork '{"NetworkID":"sfit-direct"}')
rel+=$(dk_call /IpamDriver.ReleasePool "{\"PoolID\":\"$pool_id\"}")
[ "$rel" = "{}{}{}" ] && wait_until 15 not ip -n "$h1" link show "$src" > /dev/null 2>&1 &&
	[ "$(pins)" = $((pins0 - 1)) ] &&
	pass "ReleaseAddress, DeleteNetwork, ReleasePool: the daemon released it (DEL), $src is gone, its pinned namespace too ($pins0 -> $(pins))" ||
	fail "ReleaseAddress, DeleteNetwork, ReleasePool: $rel; $src: $(ip -n "$h1" link show "$src" 2>&1); pins $pins0 -> $(pins)"

# --- 4b. a network the driver makes in Neutron ------------------------------------------

t_mk=$SECONDS
pfx3=$pfx
while [ "$pfx3" = "$pfx" ] || [ "$pfx3" = "$pfx2" ]; do pfx3=$(rand_prefix); done
dk network create -d "$NAME" --ipam-driver "$NAME" --subnet "$pfx3.0/24" \
	--ipam-opt "superfluid.security_groups=$NAME-icmp" "$NAME-made" > "$tmp/net.out" 2>&1 ||
	fail "docker network create --subnet $pfx3.0/24 (no Neutron network named): $(cat "$tmp/net.out")"
did=$(dk network inspect -f '{{.Id}}' "$NAME-made" 2> /dev/null)
mnet=$(neutron GET "networks?name=docker-${did:0:12}" | jq -c '.networks[0] // {}')
mnet_id=$(jq -r '.id // "none"' <<< "$mnet")
[ "$mnet_id" != none ] && made_networks+=("$mnet_id")   # the trap's, should the test die
msub=$(neutron GET "subnets?network_id=$mnet_id" | jq -c '[.subnets[] | {cidr, gateway_ip, enable_dhcp}]')
jq -e --arg t "sf-docker-net=${did:0:40}" '.tags | sort == (["superfluid-docker", $t] | sort)' \
	<<< "$mnet" > /dev/null &&
	[ "$msub" = "[{\"cidr\":\"$pfx3.0/24\",\"gateway_ip\":\"$pfx3.1\",\"enable_dhcp\":false}]" ] &&
	pass "docker network create --subnet $pfx3.0/24: Neutron network docker-${did:0:12} made, tagged superfluid-docker and sf-docker-net=<id>, subnet $pfx3.0/24 via $pfx3.1" ||
	fail "the network the driver made: $mnet; subnets $msub"
for m in m1 m2; do
	dk run -d --network "$NAME-made" --name "$NAME-$m" "$dk_image" sleep 600 > "$tmp/run.out" 2>&1 ||
		fail "docker run $m on the made network: $(cat "$tmp/run.out")"
done
m2_ip=$(dk exec "$NAME-m2" ip -o -4 addr show eth0 | sed -n 's/.*inet \([0-9.]*\)\/.*/\1/p')
m1_ping() { dk exec "$NAME-m1" ping -c 1 -W 1 "$m2_ip" > /dev/null 2>&1; }
[ -n "$m2_ip" ] && wait_until 10 m1_ping &&
	pass "m1 pings m2 ($m2_ip) on the made network" || fail "m1 -> m2 '$m2_ip' on the made network: no echo"
# The driver restarted between create and rm, its containers running: it
# must still release their ports and delete the network it made.
docker_driver_restart
m1_ping && pass "the driver restarted: m1 still pings m2" || fail "after the driver's restart m1 does not ping m2"
dk rm -f "$NAME-m1" "$NAME-m2" > "$tmp/rm.out" 2>&1 || fail "docker rm m1 m2 after the driver's restart: $(cat "$tmp/rm.out")"
dk network rm "$NAME-made" > "$tmp/net.out" 2>&1 || fail "docker network rm $NAME-made: $(cat "$tmp/net.out")"
net_gone() { ! neutron GET "networks/$1" > /dev/null 2>&1; }
if net_gone "$mnet_id" && [ "$(neutron GET "ports?network_id=$mnet_id" | jq '.ports | length')" = 0 ]; then
	pass "docker network rm: Neutron network docker-${did:0:12} and its ports are gone"
	ids=("${made_networks[@]}") made_networks=()
	for i in "${ids[@]}"; do [ "$i" = "$mnet_id" ] || made_networks+=("$i"); done
else
	fail "after docker network rm: Neutron network $mnet_id: $(neutron GET "networks/$mnet_id" 2>&1 | head -c 200)"
fi
# Made, the driver restarted, removed, no container ever on it: the daemon
# has no pool of it to retire ("errno": "ENOENT"), and it goes all the same.
dk network create -d "$NAME" --ipam-driver "$NAME" --subnet "$pfx3.0/24" "$NAME-made2" \
	> "$tmp/net.out" 2>&1 || fail "docker network create $NAME-made2: $(cat "$tmp/net.out")"
did2=$(dk network inspect -f '{{.Id}}' "$NAME-made2" 2> /dev/null)
mnet2_id=$(neutron GET "networks?name=docker-${did2:0:12}" | jq -r '.networks[0].id // "none"')
[ "$mnet2_id" != none ] && made_networks+=("$mnet2_id")
docker_driver_restart
dk network rm "$NAME-made2" > "$tmp/net.out" 2>&1 || fail "docker network rm $NAME-made2: $(cat "$tmp/net.out")"
if [ "$mnet2_id" != none ] && net_gone "$mnet2_id"; then
	pass "docker network rm after the driver's restart, of a made network no container used: Neutron network docker-${did2:0:12} deleted"
	ids=("${made_networks[@]}") made_networks=()
	for i in "${ids[@]}"; do [ "$i" = "$mnet2_id" ] || made_networks+=("$i"); done
else
	fail "made2: Neutron network '$mnet2_id' after docker network rm: $(neutron GET "networks/$mnet2_id" 2>&1 | head -c 200)"
fi
say "the made network's checks took $((SECONDS - t_mk)) s"

# --- 5. docker rm, docker network rm -----------------------------------------------

dk rm -f "$NAME-d1" > /dev/null || fail "docker rm d1"
wait_until 15 port_ready "$port0" && pass "docker rm: d1's port ${port0:0:8} is ready in the pool again" ||
	fail "d1's port is $(port_state "$I1" "$port0")"
dk network rm "$NAME-open" "$NAME-closed" > /dev/null || fail "docker network rm"
neutron GET "networks/$net_id" > /dev/null && neutron GET "networks/$net2_id" > /dev/null &&
	pass "docker network rm: the mapped Neutron networks stay (the driver deletes only those it made)" ||
	fail "a mapped Neutron network is gone after docker network rm"
all_ready() { [ "$(ctl "$I1" ports | jq '[.ports[] | select(.state != "ready")] | length')" = 0 ]; }
wait_until 15 all_ready
# Other tests share host1: only this daemon's ports' sfc and the driver's sfd count.
pat=$(ctl "$I1" ports | jq -r '"^sfd|" + ([.ports[] | "^sfc" + .port_id[0:11] + "$"] | join("|"))')
links=$(ip -n "$h1" -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E "$pat" | tr '\n' ' ')
all_ready && [ -z "$links" ] && [ "$(pins)" = 0 ] &&
	pass "docker network rm: every port of host1's daemon is ready, no sfc/sfd interface on host1, no namespace pinned by the driver" ||
	fail "left after docker network rm: $(ctl "$I1" ports | jq -c '[.ports[] | select(.state != "ready") | .state]'); links: $links; pins: $(pins)"
holders() { neutron GET "ports?tags=sf-deployment=$I1" | jq -c '[.ports[] | select(.device_id != "") | {id, device_id}]'; }
no_holder() { [ "$(holders)" = "[]" ]; }
wait_until 30 no_holder && pass "Neutron: no port of host1's daemon shows a holder" ||
	fail "Neutron: ports of $I1 still show a holder: $(holders)"

# --- 6. the hosts untouched ---------------------------------------------------------------

host_state > "$tmp/host.after" 2>&1
diff -q "$tmp/host.before" "$tmp/host.after" > /dev/null &&
	pass "ip_forward, the FORWARD policy and the absence of Docker's chains, in the root namespace and host1's, are as before dockerd ran" ||
	fail "dockerd changed the host: $(diff "$tmp/host.before" "$tmp/host.after" | head -5)"
cni DEL "$NAME-peer" "/run/netns/$peer_ns" eth0 "$cf"
expect "the peer: CNI DEL" 0 ""
finish
