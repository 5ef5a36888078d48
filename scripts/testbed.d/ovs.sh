# shellcheck shell=bash
# Open vSwitch hosts (SF_TESTBED_OVS_HOSTS, default "3"): a simulated host
# whose L2 agent is neutron-openvswitch-agent.  Each runs, in its namespace
# and with private directories (OVS_RUNDIR, OVS_DBDIR, ... under
# $TB_DIR/hosts/hostN/ovs, so nothing touches the machine's own OVS):
#   ovsdb-hostN    ovsdb-server, unix socket ovs/db.sock and, for the agent,
#                  ptcp:6640:127.0.0.1 (the OVSDB manager, set in the db)
#   vswitchd-hostN ovs-vswitchd; bridges use the userspace datapath
#                  (datapath_type = netdev): no kernel module
#   agent-hostN    neutron-openvswitch-agent, openvswitch firewall (the
#                  daemon plugs taps straight into br-int: no hybrid plug)

tb_host_is_ovs() { [[ " $TB_OVS_HOSTS " == *" $1 "* ]]; }
tb_ovs_dir() { printf '%s/hosts/host%s/ovs' "$TB_DIR" "$1"; }
tb_ovs_db() { printf 'unix:%s/db.sock' "$(tb_ovs_dir "$1")"; }

# The environment every OVS program of host N runs with.
tb_ovs_env() { # index
	local d
	d=$(tb_ovs_dir "$1")
	printf '%s\n' "OVS_RUNDIR=$d" "OVS_DBDIR=$d" "OVS_LOGDIR=$TB_LOGS" "OVS_SYSCONFDIR=$d" \
		"OVS_PKGDATADIR=/usr/share/openvswitch" "OVS_BINDIR=/usr/bin"
}

tb_ovsdb_ready() { # index (a subshell: an ovs-vsctl killed by its alarm is not reported)
	[ -S "$(tb_ovs_dir "$1")/db.sock" ] &&
		(ovs-vsctl --db="$(tb_ovs_db "$1")" --timeout=2 get Open_vSwitch . ovs_version) > /dev/null 2>&1
}

tb_vswitchd_ready() { # index
	ovs-appctl --target="$(tb_ovs_dir "$1")/ovs-vswitchd.ctl" --timeout=2 version > /dev/null 2>&1
}

tb_ovsdb_start() { # index
	local i=$1 d env=()
	d=$(tb_ovs_dir "$i")
	install -d -m 0700 "$TB_DIR/hosts/host$i" "$d"
	mapfile -t env < <(tb_ovs_env "$i")
	if [ ! -f "$d/conf.db" ]; then
		ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema
	fi
	rm -f "$d/db.sock" "$d/ovsdb-server.ctl"
	tb_spawn "ovsdb-host$i" "$TB_LOGS/ovsdb-host$i.out" "${env[@]}" -- \
		ip netns exec "$(tb_host_ns "$i")" \
		ovsdb-server "$d/conf.db" --remote="punix:$d/db.sock" \
		--remote=db:Open_vSwitch,Open_vSwitch,manager_options \
		--unixctl="$d/ovsdb-server.ctl" --log-file="$TB_LOGS/ovsdb-host$i.log"
	tb_wait_ready "ovsdb-host$i" 30 "$TB_LOGS/ovsdb-host$i.log" tb_ovsdb_ready "$i" ||
		tb_die "ovsdb-host$i does not answer"
	# The agent speaks OVSDB over TCP inside the host's namespace.
	ovs-vsctl --db="$(tb_ovs_db "$i")" --no-wait -- init -- set-manager ptcp:6640:127.0.0.1
}

tb_vswitchd_start() { # index
	local i=$1 d env=()
	d=$(tb_ovs_dir "$i")
	mapfile -t env < <(tb_ovs_env "$i")
	rm -f "$d/ovs-vswitchd.ctl"
	tb_spawn "vswitchd-host$i" "$TB_LOGS/vswitchd-host$i.out" "${env[@]}" -- \
		ip netns exec "$(tb_host_ns "$i")" \
		ovs-vswitchd "$(tb_ovs_db "$i")" --unixctl="$d/ovs-vswitchd.ctl" \
		--log-file="$TB_LOGS/vswitchd-host$i.log"
	tb_wait_ready "vswitchd-host$i" 30 "$TB_LOGS/vswitchd-host$i.log" tb_vswitchd_ready "$i" ||
		tb_die "vswitchd-host$i does not answer"
}

tb_ovs_agent_conf() { # index: neutron.conf from tb_agent_conf, and the agent's own
	local i=$1 d
	d=$(tb_agent_dir "$i")
	tb_write "$d/openvswitch_agent.ini" 0600 <<-EOF
		[ovs]
		integration_bridge = br-int
		tunnel_bridge = br-tun
		local_ip = $(tb_host_ip "$i")
		datapath_type = netdev
		ovsdb_connection = tcp:127.0.0.1:6640
		of_listen_address = 127.0.0.1
		bridge_mappings =
		[agent]
		tunnel_types = vxlan
		l2_population = false
		polling_interval = 1
		[securitygroup]
		enable_security_group = true
		firewall_driver = openvswitch
	EOF
}

tb_ovs_agent_start() { # index
	local i=$1 d env=()
	d=$(tb_agent_dir "$i")
	tb_agent_conf "$i" openvswitch_agent.ini
	tb_ovs_agent_conf "$i"
	mapfile -t env < <(tb_ovs_env "$i")
	tb_spawn "agent-host$i" "$TB_LOGS/agent-host$i.out" HOME="$d" PATH="$TB_DIR/bin:$TB_PATH" \
		"${env[@]}" -- \
		ip netns exec "$(tb_host_ns "$i")" \
		neutron-openvswitch-agent --config-file "$d/neutron.conf" \
		--config-file "$d/openvswitch_agent.ini"
}
