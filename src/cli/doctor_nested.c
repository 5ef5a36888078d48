/* sfctl doctor, nested modes: the VM's NIC and its Neutron port (and
 * trunk), which a daemon inside a VM needs instead of a host agent. */
#include "cli/doctor_nested.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bind/vmport.h"
#include "netns/netns.h"

/* The MAC of `ifname` in the daemon's namespace ([daemon] netns, or ours). */
static int link_mac(const struct config *cfg, const char *ifname, uint8_t mac[NL_MAC_LEN])
{
	struct nl_sock *s = NULL;
	struct nl_link l;
	int fd = -1, r;

	r = cfg->daemon.netns ? netns_open(cfg->daemon.netns, &fd) : 0;
	if (r >= 0)
		r = fd >= 0 ? netns_nl_open(fd, &s) : nl_sock_new(&s);
	if (r >= 0)
		r = nl_link_get_by_name(s, ifname, &l);
	if (r >= 0 && !l.has_mac)
		r = -EINVAL;
	if (r >= 0)
		memcpy(mac, l.mac, NL_MAC_LEN);
	nl_sock_free(s);
	if (fd >= 0)
		close(fd);
	return r;
}

void doctor_check_vm_port(struct doctor *d)
{
	const struct config_host *h = &d->cfg->host;
	struct neutron_error err = { .http_status = 0 };
	struct vmport *vp = NULL;
	uint8_t mac[NL_MAC_LEN] = { 0 };
	int r;

	r = link_mac(d->cfg, h->link_interface, mac);
	if (r < 0) {
		doctor_report_add(d, "vm-port", DOCTOR_FAIL, "set [host] link_interface to the VM's NIC",
			   "no interface '%s' with a MAC in the daemon's network namespace: %s",
			   h->link_interface, strerror(-r));
		return;
	}
	if (!d->extensions) {
		doctor_report_add(d, "vm-port", DOCTOR_SKIP, NULL, "Neutron did not answer");
		return;
	}
	r = vmport_new(d->nc, h->vm_port, mac, h->mode == CONFIG_MODE_VLAN, &vp, &err);
	if (r < 0) {
		doctor_report_add(d, "vm-port", DOCTOR_FAIL,
			   h->mode == CONFIG_MODE_VLAN ?
			   "VLAN mode needs the VM's port to be a trunk's parent (openstack network "
			   "trunk create --parent-port ...), or set [host] vm_port" :
			   "set [host] vm_port to the VM's Neutron port",
			   "the VM's port: %s", err.message[0] ? err.message : strerror(-r));
		return;
	}
	doctor_report_add(d, "vm-port", DOCTOR_OK, NULL, "'%s' is Neutron port %s%s%s (mode %s)",
		   h->link_interface, vmport_id(vp), vmport_trunk_id(vp) ? ", parent of trunk " : "",
		   vmport_trunk_id(vp) ? vmport_trunk_id(vp) : "", config_mode_name(h->mode));
	vmport_free(vp);
}
