# shellcheck shell=bash
# The OVN variant of the test bed (SF_TESTBED=ovn, docs/testbed.md "The OVN
# bed"): beside the default bed, never in its way.  It uses the default
# bed's MariaDB (a database of its own, neutron_ovn) and Keystone (the same
# users; no catalog entry: clients name its Neutron with an endpoint
# override), and runs on its own, under $TB_OVN_DIR:
#   ovn-nb, ovn-sb   the Northbound and Southbound ovsdb-servers (unix
#                    sockets ovn/nb.sock, ovn/sb.sock), root namespace
#   ovn-northd       between the two
#   neutron-server   ML2 with the ovn mechanism driver, OVN L3 (ovn-router),
#                    OVN security groups, on $TB_UNDERLAY_IP:9697; no RPC
#                    (transport fake:, there is no agent to talk to)
#   per host N of TB_OVN_HOSTS (default "21 22": host21, host22, netns
#   sf-host21, underlay 198.18.0.31 on sf-underlay), testbed.d/ovs.sh's
#   ovsdb-hostN + vswitchd-hostN (userspace datapath), and ovn-hostN
#   (ovn-controller); the underlay address on br-phy, the bridge that holds
#   underlay0, so that the userspace datapath can carry Geneve.
# Sourced after the default bed's files, never run.

TB_OVN_DIR=${SF_TESTBED_OVN_DIR:-/var/lib/sf-testbed-ovn}
TB_OVN_HOSTS=${SF_TESTBED_OVN_HOSTS-21 22}
TB_OVN_NEUTRON_PORT=9697
TB_BASE_DIR=$TB_DIR

tb_ovn_nb() { printf 'unix:%s/ovn/nb.sock' "$TB_OVN_DIR"; }
tb_ovn_sb() { printf 'unix:%s/ovn/sb.sock' "$TB_OVN_DIR"; }
tb_ovn_nbctl() { ovn-nbctl --db="$(tb_ovn_nb)" --timeout=5 "$@"; }
tb_ovn_sbctl() { ovn-sbctl --db="$(tb_ovn_sb)" --timeout=5 "$@"; }

# Loads the default bed's secrets and ids (Keystone's users, MariaDB), then
# points every TB_* path at the OVN bed's own folder: from here on tb_spawn,
# tb_stop_svc, tb_write and testbed.d/ovs.sh work there.  TB_DB_SOCK stays
# the default bed's (set when mariadb.sh was sourced).
# shellcheck disable=SC2034
tb_ovn_enter() {
	[ -f "$TB_BASE_DIR/state/secrets.env" ] && tb_state_load
	TB_DIR=$TB_OVN_DIR
	TB_CONF=$TB_DIR/conf TB_RUN=$TB_DIR/run TB_LOGS=$TB_DIR/logs TB_STATE=$TB_DIR/state
	TB_MARKER=$TB_DIR/.sf-testbed-ovn
	TB_NHOSTS=0 TB_OVS_HOSTS=$TB_OVN_HOSTS TB_L3_HOSTS="" TB_EDGE_HOSTS=""
	TB_NEUTRON_URL=http://$TB_UNDERLAY_IP:$TB_OVN_NEUTRON_PORT
	TB_NEUTRON_CONF=$TB_CONF/neutron/neutron.conf
	TB_ML2_CONF=$TB_CONF/neutron/ml2_conf.ini
	[ -f "$TB_STATE/secrets.env" ] && tb_state_load
	return 0
}

tb_ovn_services() {
	local i
	echo ovn-nb ovn-sb ovn-northd neutron-server
	for i in $TB_OVN_HOSTS; do echo "ovsdb-host$i" "vswitchd-host$i" "ovn-host$i"; done
}

tb_ovn_svc_prog() { # svc
	case $1 in
	ovn-nb | ovn-sb | ovsdb-host*) echo ovsdb-server ;;
	ovn-northd) echo ovn-northd ;;
	neutron-server) echo neutron-server ;;
	vswitchd-host*) echo ovs-vswitchd ;;
	ovn-host*) echo ovn-controller ;;
	*) return 1 ;;
	esac
}

# --- central: NB, SB, northd --------------------------------------------------

tb_ovn_env() { printf '%s\n' "OVS_RUNDIR=$TB_OVN_DIR/ovn" "OVN_RUNDIR=$TB_OVN_DIR/ovn" "OVS_LOGDIR=$TB_LOGS"; }

tb_ovn_db_ready() { # nb|sb
	[ -S "$TB_OVN_DIR/ovn/$1.sock" ] &&
		(ovsdb-client --timeout=2 list-dbs "unix:$TB_OVN_DIR/ovn/$1.sock") > /dev/null 2>&1
}

