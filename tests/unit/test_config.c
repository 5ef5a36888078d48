/* config_load and the table-driven parser, on files written to a temp dir. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/config.h"
#include "neutron/opts.h"

#define SECRET "s3cr3t-Pa55"

static char dir[64];
static char conf[128], creds[128];

static const char *good_creds = "[neutron]\npassword = " SECRET "\n";

/* The main file of docs/config.md, with inline comments and all. */
#define GOOD_CONF \
	"# superfluid\n" \
	"[neutron]\n" \
	"auth_type = password\n" \
	"auth_url = http://198.18.0.1:5000/v3\n" \
	"username = superfluid\n" \
	"user_domain_name = Default\n" \
	"project_name = superfluid\n" \
	"project_domain_name = Default\n" \
	"region_name = RegionOne\n" \
	"interface = internal\n" \
	"connect_timeout = 5       # seconds\n" \
	"timeout = 30              ; seconds\n" \
	"max_retries = 0\n" \
	"max_concurrent = 8\n" \
	"insecure = no\n" \
	"credentials_file = %s\n" \
	"\n" \
	"[host]\n" \
	"  # indented lines are ordinary lines\n" \
	"  name = host1\n" \
	"\n" \
	"[daemon]\n" \
	"socket = /run/sf/sf.sock\n"

