/* Page-granular zeroed allocations for hypervisor objects (mica/heap.h). */
#include <asm/page.h>
#include <mica/frame.h>
#include <mica/heap.h>
#include <mica/lib.h>

static unsigned int order_for(size_t size)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < size)
		order++;
	return order;
}

void *hv_zalloc(size_t size)
{
	unsigned int order = order_for(size);
	struct frame *f = alloc_frames(order, FRAME_OWNER_HV); /* NULL for too large an order */
	void *p;

	if (!f)
		return NULL;
	p = __va(frame_to_mfn(f) << PAGE_SHIFT);
	memset(p, 0, PAGE_SIZE << order);
	return p;
}

void hv_free(void *p, size_t size)
{
	if (p)
		free_frames(mfn_to_frame(__pa(p) >> PAGE_SHIFT), order_for(size));
}
