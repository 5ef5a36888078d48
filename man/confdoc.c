/* confdoc: the configuration's documentation from the daemon's own key
 * tables (src/common/config_doc.h), run by the Makefile at build time.
 *
 *   confdoc man TEMPLATE   TEMPLATE with its line "@KEYS@" replaced by every
 *                          section and key, and "@VERSION@" by the version
 *   confdoc ini            the commented example superfluid.conf
 *   confdoc keys           one "SECTION KEY" line per key (tests compare)
 *
 * Exits 1 (with a message) when a key has no help text or a write fails. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "common/config_doc.h"

static int man(const char *template)
{
	FILE *in = fopen(template, "re");
	char line[1024];
	int r = 0;

	if (!in)
		return -errno;
	while (r == 0 && fgets(line, sizeof(line), in)) {
		char *v;

		if (strcmp(line, "@KEYS@\n") == 0) {
			r = config_doc_man(stdout);
			continue;
		}
		while ((v = strstr(line, "@VERSION@"))) {
			*v = '\0';
			fputs(line, stdout);
			fputs(SF_VERSION, stdout);
			memmove(line, v + 9, strlen(v + 9) + 1);
		}
		fputs(line, stdout);
	}
	if (ferror(in))
		r = -EIO;
	fclose(in);
	return r;
}

static int keys(void)
{
	const struct config_section_kind *k;
	size_t n;

	k = config_kinds(&n);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < k[i].n_keys; j++)
			printf("%s %s\n", k[i].name, k[i].keys[j].name);
	k = config_credential_kinds(&n);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < k[i].n_keys; j++)
			printf("credentials:%s %s\n", k[i].name, k[i].keys[j].name);
	return 0;
}

int main(int argc, char **argv)
{
	char why[256];
	int r;

	if (config_doc_check(why, sizeof(why)) < 0) {
		fprintf(stderr, "confdoc: %s (src/common/config_keys.c)\n", why);
		return 1;
	}
	if (argc == 3 && strcmp(argv[1], "man") == 0)
		r = man(argv[2]);
	else if (argc == 2 && strcmp(argv[1], "ini") == 0)
		r = config_doc_ini(stdout);
	else if (argc == 2 && strcmp(argv[1], "keys") == 0)
		r = keys();
	else {
		fprintf(stderr, "usage: confdoc man TEMPLATE | ini | keys\n");
		return 2;
	}
	if (r == 0 && fflush(stdout) != 0)
		r = -EIO;
	if (r < 0) {
		fprintf(stderr, "confdoc: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}
