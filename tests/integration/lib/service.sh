# Shared by the service tests (service_move, service_faults, service_pool,
# service_methods, service_faults_fip): sourced after lib/daemon.sh.  A
# network with two groups (the instances take HTTP on 8080 from the client
# group only), superfluidd instances a (host1), b (host2) and c (host1, the
# client's), a service with an HTTP check, and helpers to serve, ask and
# look; for a floating IP service (SVC_METHOD=fip), an external network with
# a router to it, the client on it, and helpers on the floating IP; with
# SVC_GATE=1 every daemon reaches Neutron through its host's gate (gate_open,
# gate_close in lib/daemon.sh).
# shellcheck disable=SC2154,SC2034

svc_pool_ini() { # SG [NET: the network's label, default net]
	cat <<-EOF
	[pools]
	min = 3
	max = 6
	batch = 3
	cooldown_ms = 500
	[pool svc]
	network = $NAME-${2:-net}
	security_groups = $1
	EOF
	[ -z "${SVC_GATE:-}" ] || gate_ini
}

# sfctl INSTANCE ARGS...: this build's sfctl with that instance's config.
sfctl() { "$B/sfctl" -c "$(scripts/sfhost conf "$1")" "${@:2}"; }

# add INSTANCE LABEL NETNS SG_NAME [VAR=VALUE...]: CNI ADD through that
# daemon, as container $NAME-LABEL, on $NAME-net ($NAME-$SVC_NET if set).
add() {
	local sock
	sock=$(scripts/sfhost sock "$1")
	CONF_SOCKET=$sock cni ADD "$NAME-$2" "/run/netns/$3" eth0 \
		"$(CONF_SOCKET=$sock conf 1.1.0 "$NAME-${SVC_NET:-net}" "[\"$4\"]")" "${@:5}"
}
del() { # INSTANCE LABEL NETNS
	local sock
	sock=$(scripts/sfhost sock "$1")
	CONF_SOCKET=$sock cni DEL "$NAME-$2" "/run/netns/$3" eth0 \
		"$(CONF_SOCKET=$sock conf 1.1.0 "$NAME-${SVC_NET:-net}" "[]")"
}

# serve NETNS NAME: an HTTP server on 8080 whose /who answers NAME.
servers=()
serve() {
	mkdir -p "$tmp/www-$2"
	echo "$2" > "$tmp/www-$2/who"
	ip netns exec "$1" busybox httpd -f -p 8080 -h "$tmp/www-$2" &
	servers+=("$!")
}
stop_servers() { local p; for p in "${servers[@]}"; do kill "$p" 2> /dev/null; done; }
at_exit 20 stop_servers

# The network: sets net_id, subnet_id (svc_prefix.0/24), client_sg, svc_sg
# (groups $NAME-client and $NAME-svc); the instances take HTTP on 8080 from
# the client group only, and ICMP.
svc_net() {
	command -v busybox > /dev/null || skip "busybox is missing (scripts/deps)"
	mk_network net_id net
	svc_prefix=$(rand_prefix)
	mk_subnet subnet_id "$net_id" "$svc_prefix"
	mk_sg client_sg client
	mk_sg svc_sg svc icmp
	neutron POST security-group-rules "$(jq -nc --arg sg "$svc_sg" --arg rg "$client_sg" '{
		security_group_rule: {security_group_id: $sg, direction: "ingress",
		ethertype: "IPv4", protocol: "tcp", port_range_min: 8080, port_range_max: 8080,
		remote_group_id: $rg}}')" > /dev/null || die "the svc group's HTTP rule"
}

# svc_net, then an external network $NAME-ext (ext_id) and a router
# (router_id) from the service's subnet to it: what a floating IP service
# needs (the router is the user's, not superfluid's).
svc_fip_net() {
	local p
	svc_net
	# A router refuses two subnets that overlap.
	while p=$(rand_prefix) && [ "$p" = "$svc_prefix" ]; do :; done
	mk_ext_network ext_id ext "$p"
	mk_router router_id r "$subnet_id" "$ext_id"
}