static void write_file(const char *path, mode_t mode, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void write_file(const char *path, mode_t mode, const char *fmt, ...)
{
	va_list ap;
	FILE *f;

	unlink(path);
	f = fopen(path, "we");
	assert_non_null(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* A main file with `body` after a valid [host] section and no credentials. */
static void write_conf(const char *body)
{
	write_file(conf, 0600, "[host]\nname = h\n%s", body);
}

static int load_fails(int expect, struct config_error *err)
{
	struct config *cfg = NULL;
	int r;

	memset(err, 0, sizeof(*err));
	r = config_load(conf, &cfg, err);
	assert_null(cfg);
	assert_int_equal(r, expect);
	assert_null(strstr(err->message, SECRET));
	return r;
}

static void assert_message(const struct config_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void assert_message(const struct config_error *err, const char *fmt, ...)
{
	char want[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	assert_string_equal(err->message, want);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_config.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(conf, sizeof(conf), "%s/superfluid.conf", dir);
	snprintf(creds, sizeof(creds), "%s/credentials.conf", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void skip_unless_root(void)
{
	/* The credentials file must be owned by root: only root can make one. */
	if (geteuid() != 0)
		skip();
}

static void test_good_file(void **state)
{
	struct config_error err;
	struct neutron_opts o;
	struct config *cfg = NULL;

	skip_unless_root();
	write_file(creds, 0600, "%s", good_creds);
	write_file(conf, 0644, GOOD_CONF, creds);
	assert_int_equal(config_load(conf, &cfg, &err), 0);
	assert_non_null(cfg);
	assert_string_equal(cfg->neutron.auth_url, "http://198.18.0.1:5000/v3");
	assert_string_equal(cfg->neutron.password, SECRET);
	assert_int_equal(cfg->neutron.connect_timeout_s, 5);
	assert_int_equal(cfg->neutron.timeout_s, 30);
	assert_int_equal(cfg->neutron.max_retries, 0);
	assert_false(cfg->neutron.insecure);
	assert_string_equal(cfg->host.name, "host1");
	assert_string_equal(cfg->daemon.socket, "/run/sf/sf.sock");
	/* Defaults for what the file does not say. */
	assert_string_equal(cfg->daemon.state_dir, "/var/lib/superfluid");
	assert_string_equal(cfg->daemon.metrics_address, "127.0.0.1:9777");
	assert_null(cfg->neutron.endpoint_override);

	assert_int_equal(neutron_opts_from_config(&cfg->neutron, &o), 0);
	assert_int_equal(o.auth_type, NEUTRON_AUTH_PASSWORD);
	assert_ptr_equal(o.password, cfg->neutron.password);
	assert_string_equal(o.interface, "internal");
	assert_string_equal(o.region_name, "RegionOne");
	assert_int_equal(o.connect_timeout_ms, 5000);
	assert_int_equal(o.timeout_ms, 30000);
	assert_int_equal(o.max_retries, -1);  /* "max_retries = 0": no retries */
	assert_int_equal(o.max_concurrent, 8);
	config_free(cfg);
	config_free(NULL);
}

static void test_credentials_override(void **state)
{
	struct config_error err;
	struct config *cfg = NULL;

	skip_unless_root();
	write_file(creds, 0400, "[neutron]\npassword = from-creds\n");
	write_file(conf, 0600,
		   "[neutron]\nauth_url = http://k/v3\nusername = u\nproject_name = p\n"
		   "password = from-main\ncredentials_file = %s\n[host]\nname = h\n", creds);
	assert_int_equal(config_load(conf, &cfg, &err), 0);
	assert_string_equal(cfg->neutron.password, "from-creds");
	config_free(cfg);
}

static void test_bad_int(void **state)
{
	struct config_error err;

	write_conf("[neutron]\nauth_type = noauth\n\ntimeout = abc\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s:6: key 'timeout' in [neutron]: expected an integer between 1 "
		       "and 600, got 'abc'", conf);
	assert_int_equal(err.line, 6);
	assert_string_equal(err.key, "timeout");
	assert_string_equal(err.section, "neutron");

	write_conf("[neutron]\ntimeout = 601\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s:4: key 'timeout' in [neutron]: expected an integer between 1 "
		       "and 600, got '601'", conf);
	write_conf("[neutron]\nmax_retries = -1\n");
	load_fails(-EINVAL, &err);
	assert_string_equal(err.key, "max_retries");
	write_conf("[neutron]\nmax_retries = 3x\n");
	load_fails(-EINVAL, &err);
	assert_string_equal(err.key, "max_retries");
}

static void test_bad_bool_enum_path_empty(void **state)
{
	struct config_error err;

	write_conf("[neutron]\ninsecure = maybe\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s:4: key 'insecure' in [neutron]: expected true or false, got "
		       "'maybe'", conf);

	write_conf("[neutron]\nauth_type = pasword\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s:4: key 'auth_type' in [neutron]: expected one of password, "
		       "v3applicationcredential, noauth, got 'pasword'", conf);

	write_conf("[daemon]\nstate_dir = var/lib/sf\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s:4: key 'state_dir' in [daemon]: expected an absolute path, got "
		       "'var/lib/sf'", conf);

	write_conf("[daemon]\nsocket =\n");
	load_fails(-EINVAL, &err);
	assert_string_equal(err.key, "socket");
	assert_non_null(strstr(err.message, "empty value"));
}

static void test_unknown_key_and_section(void **state)
{
	struct config_error err;

	write_conf("[neutron]\ntimout = 5\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s:4: unknown key 'timout' in [neutron] (did you mean 'timeout'?)",
		       conf);

	write_conf("[nuetron]\ntimeout = 5\n");
	load_fails(-EINVAL, &err);
	/* The list of known sections grows; its start is what matters. */
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.message, ":3: unknown section [nuetron] (known sections: "
			       "neutron, host, daemon"));

	/* An empty section with a typo is caught too. */
	write_conf("[deamon]\n");
	load_fails(-EINVAL, &err);
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.message, "unknown section [deamon]"));

	write_file(conf, 0600, "name = h\n[host]\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s:1: key 'name' outside of any section", conf);

	write_conf("[host x]\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s:3: section [host] takes no name, got 'x'", conf);
}

static void test_duplicates(void **state)
{
	struct config_error err;

	write_conf("[neutron]\ntimeout = 5\n\ntimeout = 6\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s:6: key 'timeout' in [neutron]: set twice (first at line 4)",
		       conf);

	write_conf("[daemon]\n[neutron]\n[daemon]\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s:5: section [daemon] appears twice (first at line 3)", conf);
}

static void test_missing_required(void **state)
{
	struct config_error err;

	write_file(conf, 0600, "[neutron]\nauth_type = noauth\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s: key 'name' in [host] is required but missing", conf);
	assert_string_equal(err.key, "name");

	write_file(conf, 0600, "[neutron]\nauth_type = noauth\n[host]\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s:3: key 'name' in [host] is required but missing", conf);

	write_conf("[neutron]\nauth_type = noauth\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s: key 'endpoint_override' in [neutron] is required with "
		       "auth_type = noauth", conf);

	write_conf("[neutron]\nauth_url = http://k/v3\nusername = u\nproject_name = p\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s: key 'password' in [neutron] is required with auth_type = "
		       "password", conf);
}

#define NOAUTH "[neutron]\nauth_type = noauth\nendpoint_override = http://n\nproject_id = p\n"

/* A host's site, and the pool sizes of its [site NAME] (docs/superfluidity.md). */
static void test_sites(void **state)
{
	struct config_error err;
	struct config *cfg = NULL;

	write_file(conf, 0600, NOAUTH "[host]\nname = h4\nsite = edge\n[pools]\nmin = 4\n"
		   "max = 32\nbatch = 8\n[site edge]\nmin = 1\nmax = 4\n[site core]\nmin = 8\n");
	assert_int_equal(config_load(conf, &cfg, &err), 0);
	assert_string_equal(cfg->host.site, "edge");
	assert_int_equal(cfg->n_sites, 2);
	/* The edge's sizes, the batch left as [pools] says. */
	assert_int_equal(cfg->pools.min, 1);
	assert_int_equal(cfg->pools.max, 4);
	assert_int_equal(cfg->pools.batch, 8);
	config_free(cfg);

	/* Another site's section changes nothing here; no site at all neither. */
	write_file(conf, 0600, NOAUTH "[host]\nname = h1\n[pools]\nmin = 4\n[site edge]\nmin = 1\n");
	assert_int_equal(config_load(conf, &cfg, &err), 0);
	assert_null(cfg->host.site);
	assert_int_equal(cfg->pools.min, 4);
	config_free(cfg);

	write_file(conf, 0600, NOAUTH "[host]\nname = h\nsite = Edge_1\n");
	load_fails(-EINVAL, &err);
	assert_string_equal(err.section, "host");
	assert_string_equal(err.key, "site");
	assert_non_null(strstr(err.message, "'Edge_1' is not a site name"));

	write_file(conf, 0600, NOAUTH "[host]\nname = h\nsite = edge\n[pools]\nmin = 4\n"
		   "[site edge]\nmax = 2\n");
	load_fails(-EINVAL, &err);
	assert_string_equal(err.key, "max");
	assert_message(&err, "%s: key 'max' in [site edge]: 2 is below min (4) on this host", conf);

	write_file(conf, 0600, NOAUTH "[host]\nname = h\n[site Core]\nmin = 1\n");
	load_fails(-EINVAL, &err);
	assert_non_null(strstr(err.message, "[site Core]: a site's name is"));

	write_file(conf, 0600, NOAUTH "[host]\nname = h\n[site edge]\nsize = 1\n");
	load_fails(-EINVAL, &err);
	assert_string_equal(err.key, "size");

	/* A service's own pool. */
	write_file(conf, 0600, NOAUTH "[host]\nname = h\n[pool v]\nnetwork = n\nservice = video\n");
	assert_int_equal(config_load(conf, &cfg, &err), 0);
	assert_string_equal(cfg->pool_list[0].service, "video");
	config_free(cfg);
	write_file(conf, 0600, NOAUTH "[host]\nname = h\n[pool v]\nnetwork = n\nservice = Video\n");
	load_fails(-EINVAL, &err);
	assert_string_equal(err.key, "service");
	assert_non_null(strstr(err.message, "key 'service' in [pool v]: 'Video' is not a service name"));
}

/* Nested modes need the VM's NIC; their keys are refused on bare metal. */
static void test_host_mode(void **state)
{
	struct config_error err;
	struct config *cfg = NULL;

	write_file(conf, 0600, "[host]\nname = vm1\nmode = vlan\nlink_interface = ens3\n"
		   "vm_port = 0b4e\n[neutron]\nauth_type = noauth\nendpoint_override = http://n\n"
		   "project_id = p\n");
	assert_int_equal(config_load(conf, &cfg, &err), 0);
	assert_int_equal(cfg->host.mode, CONFIG_MODE_VLAN);
	assert_true(config_mode_nested(cfg->host.mode));
	assert_string_equal(cfg->host.link_interface, "ens3");
	assert_string_equal(cfg->host.vm_port, "0b4e");
	assert_string_equal(config_mode_name(cfg->host.mode), "vlan");
	config_free(cfg);

	write_conf("[neutron]\nauth_type = noauth\nendpoint_override = http://n\nproject_id = p\n");
	assert_int_equal(config_load(conf, &cfg, &err), 0);
	assert_int_equal(cfg->host.mode, CONFIG_MODE_BRIDGE);
	assert_null(cfg->host.link_interface);
	config_free(cfg);

	write_file(conf, 0600, "[host]\nname = h\nmode = ipvlan\n");
	load_fails(-EINVAL, &err);
	assert_non_null(strstr(err.message, ":3: key 'mode' in [host]"));

	write_file(conf, 0600, "[host]\nname = h\nmode = macvlan\n[neutron]\nauth_type = noauth\n"
		   "endpoint_override = http://n\nproject_id = p\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s: key 'link_interface' in [host] is required with mode = macvlan "
		       "(the VM's network interface, e.g. eth0)", conf);

	write_file(conf, 0600, "[host]\nname = h\nlink_interface = eth0\n[neutron]\n"
		   "auth_type = noauth\nendpoint_override = http://n\nproject_id = p\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s: key 'link_interface' in [host] applies only with mode = macvlan "
		       "or vlan", conf);

	write_file(conf, 0600, "[host]\nname = h\nmode = macvlan\nlink_interface = a/b\n[neutron]\n"
		   "auth_type = noauth\nendpoint_override = http://n\nproject_id = p\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s: key 'link_interface' in [host]: 'a/b' is not an interface name",
		       conf);
}

static void test_syntax_errors(void **state)
{
	struct config_error err;

	/* Comments and blank lines count: the line number is the file's. */
	write_file(conf, 0600, "# c\n\n; c\n[host]\nname = h\n\nthis is not a pair\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s:7: syntax error: expected '[section]' or 'key = value'", conf);

	write_file(conf, 0600, "[host]\nname = h\n[neutron\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s:3: syntax error: section header without ']'", conf);

	/* The first error wins, a syntax error before a bad value included. */
	write_file(conf, 0600, "[host]\nname\n[neutron]\ntimeout = x\n");
	load_fails(-EINVAL, &err);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.message, "syntax error"));

	/* A secret on a broken line is not echoed. */
	write_file(conf, 0600, "[host]\nname = h\n[neutron]\npassword " SECRET "\n");
	load_fails(-EINVAL, &err);
	assert_int_equal(err.line, 4);
}

static void test_long_line(void **state)
{
	struct config_error err;
	char value[400];

	memset(value, 'a', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	write_file(conf, 0600, "[host]\nname = %s\n[neutron]\n", value);
	load_fails(-EINVAL, &err);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.message, "line too long"));
}

