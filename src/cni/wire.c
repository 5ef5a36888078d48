/* Wire messages: building and parsing; the socket I/O is in wire_io.c. */
#include "cni/wire.h"
#include "cni/conf.h"
#include "cni/json.h"

#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>

static const struct {
	const char *name;
	size_t offset;
} env_vars[] = {
	{ "CNI_COMMAND", offsetof(struct cni_env_raw, command) },
	{ "CNI_CONTAINERID", offsetof(struct cni_env_raw, container_id) },
	{ "CNI_NETNS", offsetof(struct cni_env_raw, netns) },
	{ "CNI_IFNAME", offsetof(struct cni_env_raw, ifname) },
	{ "CNI_ARGS", offsetof(struct cni_env_raw, args) },
	{ "CNI_PATH", offsetof(struct cni_env_raw, path) },
};

static const char **env_field(struct cni_env_raw *env, size_t i)
{
	return (const char **)((char *)env + env_vars[i].offset);
}

static const char *env_value(const struct cni_env_raw *env, size_t i)
{
	return *env_field((struct cni_env_raw *)env, i);
}

/* Dumps `o` compactly, without the trailing newline of cni_json_dump(). */
static int dump_msg(const json_t *o, char **ret, size_t *ret_len)
{
	char *s = NULL;
	size_t n;
	int r;

	r = cni_json_dump(o, &s);
	if (r < 0)
		return r;
	n = strlen(s) - 1;
	if (n > WIRE_MSG_MAX) {
		free(s);
		return -EMSGSIZE;
	}
	s[n] = '\0';
	*ret = s;
	*ret_len = n;
	return 0;
}

int wire_request_build(const struct cni_env_raw *env, const char *stdin_data, size_t stdin_len,
		       char **ret, size_t *ret_len, struct cni_error *err)
{
	json_t *o = json_object(), *e = json_object(), *s;
	int r = -EINVAL;

	if (json_object_set_new(o, "version", json_integer(WIRE_VERSION)) < 0 ||
	    json_object_set(o, "env", e) < 0)
		goto nomem;
	for (size_t i = 0; i < ARRAY_SIZE(env_vars); i++) {
		const char *v = env_value(env, i);

		if (!v)
			continue;
		if (strlen(v) > WIRE_ENV_MAX) {
			cni_error_set(err, CNI_ERR_INVALID_ENV, "%s is longer than %d bytes",
				      env_vars[i].name, WIRE_ENV_MAX);
			goto out;
		}
		if (!cni_utf8_valid(v, strlen(v))) {
			cni_error_set(err, CNI_ERR_INVALID_ENV, "%s is not valid UTF-8",
				      env_vars[i].name);
			goto out;
		}
		s = json_string(v);
		if (!s)
			goto nomem;
		if (json_object_set_new(e, env_vars[i].name, s) < 0)
			goto nomem;
	}
	if (stdin_len > CNI_CONF_MAX) {
		cni_error_set(err, CNI_ERR_DECODE, "network config larger than %d bytes",
			      CNI_CONF_MAX);
		goto out;
	}
	if (!cni_utf8_valid(stdin_data ? stdin_data : "", stdin_len)) {
		cni_error_set(err, CNI_ERR_DECODE, "the network config on stdin is not UTF-8");
		goto out;
	}
	s = json_stringn(stdin_data ? stdin_data : "", stdin_len);
	if (!s)
		goto nomem;
	if (json_object_set_new(o, "stdin", s) < 0)
		goto nomem;
	r = dump_msg(o, ret, ret_len);
	if (r < 0)
		cni_error_set(err, CNI_ERR_INTERNAL, "cannot build the request to the daemon");
	goto out;
nomem:
	r = cni_error_nomem(err);
out:
	json_decref(e);
	json_decref(o);
	return r;
}

void wire_request_free(struct wire_request *req)
{
	if (!req)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(req->owned_); i++)
		free(req->owned_[i]);
	free(req->stdin_data);
	free(req);
}

static int bad_request(struct cni_error *err, const char *what)
{
	cni_error_set(err, CNI_ERR_DECODE, "malformed request from the plugin: %s", what);
	return -EBADMSG;
}

static int parse_env(struct wire_request *req, const json_t *e, struct cni_error *err)
{
	if (!json_is_object(e))
		return bad_request(err, "'env' must be an object");
	for (size_t i = 0; i < ARRAY_SIZE(env_vars); i++) {
		const json_t *v = json_object_get(e, env_vars[i].name);

		if (!v)
			continue;
		if (!json_is_string(v) || json_string_length(v) > WIRE_ENV_MAX ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			cni_error_set(err, CNI_ERR_DECODE, "malformed request from the plugin: "
				      "'env.%s' must be a string of at most %d bytes without NUL",
				      env_vars[i].name, WIRE_ENV_MAX);
			return -EBADMSG;
		}
		req->owned_[i] = strdup(json_string_value(v));
		if (!req->owned_[i])
			return cni_error_nomem(err);
		*env_field(&req->env, i) = req->owned_[i];
	}
	return 0;
}

