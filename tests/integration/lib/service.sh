# Shared by the service tests (service_move, service_faults, service_pool,
# service_methods, service_faults_fip): sourced after lib/daemon.sh.  A
# network with two groups (the instances take HTTP on 8080 from the client
# group only), superfluidd instances a (host1), b (host2) and c (host1, the
# client's), a service with an HTTP check, and helpers to serve, ask and
# look; for a floating IP service (SVC_METHOD=fip), an external network with
# a router to it, the client on it, and helpers on the floating IP; with
# SVC_GATE=1 every daemon reaches Neutron through its host's gate (gate_open,
# gate_close in lib/daemon.sh).  The client's probe (probe_start,
# probe_stop: sfprobe at the service address).  On the OVN bed, for
# --method binding (service_binding, bench/move_service): the binding bed
# (svc_binding_bed, or its stages bnd_*) and what its users look at
# (settled, holder_checks and their parts), after lib/ovn.sh.
# shellcheck shell=bash disable=SC2154,SC2034

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

# crash_move STEP INSTANCE TARGET: INSTANCE's daemon restarted to kill
# itself at STEP of a move (SF_TEST_MOVE_CRASH), then asked to move $svc to
# container $NAME-TARGET: the move must fail, saying the daemon went away.
# INSTANCE is left dead (scripts/sfhost restart brings it back).
crash_move() {
	scripts/sfhost stop "$2" > /dev/null
	SF_TEST_MOVE_CRASH=$1 scripts/sfhost restart "$2" > /dev/null || die "restart $2"
	if sfctl "$2" service move "$svc" --to "$NAME-$3" > "$tmp/move.out" 2>&1; then
		fail "$1: the move succeeded although the daemon was to die"
	fi
	check "$1: the move says the daemon went away ($(head -c 160 "$tmp/move.out"))" \
		grep -qi 'no answer\|cannot reach\|reset\|closed' "$tmp/move.out"
}

# --- the client's probe --------------------------------------------------------------
# The client ($ns_c) asking PROBE_URL (http://$vip:8080/who) every
# PROBE_INTERVAL_MS (50), each request a new connection with a
# PROBE_TIMEOUT_MS (1000) timeout (tests/tools/sfprobe), from probe_start to
# probe_stop, which sets failed, requests and gap (the longest between two
# answers, ms) from sfprobe's log and summary.  The log, $tmp/probe.log: a
# header with its wall-clock start ("# sfprobe t0_unix_ms=..."), then a line
# per request: its start in ms since then, ok, HTTP code, µs, bytes; the
# summary (JSON) in $tmp/probe.json.  Not in a subshell: it waits for sfprobe.
SFPROBE=$B/tests/tools/sfprobe
probe_pid=
probe_start() {
	[ -n "${probe_hooked:-}" ] || { at_exit 15 probe_kill; probe_hooked=1; }
	ip netns exec "$ns_c" "$SFPROBE" --url "${PROBE_URL:-http://$vip:8080/who}" --interval-ms "${PROBE_INTERVAL_MS:-50}" \
		--timeout-ms "${PROBE_TIMEOUT_MS:-1000}" --log "$tmp/probe.log" > "$tmp/probe.json" 2> "$tmp/probe.err" &
	probe_pid=$!
}
probe_stop() {
	local rc=0
	kill -TERM "$probe_pid" 2> /dev/null
	wait "$probe_pid" || rc=$?
	probe_pid=
	[ "$rc" = 0 ] || say "sfprobe exited $rc: $(head -c 600 "$tmp/probe.err")"
	read -r failed requests < <(awk '!/^#/ { n++; if ($2 != 1) f++ } END { print f + 0, n + 0 }' \
		"$tmp/probe.log")
	gap=$(jq -er '.longest_gap_ms | floor' "$tmp/probe.json" 2> /dev/null) || gap="?"
	[ "$failed" = 0 ] || say "failed requests: $(awk '!/^#/ && $2 != 1' "$tmp/probe.log" | head -5 | paste -sd ';')"
}
probe_kill() { if [ -n "$probe_pid" ]; then kill "$probe_pid" 2> /dev/null; fi; }

# --- the binding bed: --method binding on the OVN bed ------------------------------------
# After lib/ovn.sh (H1 H2, vsctl, sbctl, sb_binding).  What svc_bed is for
# the default bed, in stages, so that a test checks between them
# (tests/integration/service_binding.sh) and svc_binding_bed runs them all
# (bench/move_service): a network without port security (docs/ovn.md: with
# security groups the bed's userspace ovs-vswitchd aborts on conntrack),
# superfluidd IA on H1 and IB on H2 with a pool svc without groups, the
# service (--method binding), the client c on H2, instances a (H1) and b
# (H2) serving http:8080/who.  The instances by label X: ns_of[X],
# port_of[X], host_of[X], inst_of[X], and instances (the labels).
declare -A port_of host_of inst_of
instances=()

