# shellcheck shell=bash
# The files other engineers and tests rely on: testbed.env, the openrc
# files and each simulated host's superfluid.conf + credentials.conf.

# KEY=value, single-quoted only when the value needs it.
tb_env_line() { # key value
	if [[ $2 =~ ^[A-Za-z0-9_./:@%+,=-]*$ ]]; then
		printf '%s=%s\n' "$1" "$2"
	else
		printf "%s='%s'\n" "$1" "${2//\'/\'\\\'\'}"
	fi
}

tb_openrc() { # user password project
	cat <<-EOF
		# openstack CLI credentials for the superfluid test bed ($1)
		export OS_AUTH_URL=$TB_KEYSTONE_URL/v3
		export OS_IDENTITY_API_VERSION=3
		export OS_AUTH_TYPE=password
		export OS_USERNAME=$1
		export OS_PASSWORD=$2
		export OS_PROJECT_NAME=$3
		export OS_USER_DOMAIN_NAME=Default
		export OS_PROJECT_DOMAIN_NAME=Default
		export OS_REGION_NAME=$TB_REGION
		export OS_INTERFACE=public
	EOF
}

# The [neutron] keys of a simulated host's superfluid.conf on both beds
# (this one's, ovn_cmd.sh's): how the daemon authenticates.
tb_sf_neutron_keys() {
	cat <<-EOF
		auth_type = password
		auth_url = $TB_KEYSTONE_URL/v3
		username = superfluid
		user_domain_name = Default
		project_name = superfluid
		project_domain_name = Default
		region_name = $TB_REGION
		interface = public
	EOF
}

tb_host_files() { # index
	local i=$1 d=$TB_DIR/hosts/host$1 keys
	install -d -m 0700 "$d" "$d/run" "$d/state"
	keys=$(tb_sf_neutron_keys)   # not in the heredoc: a failure stops here
	tb_write "$d/superfluid.conf" 0600 root:root <<-EOF
		# superfluid on simulated host host$i (netns $(tb_host_ns "$i")), written by scripts/testbed
		[neutron]
		$keys
		credentials_file = $d/credentials.conf

		[host]
		name = host$i
		site = $(tb_host_site "$i")
		$(tb_host_is_ovs "$i" && printf 'ovsdb = %s' "$(tb_ovs_db "$i")")

		[daemon]
		socket = $d/run/superfluid.sock
		state_dir = $d/state
		metrics_address = 127.0.0.1:977$i
	EOF
	tb_write "$d/credentials.conf" 0600 root:root <<-EOF
		[neutron]
		password = $SECRET_SUPERFLUID
	EOF
}

tb_outputs_write() {
	local i s hosts=()
	tb_openrc admin "$SECRET_ADMIN" admin | tb_write "$TB_DIR/openrc.admin" 0600
	tb_openrc superfluid "$SECRET_SUPERFLUID" superfluid |
		tb_write "$TB_DIR/openrc.superfluid" 0600
	for i in $(tb_hosts); do
		tb_host_files "$i"
		hosts+=("host$i")
	done
	{
		echo "# superfluid test bed, written by scripts/testbed up"
		tb_env_line SF_TB_DIR "$TB_DIR"
		tb_env_line SF_TB_KEYSTONE_URL "$TB_KEYSTONE_URL/v3"
		tb_env_line SF_TB_NEUTRON_URL "$TB_NEUTRON_URL"
		tb_env_line SF_TB_REGION "$TB_REGION"
		tb_env_line SF_TB_USER superfluid
		tb_env_line SF_TB_PASSWORD "$SECRET_SUPERFLUID"
		tb_env_line SF_TB_PROJECT superfluid
		tb_env_line SF_TB_PROJECT_ID "$SF_ID_SUPERFLUID_PROJECT"
		tb_env_line SF_TB_USER_ID "$SF_ID_SUPERFLUID_USER"
		tb_env_line SF_TB_USER_DOMAIN Default
		tb_env_line SF_TB_PROJECT_DOMAIN Default
		tb_env_line SF_TB_APPCRED_ID "$SF_ID_APPCRED"
		tb_env_line SF_TB_APPCRED_SECRET "$SF_ID_APPCRED_SECRET"
		tb_env_line SF_TB_QUOTA_PROJECT sf-quota
		tb_env_line SF_TB_QUOTA_PROJECT_ID "$SF_ID_QUOTA_PROJECT"
		tb_env_line SF_TB_ADMIN_USER admin
		tb_env_line SF_TB_ADMIN_PASSWORD "$SECRET_ADMIN"
		tb_env_line SF_TB_ADMIN_PROJECT admin
		tb_env_line SF_TB_UNDERLAY_IP "$TB_UNDERLAY_IP"
		tb_env_line SF_TB_HOSTS "${hosts[*]}"
		tb_env_line SF_TB_OVS_HOSTS "$(for i in $TB_OVS_HOSTS; do printf 'host%s ' "$i"; done)"
		tb_env_line SF_TB_L3_HOSTS "$(for i in $TB_L3_HOSTS; do echo "host$i"; done | paste -sd ' ')"
		# Sites: each host's, and each site's hosts (its L3 agent's zone
		# is the site's name).
		tb_env_line SF_TB_SITES "$TB_SITES"
		for s in $TB_SITES; do
			tb_env_line "SF_TB_SITE_${s^^}_HOSTS" "$(tb_site_hosts "$s" | sed 's/^/host/' | paste -sd ' ')"
		done
		for i in $(tb_hosts); do
			tb_env_line "SF_TB_SITE_host$i" "$(tb_host_site "$i")"
		done
		if tb_wan_enabled; then
			tb_env_line SF_TB_WAN_DELAY_MS "$TB_WAN_DELAY_MS"
			tb_env_line SF_TB_WAN_PIDFILE "$(tb_pidfile wan)"
			tb_env_line SF_TB_WAN_LOG "$TB_LOGS/wan.log"
			tb_env_line SF_TB_EDGE_BRIDGE "$TB_EDGE_BR"
		fi
		for i in $(tb_hosts); do
			tb_env_line "SF_TB_HOST${i}_NS" "$(tb_host_ns "$i")"
			tb_env_line "SF_TB_HOST${i}_IP" "$(tb_host_ip "$i")"
			tb_env_line "SF_TB_HOST${i}_CONF" "$TB_DIR/hosts/host$i/superfluid.conf"
		done
		tb_env_line SF_TB_OPENRC "$TB_DIR/openrc.admin"
		tb_env_line SF_TB_OPENRC_SUPERFLUID "$TB_DIR/openrc.superfluid"
	} | tb_write "$TB_DIR/testbed.env" 0600
}
