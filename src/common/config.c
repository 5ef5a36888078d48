#include "common/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define N(field) offsetof(struct config_neutron, field)
#define H(field) offsetof(struct config_host, field)
#define D(field) offsetof(struct config_daemon, field)

static const struct config_enum_value auth_types[] = {
	{ "password", NEUTRON_AUTH_PASSWORD },
	{ "v3applicationcredential", NEUTRON_AUTH_APP_CREDENTIAL },
	{ "noauth", NEUTRON_AUTH_NOAUTH },
	{ NULL, 0 },
};

static const struct config_enum_value interfaces[] = {
	{ "public", CONFIG_INTERFACE_PUBLIC },
	{ "internal", CONFIG_INTERFACE_INTERNAL },
	{ "admin", CONFIG_INTERFACE_ADMIN },
	{ NULL, 0 },
};

static const struct config_key neutron_keys[] = {
	{ "auth_type", CONFIG_ENUM, N(auth_type), "password", 0, 0, auth_types, 0 },
	{ "auth_url", CONFIG_STRING, N(auth_url), NULL, 0, 0, NULL, 0 },
	{ "username", CONFIG_STRING, N(username), NULL, 0, 0, NULL, 0 },
	{ "password", CONFIG_STRING, N(password), NULL, 0, 0, NULL, CONFIG_SECRET },
	{ "user_domain_name", CONFIG_STRING, N(user_domain_name), "Default", 0, 0, NULL, 0 },
	{ "project_name", CONFIG_STRING, N(project_name), NULL, 0, 0, NULL, 0 },
	{ "project_domain_name", CONFIG_STRING, N(project_domain_name), "Default", 0, 0, NULL, 0 },
	{ "application_credential_id", CONFIG_STRING, N(app_cred_id), NULL, 0, 0, NULL, 0 },
	{ "application_credential_secret", CONFIG_STRING, N(app_cred_secret), NULL, 0, 0, NULL,
	  CONFIG_SECRET },
	{ "region_name", CONFIG_STRING, N(region_name), NULL, 0, 0, NULL, 0 },
	{ "interface", CONFIG_ENUM, N(interface), "public", 0, 0, interfaces, 0 },
	{ "endpoint_override", CONFIG_STRING, N(endpoint_override), NULL, 0, 0, NULL, 0 },
	{ "project_id", CONFIG_STRING, N(project_id), NULL, 0, 0, NULL, 0 },
	{ "cafile", CONFIG_PATH, N(cafile), NULL, 0, 0, NULL, 0 },
	{ "insecure", CONFIG_BOOL, N(insecure), "false", 0, 0, NULL, 0 },
	{ "connect_timeout", CONFIG_INT, N(connect_timeout_s), "5", 1, 120, NULL, 0 },
	{ "timeout", CONFIG_INT, N(timeout_s), "30", 1, 600, NULL, 0 },
	{ "max_retries", CONFIG_INT, N(max_retries), "3", 0, 10, NULL, 0 },
	{ "max_concurrent", CONFIG_INT, N(max_concurrent), "8", 1, 256, NULL, 0 },
	{ "credentials_file", CONFIG_PATH, N(credentials_file), NULL, 0, 0, NULL, 0 },
};

static const struct config_key host_keys[] = {
	{ "name", CONFIG_STRING, H(name), NULL, 0, 0, NULL, CONFIG_REQUIRED },
};

static const struct config_key daemon_keys[] = {
	{ "socket", CONFIG_PATH, D(socket), "/run/superfluid/superfluid.sock", 0, 0, NULL, 0 },
	{ "state_dir", CONFIG_PATH, D(state_dir), "/var/lib/superfluid", 0, 0, NULL, 0 },
	{ "metrics_address", CONFIG_STRING, D(metrics_address), "127.0.0.1:9777", 0, 0, NULL, 0 },
};

/* The credentials file holds only secrets, in a [neutron] section whose
 * keys override the main file's. */