# The bed: svc_net, then IA IB IC, ns_a ns_b ns_c, port_a port_b, svc, vip,
# svc_port; a answers, b stands by, c is the client.  SVC_METHOD=fip: a
# floating IP service (svc_fip_net; fip_id, fip_addr), the client on the
# external network, reaching a through the floating address.
svc_bed() {
	local cnet="" create=()
	if [ "${SVC_METHOD:-aap}" = fip ]; then
		svc_fip_net
		cnet=ext create=(--method fip --floating-network "$NAME-ext")
	else
		svc_net
	fi
	if [ -n "${SVC_GATE:-}" ]; then gate_open host1; gate_open host2; fi
	start_instance a host1 < <(svc_pool_ini "$NAME-svc"); IA=$INSTANCE
	start_instance b host2 < <(svc_pool_ini "$NAME-svc"); IB=$INSTANCE
	start_instance c host1 < <(svc_pool_ini "$NAME-client" "${cnet:-net}"); IC=$INSTANCE
	for i in "$IA" "$IB" "$IC"; do wait_pool "$i" svc 3 90; done

	svc=v$RND
	sfctl "$IA" service create "$svc" --network "$NAME-net" --check http:8080/who \
		--grace-ms "${SVC_GRACE_MS:-1000}" "${create[@]}" > /dev/null || die "sfctl service create"
	vip=$(svc_json | jq -er .service.address) || die "no service address"
	svc_port=$(svc_json | jq -er .service.id) || die "no service port"
	if [ -n "$cnet" ]; then
		fip_addr=$(svc_json | jq -er .service.floating_address) || die "no floating address"
		fip_id=$(svc_json | jq -er .service.floating_ip_id) || die "no floating IP id"
	fi
	mk_netns ns_a a
	mk_netns ns_b b
	mk_netns ns_c client
	# a joins first, so it answers; b joins once it does, and stands by.
	add "$IA" a "$ns_a" "$NAME-svc" CNI_ARGS="SF_SERVICE=$svc"
	[ "$rc" = 0 ] || die "ADD a: $out $err"
	port_a=$(held_port "$IA" "$NAME-a") || die "a holds no port"
	serve "$ns_a" a
	wait_until 20 answers "$port_a" || die "a never answered for $svc: $(svc_json)"
	add "$IB" b "$ns_b" "$NAME-svc" CNI_ARGS="SF_SERVICE=$svc"
	[ "$rc" = 0 ] || die "ADD b: $out $err"
	port_b=$(held_port "$IB" "$NAME-b") || die "b holds no port"
	serve "$ns_b" b
	SVC_NET=$cnet add "$IC" c "$ns_c" "$NAME-client"
	[ "$rc" = 0 ] || die "ADD c: $out $err"
	wait_until 20 member_marks "$port_b" 1 || die "b never became an instance: $(svc_json)"
	if [ -n "$cnet" ]; then
		wait_until 10 fip_on "$port_a" || die "the floating IP never went to a: $(svc_json)"
		wait_until 40 gets a || die "the client never reached a at $fip_addr"
	else
		wait_until 20 got_who a || die "the client never reached a at $vip"
	fi
	say "service $svc at $vip${fip_addr:+ (floating $fip_addr)}: a ($port_a) answers, b ($port_b) stands by"
}

svc_json() { sfctl "$IA" service status "$svc" --json; }
# A floating IP service's floating IP ($fip_id) and its client ($ns_c).
fip_port() { neutron GET "floatingips/$fip_id" | jq -r '.floatingip.port_id // ""'; }
fip_on() { [ "$(fip_port)" = "$1" ]; } # PORT
who_fip() { ip netns exec "$ns_c" curl -s --max-time 2 "http://$fip_addr:8080/who"; }
gets() { [ "$(who_fip)" = "$1" ]; } # NAME
answers() { # PORT: Neutron says PORT answers, and no move is under way
	svc_json | jq -e --arg p "$1" '.service.active == $p and .service.phase == "stable"' \
		> /dev/null
}
vip_on() { # NETNS IFNAME
	ip -n "$1" -j addr show dev "$2" 2> /dev/null |
		jq -e --arg a "$vip" '[.[].addr_info[].local] | index($a)' > /dev/null
}
holds_nothing() { ! vip_on "$1" eth0 && ! vip_on "$1" lo; } # NETNS
who() { ip netns exec "$ns_c" curl -s --max-time 2 "http://$vip:8080/who"; }
got_who() { [ "$(who)" = "$1" ]; }
# The pairs and member tags of PORT that name the service: N of each.
member_marks() { # PORT N
	jq -e --arg a "$vip" --arg t "sf-member=$svc" --argjson n "$2" '
		([.allowed_address_pairs[] | select(.ip_address == $a)] | length) == $n and
		([.tags[] | select(. == $t)] | length) == $n' <<< "$(port_get "$1")" > /dev/null
}
