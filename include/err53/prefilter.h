/* prefilter.h - one pass over a line finds which of many literals occur.
 *
 * Every second byte of the line is sampled: its trigram is hashed and
 * tested against an 8 KiB bitmap that stays in L1 cache, and the few hits
 * are verified with the bytes themselves.  Literals are entered at their
 * offsets 0 and 1, so none is missed.  Unlike an Aho-Corasick walk the
 * per-byte work has no dependency chain, so it runs near memory speed. */
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
 * lines); anchors are then put on the trigrams rarest in it. */
e53_status e53_prefilter_train(struct e53_prefilter *pf, const char *text, size_t len);
e53_status e53_prefilter_build(struct e53_prefilter *pf);
size_t e53_prefilter_count(const struct e53_prefilter *pf);

/* Calls the callback for every literal occurring in s (an id may repeat). */
typedef void (*e53_prefilter_hit)(void *ctx, uint32_t id);
void e53_prefilter_scan(const struct e53_prefilter *pf, const char *s, size_t n,
			e53_prefilter_hit hit, void *ctx);
/* True when any literal occurs (stops at the first). */
bool e53_prefilter_any(const struct e53_prefilter *pf, const char *s, size_t n);

#endif
