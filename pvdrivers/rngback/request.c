/*
 * mica-rngback: the check of one request (pure, host-tested by
 * tests/cli/test_rngback.c). Everything in a request comes from the
 * guest; the grant reference is checked by the hypervisor when the
 * backend copies into it, the rest here.
 */
#include "rngback.h"

int rngback_check(const struct rngif_request *req, unsigned int max_len)
{
	if (req->op != RNGIF_OP_FILL)
		return RNGIF_RSP_EINVAL;
	if (req->len == 0 || req->len > max_len)
		return RNGIF_RSP_EINVAL;
	/* Both are 16-bit, so the sum cannot wrap in an unsigned int. */
	if ((unsigned int)req->offset + req->len > 4096)
		return RNGIF_RSP_EINVAL;
	return RNGIF_RSP_OKAY;
}
