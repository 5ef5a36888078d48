/* Trunks and their subports (nested containers' VLAN mode). */
#include "neutron/internal.h"
#include "neutron/outcome.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int neutron_trunk_create(struct neutron_client *c, const json_t *attrs, json_t **ret,
			 struct neutron_error *err)
{
	return neutron_resource_create(c, "trunks", "trunk", attrs, ret, err);
}

int neutron_trunk_show(struct neutron_client *c, const char *id, json_t **ret,
		       struct neutron_error *err)
{
	return neutron_resource_show(c, "trunks", "trunk", id, ret, err);
}

int neutron_trunk_delete(struct neutron_client *c, const char *id, struct neutron_error *err)
{
	return neutron_resource_delete(c, "trunks", id, err);
}

static int subports_action(struct neutron_client *c, const char *trunk_id, const char *action,
			   const json_t *subports, json_t **ret, struct neutron_error *err)
{
	json_t *body = NULL, *answer = NULL, *trunk;
	char *path = NULL, *eid = NULL;
	int r;

	if (!trunk_id || !trunk_id[0] || !json_is_array(subports)) {
		r = -EINVAL;
		neutron_error_set(err, 0, "", "invalid arguments");
		goto out;
	}
	eid = neutron_escape(trunk_id);
	body = json_object();
	if (!eid || !body || json_object_set(body, "sub_ports", (json_t *)subports) < 0 ||
	    asprintf(&path, "/v2.0/trunks/%s/%s", eid, action) < 0) {
		path = NULL;
		r = -ENOMEM;
		goto out;
	}
	/* Not idempotent although a PUT: repeating an add that took effect
	 * fails with a conflict, so only the transport's safe retries apply. */
	r = neutron_call(c, "PUT", path, body, NULL, false, &answer, err);
	if (r < 0)
		goto out;
	/* The answer is the trunk itself; accept an envelope too. */
	trunk = json_object_get(answer, "trunk");
	if (!trunk)
		trunk = answer;
	if (!json_is_object(trunk) || !json_object_get(trunk, "sub_ports")) {
		r = -EBADMSG;
		neutron_error_set(err, 0, "", "malformed answer: no trunk");
		goto out;
	}
	if (ret)
		*ret = json_incref(trunk);
	r = 0;
out:
	json_decref(body);
	json_decref(answer);
	free(path);
	free(eid);
	return r;
}

int neutron_trunk_add_subports(struct neutron_client *c, const char *trunk_id,
			       const json_t *subports, json_t **ret, struct neutron_error *err)
{
	return subports_action(c, trunk_id, "add_subports", subports, ret, err);
}

int neutron_trunk_remove_subports(struct neutron_client *c, const char *trunk_id,
				  const json_t *subports, json_t **ret,
				  struct neutron_error *err)
{
	return subports_action(c, trunk_id, "remove_subports", subports, ret, err);
}
