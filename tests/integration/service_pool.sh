#!/usr/bin/env bash
# A service's own pool (docs/superfluidity.md, "Deploy on the fly"): a
# [pool NAME] with `service = S` holds ports made as instances of S (the
# address as an allowed pair, the member tag), so that the L2 agent wired
# the pair before any container of S exists.  Against the real Neutron:
# the pool's ports carry pair and tag while still in the pool; a conflist
# naming the service draws from that pool, joins at ADD and answers at
# once (the first instance of a vacant service); a network config without
# the service never gets such a port; a DEL gives the port back to the pool
# still an instance, and the service becomes vacant; bad names and a
# contradicting CNI_ARGS are refused; deleting the service strips every
# pool port of its pair and tag.  Exit 0 pass, 1 fail, 77 skip.
# shellcheck disable=SC2154,SC2317
T=service_pool
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
# shellcheck source=tests/integration/lib/service.sh
. "$(dirname "$0")/lib/service.sh"
svc_net

start_instance c host1 < <(svc_pool_ini "$NAME-client"); IC=$INSTANCE
IA=$IC   # svc_json asks this one
svc=p$RND
check "sfctl service create" sfctl "$IC" service create "$svc" --network "$NAME-net" \
	--check http:8080/who
vip=$(svc_json | jq -er .service.address) || die "no service address"

# host2: a plain pool and the service's own pool, same network and group.
start_instance p host2 < <(svc_pool_ini "$NAME-svc"; cat <<-EOF
	[pool vp]
	network = $NAME-net
	security_groups = $NAME-svc
	service = $svc
	min = 2
	max = 3
	batch = 2
	EOF
); IP=$INSTANCE
wait_pool "$IP" vp 2 90
wait_pool "$IP" svc 3 90
pool_ports() { ctl "$IP" ports | jq -r --arg p "$1" '.ports[] | select(.pool == $p) | .port_id'; }
for p in $(pool_ports vp); do
	check "pool port $p is an instance of $svc while still in the pool" member_marks "$p" 1
done
for p in $(pool_ports svc); do
	check "plain pool port $p is no instance" member_marks "$p" 0
done

mk_netns ns_c client
add "$IC" c "$ns_c" "$NAME-client"
expect "ADD the client" 0 '.ips | length == 1'

# A container of the service: the conflist names it.
svc_conf() { # SERVICE
	CONF_SOCKET=$(scripts/sfhost sock "$IP") conf 1.1.0 "$NAME-net" "[\"$NAME-svc\"]" \
		". + {service: \"$1\"}"
}
sadd() { # LABEL NETNS [VAR=VALUE...]
	cni ADD "$NAME-$1" "/run/netns/$2" eth0 "$(svc_conf "$svc")" "${@:3}"
}
mk_netns ns_a a
serve "$ns_a" a
sadd a "$ns_a"
expect "ADD with a conflist naming the service" 0 '.ips | length == 1'
port_a=$(held_port "$IP" "$NAME-a") || die "a holds no port"
check "a's port came from the service's pool" member_marks "$port_a" 1
check "a answers for the vacant service" wait_until 10 answers "$port_a"
check "the client reaches a at the service address" wait_until 10 got_who a

# Never a service's port for a container outside it.
mk_netns ns_x x
add "$IP" x "$ns_x" "$NAME-svc"
expect "ADD without the service" 0 '.ips | length == 1'
port_x=$(held_port "$IP" "$NAME-x") || die "x holds no port"
check "x's port is no instance" member_marks "$port_x" 0

# Bad input.
mk_netns ns_bad bad
cni ADD "$NAME-bad" "/run/netns/$ns_bad" eth0 "$(svc_conf "Not_A-name")"
expect "a conflist with a bad service name: code 7" 1 '.code == 7 and (.msg | test("service"))'
sadd bad "$ns_bad" CNI_ARGS="SF_SERVICE=other-$RND"
expect "CNI_ARGS naming another service: code 4" 1 '.code == 4 and (.msg | test("differs"))'
check "the refused ADDs hold no port" not held_port "$IP" "$NAME-bad"

# DEL: the port goes back to the service's pool, still an instance.
cni DEL "$NAME-a" "/run/netns/$ns_a" eth0 "$(svc_conf "$svc")"
expect "DEL a" 0 ""
check "the service is vacant after its only instance left" \
	wait_until 10 eval 'svc_json | jq -e ".service.active // \"\" | . == \"\"" > /dev/null'
check "a's port is back in the pool, ready" wait_until 15 eval \
	'[ "$(port_state "$IP" "$port_a")" = ready ]'
check "a's port is still an instance of $svc" member_marks "$port_a" 1
mk_netns ns_b b
serve "$ns_b" b
sadd b "$ns_b"
expect "ADD b from the service's pool" 0 '.ips | length == 1'
port_b=$(held_port "$IP" "$NAME-b") || die "b holds no port"
check "b answers" wait_until 10 answers "$port_b"
check "the client gets b" wait_until 10 got_who b

# Delete the service: no pool port keeps its pair or tag.
check "sfctl service delete" sfctl "$IC" service delete "$svc"
for p in $(pool_ports vp); do
	check "pool port $p: no pair, no member tag after the delete" member_marks "$p" 0
done
cni DEL "$NAME-b" "/run/netns/$ns_b" eth0 "$(svc_conf "$svc")"
expect "DEL b" 0 ""
del "$IP" x "$ns_x"
expect "DEL x" 0 ""
del "$IC" c "$ns_c"
expect "DEL the client" 0 ""
check "the address left b" wait_until 10 holds_nothing "$ns_b"
finish
