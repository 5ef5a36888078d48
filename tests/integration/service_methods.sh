#!/usr/bin/env bash
# The ways of moving a service's address that superfluid does itself
# (docs/superfluidity.md, "Which way to move an address"), other than the
# allowed address pair that service_move.sh proves: `--method fip`, a
# floating IP re-associated make-before-break, against the real Neutron, its
# L3 agent and two superfluidd (instances on host1 and host2).  Checks what a
# client on the external network sees through the floating address (which
# instance answers), what Neutron holds (the floating IP's port, the method
# tag), that a move to a target that is never ready changes nothing (the
# floating IP stays on the old instance), that the instances' security group
# still guards the address (a client outside the allowed group gets
# nothing), and that deleting the service deletes its floating IP and leaves
# no pair or tag.  Also: `--method binding` (OVN's, host1 has the Linux
# bridge agent) and a fip service without a floating network are refused
# with a clear error, making nothing.
# Exit 0 pass, 1 fail, 77 skip.
# shellcheck disable=SC2154,SC2317
T=service_methods
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
# shellcheck source=tests/integration/lib/service.sh
. "$(dirname "$0")/lib/service.sh"
svc_fip_net

start_instance a host1 < <(svc_pool_ini "$NAME-svc"); IA=$INSTANCE
start_instance b host2 < <(svc_pool_ini "$NAME-svc"); IB=$INSTANCE
start_instance c host1 < <(svc_pool_ini "$NAME-client" ext); IC=$INSTANCE
start_instance x host2 < <(svc_pool_ini default ext); IX=$INSTANCE
for i in "$IA" "$IB" "$IC" "$IX"; do wait_pool "$i" svc 3 90; done

svc=f$RND
# Refused, making nothing.
service_ports() { neutron GET "ports?tags=sf-service=$1&fields=id" | jq '.ports | length'; }
if sfctl "$IA" service create "$svc-b" --network "$NAME-net" --check http:8080/who \
	--method binding > "$tmp/create.out" 2>&1; then
	fail "--method binding was accepted: $(cat "$tmp/create.out")"
else
	check "--method binding on a Linux bridge host is refused, saying it needs ML2/OVN" \
		grep -q 'needs ML2/OVN' "$tmp/create.out"
fi
if sfctl "$IA" service create "$svc-n" --network "$NAME-net" --check http:8080/who \
	--method fip > "$tmp/create.out" 2>&1; then
	fail "a fip service without a floating network was accepted"
else
	check "--method fip without --floating-network says what it needs" \
		grep -q 'floating network' "$tmp/create.out"
fi
if sfctl "$IA" service create "$svc-i" --network "$NAME-net" --check http:8080/who \
	--method fip --floating-network "$NAME-net" > "$tmp/create.out" 2>&1; then
	fail "a fip service on an internal floating network was accepted"
else
	check "a floating network that is not external is refused" grep -q 'not external' "$tmp/create.out"
fi
check "the refused creates made no service port" test "$(service_ports "$svc-b")$(service_ports "$svc-n")$(service_ports "$svc-i")" = 000

check "sfctl service create --method fip" \
	sfctl "$IA" service create "$svc" --network "$NAME-net" --check http:8080/who --grace-ms 1000 \
	--method fip --floating-network "$NAME-ext"
fip_addr=$(svc_json | jq -er '.service | select(.method == "fip") | .floating_address') ||
	die "status --json shows no fip method and floating address: $(svc_json)"
fip_id=$(svc_json | jq -er .service.floating_ip_id) || die "no floating IP id"
svc_port=$(svc_json | jq -er .service.id) || die "no service port"
vip=$(svc_json | jq -er .service.address) || die "no service address"
check "the service port carries sf-method=fip" \
	jq -e '.tags | index("sf-method=fip")' <<< "$(port_get "$svc_port")"
check "the floating IP is the service's, on the external network, associated with nothing" \
	jq -e --arg t "sf-service=$svc" --arg e "$ext_id" '(.tags | index($t)) and
		.floating_network_id == $e and .port_id == null' \
		<<< "$(neutron GET "floatingips/$fip_id" | jq -c .floatingip)"
