/* The Neutron client's TLS: certificate verification is on by default, a
 * cafile is honoured and replaces the system store, `insecure` turns
 * verification off, and a certificate for another address or an expired one
 * is refused.  A throwaway PKI is made with the openssl command line in a
 * temporary folder (removed at the end, keys included) and served by an
 * HTTPS libmicrohttpd on 127.0.0.1 that plays Keystone and a noauth
 * Neutron.  One test swaps curl's system CA store for one holding the test
 * CA, in a private user and mount namespace of a child process. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "neutron/internal.h"

#define PASSWORD "tls-s3cr3t-PASSWORD"

extern char **environ;

/* The PKI of the whole run, made once by pki_setup. */
struct pki {
	char dir[PATH_MAX];           /* temporary folder, removed by pki_teardown */
	char ca[PATH_MAX];            /* the test CA, PEM */
	char other_ca[PATH_MAX];      /* an unrelated CA, PEM */
	char store[PATH_MAX];         /* a CA folder holding the test CA only */
	char sys_cafile[PATH_MAX];    /* curl's built-in CA bundle, "" if none */
	char sys_capath[PATH_MAX];    /* curl's built-in CA folder, "" if none */
	char *key;                    /* the servers' private key, PEM */
	char *cert_ok;                /* SAN IP:127.0.0.1, by the test CA */
	char *cert_other;             /* CN 127.0.0.1 but SAN IP:127.0.0.2 only */
	char *cert_expired;           /* SAN IP:127.0.0.1, expired in 2020 */
};

static struct pki pki;

static const char openssl_cnf[] =
	"[req]\n"
	"distinguished_name = dn\n"
	"prompt = no\n"
	"[dn]\n"
	"CN = unused\n"
	"[ca_ext]\n"
	"basicConstraints = critical, CA:TRUE\n"
	"keyUsage = critical, keyCertSign, cRLSign\n"
	"subjectKeyIdentifier = hash\n"
	"[srv_ok]\n"
	"basicConstraints = critical, CA:FALSE\n"
	"keyUsage = critical, digitalSignature\n"
	"extendedKeyUsage = serverAuth\n"
	"subjectAltName = IP:127.0.0.1\n"
	"[srv_other]\n"
	"basicConstraints = critical, CA:FALSE\n"
	"keyUsage = critical, digitalSignature\n"
	"extendedKeyUsage = serverAuth\n"
	"subjectAltName = IP:127.0.0.2\n"
	/* `openssl ca` is the only 3.0 command that takes a past start date. */
	"[ca]\n"
	"default_ca = test_ca\n"
	"[test_ca]\n"
	"database = $ENV::PKI_DIR/index.txt\n"
	"serial = $ENV::PKI_DIR/serial\n"
	"new_certs_dir = $ENV::PKI_DIR\n"
	"default_md = sha256\n"
	"policy = any_cn\n"
	"unique_subject = no\n"
	"[any_cn]\n"
	"commonName = supplied\n";

static bool path_join(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	return n > 0 && (size_t)n < size;
}

static void pki_path(char *buf, size_t size, const char *name)
{
	assert_true(path_join(buf, size, pki.dir, name));
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	int r = 0;

	if (!f)
		return -errno;
	if (fputs(text, f) == EOF)
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -EIO;
	return r;
}

