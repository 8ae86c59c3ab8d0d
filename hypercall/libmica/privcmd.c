/*
 * libmica: the privcmd device. Hypercalls, hypercall buffers and foreign
 * mappings of another domain's frames.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "linux_xen.h"

#define PAGE 4096UL

static const char *const privcmd_paths[] = { "/dev/xen/privcmd", "/proc/xen/privcmd" };

int mica_open(struct mica **out, char *err, size_t errsz)
{
	struct mica *m;
	int fd = -1, first_errno = 0;

	*out = NULL;
	for (size_t i = 0; i < sizeof(privcmd_paths) / sizeof(privcmd_paths[0]) && fd < 0; i++) {
		fd = open(privcmd_paths[i], O_RDWR | O_CLOEXEC);
		if (fd < 0 && !first_errno)
			first_errno = errno;
	}
	if (fd < 0) {
		if (err && errsz) {
			if (first_errno == ENOENT)
				snprintf(err, errsz,
					 "cannot open /dev/xen/privcmd (or /proc/xen/privcmd): no such "
					 "device; run mica in dom0 on Mica, with the xen-privcmd driver "
					 "loaded and xenfs mounted on /proc/xen");
			else
				snprintf(err, errsz, "cannot open /dev/xen/privcmd: %s%s",
					 strerror(first_errno),
					 first_errno == EACCES || first_errno == EPERM ?
						 "; run mica as root" : "");
		}
		return -first_errno;
	}
	m = calloc(1, sizeof(*m));
	if (m)
		m->scratch = mica_buf_alloc(MICA_SCRATCH_SIZE);
	if (!m || !m->scratch) {
		free(m);
		close(fd);
		if (err && errsz)
			snprintf(err, errsz, "out of memory (or locked memory) for hypercall buffers");
		return -ENOMEM;
	}
	m->privcmd = fd;
	*out = m;
	return 0;
}

void mica_close(struct mica *m)
{
	if (!m)
		return;
	close(m->privcmd);
	mica_buf_free(m->scratch, MICA_SCRATCH_SIZE);
	free(m);
}

long mica_hypercall(struct mica *m, unsigned int op, uint64_t a1, uint64_t a2, uint64_t a3,
		    uint64_t a4, uint64_t a5)
{
	struct lx_privcmd_hypercall h = { .op = op, .arg = { a1, a2, a3, a4, a5 } };
	long rc;

	/*
	 * Linux returns the hypervisor's result as the ioctl's value; a
	 * negative one comes back as -1 with errno set.
	 */
	do {
		rc = ioctl(m->privcmd, LX_PRIVCMD_HYPERCALL, &h);
	} while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : rc;
}

static size_t round_pages(size_t size)
{
	return (size + PAGE - 1) & ~(PAGE - 1);
}

void *mica_buf_alloc(size_t size)
{
	size_t len = round_pages(size ? size : 1);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/*
	 * Locked so the pages stay put, and touched so they exist now: the
	 * hypervisor copies to and from them without taking page faults.
	 * Not inherited by fork() where the kernel allows it (madvise exists
	 * only with CONFIG_ADVISE_SYSCALLS): a child would see them
	 * copy-on-write and unlocked, so the hypervisor's writes would fail
	 * with -EFAULT. Either way a child opens its own handle.
	 */
	if (mlock(p, len)) {
		munmap(p, len);
		return NULL;
	}
	madvise(p, len, MADV_DONTFORK);
	memset(p, 0, len);
	return p;
}

void mica_buf_free(void *p, size_t size)
{
	size_t len = round_pages(size ? size : 1);

	if (!p)
		return;
	munlock(p, len);
	munmap(p, len);
}

void *mica_map_foreign(struct mica *m, uint32_t domid, int prot, const uint64_t *mfns, size_t nr,
		       int *errs)
{
	struct lx_privcmd_mmapbatch_v2 b;
	int *err = errs, saved;
	void *addr;
	int rc;

	if (!nr || nr > UINT32_MAX || domid >= DOMID_FIRST_RESERVED) {
		errno = EINVAL;
		return NULL;
	}
	if (!err) {
		err = calloc(nr, sizeof(*err));
		if (!err)
			return NULL;
	}
	addr = mmap(NULL, nr * PAGE, prot, MAP_SHARED, m->privcmd, 0);
	if (addr == MAP_FAILED) {
		addr = NULL;
		goto out;
	}
	b = (struct lx_privcmd_mmapbatch_v2){
		.num = (uint32_t)nr, .dom = (uint16_t)domid, .addr = (uintptr_t)addr,
		.arr = mfns, .err = err,
	};
	do {
		rc = ioctl(m->privcmd, LX_PRIVCMD_MMAPBATCH_V2, &b);
	} while (rc < 0 && errno == EINTR);
	if (rc == 0) {
		/* Linux reports per-frame failures only in err[]. */
		for (size_t i = 0; i < nr; i++) {
			if (err[i]) {
				rc = -1;
				errno = -err[i];
				break;
			}
		}
	}
	if (rc < 0) {
		saved = errno;
		munmap(addr, nr * PAGE);
		errno = saved;
		addr = NULL;
	}
out:
	if (err != errs) {
		saved = errno;
		free(err);
		errno = saved;
	}
	return addr;
}

void mica_unmap(void *addr, size_t nr)
{
	if (addr)
		munmap(addr, nr * PAGE);
}
