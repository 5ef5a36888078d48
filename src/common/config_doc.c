/* The configuration's documentation, generated from the key tables
 * (config_doc.h): the KEYS of superfluid.conf(5) in roff, and the
 * commented example file installed as /etc/superfluid/superfluid.conf. */
#include "common/config_doc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/config.h"

int config_doc_check(char *why, size_t why_size)
{
	const struct config_section_kind *kinds[2];
	size_t n[2];

	kinds[0] = config_kinds(&n[0]);
	kinds[1] = config_credential_kinds(&n[1]);
	for (size_t t = 0; t < 2; t++) {
		for (size_t i = 0; i < n[t]; i++) {
			const struct config_section_kind *k = &kinds[t][i];

			if (!k->help || !*k->help) {
				snprintf(why, why_size, "section [%s] has no help text", k->name);
				return -EINVAL;
			}
			for (size_t j = 0; j < k->n_keys; j++) {
				if (!k->keys[j].help || !*k->keys[j].help) {
					snprintf(why, why_size, "key '%s' in [%s] has no help text",
						 k->keys[j].name, k->name);
					return -EINVAL;
				}
			}
		}
	}
	return 0;
}

/* Plain text into roff: backslashes escaped, no line starting with a
 * control character, hyphens left as they are (mandoc and groff agree). */
static void roff_text(FILE *f, const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '\\')
			fputs("\\e", f);
		else if ((*p == '.' || *p == '\'') && (p == s || p[-1] == '\n'))
			fprintf(f, "\\&%c", *p);
		else
			fputc(*p, f);
	}
}

/* "integer 1..120", "true or false", "one of a, b", ... */
static void type_text(FILE *f, const struct config_key *k)
{
	switch (k->type) {
	case CONFIG_STRING:
		fputs("string", f);
		break;
	case CONFIG_PATH:
		fputs("absolute path", f);
		break;
	case CONFIG_BOOL:
		fputs("true or false", f);
		break;
	case CONFIG_INT:
		fprintf(f, "integer %ld..%ld", k->min, k->max);
		break;
	case CONFIG_ENUM:
		fputs("one of ", f);
		for (const struct config_enum_value *e = k->enums; e && e->name; e++)
			fprintf(f, "%s%s", e == k->enums ? "" : ", ", e->name);
		break;
	}
}

static void man_section(FILE *f, const struct config_section_kind *k, const char *file)
{
	fprintf(f, ".SS \"[%s%s]\"%s\n", k->name, k->named ? " NAME" : "", file);
	roff_text(f, k->help);
	fputc('\n', f);
	for (size_t j = 0; j < k->n_keys; j++) {
		const struct config_key *key = &k->keys[j];

		fprintf(f, ".TP\n.B %s\n(", key->name);
		type_text(f, key);
		if (key->flags & CONFIG_REQUIRED)
			fputs("; required", f);
		else if (key->def)
			fprintf(f, "; default \\fB%s\\fR", key->def);
		else
			fputs("; no default", f);
		fputs(")\n", f);
		roff_text(f, key->help);
		if (key->flags & CONFIG_SECRET)
			fputs("\nA secret: never shown in messages.", f);
		fputc('\n', f);
	}
}

int config_doc_man(FILE *f)
{
	const struct config_section_kind *kinds;
	char why[256];
	size_t n;
	int r;

	r = config_doc_check(why, sizeof(why));
	if (r < 0)
		return r;
	kinds = config_kinds(&n);
	for (size_t i = 0; i < n; i++)
		man_section(f, &kinds[i], "");
	kinds = config_credential_kinds(&n);
	for (size_t i = 0; i < n; i++)
		man_section(f, &kinds[i], " in the credentials file");
	return ferror(f) ? -EIO : 0;
}

/* `text` as "# " lines of at most ~76 columns. */
static void ini_comment(FILE *f, const char *text)
{
	const char *p = text;

	while (*p) {
		const char *end = p, *brk = NULL;

		while (*end && end - p < 74) {
			if (*end == ' ')
				brk = end;
			end++;
		}
		if (*end && brk)
			end = brk;
		fprintf(f, "# %.*s\n", (int)(end - p), p);
		p = *end == ' ' ? end + 1 : end;
	}
}

int config_doc_ini(FILE *f)
{
	const struct config_section_kind *kinds;
	char why[256];
	size_t n;
	int r;

	r = config_doc_check(why, sizeof(why));
	if (r < 0)
		return r;
	fputs("# superfluid's configuration, read by superfluidd and sfctl\n"
	      "# (superfluid.conf(5) says the same, generated from the same table).\n"
	      "# Every key is commented out at its default (empty: none).  Keep secrets\n"
	      "# in the credentials file (credentials_file).\n"
	      "# The daemon refuses to start until [host] name is set.\n", f);
	kinds = config_kinds(&n);
	for (size_t i = 0; i < n; i++) {
		const struct config_section_kind *k = &kinds[i];

		fputc('\n', f);
		ini_comment(f, k->help);
		if (k->named)
			fprintf(f, "#[%s NAME]\n", k->name);
		else
			fprintf(f, "[%s]\n", k->name);
		for (size_t j = 0; j < k->n_keys; j++) {
			const struct config_key *key = &k->keys[j];

			fputc('\n', f);
			ini_comment(f, key->help);
			if (key->flags & CONFIG_REQUIRED)
				fputs("# (required)\n", f);
			if (key->def)
				fprintf(f, "#%s = %s\n", key->name, key->def);
			else
				fprintf(f, "#%s =\n", key->name);
		}
	}
	return ferror(f) ? -EIO : 0;
}
