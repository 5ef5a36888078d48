# shellcheck shell=bash
# Settings and small helpers shared by every part of scripts/testbed.
# Sourced, never run.

TB_DIR=${SF_TESTBED_DIR:-/var/lib/sf-testbed}
# Hosts 1..N; those among TB_OVS_HOSTS run Open vSwitch, the others the
# Linux bridge agent.
TB_NHOSTS=${SF_TESTBED_NHOSTS:-4}
# The hosts that also run an L3 agent (real routers), in their site's zone.
TB_L3_HOSTS=${SF_TESTBED_L3_HOSTS-1 4}
# The Edge site's hosts (testbed.d/sites.sh); every other host is Core.
TB_EDGE_HOSTS=${SF_TESTBED_EDGE_HOSTS-3 4}
# Hosts whose L2 agent is Open vSwitch's (testbed.d/ovs.sh), beyond or
# among the NHOSTS Linux bridge ones: "" for none.
TB_OVS_HOSTS=${SF_TESTBED_OVS_HOSTS-3}

# Addresses and ports.  Everything listens on loopback or on the underlay
# address only; the ports are not the services' defaults so that a system
# instance could never clash with the test bed.
TB_UNDERLAY_BR=sf-underlay
TB_UNDERLAY_IP=198.18.0.1
TB_UNDERLAY_PREFIX=24
TB_DB_PORT=13306
TB_AMQP_PORT=15682
TB_DIST_PORT=35682
TB_EPMD_PORT=14369
TB_RABBIT_NODE=sftestbed@localhost
TB_KEYSTONE_URL=http://$TB_UNDERLAY_IP:5000
TB_NEUTRON_URL=http://$TB_UNDERLAY_IP:9696
TB_REGION=RegionOne

TB_CONF=$TB_DIR/conf
TB_RUN=$TB_DIR/run
TB_LOGS=$TB_DIR/logs
TB_STATE=$TB_DIR/state
TB_MARKER=$TB_DIR/.sf-testbed

# A clean environment for everything the test bed runs: the caller's
# PATH may put pyenv's python first, and its OS_* variables must not leak
# into keystone-manage or neutron-db-manage.
TB_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

tb_log() { printf 'testbed: [%3ss] %s\n' "$SECONDS" "$*" >&2; }
tb_die() { printf 'testbed: error: %s\n' "$*" >&2; exit 1; }

tb_host_ns() { printf 'sf-host%s' "$1"; }
tb_host_ip() { printf '198.18.0.%s' "$((10 + $1))"; }

tb_hosts() { # the host indexes: 1..N and the Open vSwitch hosts
	{ seq 1 "$TB_NHOSTS"; printf '%s\n' $TB_OVS_HOSTS; } | sed '/^$/d' | sort -nu
}

# A random secret: hex, so that it is safe in URLs and INI files.
tb_secret() {
	od -An -tx1 -N16 /dev/urandom | tr -d ' \n'
}

# Writes stdin to FILE with MODE (and OWNER) only when the file differs,
# so that a second `up` leaves files, their mtimes and their folders alone.
tb_write() { # file mode [owner]
	local f=$1 mode=$2 owner=${3:-root:root} content tmp
	content=$(cat; printf x)
	if [ -f "$f" ] && [ "$(cat "$f"; printf x)" = "$content" ] &&
		[ "$(stat -c %a:%U:%G "$f")" = "${mode#0}:$owner" ]; then
		return 0
	fi
	tmp=$(mktemp "$f.XXXXXX")
	printf '%s' "${content%x}" > "$tmp"
	chmod "$mode" "$tmp"
	chown "$owner" "$tmp"
	mv -f "$tmp" "$f"
}

# Polls CMD every 0.2 s until it succeeds or SECONDS pass.
tb_wait() { # seconds description cmd...
	local limit=$1 what=$2 start=$SECONDS
	shift 2
	until "$@"; do
		if [ $((SECONDS - start)) -ge "$limit" ]; then
			tb_log "timed out after ${limit}s waiting for $what"
			return 1
		fi
		sleep 0.2
	done
}

tb_http_code() { # url
	curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" 2>/dev/null || true
}

tb_http_ok() { # url
	[ "$(tb_http_code "$1")" = 200 ]
}

# Key=value state kept between runs (secrets, ids).  Sourcing it defines
# the variables; tb_state_set adds or replaces one.
tb_state_load() {
	local f
	for f in "$TB_STATE/secrets.env" "$TB_STATE/ids.env"; do
		# shellcheck disable=SC1090
		[ -f "$f" ] && . "$f"
	done
	return 0
}

tb_state_set() { # file key value
	local f=$TB_STATE/$1 key=$2 val=$3
	touch "$f"
	chmod 0600 "$f"
	if grep -q "^$key=" "$f"; then
		[ "$(grep "^$key=" "$f")" = "$key=$val" ] && return 0
		sed -i "s|^$key=.*|$key=$val|" "$f"
	else
		printf '%s=%s\n' "$key" "$val" >> "$f"
	fi
	printf -v "$key" '%s' "$val"
}

# Creates the secrets once; later runs reuse them.
tb_secrets_ensure() {
	local k
	for k in SECRET_DB_KEYSTONE SECRET_DB_NEUTRON SECRET_RABBIT \
		SECRET_ADMIN SECRET_NEUTRON_SVC SECRET_SUPERFLUID SECRET_COOKIE; do
		[ -n "${!k:-}" ] || tb_state_set secrets.env "$k" "$(tb_secret)"
	done
}
