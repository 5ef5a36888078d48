/* Plugging the ports recorded before ML2 bound them (ports_late.h). */
#include "daemon/ports_late.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bind/bind.h"
#include "bind/portinfo.h"
#include "common/log.h"
#include "daemon/ports.h"
#include "store/store.h"

/* 0: wired; 1: still unbound; -errno: not recorded or not wired. */
static int wire_bound(struct daemon *d, const json_t *port)
{
	const char *id = json_string_value(json_object_get(port, "id"));
	struct store_port sp = { 0 };
	struct nl_extack ext = { { 0 } };
	struct nl_sock *host;
	struct portinfo pi;
	char *info = NULL;
	int r;

	r = store_get(d->store, id, &sp);
	if (r >= 0)
		r = portinfo_from_json(sp.info, &pi);
	if (r >= 0)
		r = portinfo_rebind(&pi, port);
	if (r >= 0 && pi.unbound)
		r = 1;
	if (r == 0)
		r = portinfo_to_json(&pi, &info);
	/* Recorded before it is plugged: a restart plugs it the same way. */
	if (r == 0)
		r = store_set_info(d->store, id, info);
	if (r == 0)
		r = bind_host_nl(&host);
	if (r == 0)
		r = bind_prepare(host, &pi, &d->bind, &ext);
	if (r == 0)
		log_info_rl("port %s: bound by Neutron since it was recorded; wired (%s)", id,
			    pi.ovs_bridge[0] ? pi.ovs_bridge : "Linux bridge");
	else if (r < 0)
		log_warn_rl("port %s: wiring it now that Neutron has bound it: %s%s%s", id,
			    strerror(-r), ext.msg[0] ? ": " : "", ext.msg);
	free(info);
	store_port_done(&sp);
	return r;
}

/* ports_late_wire's: a port bound since is wired and marked in arg. */
static void wire_listed(struct daemon *d, const json_t *port, size_t j, void *arg)
{
	bool *wired = arg;

	if (!wired[j] && wire_bound(d, port) == 0)
		wired[j] = true;
}

int ports_late_wire(struct daemon *d, char **ids, size_t n)
{
	static const char *const fields[] = { "binding:vif_type", "binding:vif_details", NULL };
	bool *wired = xcalloc(n ? n : 1, sizeof(*wired));
	size_t left = 0;
	int r;

	r = ports_list_ids(d, ids, n, fields, "port_binding", wire_listed, wired);
	if (r >= 0)
		for (size_t i = 0; i < n; i++)
			if (!wired[i]) {
				free(ids[i]);
				ids[i] = NULL;
				left++;
			}
	free(wired);
	return r < 0 ? r : (int)left;
}