say "service $svc: floating address $fip_addr"

# a on host1 joins at ADD and answers: the floating IP goes to its port.
mk_netns ns_a a
add "$IA" a "$ns_a" "$NAME-svc" CNI_ARGS="SF_SERVICE=$svc"
expect "ADD a with CNI_ARGS SF_SERVICE=$svc" 0 '.ips | length == 1'
port_a=$(held_port "$IA" "$NAME-a") || die "a holds no port"
serve "$ns_a" a
check "a answers for the service" wait_until 40 answers "$port_a"
check "the floating IP is on a's port" wait_until 10 fip_on "$port_a"

# The client, on the external network, in the client group.
mk_netns ns_c client
SVC_NET=ext add "$IC" c "$ns_c" "$NAME-client"
expect "ADD the client on the external network" 0 '.ips | length == 1'
check "the client reaches a through the floating address" wait_until 40 gets a

# b on host2 joins; a move to it while it serves nothing changes nothing.
mk_netns ns_b b
add "$IB" b "$ns_b" "$NAME-svc" CNI_ARGS="SF_SERVICE=$svc"
expect "ADD b on host2" 0 '.ips | length == 1'
port_b=$(held_port "$IB" "$NAME-b") || die "b holds no port"
check "b becomes an instance, standing by" wait_until 60 member_marks "$port_b" 1
if sfctl "$IB" service move "$svc" --to "$NAME-b" --ready-timeout-ms 1500 > "$tmp/move.out" 2>&1; then
	fail "a move to b with no server succeeded: $(cat "$tmp/move.out")"
else
	check "the move to a b that is not ready says so" grep -q 'not ready' "$tmp/move.out"
fi
check "after the refused move, a answers in Neutron" answers "$port_a"
check "after the refused move, the floating IP is still a's" fip_on "$port_a"
check "after the refused move, the client still gets a" gets a

# The move, make-before-break.
serve "$ns_b" b
check "sfctl service move to b" sfctl "$IB" service move "$svc" --to "$NAME-b" --json
check "b answers for the service in Neutron" answers "$port_b"
check "the floating IP is on b's port" fip_on "$port_b"
check "the client gets b" wait_until 40 gets b
check "the move's answer says fip" jq -e '.service.method == "fip"' <<< "$(svc_json)"

# The security group: outside the client group, nothing on 8080.
mk_netns ns_x x
SVC_NET=ext add "$IX" x "$ns_x" default
expect "ADD x, outside the client group" 0 '.ips | length == 1'
check "a container outside the client group cannot reach the floating address" \
	not ip netns exec "$ns_x" curl -s --max-time 2 "http://$fip_addr:8080/who"

# And back to a.
check "sfctl service move back to a" sfctl "$IA" service move "$svc" --to "$NAME-a"
check "the floating IP is a's again" fip_on "$port_a"
check "the client gets a again" wait_until 40 gets a

# Delete: the floating IP goes with the service; no pair or tag stays.
check "sfctl service delete" sfctl "$IA" service delete "$svc"
check "the floating IP is deleted" not neutron GET "floatingips/$fip_id"
check "no floating IP of the service is left" test \
	"$(neutron GET "floatingips?tags=sf-service=$svc" | jq '.floatingips | length')" = 0
check "a's port: no pair, no member tag" member_marks "$port_a" 0
check "b's port: no pair, no member tag" member_marks "$port_b" 0
check "the service port is gone" not neutron GET "ports/$svc_port"
for n in a b c x; do
	case $n in a) i=$IA ;; b) i=$IB ;; c) i=$IC ;; x) i=$IX ;; esac
	v=ns_$n
	if [ "$n" = c ] || [ "$n" = x ]; then SVC_NET=ext del "$i" "$n" "${!v}"; else del "$i" "$n" "${!v}"; fi
	expect "DEL $n" 0 ""
done
finish
