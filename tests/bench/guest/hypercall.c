/*
 * hypercall: the null hypercall round trip of a guest's user space, through
 * /dev/xen/privcmd (Linux's privcmd driver makes the hypercall for it).
 *
 * usage: hypercall [--quick]
 * Times IOCTL_PRIVCMD_HYPERCALL of xen_version(XENVER_version), the cheapest
 * hypercall every hypervisor answers for any domain, and the same ioctl call
 * with a command privcmd refuses before any hypercall (-ENOTTY): the system
 * call and the driver's dispatch without the hypercall. Prints
 *     bench hypercall_ioctl <ns per ioctl that makes the hypercall>
 *     bench null_hypercall <ns: that minus the refused ioctl>
 * Each is the mean over 1 s (0.1 s with --quick), after a short warm-up.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* Linux's privcmd ABI (include/uapi/xen/privcmd.h); the host's copy of that header needs
 * kernel-internal headers, so the two facts used are here. */
struct privcmd_hypercall {
	uint64_t op;
	uint64_t arg[5];
};
#define IOCTL_PRIVCMD_HYPERCALL _IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))

#define HYPERVISOR_xen_version 17   /* __HYPERVISOR_xen_version */
#define XENVER_version 0
#define REFUSED_IOCTL _IOC(_IOC_NONE, 'P', 0x7f, 0) /* no privcmd command has this number */
#define BATCH 64

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Mean ns of ioctl(fd, cmd, arg) over budget_ns; -1 if the ioctl does not answer as expected. */
static int64_t mean_ioctl(int fd, unsigned long cmd, void *arg, int expect_errno,
			  uint64_t budget_ns)
{
	uint64_t start = now_ns(), ops = 0, t;

	do {
		for (int i = 0; i < BATCH; i++) {
			long rc = ioctl(fd, cmd, arg);

			if (expect_errno ? rc != -1 || errno != expect_errno : rc < 0)
				return -1;
		}
		ops += BATCH;
		t = now_ns();
	} while (t - start < budget_ns);
	return (int64_t)((t - start) / ops);
}

int main(int argc, char **argv)
{
	struct privcmd_hypercall call = { .op = HYPERVISOR_xen_version, .arg = { XENVER_version } };
	uint64_t budget = 1000000000ULL;
	int64_t with, without;
	long version;
	int fd;

	if (argc == 2 && !strcmp(argv[1], "--quick"))
		budget /= 10;
	else if (argc != 1) {
		fprintf(stderr, "usage: hypercall [--quick]\n");
		return 2;
	}
	fd = open("/dev/xen/privcmd", O_RDWR);
	if (fd < 0) {
		printf("hypercall: failed: cannot open /dev/xen/privcmd: %s (not a Xen-ABI domain, "
		       "or no privcmd driver)\n", strerror(errno));
		return 1;
	}
	version = ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &call);
	if (version < 0) {
		printf("hypercall: failed: xen_version through privcmd: %s\n", strerror(errno));
		return 1;
	}
	printf("hypercall: hypervisor version %ld.%ld\n", version >> 16, version & 0xffff);
	mean_ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &call, 0, budget / 10);
	with = mean_ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &call, 0, budget);
	without = mean_ioctl(fd, REFUSED_IOCTL, NULL, ENOTTY, budget);
	if (with < 0 || without < 0) {
		printf("hypercall: failed: an ioctl answered differently while being timed\n");
		return 1;
	}
	printf("bench hypercall_ioctl %" PRId64 "\n", with);
	printf("bench null_hypercall %" PRId64 "\n", with > without ? with - without : 0);
	return 0;
}
