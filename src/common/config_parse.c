#include "common/config_parse.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A file may not have more sections than this: each one costs memory. */
#define MAX_SECTIONS 1024
/* A value longer than this is quoted truncated in messages. */
#define QUOTE_MAX 64

/* One section of the file: a fixed kind's struct or a named instance. */
struct instance {
	const struct config_section_kind *kind;
	char *name;          /* named kinds only; owned */
	void *base;          /* borrowed from the kind's callback */
	unsigned line;       /* of its header; 0 if it never appeared */
	unsigned *key_line;  /* per key of the kind: where it was set, 0 if not */
};

struct parse_ctx {
	FILE *f;
	const char *path;
	const struct config_section_kind *kinds;
	size_t n_kinds;
	void *user;
	unsigned line;          /* physical line of the last line read */
	bool failed;
	bool nomem;             /* the failure was for want of memory */
	struct config_error err;
	struct instance *inst;
	size_t n_inst, cap_inst;
	struct instance *cur;   /* the section being read, NULL before the first */
};

static void __attribute__((format(printf, 6, 0)))
vset(struct config_error *err, const char *path, unsigned line, const char *section,
		 const char *key, const char *fmt, va_list ap)
{
	int n;

	memset(err, 0, sizeof(*err));
	(void)util_strlcpy(err->path, path ? path : "", sizeof(err->path));
	err->line = line;
	(void)util_strlcpy(err->section, section ? section : "", sizeof(err->section));
	(void)util_strlcpy(err->key, key ? key : "", sizeof(err->key));
	if (line)
		n = snprintf(err->message, sizeof(err->message), "%s:%u: ", err->path, line);
	else
		n = snprintf(err->message, sizeof(err->message), "%s: ", err->path);
	if (n < 0 || (size_t)n >= sizeof(err->message))
		return;
	/* A truncated message is still the best we have. */
	(void)vsnprintf(err->message + n, sizeof(err->message) - (size_t)n, fmt, ap);
}