/* The whole file, NUL-terminated; the caller frees it. */
static char *read_whole(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = calloc(1, (size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

/* Runs `openssl ARGS...` (NULL-terminated); an argument "@name" stands for
 * the file `name` in the PKI folder.  Output goes to openssl.log there,
 * which is shown when the command fails. */
static int openssl(const char *first, ...)
{
	char paths[16][PATH_MAX], log[PATH_MAX];
	const char *argv[24] = { "openssl" };
	posix_spawn_file_actions_t fa;
	size_t argc = 1, np = 0;
	const char *a;
	va_list ap;
	pid_t pid;
	int status = 0, r;

	va_start(ap, first);
	for (a = first; a; a = va_arg(ap, const char *)) {
		assert_true(argc < ARRAY_SIZE(argv) - 1 && np < ARRAY_SIZE(paths));
		if (a[0] == '@') {
			pki_path(paths[np], sizeof(paths[np]), a + 1);
			a = paths[np++];
		}
		argv[argc++] = a;
	}
	va_end(ap);
	argv[argc] = NULL;

	pki_path(log, sizeof(log), "openssl.log");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log, O_WRONLY | O_CREAT | O_TRUNC,
					 0600);
	posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
	r = posix_spawnp(&pid, "openssl", &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		print_error("cannot run openssl (scripts/deps installs it): %s\n", strerror(r));
		return -r;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *text = read_whole(log);

		print_error("openssl %s failed:\n%s\n", first, text ? text : "");
		free(text);
		return -EIO;
	}
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

/* Where this libcurl looks for the system's CAs when no cafile is given. */
static void curl_default_store(void)
{
	CURL *h = curl_easy_init();
	char *s = NULL;

	assert_non_null(h);
#if LIBCURL_VERSION_NUM >= 0x075400
	if (curl_easy_getinfo(h, CURLINFO_CAINFO, &s) == CURLE_OK && s)
		snprintf(pki.sys_cafile, sizeof(pki.sys_cafile), "%s", s);
	s = NULL;
	if (curl_easy_getinfo(h, CURLINFO_CAPATH, &s) == CURLE_OK && s)
		snprintf(pki.sys_capath, sizeof(pki.sys_capath), "%s", s);
#endif
	curl_easy_cleanup(h);
}

static int pki_teardown(void **state)
{
	/* The keys live only in this folder. */
	if (pki.dir[0] && nftw(pki.dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS) < 0)
		print_error("cannot remove %s: %s\n", pki.dir, strerror(errno));
	free(pki.key);
	free(pki.cert_ok);
	free(pki.cert_other);
	free(pki.cert_expired);
	memset(&pki, 0, sizeof(pki));
	return 0;
}

static int pki_setup(void **state)
{
	char cnf[PATH_MAX], tmpl[PATH_MAX], path[PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	const char *bundle;
	char *ca_pem = NULL;
	int r = -1;

	snprintf(tmpl, sizeof(tmpl), "%s/sf-tls-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(tmpl)) {
		print_error("mkdtemp %s: %s\n", tmpl, strerror(errno));
		return -1;
	}
	snprintf(pki.dir, sizeof(pki.dir), "%s", tmpl);
	setenv("PKI_DIR", pki.dir, 1);
	pki_path(cnf, sizeof(cnf), "openssl.cnf");
	pki_path(pki.ca, sizeof(pki.ca), "ca.pem");
	pki_path(pki.other_ca, sizeof(pki.other_ca), "other-ca.pem");
	pki_path(pki.store, sizeof(pki.store), "store");
	pki_path(path, sizeof(path), "index.txt");
	if (write_file(cnf, openssl_cnf) < 0 || write_file(path, "") < 0)
		goto out;
	pki_path(path, sizeof(path), "serial");
	if (write_file(path, "1000\n") < 0)
		goto out;

	/* EC keys: a fraction of RSA's generation time. */
#define NEWKEY "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"
	if (openssl("req", "-x509", "-new", "-config", "@openssl.cnf", "-extensions", "ca_ext",
		    NEWKEY, "-keyout", "@ca.key", "-out", "@ca.pem", "-days", "2",
		    "-subj", "/CN=superfluid test CA", NULL) < 0 ||
	    openssl("req", "-x509", "-new", "-config", "@openssl.cnf", "-extensions", "ca_ext",
		    NEWKEY, "-keyout", "@other-ca.key", "-out", "@other-ca.pem", "-days", "2",
		    "-subj", "/CN=superfluid other CA", NULL) < 0 ||
	    openssl("req", "-new", "-config", "@openssl.cnf", NEWKEY, "-keyout", "@server.key",
		    "-out", "@server.csr", "-subj", "/CN=superfluid test server", NULL) < 0 ||
	    openssl("req", "-new", "-config", "@openssl.cnf", "-key", "@server.key",
		    "-out", "@other.csr", "-subj", "/CN=127.0.0.1", NULL) < 0)
		goto out;
#undef NEWKEY
#define SIGN "ca", "-batch", "-notext", "-config", "@openssl.cnf", "-cert", "@ca.pem", \
	"-keyfile", "@ca.key", "-extfile", "@openssl.cnf"
	if (openssl(SIGN, "-extensions", "srv_ok", "-days", "2",
		    "-in", "@server.csr", "-out", "@server.pem", NULL) < 0 ||
	    openssl(SIGN, "-extensions", "srv_other", "-days", "2",
		    "-in", "@other.csr", "-out", "@other.pem", NULL) < 0 ||
	    openssl(SIGN, "-extensions", "srv_ok", "-startdate", "20200101000000Z",
		    "-enddate", "20200201000000Z",
		    "-in", "@server.csr", "-out", "@expired.pem", NULL) < 0)
		goto out;
#undef SIGN

	pki_path(path, sizeof(path), "server.key");
	pki.key = read_whole(path);
	pki_path(path, sizeof(path), "server.pem");
	pki.cert_ok = read_whole(path);
	pki_path(path, sizeof(path), "other.pem");
	pki.cert_other = read_whole(path);
	pki_path(path, sizeof(path), "expired.pem");
	pki.cert_expired = read_whole(path);
	ca_pem = read_whole(pki.ca);
	if (!pki.key || !pki.cert_ok || !pki.cert_other || !pki.cert_expired || !ca_pem)
		goto out;

	/* A stand-in for the system store: the test CA under curl's bundle
	 * name and, hashed, as a CA folder. */
	curl_default_store();
	bundle = strrchr(pki.sys_cafile, '/');
	bundle = bundle ? bundle + 1 : "ca-certificates.crt";
	if (mkdir(pki.store, 0700) < 0)
		goto out;
	if (!path_join(path, sizeof(path), pki.store, bundle) || write_file(path, ca_pem) < 0)
		goto out;
	if (!path_join(path, sizeof(path), pki.store, "test-ca.pem") ||
	    write_file(path, ca_pem) < 0 || openssl("rehash", "@store", NULL) < 0)
		goto out;
	r = 0;
out:
	free(ca_pem);
	if (r < 0)
		pki_teardown(state);
	return r;
}


/* An HTTPS server on 127.0.0.1 playing Keystone and a noauth Neutron. */
struct server {
	struct MHD_Daemon *d;
	unsigned short port;
	pthread_mutex_t lock;
	int requests;               /* requests that reached the handler */
	char last_token[64];        /* X-Auth-Token of the last request */
	char last_project[64];      /* X-Project-Id of the last request */
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *body,
			     const char *subject_token)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", "application/json");
	if (subject_token)
		MHD_add_response_header(r, "X-Subject-Token", subject_token);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result keystone(struct server *s, struct MHD_Connection *conn)
{
	char body[1024], expires[40];
	time_t t = time(NULL) + 3600;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(expires, sizeof(expires), "%Y-%m-%dT%H:%M:%S.000000Z", &tm);
	/* The catalog sends Neutron calls back here, over TLS too. */
	snprintf(body, sizeof(body),
		 "{\"token\": {\"expires_at\": \"%s\", \"project\": {\"id\": \"proj-1\"},"
		 " \"catalog\": [{\"type\": \"network\", \"endpoints\": ["
		 "  {\"interface\": \"public\", \"region_id\": \"RegionOne\","
		 "   \"url\": \"https://127.0.0.1:%u/\"}]}]}}", expires, s->port);
	return reply(conn, 201, body, "tok-tls");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_data_size, void **con_cls)
{
	static int started;
	struct server *s = cls;
	const char *tok = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Auth-Token");
	const char *pid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Project-Id");

	if (!*con_cls) {
		*con_cls = &started;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;      /* bodies do not matter here */
		return MHD_YES;
	}
	pthread_mutex_lock(&s->lock);
	s->requests++;
	snprintf(s->last_token, sizeof(s->last_token), "%s", tok ? tok : "");
	snprintf(s->last_project, sizeof(s->last_project), "%s", pid ? pid : "");
	pthread_mutex_unlock(&s->lock);

	if (strcmp(url, "/v3/auth/tokens") == 0 && strcmp(method, "POST") == 0)
		return keystone(s, conn);
	if (strcmp(url, "/v2.0/extensions") == 0 && strcmp(method, "GET") == 0)
		return reply(conn, 200, "{\"extensions\": []}", NULL);
	return reply(conn, 404, "{\"NeutronError\": {\"type\": \"HTTPNotFound\", "
		     "\"message\": \"not here\", \"detail\": \"\"}}", NULL);
}

/* `cert` must outlive the server. */
static struct server *server_start(const char *cert)
{
	struct server *s = calloc(1, sizeof(*s));
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const union MHD_DaemonInfo *info;

	assert_non_null(s);
	pthread_mutex_init(&s->lock, NULL);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->d = MHD_start_daemon(MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
				handler, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_HTTPS_MEM_KEY, pki.key,
				MHD_OPTION_HTTPS_MEM_CERT, cert,
				MHD_OPTION_END);
	assert_non_null(s->d);
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	s->port = info->port;
	return s;
}

static void server_stop(struct server *s)
{
	MHD_stop_daemon(s->d);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static int server_requests(struct server *s)
{
	int n;

	pthread_mutex_lock(&s->lock);
	n = s->requests;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* One GET /v2.0/extensions with a fresh noauth client (retries allowed, so
 * that a retried TLS failure would show in *ret_requests). */
static int list_extensions(unsigned short port, const char *cafile, bool insecure,
			   struct neutron_error *err, uint64_t *ret_requests)
{
	struct neutron_client *c = NULL;
	struct neutron_stats st;
	json_t *list = (json_t *)0x1;
	char url[64];
	int r;

	snprintf(url, sizeof(url), "https://127.0.0.1:%u", port);
	r = neutron_client_new(&(struct neutron_opts){
			.auth_type = NEUTRON_AUTH_NOAUTH, .endpoint_override = url,
			.project_id = "proj-tls", .cafile = cafile, .insecure = insecure,
			.max_retries = 2, .retry_base_ms = 10, .timeout_ms = 5000,
		}, &c);
	if (r < 0)
		return r;
	memset(err, 0, sizeof(*err));
	r = neutron_extensions_list(c, &list, err);
	if (r == 0) {
		/* The answer arrived intact: an empty array. */
		if (!json_is_array(list) || json_array_size(list) != 0)
			r = -EBADMSG;
		json_decref(list);
	} else if (list != (json_t *)0x1) {
		r = -EFAULT;                /* an output written on failure */
	}
	neutron_client_stats(c, &st);
	if (ret_requests)
		*ret_requests = st.requests;
	neutron_client_free(c);
	return r;
}

/* A refused certificate: -EPROTO at once (no retry, nothing sent to the
 * server), and curl's reason, naming `what`, in the error message. */
static void assert_refused(struct server *s, const char *cafile, const char *what)
{
	struct neutron_error err;
	uint64_t requests = 0;

	assert_int_equal(list_extensions(s->port, cafile, false, &err, &requests), -EPROTO);
	print_message("refused as expected: %s\n", err.message);
	assert_int_equal(err.http_status, 0);
	assert_non_null(strstr(err.message, "https://127.0.0.1:"));
	assert_non_null(strstr(err.message, what));
	assert_int_equal(requests, 1);
	assert_int_equal(server_requests(s), 0);
}

static void test_cafile_verifies(void **state)
{
	struct neutron_error err;
	struct server *s;
	uint64_t requests = 0;

	s = server_start(pki.cert_ok);
	assert_int_equal(list_extensions(s->port, pki.ca, false, &err, &requests), 0);
	assert_int_equal(requests, 1);
	assert_int_equal(server_requests(s), 1);
	assert_string_equal(s->last_project, "proj-tls");
	server_stop(s);
}

static void test_verification_on_by_default(void **state)
{
	struct server *s;

	s = server_start(pki.cert_ok);
	/* No cafile, no insecure: the system store, which lacks the test CA. */
	assert_refused(s, NULL, "certificate");
	server_stop(s);
}

static void test_cafile_of_another_ca_or_missing(void **state)
{
	char missing[PATH_MAX];
	struct server *s;

	s = server_start(pki.cert_ok);
	assert_refused(s, pki.other_ca, "certificate");
	/* A cafile that cannot be read fails closed, never falls back to
	 * the system store or to no verification. */
	pki_path(missing, sizeof(missing), "no-such-ca.pem");
	assert_refused(s, missing, "no-such-ca.pem");
	server_stop(s);
}

static void test_insecure_skips_verification(void **state)
{
	const char *certs[] = { pki.cert_ok, pki.cert_other, pki.cert_expired };

	for (size_t i = 0; i < ARRAY_SIZE(certs); i++) {
		struct server *s = server_start(certs[i]);
		struct neutron_error err;

		assert_int_equal(list_extensions(s->port, NULL, true, &err, NULL), 0);
		assert_int_equal(server_requests(s), 1);
		server_stop(s);
	}
}

static void test_other_address_refused(void **state)
{
	struct server *s;

	/* Signed by the trusted CA, CN "127.0.0.1", but its only SAN is
	 * 127.0.0.2: the SAN decides (RFC 6125), so it is refused. */
	s = server_start(pki.cert_other);
	assert_refused(s, pki.ca, "host name");
	server_stop(s);
}

static void test_expired_refused(void **state)
{
	struct server *s;

	s = server_start(pki.cert_expired);
	assert_refused(s, pki.ca, "expired");
	server_stop(s);
}

static void test_keystone_over_tls(void **state)
{
	struct neutron_client *c = NULL;
	struct neutron_error err = { 0 };
	struct server *s;
	json_t *list = NULL;
	char url[64];

	s = server_start(pki.cert_ok);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/v3", s->port);

	/* Without the CA the password never leaves the client. */
	assert_int_equal(neutron_client_new(&(struct neutron_opts){
			.auth_type = NEUTRON_AUTH_PASSWORD, .auth_url = url,
			.username = "demo", .password = PASSWORD, .project_name = "demo",
			.retry_base_ms = 10,
		}, &c), 0);
	assert_int_equal(neutron_authenticate(c, &err), -EPROTO);
	assert_non_null(strstr(err.message, "Keystone: "));
	assert_non_null(strstr(err.message, "certificate"));
	assert_int_equal(server_requests(s), 0);
	neutron_client_free(c);

	/* With it, Keystone and then Neutron (from the catalog) over TLS. */
	c = NULL;
	assert_int_equal(neutron_client_new(&(struct neutron_opts){
			.auth_type = NEUTRON_AUTH_PASSWORD, .auth_url = url,
			.username = "demo", .password = PASSWORD, .project_name = "demo",
			.cafile = pki.ca, .retry_base_ms = 10,
		}, &c), 0);
	assert_int_equal(neutron_extensions_list(c, &list, &err), 0);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u", s->port);
	assert_string_equal(neutron_endpoint(c), url);
	assert_int_equal(server_requests(s), 2);
	assert_string_equal(s->last_token, "tok-tls");
	neutron_client_free(c);
	server_stop(s);
}

/* What the child of test_system_store saw. */
struct store_result {
	int setup_errno;            /* > 0: the namespace could not be made */
	char setup_step[32];
	int r_default;              /* no cafile: the (substituted) system store */
	int r_other_ca;             /* cafile = the other CA */
	char msg_other_ca[512];
};

static void store_child(int wfd, unsigned short port)
{
	struct store_result res = { 0 };
	struct neutron_error err;
	ssize_t n;

#define STEP(name, call) do { \
	if (!res.setup_errno && (call) < 0) { \
		res.setup_errno = errno; \
		snprintf(res.setup_step, sizeof(res.setup_step), "%s", name); \
	} \
} while (0)
	/* A private mount namespace (in a user namespace, so that no root is
	 * needed): the bind mounts vanish with this process. */
	STEP("unshare", unshare(CLONE_NEWUSER | CLONE_NEWNS));
	STEP("make / private", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	if (pki.sys_capath[0])
		STEP("mount CA folder", mount(pki.store, pki.sys_capath, NULL, MS_BIND, NULL));
	if (pki.sys_cafile[0]) {
		char bundle[PATH_MAX];
		const char *base = strrchr(pki.sys_cafile, '/');

		if (!path_join(bundle, sizeof(bundle), pki.store, base ? base + 1 : "")) {
			errno = ENAMETOOLONG;
			STEP("CA bundle path", -1);
		}
		STEP("mount CA bundle", mount(bundle, pki.sys_cafile, NULL, MS_BIND, NULL));
	}
#undef STEP
	if (!res.setup_errno) {
		res.r_default = list_extensions(port, NULL, false, &err, NULL);
		res.r_other_ca = list_extensions(port, pki.other_ca, false, &err, NULL);
		snprintf(res.msg_other_ca, sizeof(res.msg_other_ca), "%s", err.message);
	}
	n = write(wfd, &res, sizeof(res));
	_exit(n == (ssize_t)sizeof(res) ? 0 : 1);
}

static void test_system_store(void **state)
{
	struct store_result res = { 0 };
	struct server *s;
	int fds[2], status = 0;
	ssize_t n;
	pid_t pid;

	if (!pki.sys_cafile[0] && !pki.sys_capath[0]) {
		print_message("this libcurl names no CA store: test skipped\n");
		skip();
	}
	s = server_start(pki.cert_ok);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	/* The child runs no cmocka assertion: it reports through the pipe. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		store_child(fds[1], s->port);
	}
	close(fds[1]);
	n = read(fds[0], &res, sizeof(res));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(n, sizeof(res));
	server_stop(s);
	if (res.setup_errno) {
		print_message("no private mount namespace here (%s: %s): test skipped\n",
			      res.setup_step, strerror(res.setup_errno));
		skip();
	}
	/* Without a cafile the system store is what verifies ... */
	assert_int_equal(res.r_default, 0);
	/* ... and a cafile replaces it rather than adding to it. */
	print_message("other CA with the test CA in the system store: %s\n", res.msg_other_ca);
	assert_int_equal(res.r_other_ca, -EPROTO);
	assert_non_null(strstr(res.msg_other_ca, "certificate"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cafile_verifies),
		cmocka_unit_test(test_verification_on_by_default),
		cmocka_unit_test(test_cafile_of_another_ca_or_missing),
		cmocka_unit_test(test_insecure_skips_verification),
		cmocka_unit_test(test_other_address_refused),
		cmocka_unit_test(test_expired_refused),
		cmocka_unit_test(test_keystone_over_tls),
		cmocka_unit_test(test_system_store),
	};

	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		/* tests/run counts exit 77 as a skip. */
		printf("skip: libmicrohttpd was built without TLS\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, pki_setup, pki_teardown);
}