int wire_request_parse(const char *buf, size_t len, struct wire_request **ret,
		       struct cni_error *err)
{
	struct wire_request *req = calloc(1, sizeof(*req));
	const json_t *v;
	json_t *o = NULL;
	json_error_t jerr;
	int r;

	if (!req)
		return cni_error_nomem(err);
	if (len > WIRE_MSG_MAX) {
		r = bad_request(err, "larger than 1 MiB");
		goto out;
	}
	o = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!o && json_error_code(&jerr) == json_error_out_of_memory) {
		r = cni_error_nomem(err);
		goto out;
	}
	if (!o) {
		r = bad_request(err, "not JSON");
		cni_error_set_details(err, "%s", jerr.text);
		goto out;
	}
	if (!json_is_object(o)) {
		r = bad_request(err, "not a JSON object");
		goto out;
	}
	v = json_object_get(o, "version");
	if (!json_is_integer(v)) {
		r = bad_request(err, "'version' must be an integer");
		goto out;
	}
	if (json_integer_value(v) != WIRE_VERSION) {
		cni_error_set(err, CNI_ERR_DECODE, "the plugin speaks wire protocol version %"
			      JSON_INTEGER_FORMAT ", the daemon %d: install the plugin and the "
			      "daemon of one release", json_integer_value(v), WIRE_VERSION);
		r = -EBADMSG;
		goto out;
	}
	r = parse_env(req, json_object_get(o, "env"), err);
	if (r < 0)
		goto out;
	v = json_object_get(o, "stdin");
	if (!json_is_string(v) || json_string_length(v) > CNI_CONF_MAX) {
		r = bad_request(err, "'stdin' must be a string of at most 128 KiB");
		goto out;
	}
	req->stdin_len = json_string_length(v);
	req->stdin_data = malloc(req->stdin_len + 1);
	if (!req->stdin_data) {
		r = cni_error_nomem(err);
		goto out;
	}
	memcpy(req->stdin_data, json_string_value(v), req->stdin_len);
	req->stdin_data[req->stdin_len] = '\0';
	*ret = req;
	req = NULL;
out:
	json_decref(o);
	wire_request_free(req);
	return r;
}

int wire_reply_build(int exit_code, const char *stdout_text, char **ret, size_t *ret_len)
{
	const char *text = stdout_text ? stdout_text : "";
	json_t *o, *s;
	int r;

	if (exit_code != 0 && exit_code != 1)
		return -EINVAL;
	if (!cni_utf8_valid(text, strlen(text)))
		return -EINVAL;
	s = json_string(text);
	if (!s)
		return -ENOMEM;
	o = json_object();
	r = json_object_set_new(o, "exit", json_integer(exit_code));
	r |= json_object_set_new(o, "stdout", s);
	r = r < 0 ? -ENOMEM : dump_msg(o, ret, ret_len);
	json_decref(o);
	return r;
}

int wire_reply_error(const struct cni_error *err, char **ret, size_t *ret_len)
{
	char *text = NULL;
	int r;

	r = cni_error_to_json(err, &text);
	if (r < 0)
		return r;
	r = wire_reply_build(1, text, ret, ret_len);
	free(text);
	return r;
}

void wire_reply_free(struct wire_reply *reply)
{
	if (!reply)
		return;
	free(reply->stdout_text);
	free(reply);
}

int wire_reply_parse(const char *buf, size_t len, struct wire_reply **ret)
{
	struct wire_reply *reply;
	const json_t *ex, *out;
	json_error_t jerr;
	json_t *o;
	int r = -EBADMSG;

	if (len > WIRE_MSG_MAX)
		return -EBADMSG;
	o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o && json_error_code(&jerr) == json_error_out_of_memory)
		return -ENOMEM;
	ex = json_object_get(o, "exit");
	out = json_object_get(o, "stdout");
	if (json_is_object(o) && json_is_integer(ex) &&
	    (json_integer_value(ex) == 0 || json_integer_value(ex) == 1) && json_is_string(out)) {
		r = -ENOMEM;
		reply = calloc(1, sizeof(*reply));
		if (!reply)
			goto out;
		reply->exit_code = (int)json_integer_value(ex);
		reply->stdout_len = json_string_length(out);
		reply->stdout_text = malloc(reply->stdout_len + 1);
		if (!reply->stdout_text) {
			free(reply);
			goto out;
		}
		memcpy(reply->stdout_text, json_string_value(out), reply->stdout_len + 1);
		*ret = reply;
		r = 0;
	}
out:
	json_decref(o);
	return r;
}
