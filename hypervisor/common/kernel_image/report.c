/* The reason strings that go with the kernel-image parsers' error codes. */
#include <mica/lib.h>

#include "internal.h"

int kimg_fail(struct kimg_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}
