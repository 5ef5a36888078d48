# shellcheck shell=bash disable=SC2154  # tmp is lib/env.sh's
# A private containerd for the integration tests (after lib/env.sh):
# sourced, never run.  Its root, state, sockets and plugin dirs live in
# $tmp/containerd, so that nothing it does is seen by, or sees, another
# containerd on the machine; the CRI plugin is off (no kubelet here), and
# containerd itself touches no firewall rule and no sysctl.
#
#   containerd_usable          containerd, ctr, runc and /bin/busybox are there
#   containerd_private         starts it (pid recorded, stopped by the trap) and
#                              imports the image $ctd_image: busybox, built here
#                              as an OCI archive (no registry is reachable)
#   cr ARGS...                 ctr against it, namespace "sfit"
#   cr_cni NETD ARGS...        the same, for the verbs that run CNI plugins
#                              (`run --cni`, `container rm`): ctr reads
#                              /etc/cni/net.d (the first file only) and
#                              /opt/cni/bin and has no flag for either, so it
#                              runs in a private mount namespace where the
#                              folder NETD and $ctd_dir/bin are bind-mounted
#                              over them; the host's files are never touched.
#                              Give a container's DEL the NETD of its ADD
#   cr_exec CONTAINER ARGS...  runs ARGS in the container
#
# The trap kills the test's tasks, removes its containers (ctr runs DEL
# while the daemons are still up), stops containerd and unmounts what it
# left.

ctd_dir="" ctd_pid="" ctd_image=localhost/sfit-busybox:1

containerd_usable() {
	command -v containerd > /dev/null && command -v ctr > /dev/null &&
		command -v containerd-shim-runc-v2 > /dev/null && command -v runc > /dev/null &&
		[ -x /bin/busybox ]
}

# ctd_oci_image DIR: an OCI image layout of a busybox root file system in
# DIR/oci, archived as DIR/image.tar.
ctd_oci_image() {
	local d=$1 l blobs layer cfg man
	mkdir -p "$d/rootfs/bin" "$d/oci/blobs/sha256" || return 1
	cp /bin/busybox "$d/rootfs/bin/busybox" || return 1
	for l in sh ip ping sleep cat nc; do ln -sf busybox "$d/rootfs/bin/$l"; done
	blobs=$d/oci/blobs/sha256
	tar -C "$d/rootfs" --owner=0 --group=0 -cf "$d/layer.tar" . || return 1
	layer=$(sha256sum "$d/layer.tar" | cut -d' ' -f1)
	mv "$d/layer.tar" "$blobs/$layer"
	jq -nc --arg l "sha256:$layer" '{architecture: "amd64", os: "linux",
		config: {Cmd: ["sh"], Env: ["PATH=/bin"]}, rootfs: {type: "layers", diff_ids: [$l]}}' \
		> "$d/cfg.json"
	cfg=$(sha256sum "$d/cfg.json" | cut -d' ' -f1)
	mv "$d/cfg.json" "$blobs/$cfg"
	jq -nc --arg c "sha256:$cfg" --argjson cs "$(stat -c %s "$blobs/$cfg")" \
		--arg l "sha256:$layer" --argjson ls "$(stat -c %s "$blobs/$layer")" \
		'{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		  config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
		  layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]}' \
		> "$d/man.json"
	man=$(sha256sum "$d/man.json" | cut -d' ' -f1)
	mv "$d/man.json" "$blobs/$man"
	jq -nc --arg m "sha256:$man" --argjson ms "$(stat -c %s "$blobs/$man")" --arg n "$ctd_image" \
		'{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
		  digest: $m, size: $ms, annotations: {"io.containerd.image.name": $n,
		  "org.opencontainers.image.ref.name": ($n | split(":")[1])}}]}' > "$d/oci/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' > "$d/oci/oci-layout"
	tar -C "$d/oci" -cf "$d/image.tar" .
}

containerd_private() {
	ctd_dir=$tmp/containerd
	mkdir -p "$ctd_dir/net.d" "$ctd_dir/bin" "$ctd_dir/opt" || die "mkdir $ctd_dir"
	cat > "$ctd_dir/config.toml" <<-EOF
		version = 2
		root = "$ctd_dir/root"
		state = "$ctd_dir/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$ctd_dir/sock"
		[ttrpc]
		  address = "$ctd_dir/sock.ttrpc"
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$ctd_dir/opt"
	EOF
	containerd --config "$ctd_dir/config.toml" > "$ctd_dir/log" 2>&1 &
	ctd_pid=$!
	wait_until 20 cr version > /dev/null 2>&1 ||
		die "containerd did not answer on $ctd_dir/sock in 20 s: $(tail -5 "$ctd_dir/log")"
	ctd_oci_image "$ctd_dir/img" || die "building the OCI image"
	cr images import --snapshotter native "$ctd_dir/img/image.tar" > "$ctd_dir/import.out" 2>&1 ||
		die "ctr images import: $(cat "$ctd_dir/import.out")"
}

cr() { ctr --address "$ctd_dir/sock" --namespace sfit "$@"; }

# shellcheck disable=SC2016  # the inner shell expands its own arguments
cr_cni() {
	# No /opt/cni/bin on the host: a tmpfs over /opt, in this namespace only.
	unshare --mount --propagation private sh -c '
		d=$0 netd=$1
		shift
		mount --bind "$netd" /etc/cni/net.d || exit 125
		if [ ! -d /opt/cni/bin ]; then
			mount -t tmpfs -o mode=0755 sfit-opt /opt && mkdir -p /opt/cni/bin || exit 125
		fi
		mount --bind "$d/bin" /opt/cni/bin || exit 125
		exec ctr --address "$d/sock" --namespace sfit "$@"' "$ctd_dir" "$@"
}

ctd_execs=0
cr_exec() {
	ctd_execs=$((ctd_execs + 1))
	cr task exec --exec-id "e$ctd_execs-$$" "$@"
}

ctd_mounts() { awk -v p="$ctd_dir/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r; }

containerd_cleanup() {
	[ -n "$ctd_dir" ] || return 0
	local c m d
	if [ -n "$ctd_pid" ]; then
		for c in $(cr containers ls -q 2> /dev/null); do
			cr task kill -s KILL "$c" > /dev/null 2>&1
			cr task rm -f "$c" > /dev/null 2>&1
			d=$(cr containers info "$c" 2> /dev/null |
				jq -r '.Labels["sfit.netd"] // empty' 2> /dev/null)
			cr_cni "${d:-$ctd_dir/net.d}" container rm "$c" > /dev/null 2>&1
		done
		kill "$ctd_pid" 2> /dev/null
		wait_until 10 not kill -0 "$ctd_pid" 2> /dev/null || kill -KILL "$ctd_pid" 2> /dev/null
		wait "$ctd_pid" 2> /dev/null
	fi
	for m in $(ctd_mounts); do umount -R "$m" 2> /dev/null; done
	ctd_dir="" ctd_pid=""
}
at_exit 20 containerd_cleanup
