# shellcheck shell=bash
# scripts/testbed's commands when SF_TESTBED=ovn (testbed.d/ovn.sh): up,
# down, status, stop SVC, start SVC, env.  Sourced, never run.

tb_ovn_lock() {
	exec 9< "$TB_OVN_DIR"
	flock -w 900 9 || tb_die "another scripts/testbed holds $TB_OVN_DIR"
}

tb_ovn_require() {
	[ "$(id -u)" -eq 0 ] || tb_die "must run as root"
	local c
	for c in ovsdb-server ovs-vswitchd ovs-vsctl ovsdb-tool ovn-northd ovn-controller \
		ovn-nbctl ovn-sbctl neutron-server neutron-db-manage ethtool curl jq; do
		command -v "$c" > /dev/null || tb_die "$c missing: run scripts/deps"
	done
	[ -f /usr/share/ovn/ovn-nb.ovsschema ] || tb_die "ovn-nb.ovsschema missing: run scripts/deps"
}

tb_ovn_svc_ready() { # svc
	case $1 in
	ovn-nb) tb_ovn_db_ready nb ;;
	ovn-sb) tb_ovn_db_ready sb ;;
	ovn-northd) tb_ovn_northd_ready ;;
	neutron-server) tb_neutron_ready ;;
	ovsdb-host*) tb_ovsdb_ready "${1#ovsdb-host}" ;;
	vswitchd-host*) tb_vswitchd_ready "${1#vswitchd-host}" ;;
	ovn-host*) tb_ovn_controller_ready "${1#ovn-host}" ;;
	esac
}

tb_ovn_svc_up() { # svc: starts it unless it runs, waits until it answers
	local svc=$1
	if tb_running "$svc" "$(tb_ovn_svc_prog "$svc")"; then
		tb_wait 60 "$svc ready" tb_ovn_svc_ready "$svc" || tb_die "$svc runs but does not answer"
		return 0
	fi
	tb_stop_svc "$svc"
	tb_log "starting $svc"
	case $svc in
	ovn-nb) tb_ovn_db_start nb ;;
	ovn-sb) tb_ovn_db_start sb ;;
	ovn-northd) tb_ovn_northd_start ;;
	neutron-server) tb_ovn_neutron_start ;;
	ovsdb-host*) tb_ovsdb_start "${svc#ovsdb-host}" ;;
	vswitchd-host*)
		tb_vswitchd_start "${svc#vswitchd-host}"
		tb_ovn_chassis "${svc#vswitchd-host}"
		;;
	ovn-host*) tb_ovn_controller_start "${svc#ovn-host}" ;;
	esac
}

tb_ovn_outputs_write() {
	local i d keys hosts=() nurl=$TB_NEUTRON_URL
	# Keystone's catalog names the default bed's Neutron: the openstack CLI
	# reaches this one through clouds.yaml's network_endpoint_override
	# (it reads no such variable; openstacksdk alone would).
	printf 'clouds:\n  sf-testbed-ovn:\n    network_endpoint_override: %s\n' "$nurl" |
		tb_write "$TB_DIR/clouds.yaml" 0644
	local u
	for u in admin superfluid; do
		{
			if [ "$u" = admin ]; then
				tb_openrc admin "$SECRET_ADMIN" admin
			else
				tb_openrc superfluid "$SECRET_SUPERFLUID" superfluid
			fi
			echo "export OS_CLIENT_CONFIG_FILE=$TB_DIR/clouds.yaml"
			echo "export OS_CLOUD=sf-testbed-ovn"
			echo "export OS_NETWORK_ENDPOINT_OVERRIDE=$nurl"
		} | tb_write "$TB_DIR/openrc.$u" 0600
	done
	keys=$(tb_sf_neutron_keys)   # not in the heredoc: a failure stops here
	for i in $TB_OVN_HOSTS; do
		d=$TB_DIR/hosts/host$i
		hosts+=("host$i")
		install -d -m 0700 "$d" "$d/run" "$d/state"
		tb_write "$d/superfluid.conf" 0600 <<-EOF
			# superfluid on OVN host host$i (netns $(tb_host_ns "$i")), written by SF_TESTBED=ovn scripts/testbed
			[neutron]
			$keys
			endpoint_override = $nurl
			credentials_file = $d/credentials.conf

			[host]
			name = host$i
			site = core
			ovsdb = $(tb_ovs_db "$i")

			[daemon]
			socket = $d/run/superfluid.sock
			state_dir = $d/state
			metrics_address = 127.0.0.1:97$i
		EOF
		printf '[neutron]\npassword = %s\n' "$SECRET_SUPERFLUID" | tb_write "$d/credentials.conf" 0600
	done
	{
		echo "# superfluid OVN test bed, written by SF_TESTBED=ovn scripts/testbed up"
		tb_env_line SF_TB_VARIANT ovn
		tb_env_line SF_TB_DIR "$TB_DIR"
		tb_env_line SF_TB_KEYSTONE_URL "$TB_KEYSTONE_URL/v3"
		tb_env_line SF_TB_NEUTRON_URL "$nurl"
		tb_env_line SF_TB_REGION "$TB_REGION"
		tb_env_line SF_TB_USER superfluid
		tb_env_line SF_TB_PASSWORD "$SECRET_SUPERFLUID"
		tb_env_line SF_TB_PROJECT superfluid
		tb_env_line SF_TB_PROJECT_ID "$SF_ID_SUPERFLUID_PROJECT"
		tb_env_line SF_TB_USER_ID "$SF_ID_SUPERFLUID_USER"
		tb_env_line SF_TB_USER_DOMAIN Default
		tb_env_line SF_TB_PROJECT_DOMAIN Default
		tb_env_line SF_TB_ADMIN_USER admin
		tb_env_line SF_TB_ADMIN_PASSWORD "$SECRET_ADMIN"
		tb_env_line SF_TB_ADMIN_PROJECT admin
		tb_env_line SF_TB_UNDERLAY_IP "$TB_UNDERLAY_IP"
		tb_env_line SF_TB_HOSTS "${hosts[*]}"
		tb_env_line SF_TB_OVN_HOSTS "${hosts[*]}"
		tb_env_line SF_TB_OVN_NB "$(tb_ovn_nb)"
		tb_env_line SF_TB_OVN_SB "$(tb_ovn_sb)"
		for i in $TB_OVN_HOSTS; do
			tb_env_line "SF_TB_HOST${i}_NS" "$(tb_host_ns "$i")"
			tb_env_line "SF_TB_HOST${i}_IP" "$(tb_host_ip "$i")"
			tb_env_line "SF_TB_HOST${i}_CONF" "$TB_DIR/hosts/host$i/superfluid.conf"
			tb_env_line "SF_TB_HOST${i}_OVSDB" "$(tb_ovs_db "$i")"
		done
		tb_env_line SF_TB_OPENRC "$TB_DIR/openrc.admin"
		tb_env_line SF_TB_OPENRC_SUPERFLUID "$TB_DIR/openrc.superfluid"
	} | tb_write "$TB_DIR/testbed.env" 0600
}

