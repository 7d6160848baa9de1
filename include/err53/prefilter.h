/* prefilter.h - one pass over a line finds which of many literals occur.
 *
 * Every second byte of the line is sampled: the four bytes there are
 * hashed and tested against an 8 KiB bitmap that stays in L1 cache, and
 * the few hits are verified with the bytes themselves.  Literals are
 * entered at two neighbouring offsets (a four-byte literal also as the
 * windows one byte before it), so none is missed.  Unlike an Aho-Corasick
 * walk the per-byte work has no dependency chain. */
#ifndef ERR53_PREFILTER_H
#define ERR53_PREFILTER_H

#include <stddef.h>
#include <stdint.h>
#include "err53/err53.h"

struct e53_prefilter;

struct e53_prefilter *e53_prefilter_new(void);
void e53_prefilter_free(struct e53_prefilter **pf);
/* Literals of 4 bytes or more; id is returned by the scan. */
e53_status e53_prefilter_add(struct e53_prefilter *pf, const char *lit, size_t len, uint32_t id);
/* Optional, before build: text like the one that will be scanned (log
 * lines); anchors are then put on the quadgrams rarest in it. */
e53_status e53_prefilter_train(struct e53_prefilter *pf, const char *text, size_t len);
e53_status e53_prefilter_build(struct e53_prefilter *pf);
size_t e53_prefilter_count(const struct e53_prefilter *pf);

/* Calls the callback for every literal occurring in s (an id may repeat),
 * sampling from position from (0 for a whole line; a later even offset
 * skips literals whose anchors lie before it, see e53_prefilter_first). */
typedef void (*e53_prefilter_hit)(void *ctx, uint32_t id);
void e53_prefilter_scan(const struct e53_prefilter *pf, const char *s, size_t n, size_t from,
			e53_prefilter_hit hit, void *ctx);
/* For a block of many lines: where a literal occurring in s[0..n) starts,
 * for the first sampled anchor at or after from that verifies, or n when
 * there is none.  Literals lying wholly at or after from are never missed;
 * the one reported may start up to 4 bytes before from (never before a
 * newline a literal cannot hold, so a search from a line start reports a
 * literal in that line or a later one).  Uses AVX2
 * where the processor has it: eight positions hashed per step and their
 * bits fetched with one gather. */
size_t e53_prefilter_first(const struct e53_prefilter *pf, const char *s, size_t n, size_t from);
/* For whole lines s[0..n) (n ending in a newline) that hold no literal:
 * how many there are, or SIZE_MAX when one of them may need a closer look
 * (an escape byte, a quote or CR just before a newline, a line starting
 * with '='), and always SIZE_MAX on the scalar engine. */
size_t e53_prefilter_plain_lines(const struct e53_prefilter *pf, const char *s, size_t n);
/* Which scan this prefilter uses: "AVX2" or "scalar". */
const char *e53_prefilter_engine(const struct e53_prefilter *pf);
/* The one a prefilter built now would use: AVX2 where the processor has
 * it and the environment variable E53_NO_AVX2 is not set. */
const char *e53_prefilter_default_engine(void);

#endif
