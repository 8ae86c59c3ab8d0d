/* dom0's command line: see cmdline.h. */
#include <stdlib.h>
#include <string.h>

#include <libpv.h>

#include "cmdline.h"

/* The start of word (a whole word) in the command line, or NULL. */
static const char *find_word(const char *word)
{
	const char *s = pv_start_info->cmd_line;

	for (const char *p = strstr(s, word); p; p = strstr(p + 1, word))
		if (p == s || p[-1] == ' ')
			return p;
	return NULL;
}

unsigned long cmdline_uint(const char *key, unsigned long dflt)
{
	const char *p = find_word(key);

	return p ? strtoul(p + strlen(key), NULL, 0) : dflt;
}

bool cmdline_has(const char *word)
{
	size_t n = strlen(word);
	const char *p = find_word(word);

	return p && (p[n] == '\0' || p[n] == ' ');
}