tb_ovn_db_start() { # nb|sb
	local w=$1 d=$TB_OVN_DIR/ovn env=()
	install -d -m 0700 "$d"
	mapfile -t env < <(tb_ovn_env)
	[ -f "$d/$w.db" ] || ovsdb-tool create "$d/$w.db" "/usr/share/ovn/ovn-$w.ovsschema"
	rm -f "$d/$w.sock" "$d/$w.ctl"
	tb_spawn "ovn-$w" "$TB_LOGS/ovn-$w.out" "${env[@]}" -- \
		ovsdb-server "$d/$w.db" --remote="punix:$d/$w.sock" --unixctl="$d/$w.ctl" \
		--log-file="$TB_LOGS/ovn-$w.log"
	tb_wait_ready "ovn-$w" 30 "$TB_LOGS/ovn-$w.log" tb_ovn_db_ready "$w" ||
		tb_die "ovn-$w does not answer"
}

tb_ovn_northd_ready() {
	ovn-appctl -t "$TB_OVN_DIR/ovn/northd.ctl" --timeout=2 status 2> /dev/null | grep -q active
}

tb_ovn_northd_start() {
	local env=()
	mapfile -t env < <(tb_ovn_env)
	rm -f "$TB_OVN_DIR/ovn/northd.ctl"
	tb_spawn ovn-northd "$TB_LOGS/ovn-northd.out" "${env[@]}" -- \
		ovn-northd --ovnnb-db="$(tb_ovn_nb)" --ovnsb-db="$(tb_ovn_sb)" \
		--unixctl="$TB_OVN_DIR/ovn/northd.ctl" --log-file="$TB_LOGS/ovn-northd.log"
	tb_wait_ready ovn-northd 30 "$TB_LOGS/ovn-northd.log" tb_ovn_northd_ready ||
		tb_die "ovn-northd is not active"
}

# --- neutron-server with ML2/OVN ------------------------------------------------

tb_ovn_db_url() {
	printf 'mysql+pymysql://neutron_ovn:%s@127.0.0.1:%s/neutron_ovn?charset=utf8mb4' \
		"$SECRET_DB_NEUTRON_OVN" "$TB_DB_PORT"
}

tb_ovn_neutron_conf() {
	local shared
	install -d -m 0700 "$TB_CONF" "$TB_CONF/neutron" "$TB_DIR/neutron" "$TB_DIR/neutron/lock"
	shared=$(tb_neutron_shared_sections)   # not in the heredoc: a failure stops here
	tb_write "$TB_NEUTRON_CONF" 0600 <<-EOF
		[DEFAULT]
		bind_host = $TB_UNDERLAY_IP
		bind_port = $TB_OVN_NEUTRON_PORT
		core_plugin = ml2
		service_plugins = ovn-router,trunk
		auth_strategy = keystone
		# No L2, L3 or DHCP agent on an OVN host: nothing to talk to over RPC.
		transport_url = fake:/
		rpc_workers = 0
		rpc_state_report_workers = 0
		state_path = $TB_DIR/neutron
		api_paste_config = /etc/neutron/api-paste.ini
		api_workers = 1
		# Neutron's default.  An OVN controller agent counts as dead once
		# its chassis lags two nb_cfg bumps behind for this long; under load
		# the userspace ovn-controller lagged beyond the default bed's 15 s
		# (no outage test runs on this bed).
		agent_down_time = 75
		notify_nova_on_port_status_changes = false
		notify_nova_on_port_data_changes = false
		log_dir = $TB_LOGS
		log_file = neutron-server.log
		[database]
		connection = $(tb_ovn_db_url)
		$shared
	EOF
	tb_write "$TB_ML2_CONF" 0600 <<-EOF
		[ml2]
		type_drivers = geneve,flat,vlan
		tenant_network_types = geneve
		mechanism_drivers = ovn
		extension_drivers = port_security,tag_ports_during_bulk_creation
		[ml2_type_geneve]
		vni_ranges = 1:1000
		max_header_size = 38
		[securitygroup]
		enable_security_group = true
		[ovn]
		ovn_nb_connection = $(tb_ovn_nb)
		ovn_sb_connection = $(tb_ovn_sb)
		ovn_l3_scheduler = leastloaded
		# no metadata agent, no Nova
		ovn_metadata_enabled = false
		neutron_sync_mode = off
	EOF
}

