#include "common/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/stat.h>
#include <unistd.h>

/* A kind of section, by name (the tables are config_keys.c's). */
static const struct config_section_kind *kind_named(const char *name)
{
	size_t n;
	const struct config_section_kind *k = config_kinds(&n);

	for (size_t i = 0; i < n; i++)
		if (streq(k[i].name, name))
			return &k[i];
	return NULL;
}

/* Opens `path` for reading and checks what fstat says about the open file,
 * so nothing can be swapped in between.  O_NONBLOCK: a FIFO must not hang
 * us (regular files ignore it).  On success *ret_fd and *ret_st. */
static int open_checked(const char *path, bool credentials, int *ret_fd, struct stat *ret_st,
			struct config_error *err)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (credentials ? O_NOFOLLOW : 0);
	const char *what = credentials ? "credentials file" : "configuration file";
	mode_t perm;
	struct stat st;
	int fd, r;

	fd = open(path, flags);
	if (fd < 0) {
		r = -errno;
		if (r == -ELOOP && credentials)
			config_error_set(err, path, 0, NULL, NULL,
					 "the %s is a symbolic link: refused (name the file itself)",
					 what);
		else
			config_error_set(err, path, 0, NULL, NULL, "cannot open the %s: %s", what,
					 strerror(-r));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		config_error_set(err, path, 0, NULL, NULL, "cannot stat the %s: %s", what,
				 strerror(-r));
		goto out;
	}
	perm = st.st_mode & 07777;
	r = -EPERM;
	if (!S_ISREG(st.st_mode)) {
		config_error_set(err, path, 0, NULL, NULL, "the %s is not a regular file: refused",
				 what);
		goto out;
	}
	if (credentials && st.st_uid != 0) {
		config_error_set(err, path, 0, NULL, NULL,
				 "the %s is owned by uid %u, not root: refused (chown root: '%s')",
				 what, (unsigned)st.st_uid, path);
		goto out;
	}
	if (credentials && (perm & 077)) {
		config_error_set(err, path, 0, NULL, NULL,
				 "the %s has mode %04o, which lets group or others use it: refused "
				 "(chmod 0600 '%s')", what, (unsigned)perm, path);
		goto out;
	}
	if (!credentials && st.st_uid != 0 && st.st_uid != geteuid()) {
		config_error_set(err, path, 0, NULL, NULL,
				 "the %s is owned by uid %u, neither root nor us: refused", what,
				 (unsigned)st.st_uid);
		goto out;
	}
	if (!credentials && (perm & 022)) {
		config_error_set(err, path, 0, NULL, NULL,
				 "the %s has mode %04o, writable by group or others: refused "
				 "(chmod go-w '%s')", what, (unsigned)perm, path);
		goto out;
	}
	*ret_fd = fd;
	*ret_st = st;
	fd = -1;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

static int parse_path(const char *path, bool credentials, struct config *cfg,
		      struct config_error *err)
{
	size_t n_kinds;
	const struct config_section_kind *kinds = credentials ? config_credential_kinds(&n_kinds) :
								  config_kinds(&n_kinds);
	struct stat st = { 0 };
	FILE *f = NULL;
	int fd = -1, r;

	r = open_checked(path, credentials, &fd, &st, err);
	if (r < 0)
		goto out;
	f = fdopen(fd, "re");
	if (!f) {
		r = -errno;
		config_error_set(err, path, 0, NULL, NULL, "cannot read: %s", strerror(-r));
		goto out;
	}
	fd = -1;  /* f owns it now */
	r = config_parse_file(f, path, kinds, n_kinds, cfg, err);
	if (r < 0)
		goto out;
	/* A secret in a file that group or others can read is as good as
	 * published: ask for the credentials file (or a stricter mode). */
	if (!credentials && (st.st_mode & 044) &&
	    (cfg->neutron.password || cfg->neutron.app_cred_secret)) {
		r = config_error_set(err, path, 0, "neutron",
				     cfg->neutron.password ? "password" :
				     "application_credential_secret",
				     "holds a secret ('%s') but is readable by group or others: "
				     "refused (move it to credentials_file, or chmod 0600 '%s')",
				     cfg->neutron.password ? "password" :
				     "application_credential_secret", path);
		r = -EPERM;
		goto out;
	}
	r = 0;
out:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	return r;
}

