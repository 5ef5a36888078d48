#include "pool/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

struct pool_alias {
	char *alias;           /* the request's names, joined */
	struct pool *pool;     /* borrowed from the set */
};

struct pool_set {
	pthread_mutex_t lock;
	char *path;
	struct pool_sizes defaults;
	struct pool **pools;
	size_t n_pools, cap_pools;
	struct pool_alias *aliases;
	size_t n_aliases, cap_aliases;
};

static void pool_free(struct pool *p)
{
	if (!p)
		return;
	free(p->key);
	free(p->name);
	free(p->network_id);
	free(p->subnet_id);
	free(p->service);
	json_decref(p->security_groups);
	json_decref(p->network);
	json_decref(p->subnets);
	free(p);
}

int pool_set_new(const char *path, const struct pool_sizes *defaults, struct pool_set **ret)
{
	struct pool_set *ps = xcalloc(1, sizeof(*ps));

	pthread_mutex_init(&ps->lock, NULL);
	ps->path = xstrdup_opt(path);
	ps->defaults = *defaults;
	*ret = ps;
	return 0;
}

void pool_set_free(struct pool_set *ps)
{
	if (!ps)
		return;
	for (size_t i = 0; i < ps->n_pools; i++)
		pool_free(ps->pools[i]);
	for (size_t i = 0; i < ps->n_aliases; i++)
		free(ps->aliases[i].alias);
	free(ps->pools);
	free(ps->aliases);
	free(ps->path);
	pthread_mutex_destroy(&ps->lock);
	free(ps);
}

void pool_set_lock(struct pool_set *ps) { pthread_mutex_lock(&ps->lock); }
void pool_set_unlock(struct pool_set *ps) { pthread_mutex_unlock(&ps->lock); }

/* FNV-1a: a stable, short name for a key, for Neutron tags. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

static struct pool *find_key_locked(struct pool_set *ps, const char *key)
{
	for (size_t i = 0; i < ps->n_pools; i++)
		if (streq(ps->pools[i]->key, key))
			return ps->pools[i];
	return NULL;
}

struct pool *pool_set_find(struct pool_set *ps, const char *key)
{
	struct pool *p;

	pthread_mutex_lock(&ps->lock);
	p = find_key_locked(ps, key);
	pthread_mutex_unlock(&ps->lock);
	return p;
}

struct pool *pool_set_find_tag(struct pool_set *ps, const char *tag)
{
	struct pool *p = NULL;

	pthread_mutex_lock(&ps->lock);
	for (size_t i = 0; i < ps->n_pools && !p; i++)
		if (streq(ps->pools[i]->tag, tag))
			p = ps->pools[i];
	pthread_mutex_unlock(&ps->lock);
	return p;
}

size_t pool_set_snapshot(struct pool_set *ps, struct pool **ret, size_t max)
{
	size_t n;

	pthread_mutex_lock(&ps->lock);
	n = ps->n_pools < max ? ps->n_pools : max;
	if (n)   /* ps->pools is NULL while the set is empty */
		memcpy(ret, ps->pools, n * sizeof(*ret));
	pthread_mutex_unlock(&ps->lock);
	return n;
}

static void add_pool_locked(struct pool_set *ps, struct pool *p)
{
	if (ps->n_pools == ps->cap_pools) {
		ps->cap_pools = ps->cap_pools ? ps->cap_pools * 2 : 8;
		ps->pools = realloc(ps->pools, ps->cap_pools * sizeof(*ps->pools));
		if (!ps->pools)
			abort();
	}
	ps->pools[ps->n_pools++] = p;
}

static void add_alias_locked(struct pool_set *ps, const char *alias, struct pool *p)
{
	for (size_t i = 0; i < ps->n_aliases; i++)
		if (streq(ps->aliases[i].alias, alias)) {
			ps->aliases[i].pool = p;
			return;
		}
	if (ps->n_aliases == ps->cap_aliases) {
		ps->cap_aliases = ps->cap_aliases ? ps->cap_aliases * 2 : 8;
		ps->aliases = realloc(ps->aliases, ps->cap_aliases * sizeof(*ps->aliases));
		if (!ps->aliases)
			abort();
	}
	ps->aliases[ps->n_aliases].alias = xstrdup(alias);
	ps->aliases[ps->n_aliases].pool = p;
	ps->n_aliases++;
}