tb_ovn_neutron_start() {
	local pw=${SECRET_DB_NEUTRON_OVN:-}
	[ -n "$pw" ] || { pw=$(tb_secret); tb_state_set secrets.env SECRET_DB_NEUTRON_OVN "$pw"; }
	tb_ovn_neutron_conf
	if [ ! -f "$TB_STATE/neutron-db.done" ]; then
		tb_log "neutron (OVN): database neutron_ovn and its migrations"
		tb_mysql "CREATE DATABASE IF NOT EXISTS neutron_ovn;
			CREATE USER IF NOT EXISTS 'neutron_ovn'@'127.0.0.1' IDENTIFIED BY '$pw';
			ALTER USER 'neutron_ovn'@'127.0.0.1' IDENTIFIED BY '$pw';
			GRANT ALL PRIVILEGES ON neutron_ovn.* TO 'neutron_ovn'@'127.0.0.1';" ||
			tb_die "mariadb: creating database neutron_ovn"
		tb_neutron_manage upgrade heads
		touch "$TB_STATE/neutron-db.done"
	fi
	tb_spawn neutron-server "$TB_LOGS/neutron-server.out" HOME="$TB_DIR/neutron" -- \
		neutron-server --config-file "$TB_NEUTRON_CONF" --config-file "$TB_ML2_CONF"
	tb_wait_ready neutron-server 120 "$TB_LOGS/neutron-server.log" tb_neutron_ready ||
		tb_die "neutron-server (OVN) did not start"
}

# --- the chassis ----------------------------------------------------------------

# The host's namespace and veth as testbed.d/net.sh makes them; the
# address goes on underlay0 only until br-phy holds it (tb_ovn_chassis).
tb_ovn_host_net_up() { # index
	local i=$1 ns
	ns=$(tb_host_ns "$i")
	if ! { tb_netns_exists "$ns" && ip -n "$ns" -4 -o addr show dev br-phy 2> /dev/null |
		grep -qw "$(tb_host_ip "$i")/$TB_UNDERLAY_PREFIX"; }; then
		tb_host_net_up "$i"
	fi
	# The root side's veth leaves TCP checksums to the hardware (partial);
	# the userspace datapath reads them off underlay0 with AF_PACKET and
	# hands them to br-phy's kernel stack unfinished, which drops them: TCP
	# to Keystone and Neutron timed out, ping worked.  Checksums in full.
	ethtool -K "sf-host$i-u" tx off > /dev/null
}

tb_ovn_host_net_ok() { # index
	tb_netns_exists "$(tb_host_ns "$1")" &&
		ip -n "$(tb_host_ns "$1")" -4 -o addr show dev br-phy 2> /dev/null |
		grep -qw "$(tb_host_ip "$1")/$TB_UNDERLAY_PREFIX"
}

# The host's Open_vSwitch record names it a chassis (system-id and hostname
# hostN, Neutron's binding:host_id), its SB, Geneve from its underlay
# address; br-phy (netdev) takes underlay0 and its address (OVS's userspace
# tunnelling: the tunnel's route must leave through a bridge of the same
# datapath).  Idempotent.
tb_ovn_chassis() { # index
	local i=$1 ns ip db
	ns=$(tb_host_ns "$i") ip=$(tb_host_ip "$i") db=$(tb_ovs_db "$i")
	ovs-vsctl --db="$db" --timeout=10 set Open_vSwitch . \
		external_ids:system-id="host$i" external_ids:hostname="host$i" \
		external_ids:ovn-remote="$(tb_ovn_sb)" external_ids:ovn-encap-type=geneve \
		external_ids:ovn-encap-ip="$ip" external_ids:ovn-bridge=br-int \
		external_ids:ovn-bridge-datapath-type=netdev \
		-- --may-exist add-br br-phy -- set Bridge br-phy datapath_type=netdev \
		-- --may-exist add-port br-phy underlay0 ||
		tb_die "host$i: OVSDB setup failed"
	if ! tb_ovn_host_net_ok "$i"; then
		ip -n "$ns" addr flush dev underlay0
		ip -n "$ns" addr add "$ip/$TB_UNDERLAY_PREFIX" dev br-phy
	fi
	ip -n "$ns" link set br-phy up
}

tb_ovn_controller_ready() { # index: its chassis is in the SB with a Geneve encap
	[ "$(tb_ovn_sbctl --bare --columns=type find Encap chassis_name="host$1" 2> /dev/null)" = geneve ]
}

tb_ovn_controller_start() { # index
	local i=$1 d env=()
	d=$(tb_ovs_dir "$i")
	mapfile -t env < <(tb_ovs_env "$i")
	tb_spawn "ovn-host$i" "$TB_LOGS/ovn-host$i.out" "${env[@]}" "OVN_RUNDIR=$d" -- \
		ip netns exec "$(tb_host_ns "$i")" \
		ovn-controller "$(tb_ovs_db "$i")" --log-file="$TB_LOGS/ovn-host$i.log"
	tb_wait_ready "ovn-host$i" 60 "$TB_LOGS/ovn-host$i.log" tb_ovn_controller_ready "$i" ||
		tb_die "ovn-host$i did not register its chassis"
}

# True when Neutron lists host N's OVN controller agent as alive.
tb_ovn_agent_alive() { # index
	local js
	js=$(tb_api GET "$TB_NEUTRON_URL/v2.0/agents?agent_type=OVN%20Controller%20agent" 2> /dev/null) ||
		return 1
	jq -e --arg h "host$1" '[.agents[] | select(.host == $h and .alive)] | length == 1' \
		<<< "$js" > /dev/null
}