# testbed.d/neutron.sh's list, but ML2/OVN hides the alias
# tag-ports-during-bulk-creation (its mechanism driver lists only the
# extensions it knows, neutron/common/ovn/extensions.py) while the extension
# driver still tags: checked by doing it, a bulk create with tags.
tb_ovn_check_extensions() {
	local js ext missing=() net port tags
	js=$(tb_api GET "$TB_NEUTRON_URL/v2.0/extensions") || return 1
	for ext in trunk standard-attr-tag allowed-address-pairs binding quota_details \
		port-security security-group router; do
		jq -e --arg a "$ext" '[.extensions[] | select(.alias == $a)] | length == 1' \
			<<< "$js" > /dev/null || missing+=("$ext")
	done
	[ ${#missing[@]} -eq 0 ] || { tb_log "neutron lacks extensions: ${missing[*]}"; return 1; }
	net=$(tb_api POST "$TB_NEUTRON_URL/v2.0/networks" '{"network": {"name": "sf-testbed-probe"}}' |
		jq -r .network.id) || return 1
	port=$(tb_api POST "$TB_NEUTRON_URL/v2.0/ports" "$(jq -nc --arg n "$net" \
		'{ports: [{network_id: $n, tags: ["sf-probe"]}]}')" | jq -r '.ports[0].id') || port=
	tags=$([ -n "$port" ] && tb_api GET "$TB_NEUTRON_URL/v2.0/ports/$port" | jq -c .port.tags)
	[ -z "$port" ] || tb_api DELETE "$TB_NEUTRON_URL/v2.0/ports/$port" > /dev/null
	tb_api DELETE "$TB_NEUTRON_URL/v2.0/networks/$net" > /dev/null
	[ "$tags" = '["sf-probe"]' ] || { tb_log "neutron (OVN): a bulk create drops tags ($tags)"; return 1; }
}

tb_ovn_cmd_up() {
	local start=$SECONDS svc i
	tb_ovn_require
	# The default bed gives MariaDB, Keystone and the underlay: `up` it
	# when it is not there.  When it is but they do not answer, an outage
	# test may have stopped them on purpose: wait, never start them here.
	if [ ! -f "$TB_BASE_DIR/testbed.env" ] || ! tb_link_exists "$TB_UNDERLAY_BR"; then
		tb_log "the default bed is not up: scripts/testbed up first"
		env -u SF_TESTBED "$0" up || tb_die "the default test bed did not come up"
	fi
	tb_base_ready() { tb_mariadb_ready && tb_keystone_ready; }
	tb_wait 120 "the default bed's MariaDB and Keystone" tb_base_ready ||
		tb_die "the default bed's MariaDB or Keystone does not answer (scripts/testbed status)"
	tb_ovn_enter
	[ -n "${SECRET_ADMIN:-}" ] || tb_die "no secrets in $TB_BASE_DIR/state"
	install -d -m 0711 "$TB_DIR"
	tb_ovn_lock
	[ -f "$TB_MARKER" ] || touch "$TB_MARKER"
	install -d -m 0700 "$TB_RUN" "$TB_STATE" "$TB_CONF" "$TB_DIR/hosts"
	install -d -m 0755 "$TB_LOGS"
	for i in $TB_OVN_HOSTS; do tb_ovn_host_net_up "$i"; done
	# neutron-server (its migrations, the slow part) comes up while the
	# chassis do: they need only the Southbound.
	local nspid
	for svc in ovn-nb ovn-sb ovn-northd; do tb_ovn_svc_up "$svc"; done
	tb_ovn_svc_up neutron-server &
	nspid=$!
	for svc in $(tb_ovn_services | grep -- '-host'); do tb_ovn_svc_up "$svc"; done
	wait "$nspid" || tb_die "neutron-server (OVN) did not come up"
	tb_admin_token || tb_die "no admin token from keystone"
	for i in $TB_OVN_HOSTS; do
		tb_wait 60 "host$i's OVN controller agent" tb_ovn_agent_alive "$i" ||
			tb_die "neutron does not list host$i's OVN controller agent as alive"
	done
	if [ ! -f "$TB_STATE/extensions.done" ]; then
		tb_ovn_check_extensions || tb_die "neutron (OVN) lacks extensions superfluid needs"
		touch "$TB_STATE/extensions.done"
	fi
	tb_ovn_outputs_write
	echo "testbed (ovn): up in $((SECONDS - start)) s"
}

tb_ovn_cmd_down() {
	local start=$SECONDS svc i
	tb_ovn_require
	tb_ovn_enter
	if [ -d "$TB_DIR" ]; then
		tb_ovn_lock
		for svc in $(tb_ovn_services | tac); do tb_stop_svc "$svc"; done
	fi
	for i in $TB_OVN_HOSTS; do
		tb_netns_exists "$(tb_host_ns "$i")" && ip netns del "$(tb_host_ns "$i")"
		ip link del "sf-host$i-u" 2> /dev/null || true
	done
	if tb_mariadb_ready; then
		tb_mysql "DROP DATABASE IF EXISTS neutron_ovn; DROP USER IF EXISTS 'neutron_ovn'@'127.0.0.1';" ||
			tb_log "mariadb: dropping neutron_ovn failed"
	fi
	if [ -d "$TB_DIR" ]; then
		[ -f "$TB_MARKER" ] || tb_die "$TB_DIR lacks $TB_MARKER: not removing it"
		rm -rf "$TB_DIR"
	fi
	echo "testbed (ovn): down in $((SECONDS - start)) s"
}

tb_ovn_cmd_status() {
	local svc pid state ok=0 i TB_TOKEN=
	tb_ovn_enter
	[ -d "$TB_DIR" ] || { echo "testbed (ovn): not up ($TB_DIR missing)"; return 1; }
	for svc in $(tb_ovn_services); do
		pid=$(tb_recorded_pid "$svc")
		if tb_running "$svc" "$(tb_ovn_svc_prog "$svc")"; then state=running; else state=dead ok=1; fi
		printf '%-16s %-8s pid %s\n' "$svc" "$state" "${pid%% *}"
	done
	for i in $TB_OVN_HOSTS; do
		if tb_ovn_host_net_ok "$i"; then state=ok; else state=missing ok=1; fi
		printf '%-16s %-8s netns %s, %s on br-phy\n' "host$i" "$state" "$(tb_host_ns "$i")" "$(tb_host_ip "$i")"
		if tb_ovn_controller_ready "$i"; then state=ok; else state=missing ok=1; fi
		printf '%-16s %-8s SB Chassis host%s, Geneve\n' "chassis$i" "$state" "$i"
	done
	if ! TB_TOKEN=$(tb_ks_token admin "${SECRET_ADMIN:-}" admin) || [ -z "$TB_TOKEN" ]; then
		state="keystone: no token" ok=1
	else
		state=ok
		for i in $TB_OVN_HOSTS; do
			tb_ovn_agent_alive "$i" || { state="neutron: host$i's OVN controller agent not alive"; ok=1; }
		done
	fi
	printf '%-16s %s\n' api "$state"
	return $ok
}

tb_ovn_main() { # command [svc]
	case ${1:-} in
	up) tb_ovn_cmd_up ;;
	down) tb_ovn_cmd_down ;;
	status) tb_ovn_cmd_status ;;
	stop | start)
		tb_ovn_require
		tb_ovn_enter
		tb_ovn_svc_prog "${2:-}" > /dev/null ||
			tb_die "unknown service '${2:-}' (one of: $(tb_ovn_services | tr '\n' ' '))"
		[ -f "$TB_MARKER" ] || tb_die "the OVN test bed is not up"
		tb_ovn_lock
		if [ "$1" = stop ]; then
			tb_stop_svc "$2"
		else
			tb_ovn_svc_up "$2"
		fi
		echo "testbed (ovn): $1 $2: done"
		;;
	env)
		tb_ovn_enter
		[ -f "$TB_DIR/testbed.env" ] || tb_die "no $TB_DIR/testbed.env: run SF_TESTBED=ovn scripts/testbed up"
		echo "$TB_DIR/testbed.env"
		;;
	*)
		sed -n '3,24s/^# \{0,1\}//p' "$0" >&2
		return 2
		;;
	esac
}
