/* One-shot decompressors for kernel payloads: xz (LZMA2 + x86 BCJ) and LZ4 legacy. */
#ifndef MICA_DECOMPRESS_H
#define MICA_DECOMPRESS_H

#include <mica/kernel_image.h>
#include <mica/types.h>

/*
 * Each decoder takes the whole compressed input and writes into a caller's
 * output buffer, which also serves as the decoder's window: no allocation,
 * no global state, no copy of the history. Work memory (LZMA
 * probabilities, CRC tables) comes from the caller, aligned to 8.
 *
 * The whole input must be consumed: after the last xz stream (several
 * are allowed, and stream padding) any byte is an error. *out_len gets
 * the number of bytes produced (also on failure, for diagnosis; the
 * contents are then unspecified). Every stream's checks (CRC32 and the
 * index) are verified. Errors: -EINVAL (corrupt or
 * truncated input), -ENOSPC (output larger than out_size), -EOPNOTSUPP
 * (a valid but unsupported feature, e.g. an xz CRC64 or SHA-256 check or
 * a filter other than x86 BCJ and LZMA2), -EFAULT (work memory too small or
 * misaligned).
 *
 * Work is linear in in_len + out_size, with one large constant to know
 * about: an LZMA2 chunk may reset the coder's ~28 KiB of probabilities
 * for every 10 or so input bytes, so a hostile 8 MiB .xz can cost ~20 GiB
 * of stores (seconds on the host). Only dom0's kernel, from the boot
 * loader, is decoded in the hypervisor; other guests' are decoded by the
 * toolstack in dom0 (which also decodes gzip: dom0-tools/kernel_image/).
 */

#define XZ_WORK_SIZE KiB(64)
#define KIMG_WORK_SIZE XZ_WORK_SIZE /* enough for every decoder here */

/*
 * Decodes an .xz file: one or more streams with stream padding, each
 * block with the filter chain [LZMA2] or [x86 BCJ, LZMA2] and a check
 * of type none or CRC32 (Linux's build writes CRC32).
 */
int xz_decode(const void *in, size_t in_len, void *out, size_t out_size, size_t *out_len,
	      void *work, size_t work_size, struct kimg_err *err);

/*
 * Decodes an LZ4 legacy frame (magic 0x184C2102, `lz4 -l`, as Linux
 * builds it): blocks of at most 8 MiB, each independent. Needs no work
 * memory. Legacy frames carry no checksum, so corruption is detected
 * only when it breaks the block format.
 */
int lz4_legacy_decode(const void *in, size_t in_len, void *out, size_t out_size,
		      size_t *out_len, struct kimg_err *err);

#endif
