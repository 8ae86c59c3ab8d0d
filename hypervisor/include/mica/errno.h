/*
 * Error numbers. Hypercalls return them negated; the values are those of
 * Xen's public errno.h, which match Linux on x86.
 */
#ifndef MICA_ERRNO_H
#define MICA_ERRNO_H

#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define E2BIG 7
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define ENODEV 19
#define EINVAL 22
#define ENOSPC 28
#define ENOSYS 38
#define ENODATA 61
#define ETIME 62
#define EOVERFLOW 75
#define EOPNOTSUPP 95

#endif