/* The names of a request, joined with a separator no name can hold. */
static char *alias_of(const struct pool_request *rq)
{
	size_t len = strlen(rq->network) + (rq->subnet ? strlen(rq->subnet) : 0) +
		     (rq->service ? strlen(rq->service) : 0) + 64;
	char *s, *q;

	for (size_t i = 0; i < rq->n_security_groups; i++)
		len += strlen(rq->security_groups[i]) + 1;
	s = xmalloc(len);
	q = s + sprintf(s, "%s\x1f%s\x1f%u\x1f", rq->network, rq->subnet ? rq->subnet : "*",
			rq->mtu);
	if (!rq->security_groups)
		q += sprintf(q, "default");
	for (size_t i = 0; i < rq->n_security_groups; i++)
		q += sprintf(q, "%s%s", i ? "," : "", rq->security_groups[i]);
	if (rq->service)
		sprintf(q, "\x1f%s", rq->service);
	return s;
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* Sorted and without duplicates, so that the same set is the same key. */
static json_t *canonical_ids(json_t *ids)
{
	size_t n = json_array_size(ids), i;
	json_t **v = xcalloc(n, sizeof(*v)), *out = json_array();

	for (i = 0; i < n; i++)
		v[i] = json_array_get(ids, i);
	qsort(v, n, sizeof(*v), cmp_json_str);
	for (i = 0; i < n; i++)
		if (i == 0 || !json_equal(v[i], v[i - 1]))
			json_array_append(out, v[i]);
	free(v);
	json_decref(ids);
	return out;
}

static int resolve(struct neutron_client *nc, const struct pool_request *rq, struct pool **ret,
		   struct neutron_error *err)
{
	struct pool *p = xcalloc(1, sizeof(*p));
	json_t *subnet = NULL, *subnet_list = NULL, *v;
	const char *project = neutron_project_id(nc);
	size_t i;
	char *key = NULL, *q;
	int r;

	r = neutron_network_find(nc, rq->network, &p->network, err);
	if (r < 0)
		goto out;
	p->network_id = xstrdup(json_string_value(json_object_get(p->network, "id")));
	if (rq->subnet) {
		struct neutron_filter f = { "network_id", p->network_id };

		r = neutron_resource_find(nc, "subnets", "subnet", rq->subnet, &f, 1, &subnet, err);
		if (r < 0)
			goto out;
		if (!streq(json_string_value(json_object_get(subnet, "network_id")), p->network_id)) {
			snprintf(err->message, sizeof(err->message),
				 "subnet '%s' is not on network '%s'", rq->subnet, rq->network);
			r = -EINVAL;
			goto out;
		}
		p->subnet_id = xstrdup(json_string_value(json_object_get(subnet, "id")));
	}
	if (rq->security_groups) {
		struct neutron_filter f = { "project_id", project ? project : "" };

		p->security_groups = json_array();
		for (i = 0; i < rq->n_security_groups; i++) {
			json_t *sg = NULL;

			r = neutron_resource_find(nc, "security-groups", "security_group",
						  rq->security_groups[i], &f, project ? 1 : 0, &sg,
						  err);
			if (r < 0)
				goto out;
			json_array_append(p->security_groups, json_object_get(sg, "id"));
			json_decref(sg);
		}
		p->security_groups = canonical_ids(p->security_groups);
	}
	{
		struct neutron_filter f = { "network_id", p->network_id };

		r = neutron_list(nc, "subnets", &f, 1, 0, &subnet_list, err);
		if (r < 0)
			goto out;
	}
	p->subnets = json_object();
	json_array_foreach(subnet_list, i, v)
		json_object_set(p->subnets, json_string_value(json_object_get(v, "id")), v);
	if (json_object_size(p->subnets) == 0) {
		snprintf(err->message, sizeof(err->message), "network '%s' has no subnet", rq->network);
		r = -ENOENT;
		goto out;
	}
	p->mtu = rq->mtu;

	/* The key: the ids that decide what a port of the pool is. */
	key = xmalloc(256 + 40 * json_array_size(p->security_groups) +
		      (rq->service ? strlen(rq->service) : 0));
	q = key + sprintf(key, "%s|%s|%u|", p->network_id, p->subnet_id ? p->subnet_id : "*", p->mtu);
	if (!p->security_groups)
		q += sprintf(q, "default");
	json_array_foreach(p->security_groups, i, v)
		q += sprintf(q, "%s%s", i ? "," : "", json_string_value(v));
	/* A service's pool is another pool: its ports are that service's. */
	if (rq->service) {
		sprintf(q, "|svc=%s", rq->service);
		p->service = xstrdup(rq->service);
	}
	p->key = key;
	snprintf(p->tag, sizeof(p->tag), "sf-pool=%016llx", (unsigned long long)fnv1a(key));
	p->name = xstrdup(rq->name ? rq->name : rq->network);
	*ret = p;
	p = NULL;
	r = 0;
out:
	json_decref(subnet);
	json_decref(subnet_list);
	pool_free(p);
	return r;
}

static int save_locked(struct pool_set *ps);

/* New sizes (a reload; NULL: none): the refill under way was counted with
 * the old ones, and the next pass counts it afresh. */
static void set_sizes_locked(struct pool *p, const struct pool_sizes *sizes)
{
	if (!sizes || memcmp(&p->sizes, sizes, sizeof(*sizes)) == 0)
		return;
	p->sizes = *sizes;
	p->refill_left = 0;
}

int pool_set_resolve(struct pool_set *ps, struct neutron_client *nc, const struct pool_request *rq,
		     const struct pool_sizes *sizes, struct pool **ret, struct neutron_error *err)
{
	char *alias = alias_of(rq);
	struct pool *p = NULL, *found;
	int r = 0;

	pthread_mutex_lock(&ps->lock);
	for (size_t i = 0; i < ps->n_aliases && !p; i++)
		if (streq(ps->aliases[i].alias, alias))
			p = ps->aliases[i].pool;
	if (p)
		set_sizes_locked(p, sizes);
	pthread_mutex_unlock(&ps->lock);
	if (p)
		goto done;

	/* A miss: ask Neutron without holding the lock. */
	r = resolve(nc, rq, &p, err);
	if (r < 0)
		goto out;
	p->sizes = sizes ? *sizes : ps->defaults;
	pthread_mutex_lock(&ps->lock);
	found = find_key_locked(ps, p->key);
	if (found) {
		pool_free(p);
		p = found;
		set_sizes_locked(p, sizes);
	} else {
		add_pool_locked(ps, p);
	}
	add_alias_locked(ps, alias, p);
	r = save_locked(ps);
	pthread_mutex_unlock(&ps->lock);
	if (r < 0)
		log_warn("saving '%s': %s", ps->path, strerror(-r));
done:
	*ret = p;
	r = 0;
out:
	free(alias);
	return r;
}

unsigned pool_refill_count(const struct pool_sizes *sizes, unsigned ready, unsigned wiring,
			   unsigned creating)
{
	unsigned have = ready + wiring + creating, n;

	if (have >= sizes->min)
		return 0;
	n = sizes->min - have;
	if (n < sizes->batch)
		n = sizes->batch;
	if (sizes->max > have && n > sizes->max - have)
		n = sizes->max - have;
	return n;
}

json_t *pool_port_request(const struct pool *p, const char *host, const char *deployment_tag,
			  const char *host_tag, unsigned n)
{
	json_t *ports = json_array();
	char name[96];

	snprintf(name, sizeof(name), "sf-pool-%s", p->name);
	for (unsigned i = 0; i < n; i++) {
		json_t *port = json_pack("{s:s, s:s, s:s, s:b, s:s, s:[s,s,s]}", "network_id",
					 p->network_id, "device_owner", "compute:superfluid",
					 "name", name, "admin_state_up", 1,
					 "device_id", "", "tags", deployment_tag, host_tag, p->tag);

		/* A nested port is bound by its VM's port (a subport takes its
		 * trunk's host) or never (an allowed address pair). */
		if (host)
			json_object_set_new(port, "binding:host_id", json_string(host));

		if (p->subnet_id)
			json_object_set_new(port, "fixed_ips",
					    json_pack("[{s:s}]", "subnet_id", p->subnet_id));
		if (p->security_groups)
			json_object_set(port, "security_groups", p->security_groups);
		json_array_append_new(ports, port);
	}
	return ports;
}

/* pools.json: the pools and the names that lead to them. */
static int save_locked(struct pool_set *ps)
{
	json_t *doc, *pools = json_array(), *aliases = json_array();
	char *tmp = NULL;
	int r = 0, fd = -1;

	if (!ps->path)
		return 0;
	for (size_t i = 0; i < ps->n_pools; i++) {
		struct pool *p = ps->pools[i];

		json_array_append_new(pools, json_pack(
			"{s:s, s:s, s:s, s:s?, s:s?, s:O?, s:i, s:i, s:i, s:i, s:O, s:O}", "key", p->key,
			"name", p->name, "network_id", p->network_id, "subnet_id", p->subnet_id,
			"service", p->service,
			"security_groups", p->security_groups, "mtu", (json_int_t)p->mtu, "min",
			(json_int_t)p->sizes.min, "max", (json_int_t)p->sizes.max, "batch",
			(json_int_t)p->sizes.batch, "network", p->network, "subnets", p->subnets));
	}
	for (size_t i = 0; i < ps->n_aliases; i++)
		json_array_append_new(aliases, json_pack("{s:s, s:s}", "alias", ps->aliases[i].alias,
							 "key", ps->aliases[i].pool->key));
	doc = json_pack("{s:i, s:o, s:o}", "version", 1, "pools", pools, "aliases", aliases);
	if (asprintf(&tmp, "%s.tmp", ps->path) < 0) {
		tmp = NULL;
		r = -ENOMEM;
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (json_dumpfd(doc, fd, JSON_COMPACT) < 0 || fsync(fd) < 0) {
		r = -EIO;
		goto out;
	}
	if (rename(tmp, ps->path) < 0)
		r = -errno;
out:
	if (fd >= 0)
		close(fd);
	if (r < 0 && tmp)
		unlink(tmp);
	free(tmp);
	json_decref(doc);
	return r;
}

int pool_set_load(struct pool_set *ps)
{
	json_t *doc, *v;
	json_error_t jerr;
	size_t i;
	int r = 0;

	if (!ps->path)
		return 0;
	doc = json_load_file(ps->path, 0, &jerr);
	if (!doc)
		return access(ps->path, F_OK) == 0 ? -EBADMSG : 0;
	pthread_mutex_lock(&ps->lock);
	json_array_foreach(json_object_get(doc, "pools"), i, v) {
		struct pool *p = xcalloc(1, sizeof(*p));
		const char *key = json_string_value(json_object_get(v, "key"));
		const char *net = json_string_value(json_object_get(v, "network_id"));

		p->network = json_incref(json_object_get(v, "network"));
		p->subnets = json_incref(json_object_get(v, "subnets"));
		if (!key || !net || !json_is_object(p->network) || !json_is_object(p->subnets) ||
		    find_key_locked(ps, key)) {
			pool_free(p);
			r = -EBADMSG;
			continue;
		}
		p->key = xstrdup(key);
		p->name = xstrdup(json_string_value(json_object_get(v, "name")) ?: net);
		p->network_id = xstrdup(net);
		p->subnet_id = xstrdup_opt(json_string_value(json_object_get(v, "subnet_id")));
		p->service = xstrdup_opt(json_string_value(json_object_get(v, "service")));
		p->security_groups = json_incref(json_object_get(v, "security_groups"));
		p->mtu = (uint32_t)json_integer_value(json_object_get(v, "mtu"));
		p->sizes.min = (unsigned)json_integer_value(json_object_get(v, "min"));
		p->sizes.max = (unsigned)json_integer_value(json_object_get(v, "max"));
		p->sizes.batch = (unsigned)json_integer_value(json_object_get(v, "batch"));
		snprintf(p->tag, sizeof(p->tag), "sf-pool=%016llx", (unsigned long long)fnv1a(key));
		add_pool_locked(ps, p);
	}
	json_array_foreach(json_object_get(doc, "aliases"), i, v) {
		struct pool *p = find_key_locked(ps, json_string_value(json_object_get(v, "key")) ?: "");
		const char *alias = json_string_value(json_object_get(v, "alias"));

		if (p && alias)
			add_alias_locked(ps, alias, p);
	}
	pthread_mutex_unlock(&ps->lock);
	json_decref(doc);
	return r;
}
