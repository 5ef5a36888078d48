#!/usr/bin/env bash
# The daemon's security promises, on the test bed (docs/security.md):
#  - its socket is 0600 root's, and a non-root client is refused twice over:
#    by the mode, and (the socket made 0666 for the test) by the peer
#    credentials check alone, with nothing done;
#  - its metrics and health endpoint listen on loopback only;
#  - secrets (a password, an application credential secret, the test bed's
#    real password) never appear in its log (debug level), its errors, its
#    metrics, `sfctl doctor --json`, `sfctl pools/ports --json`, or a CNI
#    error, whether Keystone refuses them or cannot be reached.
# Exit 0 pass, 1 fail, 77 skip.  Cleans up all it makes, pass or fail.
# shellcheck disable=SC2154,SC2317,SC2129
T=daemon_security
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
command -v setpriv > /dev/null || skip "setpriv is missing (util-linux)"
command -v ss > /dev/null || skip "ss is missing (iproute2)"

testnet sg
SF_DAEMON_ARGS=-v ready_instance s host1 1 90 on_demand=false p:net:sg min=1 max=2 batch=1
S=$INSTANCE
SOCK=$CONF_SOCKET
good=$cf
mk_netns ns c

# --- the socket ---------------------------------------------------------------
check "the socket is a socket, mode 0600, owned by root" \
	test "$(stat -c '%F %a %U' "$SOCK")" = "socket 600 root"
# A place nobody can reach, holding a hard link to the socket (the same
# inode: its mode is the socket's).
pub=$(mktemp -d /tmp/sf-sec.XXXXXX)
chmod 0755 "$pub"
ln "$SOCK" "$pub/sock" || die "linking the socket into $pub"
as_nobody() { # the plugin as nobody; sets out, rc, err
	cni ADD "$NAME-nobody" "/run/netns/$ns" eth0 "$good" setpriv --reuid=nobody \
		--regid=nogroup --clear-groups --inh-caps=-all env SUPERFLUID_SOCKET="$pub/sock"
}
ready0=$(pool_field "$S" p ready)
as_nobody
expect "nobody, socket 0600: refused by the mode (code 11, naming the socket)" 1 \
	".code == 11 and (.msg | contains(\"$pub/sock\"))"
check "... with 'Permission denied'" grep -q "Permission denied" <<< "$out"
chmod 0666 "$SOCK"
as_nobody
chmod 0600 "$SOCK"
expect "nobody, socket made 0666: refused by the peer credentials check (code 11)" 1 '.code == 11'
check "... the daemon says whom it refused (uid 65534)" \
	wait_until 5 grep -q "refusing a connection from pid [0-9]* uid 65534" \
	"$(scripts/sfhost dir "$S")/log"
check "... and did nothing: the pool still has $ready0 ready, nothing held" \
	test "$(pool_field "$S" p ready)/$(pool_field "$S" p in_use)" = "$ready0/0"
check "the socket is 0600 again" test "$(stat -c %a "$SOCK")" = 600
rm -rf "$pub"

# --- metrics and health on loopback -------------------------------------------
pid=$(cat "$(scripts/sfhost dir "$S")/pid")
listen=$(ip netns exec sf-host1 ss -Hltnp | awk -v p="pid=$pid," 'index($0, p) {print $4}')
say "superfluidd (pid $pid) listens on: $listen"
check "it listens on TCP at all (its metrics)" test -n "$listen"
check "every TCP socket it listens on is on 127.0.0.1" \
	test -z "$(grep -v '^127\.0\.0\.1:' <<< "$listen")"
# The key's default, in the daemon's key table (src/common/config_keys.c).
check "the default metrics_address is loopback" \
	eval "grep -A4 '{ \"metrics_address\",' src/common/config_keys.c | grep -q 'D(metrics_address), \"127.0.0.1:9777\"'"

