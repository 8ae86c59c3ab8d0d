/*
 * libpv's C start: from the state the builder leaves (start_info in RSI,
 * events masked, no handlers) to the guest's main().
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

struct start_info *pv_start_info;
struct shared_info *pv_shared_info;

/*
 * shared_info is mapped over this page of .bss, as Linux maps it over a
 * fixmap slot: the L1 entry already exists, so one update_va_mapping
 * does it. The frame that backed the page stays ours, unused.
 */
static uint8_t shared_info_window[LIBPV_PAGE_SIZE] __attribute__((aligned(4096)));

int main(void);

static void map_shared_info(void)
{
	uint64_t mfn = pv_start_info->shared_info >> 12;
	long rc = pv_map_mfn(shared_info_window, mfn,
			     PV_PTE_P | PV_PTE_RW | PV_PTE_A | PV_PTE_D | PV_PTE_NX);

	if (rc) {
		pv_printk("libpv: cannot map shared_info (update_va_mapping: %ld): "
			  "no events, no time\n", rc);
		return;
	}
	pv_shared_info = (struct shared_info *)shared_info_window;
}

void pv_start(struct start_info *si)
{
	pv_start_info = si;
	pv_traps_init();
	map_shared_info();
	pv_console_ring_init();
	/* Unbuffered: each printf is one console write, in order with pv_printk. */
	setvbuf(stdout, NULL, _IONBF, 0);
	setvbuf(stderr, NULL, _IONBF, 0);
	exit(main());
}