# bnd_net: network $NAME-net without port security (net_id), a subnet
# pfx.0/24 (subnet_id).
bnd_net() {
	mk_network_nops net_id net
	pfx=$(rand_prefix)
	mk_subnet subnet_id "$net_id" "$pfx"
}

# bnd_daemons: IA on H1 and IB on H2, each with 2 ready ports in pool svc.
# Pool svc has no security_groups: its ports are created without any, and
# Neutron applies the default group only to ports with port security.
bnd_daemons() {
	local i
	start_instance a "$H1" < <(pool_ini min=2 max=4 batch=2 cooldown_ms=500 svc:net); IA=$INSTANCE
	start_instance b "$H2" < <(pool_ini min=2 max=4 batch=2 cooldown_ms=500 svc:net); IB=$INSTANCE
	for i in "$IA" "$IB"; do wait_pool "$i" svc 2 150; done
}

# add_nosg INSTANCE LABEL NETNS [VAR=VALUE...]: add, for a network config
# without securityGroups (add always names one; an empty list would be
# another pool's key), on $NAME-net.
add_nosg() {
	local sock
	sock=$(scripts/sfhost sock "$1")
	CONF_SOCKET=$sock cni ADD "$NAME-$2" "/run/netns/$3" eth0 \
		"$(CONF_SOCKET=$sock conf 1.1.0 "$NAME-net")" "${@:4}"
}

# bnd_create: `sfctl service create --method binding` on IA, an HTTP check
# on 8080/who; sets svc, vip, svc_port, svc_if (svc<port11>, in the
# answering instance) and svc_tap (tap<port11>, in its host's br-int), and
# loads the SB's chassis (sb_chassis_load).
bnd_create() {
	at_exit 35 svc_leftovers
	svc=mc$RND
	sfctl "$IA" service create "$svc" --network "$NAME-net" --check http:8080/who \
		--method binding > "$tmp/create.out" 2>&1 ||
		die "sfctl service create --method binding: $(cat "$tmp/create.out")"
	vip=$(svc_json | jq -er .service.address) || die "no service address: $(svc_json)"
	svc_port=$(svc_json | jq -er .service.id) || die "no service port"
	svc_if=svc${svc_port:0:11} svc_tap=tap${svc_port:0:11}
	sb_chassis_load
}

# bnd_client: the client c on H2 (IB's pool), in namespace ns_c.
bnd_client() {
	mk_netns ns_c client
	add_nosg "$IB" c "$ns_c"
	expect "ADD the client on $H2" 0 '.ips | length == 1' || die "ADD the client"
}

# bnd_instance X INSTANCE HOST: container $NAME-X on HOST through INSTANCE,
# in namespace ns_of[X], recorded; not serving yet (serve), not attached.
bnd_instance() {
	mk_netns "ns_of[$1]" "$1"
	add_nosg "$2" "$1" "${ns_of[$1]}"
	expect "ADD $1 on $3" 0 '.ips | length == 1' || die "ADD $1"
	port_of[$1]=$(held_port "$2" "$NAME-$1") || die "$1 holds no port"
	host_of[$1]=$3 inst_of[$1]=$2
	instances+=("$1")
}

# svc_binding_bed: the whole bed; returns once a answers (settled) and b
# stands by.
svc_binding_bed() {
	command -v busybox > /dev/null || skip "busybox is missing (scripts/deps)"
	bnd_net
	bnd_daemons
	bnd_create
	bnd_client
	bnd_instance a "$IA" "$H1"
	serve "${ns_of[a]}" a
	sfctl "$IA" service attach "$svc" --container "$NAME-a" > /dev/null || die "sfctl service attach a"
	wait_until 60 settled a || die "a never answered for $svc: $(svc_json) (SB: $(sb_binding "$svc_port"))"
	bnd_instance b "$IB" "$H2"
	serve "${ns_of[b]}" b
	sfctl "$IB" service attach "$svc" --container "$NAME-b" > /dev/null || die "sfctl service attach b"
	wait_until 20 standby_here b || die "b never stood by: $(svc_json)"
	say "service $svc (binding) at $vip, port $svc_port: a (${port_of[a]}, $H1) answers," \
		"b (${port_of[b]}, $H2) stands by"
}