static void test_main_file_perms(void **state)
{
	struct config_error err;

	write_conf("[neutron]\nauth_type = noauth\nendpoint_override = http://n\nproject_id = p\n");
	assert_int_equal(chmod(conf, 0664), 0);
	load_fails(-EPERM, &err);
	assert_message(&err, "%s: the configuration file has mode 0664, writable by group or "
		       "others: refused (chmod go-w '%s')", conf, conf);

	/* A secret in a world-readable main file is refused. */
	write_conf("[neutron]\nauth_url = http://k/v3\nusername = u\nproject_name = p\n"
		   "password = " SECRET "\n");
	assert_int_equal(chmod(conf, 0644), 0);
	load_fails(-EPERM, &err);
	assert_non_null(strstr(err.message, "holds a secret ('password')"));

	assert_int_equal(unlink(conf), 0);
	load_fails(-ENOENT, &err);
	assert_message(&err, "%s: cannot open the configuration file: No such file or directory",
		       conf);
}

static void test_credentials_perms(void **state)
{
	struct config_error err;
	char link[160];

	skip_unless_root();
	write_file(conf, 0644, GOOD_CONF, creds);
	write_file(creds, 0644, "%s", good_creds);
	load_fails(-EPERM, &err);
	assert_message(&err, "%s: the credentials file has mode 0644, which lets group or others "
		       "use it: refused (chmod 0600 '%s')", creds, creds);
	assert_string_equal(err.path, creds);

	assert_int_equal(chmod(creds, 0640), 0);
	load_fails(-EPERM, &err);
	assert_int_equal(chmod(creds, 0604), 0);
	load_fails(-EPERM, &err);

	assert_int_equal(chmod(creds, 0600), 0);
	assert_int_equal(chown(creds, 65534, 65534), 0);
	load_fails(-EPERM, &err);
	assert_message(&err, "%s: the credentials file is owned by uid 65534, not root: refused "
		       "(chown root: '%s')", creds, creds);

	/* A symlink to a perfectly good file is still refused. */
	write_file(creds, 0600, "%s", good_creds);
	snprintf(link, sizeof(link), "%s/link.conf", dir);
	assert_int_equal(symlink(creds, link), 0);
	write_file(conf, 0644, GOOD_CONF, link);
	load_fails(-ELOOP, &err);
	assert_message(&err, "%s: the credentials file is a symbolic link: refused (name the "
		       "file itself)", link);

	/* A directory is not a credentials file. */
	write_file(conf, 0644, GOOD_CONF, dir);
	assert_int_equal(chmod(dir, 0700), 0);
	load_fails(-EPERM, &err);
	assert_non_null(strstr(err.message, "not a regular file"));
}