static const struct config_key credential_keys[] = {
	{ "password", CONFIG_STRING, N(password), NULL, 0, 0, NULL, CONFIG_SECRET },
	{ "application_credential_id", CONFIG_STRING, N(app_cred_id), NULL, 0, 0, NULL, 0 },
	{ "application_credential_secret", CONFIG_STRING, N(app_cred_secret), NULL, 0, 0, NULL,
	  CONFIG_SECRET },
};

static void *neutron_section(void *user, const char *name) { return &((struct config *)user)->neutron; }
static void *host_section(void *user, const char *name) { return &((struct config *)user)->host; }
static void *daemon_section(void *user, const char *name) { return &((struct config *)user)->daemon; }

static const struct config_section_kind main_kinds[] = {
	{ "neutron", false, neutron_keys, ARRAY_SIZE(neutron_keys), neutron_section },
	{ "host", false, host_keys, ARRAY_SIZE(host_keys), host_section },
	{ "daemon", false, daemon_keys, ARRAY_SIZE(daemon_keys), daemon_section },
};

static const struct config_section_kind credential_kinds[] = {
	{ "neutron", false, credential_keys, ARRAY_SIZE(credential_keys), neutron_section },
};

const char *config_interface_name(int interface)
{
	for (const struct config_enum_value *e = interfaces; e->name; e++)
		if (e->value == interface)
			return e->name;
	return "public";
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
	const struct config_section_kind *kinds = credentials ? credential_kinds : main_kinds;
	size_t n_kinds = credentials ? ARRAY_SIZE(credential_kinds) : ARRAY_SIZE(main_kinds);
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
	case NEUTRON_AUTH_APP_CREDENTIAL:
		needs = app_cred, count = ARRAY_SIZE(app_cred), type = "v3applicationcredential";
		break;
	case NEUTRON_AUTH_NOAUTH:
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

int config_load(const char *path, struct config **ret, struct config_error *err)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	int r;

	cfg->path = xstrdup(path);
	for (size_t i = 0; i < ARRAY_SIZE(main_kinds); i++) {
		r = config_section_defaults(&main_kinds[i], main_kinds[i].section(cfg, NULL));
		if (r < 0) {
			config_error_set(err, path, 0, main_kinds[i].name, NULL,
					 "bad default in the key table (a bug)");
			goto out;
		}
	}
	r = parse_path(path, false, cfg, err);
	if (r < 0)
		goto out;
	if (cfg->neutron.credentials_file) {
		r = parse_path(cfg->neutron.credentials_file, true, cfg, err);
		if (r < 0)
			goto out;
	}
	r = check_auth(cfg, err);
	if (r < 0)
		goto out;
	*ret = cfg;
	cfg = NULL;
out:
	config_free(cfg);
	return r;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(main_kinds); i++)
		config_section_free_strings(&main_kinds[i], main_kinds[i].section(cfg, NULL));
	free(cfg->path);
	free(cfg);
}

int config_neutron_opts(const struct config *cfg, struct neutron_opts *ret)
{
	const struct config_neutron *n = &cfg->neutron;

	*ret = (struct neutron_opts){
		.auth_type = (enum neutron_auth_type)n->auth_type,
		.auth_url = n->auth_url,
		.username = n->username,
		.password = n->password,
		.user_domain_name = n->user_domain_name,
		.project_name = n->project_name,
		.project_domain_name = n->project_domain_name,
		.app_cred_id = n->app_cred_id,
		.app_cred_secret = n->app_cred_secret,
		.region_name = n->region_name,
		.interface = config_interface_name(n->interface),
		.endpoint_override = n->endpoint_override,
		.project_id = n->project_id,
		.cafile = n->cafile,
		.insecure = n->insecure,
		.connect_timeout_ms = n->connect_timeout_s * 1000L,
		.timeout_ms = n->timeout_s * 1000L,
		.max_retries = n->max_retries,
		.retry_base_ms = 200,
		.max_concurrent = n->max_concurrent,
		.token_renew_margin_s = 300,
	};
	return 0;
}
