#include "bind/vmport.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

struct vmport {
	char *id;
	char *trunk_id;            /* NULL in macvlan mode */
	pthread_mutex_t lock;
	/* VLAN ids the trunk's subports use, as last read or given out. */
	uint8_t used[(VMPORT_VLAN_MAX + 8) / 8];
	uint16_t next;             /* where the search for a free id starts */
};

static void say(struct neutron_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(struct neutron_error *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

static bool vlan_used(const struct vmport *vp, unsigned id)
{
	return vp->used[id / 8] & (1u << (id % 8));
}

static void vlan_mark(struct vmport *vp, unsigned id, bool used)
{
	if (id < VMPORT_VLAN_MIN || id > VMPORT_VLAN_MAX)
		return;
	if (used)
		vp->used[id / 8] |= (uint8_t)(1u << (id % 8));
	else
		vp->used[id / 8] &= (uint8_t)~(1u << (id % 8));
}

/* The next free id after the last one given: an id just freed is not
 * handed out again at once, so a device some stale namespace still holds
 * for it has time to go.  0 when all are used. */
static uint16_t vlan_take(struct vmport *vp)
{
	for (unsigned i = 0; i < VMPORT_VLAN_MAX; i++) {
		unsigned id = (vp->next + i - VMPORT_VLAN_MIN) % VMPORT_VLAN_MAX + VMPORT_VLAN_MIN;

		if (!vlan_used(vp, id)) {
			vlan_mark(vp, id, true);
			vp->next = (uint16_t)(id % VMPORT_VLAN_MAX + 1);
			return (uint16_t)id;
		}
	}
	return 0;
}

/* The trunk's sub_ports (borrowed from *ret_trunk, which the caller
 * decrefs), with the used ids reseeded from them. */
static int read_trunk(struct vmport *vp, struct neutron_client *nc, json_t **ret_trunk,
		      struct neutron_error *err)
{
	json_t *trunk = NULL, *sp;
	size_t i;
	int r;

	r = neutron_trunk_show(nc, vp->trunk_id, &trunk, err);
	if (r < 0)
		return r;
	if (!json_is_array(json_object_get(trunk, "sub_ports"))) {
		json_decref(trunk);
		say(err, "trunk %s: malformed answer: no sub_ports", vp->trunk_id);
		return -EBADMSG;
	}
	memset(vp->used, 0, sizeof(vp->used));
	json_array_foreach(json_object_get(trunk, "sub_ports"), i, sp)
		vlan_mark(vp, (unsigned)json_integer_value(json_object_get(sp, "segmentation_id")),
			  true);
	*ret_trunk = trunk;
	return 0;
}

static int find_port(struct neutron_client *nc, const char *port_id, const uint8_t mac[6],
		     json_t **ret, struct neutron_error *err)
{
	struct neutron_filter f[1];
	char mac_str[18];
	json_t *list = NULL;
	int r;

	if (port_id)
		return neutron_port_show(nc, port_id, ret, err);
	snprintf(mac_str, sizeof(mac_str), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
	f[0] = (struct neutron_filter){ "mac_address", mac_str };
	r = neutron_list(nc, "ports", f, 1, 0, &list, err);
	if (r < 0)
		return r;
	if (json_array_size(list) != 1) {
		r = json_array_size(list) == 0 ? -ENOENT : -ENOTUNIQ;
		say(err, "%s Neutron port with the VM NIC's MAC %s (set [host] vm_port)",
		    r == -ENOENT ? "no" : "more than one", mac_str);
		json_decref(list);
		return r;
	}
	*ret = json_incref(json_array_get(list, 0));
	json_decref(list);
	return 0;
}

int vmport_new(struct neutron_client *nc, const char *port_id, const uint8_t mac[6],
	       bool want_trunk, struct vmport **ret, struct neutron_error *err)
{
	struct vmport *vp = NULL;
	json_t *port = NULL, *trunks = NULL, *trunk = NULL;
	const char *id, *tid;
	int r;

	r = find_port(nc, port_id, mac, &port, err);
	if (r < 0)
		goto out;
	id = json_string_value(json_object_get(port, "id"));
	if (!id) {
		r = -EBADMSG;
		say(err, "malformed answer: a port without an id");
		goto out;
	}
	vp = xcalloc(1, sizeof(*vp));
	vp->id = xstrdup(id);
	vp->next = VMPORT_VLAN_MIN;
	pthread_mutex_init(&vp->lock, NULL);
	if (want_trunk) {
		struct neutron_filter f[] = { { "port_id", id } };

		r = neutron_list(nc, "trunks", f, 1, 0, &trunks, err);
		if (r < 0)
			goto out;
		tid = json_string_value(json_object_get(json_array_get(trunks, 0), "id"));
		if (!tid) {
			r = -ENOENT;
			say(err, "the VM's port %s is not a trunk's parent (VLAN mode needs one)", id);
			goto out;
		}
		vp->trunk_id = xstrdup(tid);
		r = read_trunk(vp, nc, &trunk, err);
		if (r < 0)
			goto out;
	}
	*ret = vp;
	vp = NULL;
	r = 0;
out:
	vmport_free(vp);
	json_decref(port);
	json_decref(trunks);
	json_decref(trunk);
	return r;
}

void vmport_free(struct vmport *vp)
{
	if (!vp)
		return;
	pthread_mutex_destroy(&vp->lock);
	free(vp->id);
	free(vp->trunk_id);
	free(vp);
}

const char *vmport_id(const struct vmport *vp)
{
	return vp->id;
}

const char *vmport_trunk_id(const struct vmport *vp)
{
	return vp->trunk_id;
}

static bool pair_is(const json_t *pair, const struct vmport_pair *p)
{
	return streq(json_string_value(json_object_get(pair, "ip_address")), p->ip) &&
	       strcasecmp(json_string_value(json_object_get(pair, "mac_address")) ?: "", p->mac) == 0;
}

/* The port's pairs with `p` added or removed; NULL when nothing changes. */
static json_t *new_pairs(const json_t *port, const struct vmport_pair *p, size_t n, bool add)
{
	const json_t *old = json_object_get(port, "allowed_address_pairs");
	json_t *pairs = json_array(), *v;
	bool changed = false;
	size_t i;

	json_array_foreach(old, i, v) {
		bool drop = false;

		for (size_t j = 0; !add && j < n && !drop; j++)
			drop = pair_is(v, &p[j]);
		if (drop)
			changed = true;
		else
			json_array_append(pairs, v);
	}
	for (size_t j = 0; add && j < n; j++) {
		bool have = false;

		json_array_foreach(pairs, i, v)
			have = have || pair_is(v, &p[j]);
		if (!have) {
			json_array_append_new(pairs, json_pack("{s:s, s:s}", "ip_address", p[j].ip,
							       "mac_address", p[j].mac));
			changed = true;
		}
	}
	if (!changed) {
		json_decref(pairs);
		return NULL;
	}
	return pairs;
}

static int change_pairs(struct vmport *vp, struct neutron_client *nc, const struct vmport_pair *p,
			size_t n, bool add, struct neutron_error *err)
{
	int r = 0;

	pthread_mutex_lock(&vp->lock);
	for (unsigned try = 0; try < VMPORT_TRIES; try++) {
		json_t *port = NULL, *pairs, *attrs;
		json_int_t rev;

		r = neutron_port_show(nc, vp->id, &port, err);
		if (r < 0)
			break;
		rev = json_integer_value(json_object_get(port, "revision_number"));
		pairs = new_pairs(port, p, n, add);
		json_decref(port);
		if (!pairs)
			break;   /* already as wanted: r is 0 */
		attrs = json_pack("{s:o}", "allowed_address_pairs", pairs);
		/* If-Match: a pair someone else added meanwhile must not be lost. */
		r = neutron_port_update(nc, vp->id, attrs, rev > 0 ? rev : -1, NULL, err);
		json_decref(attrs);
		if (r >= 0)
			r = 1;   /* changed */
		if (r != -ESTALE)
			break;
		log_debug("the VM's port %s changed under us (412); reading it again", vp->id);
	}
	pthread_mutex_unlock(&vp->lock);
	return r;
}

int vmport_pairs_add(struct vmport *vp, struct neutron_client *nc, const struct vmport_pair *p,
		     size_t n, struct neutron_error *err)
{
	return n == 0 ? 0 : change_pairs(vp, nc, p, n, true, err);
}

int vmport_pairs_remove(struct vmport *vp, struct neutron_client *nc,
			const struct vmport_pair *p, size_t n, struct neutron_error *err)
{
	return n == 0 ? 0 : change_pairs(vp, nc, p, n, false, err);
}

/* The segmentation id of port `id` among the trunk's subports, or 0. */
static uint16_t subport_vlan(const json_t *trunk, const char *id)
{
	const json_t *sp;
	size_t i;

	json_array_foreach(json_object_get(trunk, "sub_ports"), i, sp)
		if (streq(json_string_value(json_object_get(sp, "port_id")), id))
			return (uint16_t)json_integer_value(json_object_get(sp, "segmentation_id"));
	return 0;
}

int vmport_subports_add(struct vmport *vp, struct neutron_client *nc,
			const char *const *port_ids, size_t n, uint16_t *ret_vlan_ids,
			struct neutron_error *err)
{
	uint16_t *ids;
	int r = -EINVAL;

	if (!vp->trunk_id) {
		say(err, "the VM's port has no trunk");
		return -EINVAL;
	}
	if (n == 0)
		return 0;
	ids = xcalloc(n, sizeof(*ids));
	pthread_mutex_lock(&vp->lock);
	for (unsigned try = 0; try < VMPORT_TRIES; try++) {
		json_t *trunk = NULL, *subs = json_array();

		r = read_trunk(vp, nc, &trunk, err);
		if (r < 0) {
			json_decref(subs);
			break;
		}
		for (size_t i = 0; i < n && r >= 0; i++) {
			ids[i] = subport_vlan(trunk, port_ids[i]);
			if (ids[i])
				continue;   /* attached before (a restart, an adoption) */
			ids[i] = vlan_take(vp);
			if (!ids[i]) {
				r = -ENOSPC;
				say(err, "trunk %s: no VLAN id left in %d..%d", vp->trunk_id,
				    VMPORT_VLAN_MIN, VMPORT_VLAN_MAX);
				break;
			}
			json_array_append_new(subs, json_pack("{s:s, s:s, s:i}", "port_id",
							      port_ids[i], "segmentation_type",
							      "vlan", "segmentation_id", ids[i]));
		}
		json_decref(trunk);
		if (r >= 0 && json_array_size(subs) > 0)
			r = neutron_trunk_add_subports(nc, vp->trunk_id, subs, NULL, err);
		json_decref(subs);
		/* 409: an id (or a port) was taken since the read; read again. */
		if (r != -EEXIST)
			break;
		log_debug("trunk %s: add_subports conflict (%s); reading it again", vp->trunk_id,
			  err ? err->message : "");
	}
	pthread_mutex_unlock(&vp->lock);
	if (r >= 0)
		memcpy(ret_vlan_ids, ids, n * sizeof(*ids));
	free(ids);
	return r;
}

int vmport_subports_remove(struct vmport *vp, struct neutron_client *nc,
			   const char *const *port_ids, size_t n, struct neutron_error *err)
{
	json_t *trunk = NULL, *subs;
	int r;

	if (!vp->trunk_id || n == 0)
		return 0;
	subs = json_array();
	pthread_mutex_lock(&vp->lock);
	r = read_trunk(vp, nc, &trunk, err);
	for (size_t i = 0; r >= 0 && i < n; i++)
		if (subport_vlan(trunk, port_ids[i]))
			json_array_append_new(subs, json_pack("{s:s}", "port_id", port_ids[i]));
	if (r >= 0 && json_array_size(subs) > 0)
		r = neutron_trunk_remove_subports(nc, vp->trunk_id, subs, NULL, err);
	pthread_mutex_unlock(&vp->lock);
	json_decref(trunk);
	json_decref(subs);
	return r;
}