static void test_credentials_content(void **state)
{
	struct config_error err;

	skip_unless_root();
	write_file(conf, 0644, GOOD_CONF, creds);
	write_file(creds, 0600, "[neutron]\nusername = admin\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s:2: unknown key 'username' in [neutron] (the keys allowed here: "
		       "password, application_credential_id, application_credential_secret)", creds);

	write_file(creds, 0600, "[neutron]\npassword = " SECRET "\npassword = " SECRET "x\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s:3: key 'password' in [neutron]: set twice (first at line 2)",
		       creds);

	write_file(creds, 0600, "[host]\nname = x\n");
	load_fails(-EINVAL, &err);
	assert_string_equal(err.path, creds);
	assert_int_equal(err.line, 1);

	/* A credentials file without the password the auth needs. */
	write_file(creds, 0600, "[neutron]\n");
	load_fails(-EINVAL, &err);
	assert_message(&err, "%s: key 'password' in [neutron] is required with auth_type = "
		       "password, but neither this file nor the credentials file '%s' sets it",
		       conf, creds);
}

/* Named sections ([pool NAME]) through the parser's own interface. */
struct pool { char *network; int min; };
struct pools { struct pool p[4]; size_t n; };

static void *pool_section(void *user, const char *name)
{
	struct pools *ps = user;

	return ps->n < ARRAY_SIZE(ps->p) ? &ps->p[ps->n++] : NULL;
}

