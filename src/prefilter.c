/* prefilter.c - the rare-bigram multi-literal scanner (see prefilter.h). */
#include "err53/prefilter.h"

#include <stdlib.h>
#include <string.h>

struct lit {
	char *s;
	uint32_t len;
	uint32_t off;    /* where the anchor sits in the literal */
	uint32_t id;
	uint16_t key;    /* hash of the anchor's bytes */
};

struct e53_prefilter {
	struct lit *lits;
	size_t n, alloc;
	uint8_t bitmap[65536 / 8];
	uint16_t slot[65536];   /* anchor hash -> 1 + bucket index, 0: none */
	uint32_t *first;        /* per bucket: start in order[] */
	uint32_t *count;
	uint32_t *order;        /* literal indexes grouped by bucket */
	size_t nbuckets;
	bool has_short;         /* a 2-byte literal: pairs are hashed too */
};

/* The anchor is three bytes (two for a 2-byte literal), hashed to 16 bits:
 * fewer false hits than a bigram, and the bitmap still fits in L1. */
static inline unsigned mix3(uint32_t w)
{
	return (unsigned)(((w & 0xffffffu) * 0x9E3779B1u) >> 16);
}

static inline unsigned hash3(const unsigned char *p)
{
	return mix3((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16);
}

static inline unsigned hash2(const unsigned char *p)
{
	return ((unsigned)p[0] | (unsigned)p[1] << 8) ^ 0x5a5au;
}

struct e53_prefilter *e53_prefilter_new(void)
{
	return calloc(1, sizeof(struct e53_prefilter));
}

void e53_prefilter_free(struct e53_prefilter **ppf)
{
	struct e53_prefilter *pf = *ppf;
	size_t i;

	if (!pf)
		return;
	for (i = 0; i < pf->n; i++)
		free(pf->lits[i].s);
	free(pf->lits);
	free(pf->first);
	free(pf->count);
	free(pf->order);
	free(pf);
	*ppf = NULL;
}

size_t e53_prefilter_count(const struct e53_prefilter *pf)
{
	return pf->n;
}

/* How common a byte is in log text: the anchor is the pair with the
 * lowest product, so the bitmap rarely fires on ordinary lines. */
static unsigned weight(unsigned char c)
{
	if (c == ' ')
		return 14;
	if (strchr("etaoinsrhldcu", c) && c)
		return 11;
	if (c >= 'a' && c <= 'z')
		return 6;
	if (c >= '0' && c <= '9')
		return 8;
	if (strchr(".:/-_,()[]=<>'\"", c) && c)
		return 6;
	if (c >= 'A' && c <= 'Z')
		return 3;
	return 1;
}

e53_status e53_prefilter_add(struct e53_prefilter *pf, const char *lit, size_t len, uint32_t id)
{
	struct lit *l;
	size_t k, best = 0;
	unsigned bestw = ~0u;

	if (len < 2 || len > UINT32_MAX)
		return E53_EINVAL;
	if (pf->n == pf->alloc) {
		size_t na = pf->alloc ? pf->alloc * 2 : 64;
		struct lit *p = realloc(pf->lits, na * sizeof *p);

		if (!p)
			return E53_ENOMEM;
		pf->lits = p;
		pf->alloc = na;
	}
	l = &pf->lits[pf->n];
	l->s = malloc(len);
	if (!l->s)
		return E53_ENOMEM;
	memcpy(l->s, lit, len);
	for (k = 0; k + 2 < len || (len == 2 && k == 0); k++) {
		unsigned w = weight((unsigned char)lit[k]) * weight((unsigned char)lit[k + 1]) *
			     (len > 2 ? weight((unsigned char)lit[k + 2]) : 16);

		if (w < bestw) {
			bestw = w;
			best = k;
		}
	}
	l->len = (uint32_t)len;
	l->off = (uint32_t)best;
	l->id = id;
	l->key = (uint16_t)(len > 2 ? hash3((const unsigned char *)lit + best)
				    : hash2((const unsigned char *)lit));
	if (len == 2)
		pf->has_short = true;
	pf->n++;
	return E53_OK;
}

e53_status e53_prefilter_build(struct e53_prefilter *pf)
{
	size_t i, b = 0;

	memset(pf->bitmap, 0, sizeof pf->bitmap);
	memset(pf->slot, 0, sizeof pf->slot);
	free(pf->first);
	free(pf->count);
	free(pf->order);
	pf->first = calloc(pf->n + 1, sizeof *pf->first);
	pf->count = calloc(pf->n + 1, sizeof *pf->count);
	pf->order = calloc(pf->n + 1, sizeof *pf->order);
	if (!pf->first || !pf->count || !pf->order)
		return E53_ENOMEM;
	for (i = 0; i < pf->n; i++) {
		uint16_t key = pf->lits[i].key;

		if (!pf->slot[key])
			pf->slot[key] = (uint16_t)++b;
		pf->count[pf->slot[key] - 1]++;
		pf->bitmap[key >> 3] |= (uint8_t)(1u << (key & 7));
	}
	pf->nbuckets = b;
	for (i = 1; i < b; i++)
		pf->first[i] = pf->first[i - 1] + pf->count[i - 1];
	memset(pf->count, 0, (pf->n + 1) * sizeof *pf->count);
	for (i = 0; i < pf->n; i++) {
		uint32_t s = pf->slot[pf->lits[i].key] - 1u;

		pf->order[pf->first[s] + pf->count[s]++] = (uint32_t)i;
	}
	return E53_OK;
}

static inline bool verify(const struct lit *l, const unsigned char *p, size_t n, size_t i)
{
	size_t start;

	if (i < l->off)
		return false;
	start = i - l->off;
	return start + l->len <= n && !memcmp(p + start, l->s, l->len);
}

/* Calls fn for each literal whose anchor hash matches at p + i and whose
 * bytes are there; stop early when fn returns true. */
static inline bool probe(const struct e53_prefilter *pf, unsigned key, const unsigned char *p,
			 size_t n, size_t i, e53_prefilter_hit hit, void *ctx)
{
	uint32_t b = pf->slot[key] - 1u, j, e;

	for (j = pf->first[b], e = j + pf->count[b]; j < e; j++) {
		const struct lit *l = &pf->lits[pf->order[j]];

		if (verify(l, p, n, i)) {
			if (!hit)
				return true;
			hit(ctx, l->id);
		}
	}
	return false;
}

#define BIT(bm, k) ((bm)[(k) >> 3] & (1u << ((k) & 7)))

static bool scan(const struct e53_prefilter *pf, const char *s, size_t n, e53_prefilter_hit hit,
		 void *ctx)
{
	const unsigned char *p = (const unsigned char *)s;
	const uint8_t *bm = pf->bitmap;
	size_t i = 0;

	if (n < 2 || !pf->n)
		return false;
	/* eight bytes at a time give six trigram positions per load */
	for (; i + 8 <= n; i += 6) {
		uint64_t w;
		unsigned k0, k1, k2, k3, k4, k5;

		memcpy(&w, p + i, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		w = __builtin_bswap64(w);
#endif
		k0 = mix3((uint32_t)w);
		k1 = mix3((uint32_t)(w >> 8));
		k2 = mix3((uint32_t)(w >> 16));
		k3 = mix3((uint32_t)(w >> 24));
		k4 = mix3((uint32_t)(w >> 32));
		k5 = mix3((uint32_t)(w >> 40));
		if (!(BIT(bm, k0) | BIT(bm, k1) | BIT(bm, k2) | BIT(bm, k3) | BIT(bm, k4) | BIT(bm, k5)))
			continue;
		if (BIT(bm, k0) && probe(pf, k0, p, n, i, hit, ctx)) return true;
		if (BIT(bm, k1) && probe(pf, k1, p, n, i + 1, hit, ctx)) return true;
		if (BIT(bm, k2) && probe(pf, k2, p, n, i + 2, hit, ctx)) return true;
		if (BIT(bm, k3) && probe(pf, k3, p, n, i + 3, hit, ctx)) return true;
		if (BIT(bm, k4) && probe(pf, k4, p, n, i + 4, hit, ctx)) return true;
		if (BIT(bm, k5) && probe(pf, k5, p, n, i + 5, hit, ctx)) return true;
	}
	for (; i + 2 < n; i++) {
		unsigned key = hash3(p + i);

		if (BIT(bm, key) && probe(pf, key, p, n, i, hit, ctx))
			return true;
	}
	if (pf->has_short) {
		for (i = 0; i + 1 < n; i++) {
			unsigned key = hash2(p + i);

			if (BIT(bm, key) && probe(pf, key, p, n, i, hit, ctx))
				return true;
		}
	}
	return false;
}

void e53_prefilter_scan(const struct e53_prefilter *pf, const char *s, size_t n,
			e53_prefilter_hit hit, void *ctx)
{
	scan(pf, s, n, hit, ctx);
}

bool e53_prefilter_any(const struct e53_prefilter *pf, const char *s, size_t n)
{
	return scan(pf, s, n, NULL, NULL);
}