# --- secrets ------------------------------------------------------------------
real_pw=$(sed -n 's/^password *= *//p' "$SF_TB_DIR/hosts/host1/credentials.conf")
[ -n "$real_pw" ] || die "no password in the test bed's credentials"
PW=SfPw-$RND-wrong
APPSEC=SfAppSecret-$RND-wrong
# own_instance LABEL AUTH_URL CREDENTIALS-INI: a daemon on sf-host1 run
# directly (its config is not the test bed's), debug logging.
own_pids=()
own_instance() {
	local d=$tmp/$1 port
	mkdir -p "$d"
	printf '%s\n' "$3" > "$d/cred.conf"
	chmod 0600 "$d/cred.conf"
	port=$(own_metrics_port)
	cat > "$d/sf.conf" <<-EOF
	[neutron]
	auth_type = $4
	auth_url = $2
	username = superfluid
	user_domain_name = Default
	project_name = superfluid
	project_domain_name = Default
	region_name = RegionOne
	credentials_file = $d/cred.conf
	max_retries = 0
	connect_timeout = 2
	[host]
	name = host1
	[daemon]
	socket = $d/sock
	state_dir = $d/state
	metrics_address = 127.0.0.1:$port
	deployment = $NAME-$1
	netns = /run/netns/sf-host1
	[pools]
	on_demand = true
	EOF
	chmod 0600 "$d/sf.conf"
	"$B/superfluidd" -v -c "$d/sf.conf" > "$d/log" 2>&1 < /dev/null &
	own_pids+=($!)
	wait_until 10 test -S "$d/sock" || die "superfluidd $1 did not start: $(tail -3 "$d/log")"
	printf '%s' "$port" > "$d/port"
}
stop_own() { local p; for p in "${own_pids[@]}"; do kill "$p" 2> /dev/null; wait "$p" 2> /dev/null; done; }
at_exit 20 stop_own

own_instance pw "$SF_TB_KEYSTONE_URL" "$(printf '[neutron]\npassword = %s' "$PW")" password
own_instance app "$SF_TB_KEYSTONE_URL" "$(printf '[neutron]\napplication_credential_id = %s\napplication_credential_secret = %s' \
	"0123456789abcdef0123456789abcdef" "$APPSEC")" v3applicationcredential
own_instance url http://127.0.0.1:1/v3 "$(printf '[neutron]\npassword = %s' "$PW")" password
evidence=$tmp/evidence
: > "$evidence"
for i in pw app url; do
	d=$tmp/$i
	CONF_SOCKET=$d/sock
	cni ADD "$NAME-$i" "/run/netns/$ns" eth0 "$(CONF_SOCKET=$d/sock conf 1.0.0 "$NAME-net" "")"
	expect "$i: an ADD fails (Keystone refuses or is not there): code 11" 1 '.code == 11'
	say "$i: $(jq -r .msg <<< "$out")"
	printf '%s\n%s\n' "$out" "$err" >> "$evidence"
	ip netns exec sf-host1 curl -sS "http://127.0.0.1:$(cat "$d/port")/metrics" >> "$evidence" 2>&1
	ip netns exec sf-host1 curl -sS "http://127.0.0.1:$(cat "$d/port")/readyz" >> "$evidence" 2>&1
	ip netns exec sf-host1 "$B/sfctl" -v -c "$d/sf.conf" doctor --json >> "$evidence" 2>&1
	"$B/sfctl" -c "$d/sf.conf" pools --json >> "$evidence" 2>&1
	"$B/sfctl" -c "$d/sf.conf" ports --json >> "$evidence" 2>&1
done
check "the wrong password was refused by Keystone (HTTP 401 in the log)" grep -q '401' "$tmp/pw/log"
check "the unreachable auth_url was reported" grep -qi 'connect\|refused' "$tmp/url/log"
# A working instance's debug log, after a real ADD and DEL, for the test
# bed's real password.
cni ADD "$NAME-ok" "/run/netns/$ns" eth0 "$good"
expect "the working instance: an ADD succeeds" 0 '.interfaces | length == 1'
printf '%s\n' "$out" >> "$evidence"
cni DEL "$NAME-ok" "/run/netns/$ns" eth0 "$good"
expect "... and its DEL" 0 ''
ip netns exec sf-host1 curl -sS "http://$(scripts/sfhost metrics "$S")/metrics" >> "$evidence"
ip netns exec sf-host1 "$B/sfctl" -v -c "$(scripts/sfhost conf "$S")" doctor --json >> "$evidence" 2>&1
stop_own
for f in "$tmp"/pw/log "$tmp"/app/log "$tmp"/url/log "$(scripts/sfhost dir "$S")/log"; do
	cat "$f" >> "$evidence"
done
say "evidence: $(wc -l < "$evidence") lines (logs at debug level, CNI errors, metrics, doctor, pools, ports)"
check "no sanitizer report from the daemons run here" \
	not grep -qs 'Sanitizer\|runtime error:' "$tmp"/pw/log "$tmp"/app/log "$tmp"/url/log
check "the evidence holds the debug logs (a Keystone request was logged)" grep -q 'auth/tokens' "$evidence"
for secret in "$PW" "$APPSEC" "$real_pw"; do
	check "the secret '${secret:0:6}...' appears nowhere ($(grep -cF -- "$secret" "$evidence") hits)" \
		not grep -qF -- "$secret" "$evidence"
done

finish