static const struct config_key pool_keys[] = {
	{ "network", "the network", CONFIG_STRING, offsetof(struct pool, network), NULL, 0, 0,
	  NULL, CONFIG_REQUIRED },
	{ "min", "the minimum", CONFIG_INT, offsetof(struct pool, min), "2", 0, 100, NULL, 0 },
};

static const struct config_section_kind pool_kinds[] = {
	{ "pool", true, pool_keys, ARRAY_SIZE(pool_keys), pool_section, "pools" },
};

static int parse_pools(const char *text, struct pools *ps, struct config_error *err)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r;

	assert_non_null(f);
	memset(ps, 0, sizeof(*ps));
	r = config_parse_file(f, "pools.conf", pool_kinds, ARRAY_SIZE(pool_kinds), ps, err);
	fclose(f);
	return r;
}

static void free_pools(struct pools *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		config_section_free_strings(&pool_kinds[0], &ps->p[i]);
}

static void test_named_sections(void **state)
{
	struct config_error err;
	struct pools ps;

	assert_int_equal(parse_pools("[pool web]\nnetwork = n1\nmin = 5\n[pool db]\nnetwork = n2\n",
				     &ps, &err), 0);
	assert_int_equal(ps.n, 2);
	assert_string_equal(ps.p[0].network, "n1");
	assert_int_equal(ps.p[0].min, 5);
	assert_string_equal(ps.p[1].network, "n2");
	assert_int_equal(ps.p[1].min, 2);  /* the default */
	free_pools(&ps);

	assert_int_equal(parse_pools("[pool web]\nnetwork = a\n[pool web]\n", &ps, &err), -EINVAL);
	assert_string_equal(err.message,
			    "pools.conf:3: section [pool web] appears twice (first at line 1)");
	free_pools(&ps);

	assert_int_equal(parse_pools("[pool]\n", &ps, &err), -EINVAL);
	assert_int_equal(err.line, 1);
	assert_non_null(strstr(err.message, "needs a name"));
	free_pools(&ps);

	assert_int_equal(parse_pools("[pool a]\nnetwork = a\n[pool b]\nmin = 1\n", &ps, &err),
			 -EINVAL);
	assert_string_equal(err.message,
			    "pools.conf:3: key 'network' in [pool b] is required but missing");
	free_pools(&ps);

	assert_int_equal(parse_pools("[pool a]\nmin = 101\n", &ps, &err), -EINVAL);
	assert_string_equal(err.message, "pools.conf:2: key 'min' in [pool a]: expected an "
			    "integer between 0 and 100, got '101'");
	free_pools(&ps);
}

