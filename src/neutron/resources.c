/* Networks, subnets, security groups and rules, extensions, quotas and
 * agents: thin typed wrappers over the generic calls of request.c. */
#include "neutron/internal.h"
#include "neutron/outcome.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int neutron_network_create(struct neutron_client *c, const json_t *attrs, json_t **ret,
			   struct neutron_error *err)
{
	return neutron_resource_create(c, "networks", "network", attrs, ret, err);
}

int neutron_network_show(struct neutron_client *c, const char *id, json_t **ret,
			 struct neutron_error *err)
{
	return neutron_resource_show(c, "networks", "network", id, ret, err);
}

int neutron_network_delete(struct neutron_client *c, const char *id, struct neutron_error *err)
{
	return neutron_resource_delete(c, "networks", id, err);
}

static bool looks_like_uuid(const char *s)
{
	size_t n = strlen(s);

	if (n != 36 && n != 32)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (n == 36 && (i == 8 || i == 13 || i == 18 || i == 23)) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

int neutron_resource_find(struct neutron_client *c, const char *collection, const char *member,
			  const char *name_or_id, const struct neutron_filter *filters,
			  size_t n_filters, json_t **ret, struct neutron_error *err)
{
	struct neutron_filter f[NEUTRON_FIND_MAX_FILTERS + 1] = { { "name", name_or_id } };
	json_t *list = NULL;
	size_t n;
	int r;

	if (!name_or_id || !name_or_id[0]) {
		neutron_error_set(err, 0, "", "no %s name given", member);
		return -EINVAL;
	}
	if (n_filters > NEUTRON_FIND_MAX_FILTERS)
		return -E2BIG;
	/* An id first, as the openstack CLI does; a name that happens to look
	 * like an id still resolves by name below. */
	if (looks_like_uuid(name_or_id)) {
		r = neutron_resource_show(c, collection, member, name_or_id, ret, err);
		if (r != -ENOENT)
			return r;
	}
	if (n_filters)   /* filters may be NULL: memcpy must not see it */
		memcpy(f + 1, filters, n_filters * sizeof(*filters));
	r = neutron_list(c, collection, f, n_filters + 1, 0, &list, err);
	if (r < 0)
		goto out;
	n = json_array_size(list);
	if (n == 0) {
		r = -ENOENT;
		neutron_error_set(err, 404, "NotFound", "no %s '%s'", member, name_or_id);
		goto out;
	}
	if (n > 1) {
		r = -ENOTUNIQ;
		neutron_error_set(err, 0, "", "%zu of %s are named '%s'; use an id", n, collection,
				  name_or_id);
		goto out;
	}
	*ret = json_incref(json_array_get(list, 0));
	r = 0;
out:
	json_decref(list);
	return r;
}

int neutron_network_find(struct neutron_client *c, const char *name_or_id, json_t **ret,
			 struct neutron_error *err)
{
	return neutron_resource_find(c, "networks", "network", name_or_id, NULL, 0, ret, err);
}

int neutron_subnet_create(struct neutron_client *c, const json_t *attrs, json_t **ret,
			  struct neutron_error *err)
{
	return neutron_resource_create(c, "subnets", "subnet", attrs, ret, err);
}

int neutron_subnet_show(struct neutron_client *c, const char *id, json_t **ret,
			struct neutron_error *err)
{
	return neutron_resource_show(c, "subnets", "subnet", id, ret, err);
}

int neutron_subnet_delete(struct neutron_client *c, const char *id, struct neutron_error *err)
{
	return neutron_resource_delete(c, "subnets", id, err);
}

int neutron_secgroup_create(struct neutron_client *c, const json_t *attrs, json_t **ret,
			    struct neutron_error *err)
{
	return neutron_resource_create(c, "security-groups", "security_group", attrs, ret, err);
}

int neutron_secgroup_show(struct neutron_client *c, const char *id, json_t **ret,
			  struct neutron_error *err)
{
	return neutron_resource_show(c, "security-groups", "security_group", id, ret, err);
}

int neutron_secgroup_delete(struct neutron_client *c, const char *id, struct neutron_error *err)
{
	return neutron_resource_delete(c, "security-groups", id, err);
}

int neutron_secgroup_rule_create(struct neutron_client *c, const json_t *attrs, json_t **ret,
				 struct neutron_error *err)
{
	return neutron_resource_create(c, "security-group-rules", "security_group_rule", attrs,
				       ret, err);
}

int neutron_secgroup_rule_delete(struct neutron_client *c, const char *id,
				 struct neutron_error *err)
{
	return neutron_resource_delete(c, "security-group-rules", id, err);
}

int neutron_extensions_list(struct neutron_client *c, json_t **ret, struct neutron_error *err)
{
	return neutron_list(c, "extensions", NULL, 0, 0, ret, err);
}

int neutron_extension_present(struct neutron_client *c, const char *alias,
			      struct neutron_error *err)
{
	json_t *list = NULL, *ext;
	size_t i;
	int r;

	if (!alias) {
		neutron_error_set(err, 0, "", "no extension alias given");
		return -EINVAL;
	}
	r = neutron_extensions_list(c, &list, err);
	if (r < 0)
		return r;
	r = 0;
	json_array_foreach(list, i, ext) {
		if (streq(json_string_value(json_object_get(ext, "alias")), alias)) {
			r = 1;
			break;
		}
	}
	json_decref(list);
	return r;
}

int neutron_quota_details(struct neutron_client *c, const char *project_id, json_t **ret,
			  struct neutron_error *err)
{
	json_t *answer = NULL, *quota;
	char *path = NULL, *pid = NULL;
	int r;

	if (!project_id) {
		/* The token's project: authenticate first to know it. */
		r = neutron_auth_ensure(c, err);
		if (r < 0)
			goto out;
		project_id = neutron_project_id(c);
		if (!project_id) {
			r = -ENXIO;
			neutron_error_set(err, 0, "", "the token is not scoped to a project");
			goto out;
		}
	}
	pid = neutron_escape(project_id);
	if (!pid || asprintf(&path, "/v2.0/quotas/%s/details.json", pid) < 0) {
		path = NULL;
		r = -ENOMEM;
		goto out;
	}
	r = neutron_call(c, "GET", path, NULL, NULL, true, &answer, err);
	if (r < 0)
		goto out;
	quota = json_object_get(answer, "quota");
	if (!json_is_object(quota)) {
		r = -EBADMSG;
		neutron_error_set(err, 0, "", "malformed answer: no 'quota'");
		goto out;
	}
	*ret = json_incref(quota);
	r = 0;
out:
	json_decref(answer);
	free(path);
	free(pid);
	return r;
}

int neutron_agents_list(struct neutron_client *c, const char *host, json_t **ret,
			struct neutron_error *err)
{
	struct neutron_filter f = { "host", host };

	return neutron_list(c, "agents", host ? &f : NULL, host ? 1 : 0, 0, ret, err);
}