int config_error_set(struct config_error *err, const char *path, unsigned line,
		     const char *section, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -EINVAL;
	va_start(ap, fmt);
	vset(err, path, line, section, key, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Records the first error only; later ones are consequences. */
static void __attribute__((format(printf, 4, 5)))
fail(struct parse_ctx *ctx, const char *section, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (ctx->failed)
		return;
	ctx->failed = true;
	va_start(ap, fmt);
	vset(&ctx->err, ctx->path, ctx->line, section, key, fmt, ap);
	va_end(ap);
}

/* Out of memory: the parse stops and fails with -ENOMEM. */
static void fail_nomem(struct parse_ctx *ctx)
{
	if (ctx->failed)
		return;
	fail(ctx, NULL, NULL, "out of memory");
	ctx->nomem = true;
}

/* "[pool web]" for named instances, "[neutron]" otherwise, into buf. */
static const char *section_label(const struct instance *in, char *buf, size_t size)
{
	if (in->name)
		snprintf(buf, size, "%s %s", in->kind->name, in->name);
	else
		snprintf(buf, size, "%s", in->kind->name);
	return buf;
}

static void quote(char *buf, size_t size, const char *value)
{
	size_t n = strlen(value);

	if (n < QUOTE_MAX && n < size)
		memcpy(buf, value, n + 1);
	else
		snprintf(buf, size, "%.*s...", QUOTE_MAX, value);
}

static struct instance *find_instance(struct parse_ctx *ctx, const struct config_section_kind *kind,
				      const char *name)
{
	for (size_t i = 0; i < ctx->n_inst; i++) {
		struct instance *in = &ctx->inst[i];

		if (in->kind == kind && (kind->named ? streq(in->name, name) : true))
			return in;
	}
	return NULL;
}

static bool valid_instance_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

/* A "[...]" line: `text` is the part between the brackets. */
static void begin_section(struct parse_ctx *ctx, char *text)
{
	const struct config_section_kind *kind = NULL;
	char *name = strchr(text, ' ');
	struct instance *in;
	void *base;
	int r;

	if (name) {
		*name++ = '\0';
		name += strspn(name, " \t");
		name[strcspn(name, " \t")] = '\0';
	}
	for (size_t i = 0; i < ctx->n_kinds; i++)
		if (strcmp(ctx->kinds[i].name, text) == 0)
			kind = &ctx->kinds[i];
	if (!kind) {
		char known[256];
		size_t n = 0;

		known[0] = '\0';
		for (size_t i = 0; i < ctx->n_kinds && n < sizeof(known); i++)
			n += (size_t)snprintf(known + n, sizeof(known) - n, "%s%s%s", i ? ", " : "",
					      ctx->kinds[i].name, ctx->kinds[i].named ? " NAME" : "");
		fail(ctx, text, NULL, "unknown section [%s] (known sections: %s)", text, known);
		return;
	}
	if (kind->named && (!name || !valid_instance_name(name))) {
		fail(ctx, text, NULL,
		     "section [%s] needs a name of letters, digits, '_', '.' or '-': [%s NAME]",
		     text, text);
		return;
	}
	if (!kind->named && name) {
		fail(ctx, text, NULL, "section [%s] takes no name, got '%s'", text, name);
		return;
	}
	in = find_instance(ctx, kind, name);
	if (in && in->line) {
		fail(ctx, text, NULL, "section [%s%s%s] appears twice (first at line %u)", text,
		     name ? " " : "", name ? name : "", in->line);
		return;
	}
	if (!in) {
		/* Named kinds: a new instance, capped in number. */
		if (ctx->n_inst >= MAX_SECTIONS) {
			fail(ctx, text, NULL, "too many sections (at most %d)", MAX_SECTIONS);
			return;
		}
		/* Room first, so that a section the callback added is always
		 * one this parse knows. */
		if (ctx->n_inst == ctx->cap_inst) {
			size_t cap = ctx->cap_inst ? ctx->cap_inst * 2 : 8;
			struct instance *v = realloc(ctx->inst, cap * sizeof(*ctx->inst));

			if (!v) {
				fail_nomem(ctx);
				return;
			}
			ctx->inst = v;
			ctx->cap_inst = cap;
		}
		errno = 0;
		base = kind->section(ctx->user, name);
		if (!base && errno == ENOMEM) {
			fail_nomem(ctx);
			return;
		}
		if (!base) {
			fail(ctx, text, NULL, "section [%s %s] cannot be added", text, name);
			return;
		}
		in = &ctx->inst[ctx->n_inst++];
		memset(in, 0, sizeof(*in));
		in->kind = kind;
		in->base = base;
		in->name = name ? strdup(name) : NULL;
		in->key_line = calloc(kind->n_keys ? kind->n_keys : 1, sizeof(unsigned));
		if ((name && !in->name) || !in->key_line) {
			fail_nomem(ctx);
			return;
		}
		r = config_section_defaults(kind, base);
		if (r == -ENOMEM) {
			fail_nomem(ctx);
			return;
		}
		if (r < 0) {
			fail(ctx, text, NULL, "bad default in the key table (a bug)");
			return;
		}
	}
	in->line = ctx->line;
	ctx->cur = in;
}

/* Strips a comment that starts with '#' or ';' after whitespace. */
static void strip_inline_comment(char *s)
{
	for (char *p = s + 1; *p; p++) {
		if ((*p == '#' || *p == ';') && (p[-1] == ' ' || p[-1] == '\t')) {
			p[0] = '\n';
			p[1] = '\0';
			return;
		}
	}
}

/* The inih reader: reads one physical line, counts it, refuses overlong
 * lines (inih would split them and miscount), removes indentation (inih
 * would take an indented line for the continuation of the previous value)
 * and inline comments, and tracks section headers itself so that an empty
 * or unknown section is caught too.  Returning NULL ends the parse. */
static char *read_line(char *str, int num, void *stream)
{
	struct parse_ctx *ctx = stream;
	size_t len, lead;
	char *close;

	if (ctx->failed || !fgets(str, num, ctx->f)) {
		if (!ctx->failed && ferror(ctx->f))
			fail(ctx, NULL, NULL, "read error: %s", strerror(errno ? errno : EIO));
		return NULL;
	}
	ctx->line++;
	len = strlen(str);
	if (len == (size_t)num - 1 && str[len - 1] != '\n') {
		int c = fgetc(ctx->f);

		if (c != EOF) {
			fail(ctx, NULL, NULL, "line too long (at most %d characters)", num - 2);
			return NULL;
		}
	}
	if (ctx->line == 1 && memcmp(str, "\xEF\xBB\xBF", 3) == 0)
		memmove(str, str + 3, strlen(str + 3) + 1);
	lead = strspn(str, " \t");
	memmove(str, str + lead, strlen(str + lead) + 1);
	if (str[0] == '#' || str[0] == ';')
		return str;
	strip_inline_comment(str);
	if (str[0] == '[') {
		close = strchr(str, ']');
		if (!close) {
			fail(ctx, NULL, NULL, "syntax error: section header without ']'");
			return NULL;
		}
		if (close[1 + strspn(close + 1, " \t\r\n")] != '\0') {
			fail(ctx, NULL, NULL, "syntax error: text after the section header");
			return NULL;
		}
		{
			char text[128], *t = text;
			size_t n = (size_t)(close - str - 1);

			if (n >= sizeof(text)) {
				fail(ctx, NULL, NULL, "section header too long");
				return NULL;
			}
			memcpy(text, str + 1, n);
			while (n && (text[n - 1] == ' ' || text[n - 1] == '\t'))
				n--;
			text[n] = '\0';
			t += strspn(t, " \t");
			begin_section(ctx, t);
		}
		if (ctx->failed)
			return NULL;
	}
	return str;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *ctx = user;
	const struct config_key *key = NULL;
	struct instance *in = ctx->cur;
	char label[160], why[256], hint[256], shown[QUOTE_MAX + 8];
	size_t i;
	int r;

	if (ctx->failed)
		return 0;
	if (!in) {
		fail(ctx, NULL, name, "key '%s' outside of any section", name);
		return 0;
	}
	section_label(in, label, sizeof(label));
	for (i = 0; i < in->kind->n_keys; i++) {
		if (strcmp(in->kind->keys[i].name, name) == 0) {
			key = &in->kind->keys[i];
			break;
		}
	}
	if (!key) {
		config_section_key_hint(in->kind, name, hint, sizeof(hint));
		fail(ctx, label, name, "unknown key '%s' in [%s]%s", name, label, hint);
		return 0;
	}
	if (in->key_line[i]) {
		fail(ctx, label, name, "key '%s' in [%s]: set twice (first at line %u)", name, label,
		     in->key_line[i]);
		return 0;
	}
	r = config_section_set(key, in->base, value, why, sizeof(why));
	if (r == -ENOMEM) {
		fail_nomem(ctx);
		return 0;
	}
	if (r < 0) {
		if (key->flags & CONFIG_SECRET)
			fail(ctx, label, name, "key '%s' in [%s]: %s (the value is secret: not shown)",
			     name, label, why);
		else {
			quote(shown, sizeof(shown), value);
			fail(ctx, label, name, "key '%s' in [%s]: %s, got '%s'", name, label, why,
			     shown);
		}
		return 0;
	}
	in->key_line[i] = ctx->line;
	return 1;
}

/* Fixed kinds get their instance up front, so that a required key of a
 * section that never appears is noticed. */
static void add_fixed_instances(struct parse_ctx *ctx)
{
	size_t n = 0;

	for (size_t i = 0; i < ctx->n_kinds; i++)
		n += !ctx->kinds[i].named;
	ctx->inst = calloc(n + 8, sizeof(*ctx->inst));
	if (!ctx->inst) {
		fail_nomem(ctx);
		return;
	}
	ctx->cap_inst = n + 8;
	for (size_t i = 0; i < ctx->n_kinds; i++) {
		const struct config_section_kind *k = &ctx->kinds[i];
		struct instance *in;

		if (k->named)
			continue;
		in = &ctx->inst[ctx->n_inst++];
		in->kind = k;
		in->base = k->section(ctx->user, NULL);
		in->key_line = calloc(k->n_keys ? k->n_keys : 1, sizeof(unsigned));
		if (!in->key_line) {
			fail_nomem(ctx);
			return;
		}
	}
}

static void check_required(struct parse_ctx *ctx)
{
	char label[160];

	for (size_t i = 0; i < ctx->n_inst && !ctx->failed; i++) {
		struct instance *in = &ctx->inst[i];

		for (size_t k = 0; k < in->kind->n_keys; k++) {
			const struct config_key *key = &in->kind->keys[k];

			if (!(key->flags & CONFIG_REQUIRED) || in->key_line[k])
				continue;
			section_label(in, label, sizeof(label));
			ctx->line = in->line;
			fail(ctx, label, key->name, "key '%s' in [%s] is required but missing",
			     key->name, label);
			break;
		}
	}
}

int config_parse_file(FILE *f, const char *path, const struct config_section_kind *kinds,
		      size_t n_kinds, void *user, struct config_error *err)
{
	struct parse_ctx ctx = {
		.f = f, .path = path, .kinds = kinds, .n_kinds = n_kinds, .user = user,
	};
	int r, line;

	add_fixed_instances(&ctx);
	/* A failure there leaves ctx.failed set, which ends the parse at once. */
	line = ini_parse_stream(read_line, &ctx, on_key, &ctx);
	if (line == -2) {
		config_error_set(err, path, 0, NULL, NULL, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	/* inih goes on after a syntax error and returns the first error's line;
	 * our own errors stop the reading, so an earlier line is inih's. */
	if (line > 0 && (!ctx.failed || (unsigned)line < ctx.err.line)) {
		ctx.failed = false;
		ctx.line = (unsigned)line;
		fail(&ctx, NULL, NULL, "syntax error: expected '[section]' or 'key = value'");
	}
	if (!ctx.failed)
		check_required(&ctx);
	if (ctx.failed) {
		if (err)
			*err = ctx.err;
		r = ctx.nomem ? -ENOMEM : -EINVAL;
		goto out;
	}
	r = 0;
out:
	for (size_t i = 0; i < ctx.n_inst; i++) {
		free(ctx.inst[i].name);
		free(ctx.inst[i].key_line);
	}
	free(ctx.inst);
	return r;
}
