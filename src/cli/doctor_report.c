#include "cli/doctor_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_names[] = {
	[DOCTOR_OK] = "ok", [DOCTOR_WARN] = "warn", [DOCTOR_FAIL] = "fail", [DOCTOR_SKIP] = "skip",
};

struct doctor_check *doctor_report_add(struct doctor *d, const char *name,
				       enum doctor_status status, const char *hint, const char *fmt, ...)
{
	struct doctor_check *c;
	va_list ap;

	/* The checks are a fixed list: running out of room is a bug. */
	if (d->n >= DOCTOR_MAX_CHECKS)
		d->n = DOCTOR_MAX_CHECKS - 1;
	c = &d->checks[d->n++];
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->status = status;
	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
	if (hint)
		snprintf(c->hint, sizeof(c->hint), "%s", hint);
	return c;
}

void doctor_report_text(const struct doctor *d)
{
	static const char *const tags[] = {
		[DOCTOR_OK] = " ok ", [DOCTOR_WARN] = "warn", [DOCTOR_FAIL] = "FAIL",
		[DOCTOR_SKIP] = "skip",
	};

	for (unsigned i = 0; i < d->n; i++) {
		const struct doctor_check *c = &d->checks[i];

		printf("[%s] %-15s %s\n", tags[c->status], c->name, c->message);
		if (c->hint[0] && c->status != DOCTOR_OK)
			printf("       %-15s hint: %s\n", "", c->hint);
	}
}

int doctor_report_json(const struct doctor *d, bool ok)
{
	json_t *root = json_object(), *checks = json_array();
	int r = -1;

	if (!root || !checks)
		goto out;
	for (unsigned i = 0; i < d->n; i++) {
		const struct doctor_check *c = &d->checks[i];
		json_t *o = json_pack("{s:s, s:s, s:s}", "name", c->name, "status",
				      status_names[c->status], "message", c->message);

		if (!o)
			goto out;
		if (c->hint[0] && json_object_set_new(o, "hint", json_string(c->hint)) < 0) {
			json_decref(o);
			goto out;
		}
		if (json_array_append_new(checks, o) < 0)
			goto out;
	}
	if (json_object_set_new(root, "checks", checks) < 0) {
		checks = NULL;
		goto out;
	}
	checks = NULL;
	if (json_object_set_new(root, "ok", json_boolean(ok)) < 0 ||
	    json_dumpf(root, stdout, JSON_INDENT(2)) < 0)
		goto out;
	putchar('\n');
	r = 0;
out:
	json_decref(checks);
	json_decref(root);
	return r;
}
