/* Conformance check reporting: see check.h for the line protocol. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

static const char *guest = "?";
static unsigned int checks;

void check_guest(const char *name)
{
	guest = name;
}

static bool pass(const char *name)
{
	checks++;
	printf("PASS %s\n", name);
	return true;
}

bool check_eq(const char *name, long long expected, long long got)
{
	if (expected == got)
		return pass(name);
	checks++;
	printf("FAIL %s: expected %lld got %lld\n", name, expected, got);
	return false;
}

bool check_hex(const char *name, uint64_t expected, uint64_t got)
{
	if (expected == got)
		return pass(name);
	checks++;
	printf("FAIL %s: expected %#llx got %#llx\n", name, (unsigned long long)expected,
	       (unsigned long long)got);
	return false;
}

bool check_bits(const char *name, uint64_t mask, uint64_t expected, uint64_t got)
{
	return check_hex(name, expected & mask, got & mask);
}

bool check_str(const char *name, const char *expected, const char *got)
{
	if (!strcmp(expected, got))
		return pass(name);
	checks++;
	printf("FAIL %s: expected \"%s\" got \"%s\"\n", name, expected, got);
	return false;
}

void check_skip(const char *name, const char *why)
{
	checks++;
	printf("SKIP %s: %s\n", name, why);
}

int check_done(void)
{
	printf("END %s: %u checks\n", guest, checks);
	return 0;
}

const char *name_of(const char *fmt, ...)
{
	static char buf[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return buf;
}

bool skip_unless_implemented(bool implemented, const char *hypercall, long rc, const char *what)
{
	if (implemented)
		return false;
	check_eq(name_of("%s.not_implemented_is_enosys", hypercall), -XEN_ENOSYS, rc);
	check_skip(name_of("%s.%s", hypercall, what), "not implemented yet (NOSYS in hypercall_table.def)");
	return true;
}
