# shellcheck shell=bash disable=SC2154  # tmp, B are lib/env.sh's and lib/instance.sh's
# A private dockerd and superfluid's libnetwork driver for the integration
# tests (after lib/env.sh and lib/instance.sh): sourced, never run.
#
#   docker_usable             dockerd, docker and /bin/busybox are there
#   docker_private NETNS      starts dockerd in NETNS (a simulated host's: the
#                             driver's interfaces are made there and Docker
#                             moves them into containers from its own
#                             namespace), with its own data-root, exec-root,
#                             pidfile and socket, and no iptables, forwarding,
#                             masquerading or default bridge of its own; pid
#                             recorded, stopped by the trap.  Imports the image
#                             $dk_image (busybox, from a root file system)
#   dk ARGS...                the docker CLI against it
#   docker_driver NAME INSTANCE NETNS
#                             starts build/superfluid-docker in NETNS on
#                             /run/docker/plugins/NAME.sock (the driver's name
#                             is NAME), for superfluidd INSTANCE's socket and
#                             Neutron config, its state file and park folder
#                             in dockerd's folder; pid recorded, stopped by
#                             the trap (which unmounts the pins left there)
#   docker_driver_restart     stops the driver (SIGTERM, by its pid) and starts
#                             it again with the same arguments
#   dk_call PATH JSON         POSTs JSON to the driver's PATH (curl), prints
#                             the answer
#
# The trap removes the containers and networks (the driver still up, so
# that their ports go back), stops dockerd, then the driver, and unmounts
# what dockerd left.

dk_dir="" dk_pid="" dk_drv_pid="" dk_drv_sock="" dk_drv_ns="" dk_image=sfit-busybox:1
dk_drv_args=()

docker_usable() {
	command -v dockerd > /dev/null && command -v docker > /dev/null && [ -x /bin/busybox ]
}

dk() { DOCKER_CONFIG=$dk_dir/cli docker -H "unix://$dk_dir/sock" "$@"; }

docker_private() {
	local ns=$1 l
	dk_dir=$tmp/docker
	mkdir -p "$dk_dir/rootfs/bin" "$dk_dir/cli" || die "mkdir $dk_dir"
	jq -n --arg d "$dk_dir" '{"data-root": ($d + "/data"), "exec-root": ($d + "/exec"),
		pidfile: ($d + "/pid"), hosts: ["unix://" + $d + "/sock"], iptables: false,
		ip6tables: false, "ip-forward": false, "ip-masq": false, bridge: "none"}' \
		> "$dk_dir/daemon.json"
	# nsenter, not `ip netns exec`: that remounts /sys, without its cgroups.
	nsenter --net="/run/netns/$ns" dockerd --config-file "$dk_dir/daemon.json" > "$dk_dir/log" 2>&1 &
	dk_pid=$!
	wait_until 60 dk version > /dev/null 2>&1 ||
		die "dockerd did not answer on $dk_dir/sock in 60 s: $(tail -5 "$dk_dir/log")"
	cp /bin/busybox "$dk_dir/rootfs/bin/busybox" || die "copying busybox"
	for l in sh ip ping sleep cat; do ln -s busybox "$dk_dir/rootfs/bin/$l"; done
	tar -C "$dk_dir/rootfs" -c . | dk import - "$dk_image" > /dev/null ||
		die "docker import $dk_image"
}

docker_driver() {
	local name=$1 inst=$2 ns=$3
	mkdir -p /run/docker/plugins || die "mkdir /run/docker/plugins"
	dk_drv_sock=/run/docker/plugins/$name.sock
	dk_drv_args=(-c "$(scripts/sfhost conf "$inst")" -l "$dk_drv_sock" -s "$dk_dir/driver.json"
		-p "$dk_dir/park") dk_drv_ns=$ns
	: > "$tmp/driver.log"
	dk_drv_launch
}

dk_drv_launch() {
	nsenter --net="/run/netns/$dk_drv_ns" "$B/superfluid-docker" "${dk_drv_args[@]}" \
		>> "$tmp/driver.log" 2>&1 &
	dk_drv_pid=$!
	wait_until 10 test -S "$dk_drv_sock" ||
		die "superfluid-docker did not listen on $dk_drv_sock: $(tail -5 "$tmp/driver.log")"
}

docker_driver_restart() {
	kill "$dk_drv_pid" && wait "$dk_drv_pid"
	rm -f "$dk_drv_sock"
	dk_drv_launch
}

dk_call() {
	curl -s --max-time 30 --unix-socket "$dk_drv_sock" -H 'Content-Type: application/json' \
		--data-binary "$2" "http://plugin$1"
}

dk_mounts() { awk -v p="$dk_dir/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r; }

docker_cleanup() {
	local c n m
	if [ -n "$dk_pid" ]; then
		for c in $(dk ps -aq 2> /dev/null); do dk rm -f "$c" > /dev/null 2>&1; done
		for n in $(dk network ls -q --filter driver="${dk_drv_sock##*/}" 2> /dev/null); do
			dk network rm "$n" > /dev/null 2>&1
		done
		kill "$dk_pid" 2> /dev/null
		wait_until 20 not kill -0 "$dk_pid" 2> /dev/null || kill -KILL "$dk_pid" 2> /dev/null
		wait "$dk_pid" 2> /dev/null
	fi
	if [ -n "$dk_drv_pid" ]; then
		kill "$dk_drv_pid" 2> /dev/null
		wait "$dk_drv_pid" 2> /dev/null
		if grep -q 'Sanitizer\|runtime error:' "$tmp/driver.log" 2> /dev/null; then
			say "FAIL: a sanitizer report in superfluid-docker's log"
			exit_rc=1
		fi
		if [ "$exit_rc" -ne 0 ] || [ -n "${SF_IT_SHOW_LOGS:-}" ]; then
			say "log of superfluid-docker:"
			tail -n 30 "$tmp/driver.log" | sed 's/^/    | /'
		fi
		rm -f "$dk_drv_sock"
	fi
	if [ -n "$dk_dir" ]; then
		for m in $(dk_mounts); do umount -R "$m" 2> /dev/null; done
	fi
	dk_dir="" dk_pid="" dk_drv_pid=""
}
at_exit 20 docker_cleanup
