#!/usr/bin/env bash
# sf-test: plain-build: debian/rules builds the package with Debian's flags, never the sanitizers'
# The Debian package, end to end: `scripts/make-deb` (dpkg-buildpackage +
# debhelper, lintian clean) builds it; it installs with apt into a clean
# Debian 12 root (debootstrap, cached under build/cache), its runtime
# dependencies coming from its ${shlibs:Depends}; the installed binaries
# run; the installed daemon, chrooted in that root on the test bed's host1,
# serves a CNI ADD and DEL through the installed plugin; purge removes
# every file but the state.  Exit 0 pass, 1 fail, 77 skip.
T=package_deb
ENV_TOOLS="jq socat curl openstack ip ping dpkg-buildpackage lintian debootstrap unshare"
# shellcheck source=tests/integration/lib/daemon.sh
. "$(dirname "$0")/lib/daemon.sh"
# shellcheck source=tests/integration/lib/debroot.sh
. "$(dirname "$0")/lib/debroot.sh"

# --- the package ----------------------------------------------------------------------
version=$(dpkg-parsechangelog -S Version)
check "debian/changelog's version is the programs' ($version)" \
	grep -q "^superfluidd $version\$" <<< "$("$B/superfluidd" --version)"
t0=$SECONDS
if DEB_BUILD_OPTIONS=nocheck scripts/make-deb "$tmp/deb" > "$tmp/make-deb.log" 2>&1; then
	pass "make-deb: dpkg-buildpackage built it and lintian has nothing to say ($((SECONDS - t0)) s)"
else
	die "make-deb: $(tail -15 "$tmp/make-deb.log")"
fi
deb=$(ls "$tmp"/deb/superfluid_"$version"_*.deb) || die "no .deb in $tmp/deb"
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' > "$tmp/files"
for f in /usr/sbin/superfluidd /usr/bin/sfctl /usr/lib/cni/superfluid \
	/lib/systemd/system/superfluidd.service /usr/lib/tmpfiles.d/superfluid.conf \
	/etc/superfluid/superfluid.conf /usr/share/man/man5/superfluid.conf.5.gz \
	/usr/share/man/man8/superfluidd.8.gz /usr/share/man/man8/superfluid.8.gz \
	/usr/share/man/man8/sfctl.8.gz /usr/share/doc/superfluid/examples/superfluid.conflist \
	/usr/share/doc/superfluid/examples/superfluid-rules.yml /usr/share/doc/superfluid/README.Debian; do
	check "the package ships $f" grep -qx "$f" "$tmp/files"
done
check "the config is a conffile" grep -qx /etc/superfluid/superfluid.conf <<< "$(dpkg-deb -I "$deb" conffiles)"
deps=$(dpkg-deb -f "$deb" Depends)
for lib in libcurl4 libjansson4 libmnl0 libsqlite3-0 libinih1 libmicrohttpd12 libc6; do
	check "Depends (from shlibs) names $lib" grep -q "\\b$lib\\b" <<< "$deps"
done
check "the unit runs the installed daemon" \
	grep -q '^ExecStart=/usr/sbin/superfluidd ' <<< "$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./lib/systemd/system/superfluidd.service)"

# --- a clean root, and apt ------------------------------------------------------------------
root=$tmp/root
debroot_make "$root"
check "the clean root has none of the libraries" \
	not debroot_run "$root" dpkg-query -W libmicrohttpd12
cp "$deb" "$root/tmp/"
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d" && chmod 0755 "$root/usr/sbin/policy-rc.d"
t0=$SECONDS
if debroot_run "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	"/tmp/$(basename "$deb")" > "$tmp/apt.log" 2>&1; then
	pass "apt install ./$(basename "$deb") in the clean root, dependencies and all ($((SECONDS - t0)) s)"
else
	die "apt install: $(tail -10 "$tmp/apt.log")"
fi
check "... which brought the libraries Depends names" debroot_run "$root" dpkg-query -W libmicrohttpd12 libinih1
check "superfluidd --version runs there" \
	grep -qx "superfluidd $version" <<< "$(debroot_run "$root" superfluidd --version)"
check "sfctl help runs there and lists the commands" \
	grep -q '^  doctor ' <<< "$(debroot_run "$root" sfctl help)"
check "the installed plugin answers VERSION" \
	jq -e '.supportedVersions | index("1.1.0")' <<< "$(debroot_run "$root" env CNI_COMMAND=VERSION \
		/usr/lib/cni/superfluid < /dev/null)"
check "the installed config is commented out and mode 0640" \
	test "$(stat -c %a "$root/etc/superfluid/superfluid.conf")" = 640
debroot_run "$root" superfluidd --check-config > "$tmp/check" 2>&1
check "superfluidd --check-config on it says what to fill in" \
	grep -q "key 'name' in \[host\] is required" "$tmp/check"

# --- the installed daemon serves an ADD ------------------------------------------------------
testnet
SF_BUILD_SAVED=$SF_BUILD
export SF_BUILD=/usr/sbin SF_DAEMON_WRAP="$DEBROOT_EXEC $root" DEBROOT_BINDS="$SF_TB_DIR /run/netns"
ready_instance deb host1 1 90 min=1 max=2 batch=1
export SF_BUILD=$SF_BUILD_SAVED
unset SF_DAEMON_WRAP DEBROOT_BINDS
I=$INSTANCE
pid=$(cat "$(scripts/sfhost dir "$I")/pid")
check "the daemon serving it is the installed one, in the clean root" \
	test "$(readlink "/proc/$pid/root")" = "$root"
P=$root/usr/lib/cni/superfluid   # the installed plugin (lib/daemon.sh's cni runs $P)
mk_netns c1 c1
cni ADD "$NAME-c1" "/run/netns/$c1" eth0 "$cf"
expect "a CNI ADD through the installed plugin and daemon" 0 '.ips | length == 1'
has_addr() { # NS IFNAME PREFIX
	ip -n "$1" -j addr show dev "$2" |
		jq -e --arg p "$3" '.[0].addr_info | map(select(.local | startswith($p))) | length == 1'
}
check "... the container has its address" has_addr "$c1" eth0 "$pfx."
cni DEL "$NAME-c1" "/run/netns/$c1" eth0 "$cf"
expect "DEL" 0 ""

# --- purge keeps only the state ----------------------------------------------------------------
mkdir -p "$root/var/lib/superfluid"
cp "$(scripts/sfhost dir "$I")/state/state.db" "$root/var/lib/superfluid/"
sum=$(sha256sum < "$root/var/lib/superfluid/state.db")
printf '[neutron]\npassword = x\n' > "$root/etc/superfluid/credentials.conf"
debroot_run "$root" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q superfluid > "$tmp/purge.log" 2>&1 ||
	fail "apt purge: $(tail -5 "$tmp/purge.log")"
left=""
while read -r f; do
	[ -f "$root$f" ] && left+=" $f"
done < "$tmp/files"
check "purge removed every file of the package${left:+ (left:$left)}" test -z "$left"
check "... and /etc/superfluid with the credentials" test ! -e "$root/etc/superfluid"
check "... but kept the state" test "$(sha256sum < "$root/var/lib/superfluid/state.db")" = "$sum"
finish
