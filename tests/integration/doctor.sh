#!/usr/bin/env bash
# `sfctl doctor --json` against the test bed's host1, then against broken
# copies of its configuration (made in a temp dir; the test bed's own files
# are only read):
#  - as is: every check ok (802.1Q may be a warning: these kernels lack it),
#    exit 0;
#  - a wrong password: the keystone check fails with "refused the
#    credentials (401)", exit 1;
#  - a credentials file with mode 0644: the config check fails naming it;
#  - a host name no agent reports for: the agent check fails and names the
#    hosts that do;
#  - Keystone on a closed loopback port: "cannot reach Keystone";
#  - the site (docs/superfluidity.md): host1 says core, as its L3 agent's
#    zone: ok; a copy saying edge fails naming the zone; none warns.
# Exit 0: all passed; 1: a check failed; 77: skipped (no root, no test bed,
# sfctl not built).
set -u
cd "$(dirname "$0")/../.."
B=${SF_BUILD:-${O:-build}}
SFCTL=$PWD/$B/sfctl
[ -x "$SFCTL" ] || { echo "SKIP: $SFCTL is not built (make first)"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: doctor.sh needs root"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: jq missing"; exit 77; }
if [ -z "${SF_TB_HOST1_CONF:-}" ]; then
	envfile=$(scripts/testbed env 2>/dev/null) && [ -f "$envfile" ] && {
		set -a
		# shellcheck disable=SC1090
		. "$envfile"
		set +a
	}
fi
CONF=${SF_TB_HOST1_CONF:-}
[ -n "$CONF" ] && [ -f "$CONF" ] || { echo "SKIP: no test bed (scripts/testbed up)"; exit 77; }

tmp=$(mktemp -d /tmp/sf-doctor.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok:   $*"; }

# doctor CONFIG: runs it; sets $out (the JSON) and $rc.
doctor() {
	out=$("$SFCTL" -c "$1" doctor --json 2> "$tmp/stderr")
	rc=$?
	if ! jq -e . <<< "$out" > /dev/null 2>&1; then
		fail "doctor -c $1 printed no JSON: $out $(cat "$tmp/stderr")"
		out='{"checks":[],"ok":null}'
	fi
}

status_of() { jq -r --arg n "$1" '.checks[] | select(.name == $n) | .status' <<< "$out"; }
message_of() { jq -r --arg n "$1" '.checks[] | select(.name == $n) | .message' <<< "$out"; }

# expect CHECK STATUS...: the check's status is one of those given.
expect() {
	local name=$1 got; shift
	got=$(status_of "$name")
	for want in "$@"; do
		[ "$got" = "$want" ] && { pass "$name: $got"; return; }
	done
	fail "$name: '$got', expected $*: $(message_of "$name")"
}

expect_message() { # CHECK SUBSTRING
	local m
	m=$(message_of "$1")
	[[ $m == *"$2"* ]] && pass "$1 says '$2'" || fail "$1: '$m' lacks '$2'"
}

expect_rc() { # RC
	[ "$rc" -eq "$1" ] && pass "exit code $rc" || fail "exit code $rc, expected $1"
}

# A copy of host1's configuration, its credentials file copied beside it.
# copy_conf DIR: sets $copy and $creds.
copy_conf() {
	mkdir -m 0700 -p "$1"
	copy=$1/superfluid.conf
	creds=$1/credentials.conf
	local orig
	orig=$(sed -n 's/^credentials_file *= *//p' "$CONF")
	[ -n "$orig" ] && install -m 0600 "$orig" "$creds"
	sed "s|^credentials_file *=.*|credentials_file = $creds|" "$CONF" > "$copy"
	chmod 0600 "$copy"
}

echo "== host1 as the test bed wrote it"
doctor "$CONF"
for c in root config keystone neutron extensions agent \
	kernel-netns kernel-veth kernel-macvlan kernel-bridge; do
	expect "$c" ok
done
expect kernel-vlan ok warn
[ "$(status_of kernel-vlan)" = warn ] && expect_message kernel-vlan "no 802.1Q support"
expect_message agent "host1"
if grep -q '^site *= *core' "$CONF"; then
	expect site ok
	expect_message site "site 'core', as Neutron's zone of host 'host1': core"
fi
[ "$(jq -r .ok <<< "$out")" = true ] && pass '"ok": true' || fail '"ok" is not true'
expect_rc 0

echo "== a wrong password"
copy_conf "$tmp/password"
if grep -q '^password' "$creds" 2> /dev/null; then
	sed -i 's/^password *=.*/password = not-the-password/' "$creds"
else
	sed -i 's/^password *=.*/password = not-the-password/' "$copy"
fi
doctor "$copy"
expect config ok
expect keystone fail
expect_message keystone "Keystone refused the credentials (401)"
message_of keystone | grep -q "not-the-password" && fail "the password shows in the message"
expect neutron skip
expect_rc 1

echo "== a credentials file readable by others"
copy_conf "$tmp/perms"
chmod 0644 "$creds"
doctor "$copy"
expect config fail
expect_message config "$creds"
expect_message config "mode 0644"
expect keystone skip
expect_rc 1

echo "== a host name no agent reports for"
copy_conf "$tmp/host"
sed -i 's/^name *=.*/name = no-such-host-sf/' "$copy"
doctor "$copy"
expect keystone ok
expect agent fail
expect_message agent "no Neutron agent reports for host 'no-such-host-sf'"
jq -r '.checks[] | select(.name == "agent") | .hint' <<< "$out" | grep -q host1 &&
	pass "agent hint names host1" || fail "agent hint does not name the hosts that report"
expect_rc 1

if grep -q '^site *= *core' "$CONF"; then
	echo "== a site other than the L3 agent's zone"
	copy_conf "$tmp/site"
	sed -i 's/^site *=.*/site = edge/' "$copy"
	doctor "$copy"
	expect site fail
	expect_message site "[host] site is 'edge', but Neutron puts host 'host1' in core"
	expect_rc 1

	echo "== no site, where Neutron knows a zone"
	sed -i '/^site *=/d' "$copy"
	doctor "$copy"
	expect site warn
	expect_message site "no [host] site, but Neutron puts host 'host1' in core"
fi

echo "== Keystone unreachable (a closed loopback port)"
copy_conf "$tmp/keystone"
sed -i 's|^auth_url *=.*|auth_url = http://127.0.0.1:1/v3|' "$copy"
doctor "$copy"
expect keystone fail
expect_message keystone "cannot reach Keystone at http://127.0.0.1:1/v3"
expect_rc 1

echo "doctor.sh: $failures failure(s)"
[ "$failures" -eq 0 ]
