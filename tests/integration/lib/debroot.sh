# shellcheck shell=bash
# A clean Debian root in a folder, for the package tests: sourced after
# lib/env.sh, never run.  The first run debootstraps Debian 12 (minbase,
# from the mirror this machine's apt uses) and keeps the result as a
# tarball under $SF_DEB_CACHE (default build/cache); later runs only unpack
# it.  Everything runs in a private mount namespace (lib/debroot-exec), so
# the mounts a root needs (/proc, /dev, /sys, what a caller binds) vanish
# with it.
#
#   debroot_make DIR        a fresh root in DIR (seconds once cached)
#   debroot_run DIR CMD...  CMD chrooted into DIR, /proc /dev /sys mounted;
#                           DEBROOT_BINDS="PATH..." binds each at the same
#                           path inside (host mounts under them propagate)
#   $DEBROOT_EXEC DIR CMD... the same as a command, exec'ing all the way
#                           (CMD keeps its pid: scripts/sfhost's SF_DAEMON_WRAP)
DEBROOT_SUITE=bookworm
DEBROOT_EXEC=$PWD/tests/integration/lib/debroot-exec

debroot_mirror() {
	local m
	m=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2> /dev/null |
		grep -v security | head -1)
	[ -n "$m" ] || m=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' \
		/etc/apt/sources.list 2> /dev/null)
	[ -n "$m" ] || return 1
	printf '%s' "$m"
}

debroot_make() { # DIR
	local dir=$1 cache=${SF_DEB_CACHE:-$PWD/build/cache} mirror t0=$SECONDS
	local tarball=$cache/debroot-$DEBROOT_SUITE-minbase.tar
	command -v debootstrap > /dev/null || skip "debootstrap is missing (scripts/deps)"
	mkdir -p "$dir" "$cache"
	if [ ! -s "$tarball" ]; then
		mirror=$(debroot_mirror) || die "no Debian mirror in this machine's apt sources"
		say "debootstrap $DEBROOT_SUITE (minbase) into $dir; cached as $tarball"
		debootstrap --variant=minbase "$DEBROOT_SUITE" "$dir" "$mirror" > "$tmp/debootstrap.log" 2>&1 ||
			die "debootstrap failed: $(tail -5 "$tmp/debootstrap.log")"
		# apt's lists once, so that an install in the copy fetches only packages.
		debroot_run "$dir" apt-get update -q > "$tmp/apt-update.log" 2>&1 ||
			die "apt-get update in the root: $(tail -5 "$tmp/apt-update.log")"
		tar -C "$dir" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
	else
		tar -C "$dir" -xf "$tarball" || die "unpacking $tarball"
	fi
	say "a clean Debian root in $dir ($((SECONDS - t0)) s)"
}

debroot_run() { "$DEBROOT_EXEC" "$@"; } # DIR CMD...
