/* prefilter.h - one pass over a line finds which of many literals occur.
 *
 * Each literal is indexed by its rarest byte pair (bigram); the scan tests
 * every bigram of the line against an 8 KiB bitmap that stays in L1 cache
 * and verifies the few hits with memcmp.  Unlike an Aho-Corasick walk the
 * per-byte work has no dependency chain, so it runs near memory speed. */
#ifndef ERR53_PREFILTER_H
#define ERR53_PREFILTER_H

#include <stddef.h>
#include <stdint.h>
#include "err53/err53.h"

struct e53_prefilter;

struct e53_prefilter *e53_prefilter_new(void);
void e53_prefilter_free(struct e53_prefilter **pf);
/* Literals of 2 bytes or more; id is returned by the scan. */
e53_status e53_prefilter_add(struct e53_prefilter *pf, const char *lit, size_t len, uint32_t id);
e53_status e53_prefilter_build(struct e53_prefilter *pf);
size_t e53_prefilter_count(const struct e53_prefilter *pf);

/* Calls the callback for every literal occurring in s (an id may repeat). */
typedef void (*e53_prefilter_hit)(void *ctx, uint32_t id);
void e53_prefilter_scan(const struct e53_prefilter *pf, const char *s, size_t n,
			e53_prefilter_hit hit, void *ctx);
/* True when any literal occurs (stops at the first). */
bool e53_prefilter_any(const struct e53_prefilter *pf, const char *s, size_t n);

#endif
