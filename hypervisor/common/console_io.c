/*
 * console_io: a guest writes to (and dom0 reads from) the hypervisor's
 * console. dom0's output is the machine console itself, so it goes out
 * unadorned; other domains' lines are prefixed with their id.
 */
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/lib.h>
#include <pv/console_io.h>

#define CHUNK 256

/*
 * Other domains' output is collected per domain and printed a line at a
 * time, each prefixed with "(dN) ", so byte-at-a-time writers and several
 * domains writing at once still give readable lines.
 */
static void guest_output(struct domain *d, const char *s, size_t n)
{
	u64 flags = spin_lock_irqsave(&d->lock);

	for (size_t i = 0; i < n; i++) {
		d->console_line[d->console_len++] = s[i];
		if (s[i] == '\n' || d->console_len == sizeof(d->console_line)) {
			console_write_guest(d->id, d->console_line, d->console_len);
			d->console_len = 0;
		}
	}
	spin_unlock_irqrestore(&d->lock, flags);
}

static long console_write(struct domain *d, pv_u32 count, pv_gva_t buf)
{
	char chunk[CHUNK];

	while (count) {
		u32 n = count < CHUNK ? count : CHUNK;

		if (copy_from_guest(chunk, buf, n))
			return -EFAULT;
		/* Stop at a NUL like a C string would: the rest is not text. */
		if (d->is_privileged)
			console_write_raw(chunk, strnlen(chunk, n));
		else
			guest_output(d, chunk, strnlen(chunk, n));
		buf += n;
		count -= n;
		if (count && hypercall_preempt_check()) {
			u64 args[3] = { CONSOLEIO_write, count, buf };

			return hypercall_create_continuation(3, args);
		}
	}
	return 0;
}

long do_console_io(pv_s32 cmd, pv_u32 count, pv_gva_t buf)
{
	struct domain *d = current_vcpu()->domain;

	switch (cmd) {
	case CONSOLEIO_write:
		return console_write(d, count, buf);
	case CONSOLEIO_read: {
		char tmp[CHUNK];
		size_t n;

		if (!d->is_privileged)
			return -EPERM;
		n = console_input_read(tmp, count < CHUNK ? count : CHUNK);
		if (n && copy_to_guest(buf, tmp, n))
			return -EFAULT;
		return (long)n;
	}
	default:
		return -ENOSYS;
	}
}