/* What each auth_type needs, wherever it was set. */
static int check_auth(const struct config *cfg, struct config_error *err)
{
	const struct config_neutron *n = &cfg->neutron;
	struct need { const char *key; const char *value; bool secret; };
	const struct need password[] = {
		{ "auth_url", n->auth_url, false }, { "username", n->username, false },
		{ "password", n->password, true }, { "project_name", n->project_name, false },
	};
	const struct need app_cred[] = {
		{ "auth_url", n->auth_url, false },
		{ "application_credential_id", n->app_cred_id, false },
		{ "application_credential_secret", n->app_cred_secret, true },
	};
	const struct need noauth[] = {
		{ "endpoint_override", n->endpoint_override, false },
		{ "project_id", n->project_id, false },
	};
	const struct need *needs;
	const char *type;
	size_t count;

	switch (n->auth_type) {
	case CONFIG_AUTH_APP_CREDENTIAL:
		needs = app_cred, count = ARRAY_SIZE(app_cred), type = "v3applicationcredential";
		break;
	case CONFIG_AUTH_NOAUTH:
		needs = noauth, count = ARRAY_SIZE(noauth), type = "noauth";
		break;
	default:
		needs = password, count = ARRAY_SIZE(password), type = "password";
		break;
	}
	for (size_t i = 0; i < count; i++) {
		if (needs[i].value)
			continue;
		if (needs[i].secret && n->credentials_file)
			return config_error_set(err, cfg->path, 0, "neutron", needs[i].key,
						"key '%s' in [neutron] is required with auth_type = %s, "
						"but neither this file nor the credentials file '%s' "
						"sets it", needs[i].key, type, n->credentials_file);
		return config_error_set(err, cfg->path, 0, "neutron", needs[i].key,
					"key '%s' in [neutron] is required with auth_type = %s",
					needs[i].key, type);
	}
	return 0;
}

/* Nested modes need the VM's NIC; its keys mean nothing on bare metal. */
static int check_host(const struct config *cfg, struct config_error *err)
{
	const struct config_host *h = &cfg->host;

	if (config_mode_nested(h->mode) && !h->link_interface)
		return config_error_set(err, cfg->path, 0, "host", "link_interface",
					"key 'link_interface' in [host] is required with mode = %s "
					"(the VM's network interface, e.g. eth0)",
					config_mode_name(h->mode));
	if (!config_mode_nested(h->mode) && (h->link_interface || h->vm_port))
		return config_error_set(err, cfg->path, 0, "host",
					h->link_interface ? "link_interface" : "vm_port",
					"key '%s' in [host] applies only with mode = macvlan or vlan",
					h->link_interface ? "link_interface" : "vm_port");
	if (h->link_interface && (!h->link_interface[0] || strlen(h->link_interface) >= IFNAMSIZ ||
				  strpbrk(h->link_interface, "/ \t:")))
		return config_error_set(err, cfg->path, 0, "host", "link_interface",
					"key 'link_interface' in [host]: '%s' is not an interface name",
					h->link_interface);
	return 0;
}

/* "a, b,c" -> {"a", "b", "c", NULL}; -EINVAL for an empty element,
 * -ENOMEM without memory. */
