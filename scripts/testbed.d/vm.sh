# shellcheck shell=bash
# Simulated VMs (tests/integration/lib/vm.sh makes them, docs/testbed.md
# says what they are): a namespace sf-vm-NAME each, with a veth
# vm-<port8>-u on sf-underlay for its management NIC and a tap in a host
# namespace.  Tests remove their own; `down` removes what a killed test
# left: the taps go with the host namespaces, the rest goes here.
tb_vms_down() {
	local ns link
	for ns in $(ip netns list | awk '{print $1}' | grep -E '^sf-vm-[a-z0-9-]+$'); do
		ip netns del "$ns"
	done
	for link in $(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' |
		grep -E '^vm-[0-9a-f]{8}-u$'); do
		ip link del "$link" 2> /dev/null || true
	done
}
