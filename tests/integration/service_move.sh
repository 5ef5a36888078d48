#!/usr/bin/env bash
# A service address that follows its instances (docs/superfluidity.md),
# against the real Neutron and two superfluidd on host1 and host2: a
# service port reserves the address; an instance joins at ADD (CNI_ARGS
# SF_SERVICE) or with `sfctl service attach`; the first one answers; `sfctl
# service move` makes another answer once its HTTP check passes, and the old
# one drains, then lets go.  Checks what a client sees (which instance
# answers), what Neutron holds (pairs, tags, the state), that a move to an
# instance that is not ready changes nothing, that the address is never
# taken by a port that is not an instance (port security), that the
# instances' security group guards the address, and that deleting the
# service and the containers leaves no pair, tag or address anywhere.
# Exit 0 pass, 1 fail, 77 skip.
# shellcheck disable=SC2154,SC2317
T=service_move
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
# shellcheck source=tests/integration/lib/service.sh
. "$(dirname "$0")/lib/service.sh"
svc_net

start_instance a host1 < <(svc_pool_ini "$NAME-svc"); IA=$INSTANCE
start_instance b host2 < <(svc_pool_ini "$NAME-svc"); IB=$INSTANCE
start_instance c host1 < <(svc_pool_ini "$NAME-client"); IC=$INSTANCE
start_instance x host2 < <(svc_pool_ini default); IX=$INSTANCE
for i in "$IA" "$IB" "$IC" "$IX"; do wait_pool "$i" svc 3 90; done

svc=v$RND
check "sfctl service create: an HTTP check, a 1 s grace" \
	sfctl "$IA" service create "$svc" --network "$NAME-net" --check http:8080/who --grace-ms 1000
vip=$(svc_json | jq -er .service.address) || die "no service address"
svc_port=$(svc_json | jq -er .service.id) || die "no service port"
check "the service port is Neutron's, unbound, tagged sf-service" \
	jq -e --arg n "sf-service=$svc" '.device_owner == "superfluid:service" and
		(.tags | index($n)) and (.["binding:host_id"] // "") == ""' <<< "$(port_get "$svc_port")"
say "service $svc at $vip"

# Instance a on host1 joins at ADD; it is the first, so it answers.
mk_netns ns_a a
add "$IA" a "$ns_a" "$NAME-svc" CNI_ARGS="SF_SERVICE=$svc"
expect "ADD with CNI_ARGS SF_SERVICE=$svc" 0 '.ips | length == 1'
port_a=$(held_port "$IA" "$NAME-a") || die "a holds no port"
serve "$ns_a" a
check "the first instance answers for the service" wait_until 40 answers "$port_a"
check "the address is on a's eth0" wait_until 5 vip_on "$ns_a" eth0
check "a's port has the address as an allowed pair and the member tag" \
	jq -e --arg a "$vip" --arg t "sf-member=$svc" '([.allowed_address_pairs[].ip_address] |
		index($a)) and (.tags | index($t))' <<< "$(port_get "$port_a")"

# The client, in the client group, on host1.
mk_netns ns_c client
add "$IC" c "$ns_c" "$NAME-client"
expect "ADD the client" 0 '.ips | length == 1'
check "the client reaches the service: a answers" wait_until 20 got_who a

# Instance b on host2: attached by sfctl, it stands by.
mk_netns ns_b b
add "$IB" b "$ns_b" "$NAME-svc"
expect "ADD b on host2" 0 '.ips | length == 1'
port_b=$(held_port "$IB" "$NAME-b") || die "b holds no port"
check "sfctl service attach b" sfctl "$IB" service attach "$svc" --container "$NAME-b"
check "b is an instance, standing by" jq -e --arg p "$port_b" '.service.instances |
	map(select(.port_id == $p and .active == false)) | length == 1' <<< "$(svc_json)"
check "a still answers" got_who a

# A move to an instance that is not ready changes nothing.
if sfctl "$IB" service move "$svc" --to "$NAME-b" --ready-timeout-ms 1500 > "$tmp/move.out" 2>&1; then
	fail "a move to b with no server succeeded: $(cat "$tmp/move.out")"
else
	check "the move to a b that is not ready says so" grep -q 'not ready' "$tmp/move.out"
fi
check "after the refused move, a still answers" answers "$port_a"
check "after the refused move, the client still gets a" got_who a
check "b does not hold the address" not vip_on "$ns_b" eth0

# The move.
serve "$ns_b" b
check "sfctl service move to b" sfctl "$IB" service move "$svc" --to "$NAME-b" --json
check "b answers for the service in Neutron" answers "$port_b"
check "the address is on b's eth0" vip_on "$ns_b" eth0
check "the client gets b" wait_until 5 got_who b
check "a lets go of the address after its grace" wait_until 10 holds_nothing "$ns_a"
check "a's local role is standby" jq -e --arg p "$port_a" '.service.instances |
	map(select(.port_id == $p and .local_role == "standby")) | length == 1' <<< "$(svc_json)"

# Port security: a container that is no instance cannot take the address.
mk_netns ns_x x
add "$IX" x "$ns_x" default
expect "ADD a non-member x" 0 '.ips | length == 1'
mkdir -p "$tmp/www-x" && echo x > "$tmp/www-x/who"
ip -n "$ns_x" addr add "$vip/32" dev eth0
ip netns exec "$ns_x" busybox httpd -f -p 8080 -h "$tmp/www-x" & servers+=("$!")
for _ in 1 2 3; do ip netns exec "$ns_x" busybox arping -U -c 1 -I eth0 "$vip" > /dev/null 2>&1; sleep 0.1; done
ok=0; for _ in $(seq 1 10); do [ "$(who)" = b ] && ok=$((ok + 1)); sleep 0.1; done
check "a non-member announcing the address is not heard: 10 of 10 answers from b ($ok)" test "$ok" = 10
ip -n "$ns_x" addr del "$vip/32" dev eth0

# The security group: the default group reaches nothing on 8080.
ip -n "$ns_x" neigh flush all
check "a container outside the client group cannot reach the service" \
	not ip netns exec "$ns_x" curl -s --max-time 2 "http://$vip:8080/who"

# And back to a, from host1.
check "sfctl service move back to a" sfctl "$IA" service move "$svc" --to "$NAME-a"
check "a answers again" answers "$port_a"
check "the client gets a" wait_until 5 got_who a
check "b lets go after its grace" wait_until 10 holds_nothing "$ns_b"

# Delete: no pair, tag or address stays; DEL frees the ports clean.
check "sfctl service delete" sfctl "$IA" service delete "$svc"
check "a's port: no pair, no member tag" member_marks "$port_a" 0
check "b's port: no pair, no member tag" member_marks "$port_b" 0
check "the service port is gone" not neutron GET "ports/$svc_port"
check "the address leaves a" wait_until 10 holds_nothing "$ns_a"
for n in a b c x; do
	case $n in a) i=$IA ;; b) i=$IB ;; c) i=$IC ;; x) i=$IX ;; esac
	v=ns_$n
	del "$i" "$n" "${!v}"
	expect "DEL $n" 0 ""
done
check "sfctl service status of a deleted service fails" not sfctl "$IA" service status "$svc"
finish