static int split_list(const char *raw, char ***ret, size_t *ret_n)
{
	char *copy = strdup(raw), *save = NULL, *tok;
	char **v = NULL, **nv;
	size_t n = 0;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;

		while (*tok == ' ' || *tok == '\t')
			tok++;
		end = tok + strlen(tok);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (!*tok) {
			r = -EINVAL;
			break;
		}
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv || !(nv[n] = strdup(tok))) {
			v = nv ? nv : v;
			r = -ENOMEM;
			break;
		}
		v = nv;
		v[++n] = NULL;
	}
	free(copy);
	if (r < 0 || n == 0) {
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return r < 0 ? r : -EINVAL;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

bool config_site_name_valid(const char *name)
{
	return util_tag_name_valid(name, CONFIG_SITE_NAME_MAX);
}

/* The host's site: a valid name; its [site NAME] sizes, if any, become the
 * pools' defaults. */
static int check_site(struct config *cfg, struct config_error *err)
{
	const char *site = cfg->host.site;

	for (size_t i = 0; i < cfg->n_sites; i++)
		if (!config_site_name_valid(cfg->site_list[i].name))
			return config_error_set(err, cfg->path, 0, "site", NULL,
						"[site %s]: a site's name is a-z, 0-9 and '-', "
						"at most %d characters", cfg->site_list[i].name,
						CONFIG_SITE_NAME_MAX);
	if (!site)
		return 0;
	if (!config_site_name_valid(site))
		return config_error_set(err, cfg->path, 0, "host", "site",
					"key 'site' in [host]: '%s' is not a site name (a-z, 0-9 and "
					"'-', at most %d characters)", site, CONFIG_SITE_NAME_MAX);
	for (size_t i = 0; i < cfg->n_sites; i++) {
		const struct config_site *s = &cfg->site_list[i];

		if (!streq(s->name, site))
			continue;
		if (s->min >= 0)
			cfg->pools.min = s->min;
		if (s->max >= 0)
			cfg->pools.max = s->max;
		if (s->batch >= 0)
			cfg->pools.batch = s->batch;
		if (cfg->pools.max < cfg->pools.min)
			return config_error_set(err, cfg->path, 0, "site", "max",
						"key 'max' in [site %s]: %d is below min (%d) on "
						"this host", s->name, cfg->pools.max, cfg->pools.min);
	}
	return 0;
}

static int check_pools(struct config *cfg, struct config_error *err)
{
	if (cfg->pools.max < cfg->pools.min)
		return config_error_set(err, cfg->path, 0, "pools", "max",
					"key 'max' in [pools]: %d is below min (%d)", cfg->pools.max,
					cfg->pools.min);
	for (size_t i = 0; i < cfg->n_pools; i++) {
		struct config_pool *p = &cfg->pool_list[i];
		int min = p->min >= 0 ? p->min : cfg->pools.min;
		int max = p->max >= 0 ? p->max : cfg->pools.max;

		if (max < min)
			return config_error_set(err, cfg->path, 0, "pool", "max",
						"key 'max' in [pool %s]: %d is below min (%d)", p->name,
						max, min);
		int r = p->security_groups_raw ?
			split_list(p->security_groups_raw, &p->security_groups,
				   &p->n_security_groups) : 0;

		if (r == -ENOMEM) {
			config_error_set(err, cfg->path, 0, NULL, NULL, "out of memory");
			return r;
		}
		if (r < 0)
			return config_error_set(err, cfg->path, 0, "pool", "security_groups",
						"key 'security_groups' in [pool %s]: expected a "
						"comma-separated list of names or ids", p->name);
		/* The same rule as a service's name (service/spec.h). */
		if (p->service && !util_tag_name_valid(p->service, CONFIG_SERVICE_NAME_MAX))
			return config_error_set(err, cfg->path, 0, "pool", "service",
						"key 'service' in [pool %s]: '%s' is not a service "
						"name (a-z, 0-9 and '-', at most %d characters)",
						p->name, p->service, CONFIG_SERVICE_NAME_MAX);
	}
	return 0;
}

/* A new config for `path` holding the fixed sections' defaults; owned by
 * the caller (config_free). */
static int config_new(const char *path, struct config **ret, struct config_error *err)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	size_t n_kinds;
	const struct config_section_kind *main_kinds = config_kinds(&n_kinds);
	int r = 0;

	if (!cfg || !(cfg->path = strdup(path))) {
		r = -ENOMEM;
		config_error_set(err, path, 0, NULL, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n_kinds; i++) {
		if (main_kinds[i].named)
			continue;   /* instances get their defaults when they appear */
		r = config_section_defaults(&main_kinds[i], main_kinds[i].section(cfg, NULL));
		if (r == -ENOMEM) {
			config_error_set(err, path, 0, NULL, NULL, "out of memory");
			goto out;
		}
		if (r < 0) {
			config_error_set(err, path, 0, main_kinds[i].name, NULL,
					 "bad default in the key table (a bug)");
			goto out;
		}
	}
	*ret = cfg;
	cfg = NULL;
out:
	config_free(cfg);
	return r;
}

/* The checks that need the whole file, then the hand-over: takes `cfg`,
 * which is freed on failure. */
static int config_finish(struct config *cfg, struct config **ret, struct config_error *err)
{
	int r;

	r = check_auth(cfg, err);
	if (r >= 0)
		r = check_host(cfg, err);
	if (r >= 0)
		r = check_site(cfg, err);
	if (r >= 0)
		r = check_pools(cfg, err);
	if (r < 0) {
		config_free(cfg);
		return r;
	}
	*ret = cfg;
	return 0;
}

int config_load(const char *path, struct config **ret, struct config_error *err)
{
	struct config *cfg = NULL;
	int r;

	r = config_new(path, &cfg, err);
	if (r < 0)
		goto out;
	r = parse_path(path, false, cfg, err);
	if (r < 0)
		goto out;
	if (cfg->neutron.credentials_file) {
		r = parse_path(cfg->neutron.credentials_file, true, cfg, err);
		if (r < 0)
			goto out;
	}
	r = config_finish(cfg, ret, err);
	cfg = NULL;
out:
	config_free(cfg);
	return r;
}

int config_load_stream(FILE *f, const char *path, struct config **ret,
		       struct config_error *err)
{
	struct config *cfg = NULL;
	size_t n_kinds;
	const struct config_section_kind *main_kinds = config_kinds(&n_kinds);
	int r;

	r = config_new(path, &cfg, err);
	if (r < 0)
		goto out;
	r = config_parse_file(f, path, main_kinds, n_kinds, cfg, err);
	if (r < 0)
		goto out;
	r = config_finish(cfg, ret, err);
	cfg = NULL;
out:
	config_free(cfg);
	return r;
}

void config_free(struct config *cfg)
{
	size_t n_kinds;
	const struct config_section_kind *main_kinds = config_kinds(&n_kinds);

	if (!cfg)
		return;
	for (size_t i = 0; i < n_kinds; i++)
		if (!main_kinds[i].named)
			config_section_free_strings(&main_kinds[i], main_kinds[i].section(cfg, NULL));
	for (size_t i = 0; i < cfg->n_pools; i++) {
		struct config_pool *p = &cfg->pool_list[i];

		config_section_free_strings(kind_named("pool"), p);
		for (size_t j = 0; j < p->n_security_groups; j++)
			free(p->security_groups[j]);
		free(p->security_groups);
		free(p->name);
	}
	for (size_t i = 0; i < cfg->n_sites; i++) {
		config_section_free_strings(kind_named("site"), &cfg->site_list[i]);
		free(cfg->site_list[i].name);
	}
	free(cfg->path);
	free(cfg);
}
