/* vc_testsrc.h - the deterministic moving test picture.
 *
 * vc_testsrc_render() is a pure function of (index, size): moving colour
 * bars, a bouncing box and fine detail so the encoder has real work, then
 * the barcode of vc_barcode.h.  The analyser re-renders frame N to compute
 * PSNR of what the receiver showed.
 */
#ifndef VC_TESTSRC_H
#define VC_TESTSRC_H

#include <stdint.h>

#include "vc_frame.h"

void vc_testsrc_render(struct vc_frame *f, uint32_t index, uint64_t capture_us);

#endif