/* config_load_stream: the same content checks, from a stream, and none of
 * the file's (the fuzzer's way in, fuzz/fuzz_config.c). */
static void test_load_stream(void **state)
{
	static char good[] = "[neutron]\nauth_url = http://k/v3\nusername = u\n"
			     "password = " SECRET "\nproject_name = p\n[host]\nname = h1\n"
			     "[pool web]\nnetwork = n\nsecurity_groups = a, b\n";
	static char bad[] = "[neutron]\nauth_type = noauth\n[host]\nname = h1\n";
	struct config_error err;
	struct config *cfg = NULL;
	FILE *f;

	f = fmemopen(good, strlen(good), "r");
	assert_non_null(f);
	assert_int_equal(config_load_stream(f, "/x.conf", &cfg, &err), 0);
	fclose(f);
	assert_string_equal(cfg->neutron.password, SECRET);
	assert_string_equal(cfg->host.name, "h1");
	assert_string_equal(cfg->daemon.socket, "/run/superfluid/superfluid.sock");
	assert_int_equal(cfg->n_pools, 1);
	assert_int_equal(cfg->pool_list[0].n_security_groups, 2);
	config_free(cfg);

	cfg = NULL;
	f = fmemopen(bad, strlen(bad), "r");
	assert_non_null(f);
	assert_int_equal(config_load_stream(f, "/x.conf", &cfg, &err), -EINVAL);
	fclose(f);
	assert_null(cfg);
	assert_non_null(strstr(err.message, "/x.conf: key 'endpoint_override' in [neutron] is "
				   "required with auth_type = noauth"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_credentials_override),
		cmocka_unit_test(test_bad_int),
		cmocka_unit_test(test_bad_bool_enum_path_empty),
		cmocka_unit_test(test_unknown_key_and_section),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_host_mode),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_main_file_perms),
		cmocka_unit_test(test_credentials_perms),
		cmocka_unit_test(test_credentials_content),
		cmocka_unit_test(test_named_sections),
		cmocka_unit_test(test_sites),
		cmocka_unit_test(test_load_stream),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
