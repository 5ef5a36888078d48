/* One section's keys, by their table (config_section.h): typed values,
 * defaults, and the "did you mean" of an unknown key. */
#include "common/config_section.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_bool(const char *v, bool *ret)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_int(const char *v, long min, long max, int *ret)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max || n < INT_MIN || n > INT_MAX)
		return -EINVAL;
	*ret = (int)n;
	return 0;
}

int config_section_set(const struct config_key *key, void *base, const char *value, char *why,
		       size_t why_size)
{
	char *field = (char *)base + key->offset;
	const struct config_enum_value *e;
	size_t n;
	bool b;
	int i;

	if (!*value) {
		snprintf(why, why_size, "empty value (remove the line to use the default)");
		return -EINVAL;
	}
	switch (key->type) {
	case CONFIG_PATH:
		if (value[0] != '/') {
			snprintf(why, why_size, "expected an absolute path");
			return -EINVAL;
		}
		/* fall through */
	case CONFIG_STRING: {
		char *copy = strdup(value);

		if (!copy) {
			snprintf(why, why_size, "out of memory");
			return -ENOMEM;
		}
		free(*(char **)field);
		*(char **)field = copy;
		return 0;
	}
	case CONFIG_BOOL:
		if (parse_bool(value, &b) < 0) {
			snprintf(why, why_size, "expected true or false");
			return -EINVAL;
		}
		*(bool *)field = b;
		return 0;
	case CONFIG_INT:
		if (parse_int(value, key->min, key->max, &i) < 0) {
			snprintf(why, why_size, "expected an integer between %ld and %ld", key->min,
				 key->max);
			return -EINVAL;
		}
		*(int *)field = i;
		return 0;
	case CONFIG_ENUM:
		for (e = key->enums; e && e->name; e++) {
			if (strcmp(value, e->name) == 0) {
				*(int *)field = e->value;
				return 0;
			}
		}
		n = (size_t)snprintf(why, why_size, "expected one of");
		for (e = key->enums; e && e->name && n < why_size; e++)
			n += (size_t)snprintf(why + n, why_size - n, "%s %s", e == key->enums ? "" : ",",
					      e->name);
		return -EINVAL;
	}
	snprintf(why, why_size, "unsupported key type");
	return -EINVAL;
}

int config_section_defaults(const struct config_section_kind *kind, void *base)
{
	char why[256];
	int r;

	for (size_t i = 0; i < kind->n_keys; i++) {
		const struct config_key *k = &kind->keys[i];

		if (k->def && (r = config_section_set(k, base, k->def, why, sizeof(why))) < 0)
			return r;
	}
	return 0;
}

void config_section_free_strings(const struct config_section_kind *kind, void *base)
{
	if (!base)
		return;
	for (size_t i = 0; i < kind->n_keys; i++) {
		const struct config_key *k = &kind->keys[i];
		char **field = (char **)((char *)base + k->offset);

		if (k->type == CONFIG_STRING || k->type == CONFIG_PATH) {
			free(*field);
			*field = NULL;
		}
	}
}

/* Levenshtein distance, for "did you mean" (names are short). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Appends " (did you mean 'x'?)" or the list of keys of a small kind. */
void config_section_key_hint(const struct config_section_kind *kind, const char *name, char *buf,
			     size_t size)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, n;

	buf[0] = '\0';
	for (size_t i = 0; i < kind->n_keys; i++) {
		size_t d = distance(name, kind->keys[i].name);

		if (d < best_d) {
			best_d = d;
			best = kind->keys[i].name;
		}
	}
	if (best && best_d <= 2 && best_d < strlen(name)) {
		snprintf(buf, size, " (did you mean '%s'?)", best);
		return;
	}
	if (kind->n_keys > 4)
		return;
	n = (size_t)snprintf(buf, size, " (the keys allowed here:");
	for (size_t i = 0; i < kind->n_keys && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s %s", i ? "," : "", kind->keys[i].name);
	if (n < size)
		snprintf(buf + n, size - n, ")");
}
