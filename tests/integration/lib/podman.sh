# shellcheck shell=bash disable=SC2154  # tmp is lib/env.sh's
# A private podman for the integration tests (after lib/env.sh): sourced,
# never run.  Its storage, run root and containers.conf live in $tmp/podman,
# so that nothing it does is seen by, or sees, other podman users on the
# machine; it uses the CNI backend, runc, and a busybox root file system.
#
#   podman_usable             podman, runc and /bin/busybox are there
#   podman_private PLUGIN_DIR sets it up; PLUGIN_DIR comes first in
#                             cni_plugin_dirs; networks go in $pm_dir/net.d
#   pm ARGS...                podman, the private one
#   --rootfs "$pm_dir/rootfs" the root file system for `pm run`
#
# The trap removes its containers (podman calls DEL, the daemons still up)
# and unmounts its storage.

pm_dir=""

podman_usable() {
	command -v podman > /dev/null && command -v runc > /dev/null && [ -x /bin/busybox ]
}

podman_private() {
	local l
	pm_dir=$tmp/podman
	mkdir -p "$pm_dir/rootfs/bin" "$pm_dir/net.d" || die "mkdir $pm_dir"
	cp /bin/busybox "$pm_dir/rootfs/bin/busybox" || die "copying busybox into $pm_dir"
	for l in sh ip ping sleep cat; do ln -s busybox "$pm_dir/rootfs/bin/$l"; done
	cat > "$pm_dir/containers.conf" <<-EOF
		[network]
		network_backend = "cni"
		cni_plugin_dirs = ["$1", "/usr/lib/cni"]
		network_config_dir = "$pm_dir/net.d"
		[engine]
		runtime = "runc"
		[containers]
		default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
	EOF
}

pm() {
	CONTAINERS_CONF=$pm_dir/containers.conf podman --root "$pm_dir/storage" \
		--runroot "$pm_dir/runroot" "$@"
}

podman_mounts() { awk -v p="$pm_dir/storage" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r; }

podman_cleanup() {
	[ -n "$pm_dir" ] || return 0
	pm rm -af -t 0 > /dev/null 2>&1
	# podman bind-mounts storage/overlay onto itself: every mount under
	# storage goes, deepest first, or the scratch folder cannot be removed.
	# conmon's own `podman container cleanup`, run as each container exits,
	# may mount it again just after: look again for a few seconds.
	local m i
	for i in 1 2 3 4 5 6; do
		for m in $(podman_mounts); do umount -R "$m" 2> /dev/null; done
		sleep 0.5
		[ -z "$(podman_mounts)" ] && break
	done
	pm_dir=""
}
at_exit 20 podman_cleanup