# --- what the binding bed's users look at ---------------------------------------------
sb_on() { [[ "$(sb_binding "$svc_port")" == "ch=$1 add=- "* ]]; } # HOST, alone
# The service port's interface in NETNS: up, the service address on it as a /32.
svc_up() {
	ip -n "$1" -j addr show dev "$svc_if" 2> /dev/null | jq -e --arg a "$vip" '.[0] |
		(.flags | index("UP")) and (.operstate == "UP" or .operstate == "UNKNOWN") and
		([.addr_info[] | select(.local == $a and .prefixlen == 32)] | length == 1)' > /dev/null
}
# HOST's OVSDB plugs the service port: tap<port11> (its only Interface with
# that iface-id) in br-int, sf-service=$svc, claimed (ovn-installed).
ovs_holds() {
	[ "$(vsctl "$1" --bare --columns=name find Interface "external_ids:iface-id=$svc_port")" = "$svc_tap" ] &&
		[ "$(vsctl "$1" iface-to-br "$svc_tap" 2> /dev/null)" = br-int ] &&
		[ "$(vsctl "$1" get Interface "$svc_tap" external_ids:sf-service external_ids:ovn-installed \
			2> /dev/null | tr -d '"' | paste -sd ' ')" = "$svc true" ]
}
# HOST's interfaces named after the service port (any prefix: tap, sfp, ...).
host_links() {
	ip -n "$(host_ns "$1")" -j link show | jq -r --arg s "${svc_port:0:11}" \
		'[.[].ifname | select(endswith($s))] | join(" ")'
}
# Nothing of the service port on HOST: no OVSDB Interface with its iface-id
# or named tap<port11>, no host interface named after it.
host_free() {
	[ -z "$(vsctl "$1" --bare --columns=name find Interface "external_ids:iface-id=$svc_port")" ] &&
		[ -z "$(vsctl "$1" --bare --columns=name find Interface name="$svc_tap")" ] &&
		[ -z "$(host_links "$1")" ]
}
# Neutron binds the service port to HOST, not migrating.
bound_to() {
	port_get "$svc_port" | jq -e --arg h "$1" '."binding:host_id" == $h and
		((."binding:profile" // {}) | has("migrating_to") | not)' > /dev/null
}
# status --json says so too (binding_host, migrating_to: src/service/status.c).
status_bound() {
	svc_json | jq -e --arg h "$1" '.service.binding_host == $h and .service.migrating_to == null' \
		> /dev/null
}
standby_here() { # X: its own daemon's journal says it stands by
	sfctl "${inst_of[$1]}" service status "$svc" --json | jq -e --arg p "${port_of[$1]}" \
		'[.service.instances[] | select(.port_id == $p)] | length == 1 and .[0].local_role == "standby"' \
		> /dev/null
}
other_host() { if [ "$1" = "$H1" ]; then echo "$H2"; else echo "$H1"; fi; }
# settled X: everything says X answers: the state, its namespace and no
# other's, its host's OVSDB and nothing on the other host, Neutron's
# binding, the SB, the client.
settled() {
	local x=$1 h=${host_of[$1]} n
	answers "${port_of[$x]}" && svc_up "${ns_of[$x]}" || return 1
	for n in "${instances[@]}"; do
		[ "$n" = "$x" ] || link_absent "${ns_of[$n]}" "$svc_if" || return 1
	done
	ovs_holds "$h" && host_free "$(other_host "$h")" && bound_to "$h" && status_bound "$h" &&
		sb_on "$h" && got_who "$x"
}
# holder_checks WHAT X: the same, one check each (keep the two alike).
holder_checks() {
	local w=$1 x=$2 h=${host_of[$2]} o n
	o=$(other_host "$h")
	check "$w: the state: $x's port answers, phase stable" answers "${port_of[$x]}"
	check "$w: $svc_if in $x's namespace, up, $vip/32 on it" svc_up "${ns_of[$x]}"
	for n in "${instances[@]}"; do
		[ "$n" = "$x" ] || check "$w: no $svc_if in $n's namespace" link_absent "${ns_of[$n]}" "$svc_if"
	done
	check "$w: $h's OVSDB: $svc_tap in br-int, iface-id the service port, sf-service=$svc, ovn-installed" \
		ovs_holds "$h"
	check "$w: $o's OVSDB and interfaces: nothing of the service port" host_free "$o"
	check "$w: Neutron binds the service port to $h, no migrating_to" bound_to "$h"
	check "$w: status: binding_host $h, no migrating_to" status_bound "$h"
	check "$w: SB: its Port_Binding on chassis $h, no additional chassis ($(sb_binding "$svc_port"))" sb_on "$h"
	check "$w: the client is answered by $x" got_who "$x"
}
# What no purge finds of the service port if the run ends before the
# delete (its tap carries no sf-deployment, src/service/svcif.h): its OVSDB
# ports and host interfaces, by the port's id (bnd_create registers it).
# Neutron's port goes with the network (neutron_cleanup).
svc_leftovers() {
	local h i
	[ -n "${svc_port:-}" ] || return 0
	for h in "$H1" "$H2"; do
		for i in $(vsctl "$h" --bare --columns=name find Interface "external_ids:iface-id=$svc_port" 2> /dev/null); do
			say "removing $h's OVSDB port $i of the service port"
			vsctl "$h" --if-exists del-port "$i"
		done
		for i in $(host_links "$h"); do
			say "removing $h's interface $i of the service port"
			ip -n "$(host_ns "$h")" link del "$i" 2> /dev/null
		done
	done
}
