/* vc_barcode.h - a block barcode stamped into the luma of test frames.
 *
 * Carries the frame number and the capture time so that the receiver's
 * picture alone tells which frame it is and when it was taken.  Cells are
 * flat 8x8-aligned blocks (black/white) in a strip at the top of the frame,
 * large enough to survive VP8 at low bitrates; a marker and a CRC-8 make a
 * misread detectable.  Payload: 24-bit frame number, low 40 bits of the
 * capture time in microseconds (CLOCK_MONOTONIC).
 */
#ifndef VC_BARCODE_H
#define VC_BARCODE_H

#include <stdint.h>

#include "vc_frame.h"

/* Height in rows of the strip for a frame of this width (0 if too small). */
int vc_barcode_height(int width, int height);
/* Stamp into f (whole strip overwritten). Returns 0 or -EINVAL if too small. */
int vc_barcode_stamp(struct vc_frame *f, uint32_t index, uint64_t capture_us);
/* Read back from a luma plane. Returns 0 and the values, or -1 when no
 * valid code is found (marker or CRC mismatch). capture_us40 is the low
 * 40 bits; vc_barcode_unwrap_time() restores a full time near 'ref_us'. */
int vc_barcode_read(const uint8_t *luma, int width, int height, int stride,
		    uint32_t *index, uint64_t *capture_us40);
uint64_t vc_barcode_unwrap_time(uint64_t t40, uint64_t ref_us);

#endif
