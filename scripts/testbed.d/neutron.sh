# shellcheck shell=bash
# neutron-server (ML2, linuxbridge mechanism, VXLAN tenant networks, trunk
# and router service plugins) and one Linux bridge agent per simulated
# host, run inside the host's namespace.

TB_NEUTRON_CONF=$TB_CONF/neutron/neutron.conf
TB_ML2_CONF=$TB_CONF/neutron/ml2_conf.ini
# Agents report every 3 s and count as dead after 15 s, so that tests of
# an agent outage do not wait the default 75 s.
TB_REPORT_INTERVAL=3
TB_AGENT_DOWN_TIME=15

# neutron.conf's sections that both beds' servers have (the default bed's
# here, the OVN bed's in ovn.sh): Keystone, locks, quotas.
tb_neutron_shared_sections() {
	cat <<-EOF
		[keystone_authtoken]
		www_authenticate_uri = $TB_KEYSTONE_URL
		auth_url = $TB_KEYSTONE_URL
		auth_type = password
		username = neutron
		password = $SECRET_NEUTRON_SVC
		project_name = service
		user_domain_name = Default
		project_domain_name = Default
		region_name = $TB_REGION
		# No token cache: every request is checked with Keystone, so a
		# revoked token is refused at once (tests rely on it).
		token_cache_time = -1
		[oslo_concurrency]
		lock_path = $TB_DIR/neutron/lock
		[quotas]
		# Every test makes its own groups (a service test three), and a
		# few tests run at once while developing: room beyond the default 10.
		quota_security_group = 40
		quota_security_group_rule = 400
	EOF
}

tb_neutron_conf() {
	local shared
	install -d -m 0700 "$TB_CONF/neutron" "$TB_DIR/neutron" "$TB_DIR/neutron/lock"
	shared=$(tb_neutron_shared_sections)   # not in the heredoc: a failure stops here
	tb_write "$TB_NEUTRON_CONF" 0600 <<-EOF
		[DEFAULT]
		bind_host = $TB_UNDERLAY_IP
		bind_port = 9696
		core_plugin = ml2
		service_plugins = trunk,router
		auth_strategy = keystone
		transport_url = $(tb_transport_url 127.0.0.1)
		state_path = $TB_DIR/neutron
		api_paste_config = /etc/neutron/api-paste.ini
		api_workers = 1
		rpc_workers = 1
		rpc_state_report_workers = 1
		agent_down_time = $TB_AGENT_DOWN_TIME
		notify_nova_on_port_status_changes = false
		notify_nova_on_port_data_changes = false
		# Routers go to an L3 agent of their availability_zone_hints
		# (a site: core, edge); unhinted ones to the least loaded agent.
		router_scheduler_driver = neutron.scheduler.l3_agent_scheduler.AZLeastRoutersScheduler
		log_dir = $TB_LOGS
		log_file = neutron-server.log
		[database]
		connection = $(tb_db_url neutron)
		$shared
		[experimental]
		# The linuxbridge mechanism driver is experimental in Zed; the
		# server refuses to load it without this.
		linuxbridge = true
	EOF
	tb_write "$TB_ML2_CONF" 0600 <<-EOF
		[ml2]
		type_drivers = flat,vlan,vxlan
		tenant_network_types = vxlan
		mechanism_drivers = linuxbridge${TB_OVS_HOSTS:+,openvswitch}
		extension_drivers = port_security,tag_ports_during_bulk_creation
		[ml2_type_vxlan]
		vni_ranges = 1:1000
		[securitygroup]
		enable_security_group = true
	EOF
}

tb_neutron_manage() { # neutron-db-manage args...
	env -i PATH="$TB_PATH" LANG=C.UTF-8 HOME="$TB_DIR/neutron" \
		neutron-db-manage --config-file "$TB_NEUTRON_CONF" \
		--config-file "$TB_ML2_CONF" "$@" \
		>> "$TB_LOGS/neutron-db-manage.log" 2>&1 ||
		tb_die "neutron-db-manage $1 failed, see $TB_LOGS/neutron-db-manage.log"
}

tb_neutron_prepare() {
	tb_neutron_conf
	[ -f "$TB_STATE/neutron-db.done" ] && return 0
	tb_log "neutron: database migrations"
	tb_neutron_manage upgrade heads
	touch "$TB_STATE/neutron-db.done"
}

tb_neutron_ready() {
	tb_http_ok "$TB_NEUTRON_URL/"
}

tb_neutron_start() {
	tb_neutron_prepare
	tb_spawn neutron-server "$TB_LOGS/neutron-server.out" HOME="$TB_DIR/neutron" -- \
		neutron-server --config-file "$TB_NEUTRON_CONF" --config-file "$TB_ML2_CONF"
	tb_wait_ready neutron-server 120 "$TB_LOGS/neutron-server.log" tb_neutron_ready ||
		tb_die "neutron-server did not start"
}

# Agent files live under $TB_DIR/hosts/hostN/neutron.
tb_agent_dir() { printf '%s/hosts/host%s/neutron' "$TB_DIR" "$1"; }

