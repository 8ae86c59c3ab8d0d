/*
 * Symbol lookup for backtraces. scripts/gen-symtab.py emits the table
 * into the .symtab.mica section in a second link pass: sorted function
 * start addresses, each with an offset into a NUL-separated name blob.
 */
#include <mica/symbols.h>

struct symtab_entry {
	u64 addr;
	u32 name;
	u32 size;
};

extern const struct symtab_entry __symtab_start[], __symtab_end[];
extern const char symtab_names[];

const char *symbol_lookup(u64 addr, u64 *offset)
{
	size_t lo = 0, hi = (size_t)(__symtab_end - __symtab_start);
	const struct symtab_entry *best = NULL;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (__symtab_start[mid].addr <= addr) {
			best = &__symtab_start[mid];
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (!best || addr >= best->addr + (best->size ? best->size : 1))
		return NULL;
	*offset = addr - best->addr;
	return &symtab_names[best->name];
}