tb_agent_conf() { # index [the agent's ini: linuxbridge_agent.ini]
	local i=$1 ini=${2:-linuxbridge_agent.ini} d
	d=$(tb_agent_dir "$i")
	install -d -m 0700 "$TB_DIR/hosts" "$TB_DIR/hosts/host$i" "$d" "$d/lock" "$d/state"
	# root_helper is empty: the agent runs as root already, so its
	# commands run directly rather than through sudo and Debian's rootwrap
	# filters in /etc.  Its privsep helper is started without sudo too, so
	# that it keeps the agent's PATH, where $TB_DIR/bin/ebtables (see
	# testbed.d/ebtables: a work-around for ebtables-nft) comes first.
	install -d -m 0755 "$TB_DIR/bin"
	install -m 0755 "$TB_LIB/ebtables" "$TB_DIR/bin/ebtables"
	tb_write "$d/neutron.conf" 0600 <<-EOF
		[DEFAULT]
		host = host$i
		transport_url = $(tb_transport_url "$TB_UNDERLAY_IP")
		state_path = $d/state
		log_dir = $TB_LOGS
		log_file = agent-host$i.log
		[agent]
		root_helper =
		report_interval = $TB_REPORT_INTERVAL
		[oslo_concurrency]
		lock_path = $d/lock
		[privsep]
		helper_command = privsep-helper --config-file $d/neutron.conf --config-file $d/$ini
	EOF
	[ "$ini" = linuxbridge_agent.ini ] || return 0
	tb_write "$d/linuxbridge_agent.ini" 0600 <<-EOF
		[linux_bridge]
		physical_interface_mappings =
		[vxlan]
		enable_vxlan = true
		local_ip = $(tb_host_ip "$i")
		l2_population = false
		[securitygroup]
		enable_security_group = true
		firewall_driver = iptables
		[agent]
		polling_interval = 1
	EOF
}

tb_agent_start() { # index
	local i=$1 d
	if tb_host_is_ovs "$i"; then
		tb_ovs_agent_start "$i"
		return
	fi
	d=$(tb_agent_dir "$i")
	tb_agent_conf "$i"
	tb_spawn "agent-host$i" "$TB_LOGS/agent-host$i.out" HOME="$d" PATH="$TB_DIR/bin:$TB_PATH" -- \
		ip netns exec "$(tb_host_ns "$i")" \
		neutron-linuxbridge-agent --config-file "$d/neutron.conf" \
		--config-file "$d/linuxbridge_agent.ini"
}

# True when agent BINARY of host N is alive and started after EPOCH (its
# started_at changes at each start of the agent process).
tb_agent_alive_since() { # binary index epoch
	local js
	js=$(tb_api GET "$TB_NEUTRON_URL/v2.0/agents?binary=$1" 2> /dev/null) || return 1
	jq -e --arg h "host$2" --argjson since "$3" '
		[.agents[] | select(.host == $h and .alive == true and
			((.started_at | sub(" "; "T") | sub("\\..*$"; "") + "Z"
				| fromdateiso8601) >= $since))]
		| length == 1' <<< "$js" > /dev/null 2>&1
}

tb_admin_token() {
	TB_TOKEN=$(tb_ks_token admin "$SECRET_ADMIN" admin)
	[ -n "$TB_TOKEN" ]
}

# The extensions the superfluid code relies on.
tb_neutron_check_extensions() {
	local js ext missing=()
	js=$(tb_api GET "$TB_NEUTRON_URL/v2.0/extensions") || return 1
	for ext in trunk standard-attr-tag tag-ports-during-bulk-creation \
		allowed-address-pairs binding quota_details \
		port-security security-group router; do
		jq -e --arg a "$ext" '[.extensions[] | select(.alias == $a)] | length == 1' \
			<<< "$js" > /dev/null || missing+=("$ext")
	done
	[ ${#missing[@]} -eq 0 ] || { tb_log "neutron lacks extensions: ${missing[*]}"; return 1; }
}

# The L3 agent (real routers): qrouter-* namespaces with qr-/qg- devices
# that the host's Linux bridge agent wires into brq bridges.  It enters
# the host's network namespace with nsenter, not `ip netns exec`: the
# latter's private mount namespace would hide the qrouter-* namespaces
# from everyone else (tests want `ip netns exec qrouter-... ping`), and
# unlike the Linux bridge agent the L3 agent reads nothing in /sys.
tb_l3_conf() { # index (its neutron.conf: tb_agent_conf)
	local i=$1 d
	d=$(tb_agent_dir "$i")
	tb_write "$d/l3_agent.ini" 0600 <<-EOF
		[DEFAULT]
		interface_driver = linuxbridge
		agent_mode = legacy
		# no haproxy here, and no Nova to serve metadata for
		enable_metadata_proxy = false
		[agent]
		# the host's site (testbed.d/sites.sh)
		availability_zone = $(tb_host_site "$i")
	EOF
}

tb_l3_start() { # index
	local i=$1 d
	d=$(tb_agent_dir "$i")
	tb_agent_conf "$i"
	tb_l3_conf "$i"
	tb_spawn "l3-host$i" "$TB_LOGS/l3-host$i.out" HOME="$d" -- \
		nsenter --net="/run/netns/$(tb_host_ns "$i")" \
		neutron-l3-agent --config-file "$d/neutron.conf" \
		--config-file "$d/l3_agent.ini" --log-file "$TB_LOGS/l3-host$i.log"
}

# `up` restarts nothing that runs: it names the services whose config
# changed since they started (their file is newer than their pid file).
tb_stale_warn() {
	local i f=()
	if tb_running neutron-server neutron-server; then
		tb_neutron_conf
		f+=("neutron-server $TB_NEUTRON_CONF $TB_ML2_CONF")
	fi
	for i in $TB_L3_HOSTS; do
		tb_running "l3-host$i" neutron-l3-agent && [ -d "$(tb_agent_dir "$i")" ] || continue
		tb_l3_conf "$i"
		f+=("l3-host$i $(tb_agent_dir "$i")/l3_agent.ini")
	done
	for i in "${f[@]}"; do
		# shellcheck disable=SC2086
		set -- $i
		local svc=$1
		shift
		[ -n "$(find "$@" -newer "$(tb_pidfile "$svc")" 2> /dev/null)" ] &&
			tb_log "$svc runs with an older config: scripts/testbed stop $svc; scripts/testbed start $svc"
	done
	return 0
}
