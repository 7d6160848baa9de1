/* prefilter.c - the sampled-trigram multi-literal scanner (see prefilter.h).
 *
 * The text is sampled at every second byte: the three bytes at each even
 * position are hashed and tested against a 64 Ki-bit bitmap (8 KiB, in L1).
 * A literal of four bytes or more always has an even position at its
 * offset k or k + 1 whose trigram lies inside it (k <= length - 4), so each
 * literal is entered twice, with the trigrams at k and k + 1, k chosen
 * where they are rarest in log text (counted in training text, the rules'
 * own sample lines); a hit is verified with the bytes themselves.  Half the positions, no dependency chain between
 * them: far less work per byte than an Aho-Corasick walk. */
#include "err53/prefilter.h"

#include <stdlib.h>
#include <string.h>

#define STRIDE 2         /* sampling step; literals need STRIDE + 2 bytes */

struct lit {
	char *s;
	uint32_t len;
	uint32_t id;
};

/* One literal at one anchor offset. */
struct ent {
	uint32_t lit;
	uint32_t off;     /* offset of the anchor trigram in the literal */
	uint32_t head;    /* the literal's bytes from off, up to four, for a quick test */
	uint32_t mask;
	uint16_t key;     /* hash of the anchor trigram */
};

struct e53_prefilter {
	struct lit *lits;
	size_t n, alloc;
	struct ent *ents;
	size_t nents;
	uint8_t bitmap[65536 / 8];
	uint16_t slot[65536];   /* anchor hash -> 1 + bucket index, 0: none */
	uint32_t *first;        /* per bucket: start in order[] */
	uint32_t *count;
	uint32_t *order;        /* entry indexes grouped by bucket */
	size_t nbuckets;
	uint32_t *freq;         /* trigram hash -> count in the training text */
};

static inline unsigned mix3(uint32_t w)
{
	return (unsigned)(((w & 0xffffffu) * 0x9E3779B1u) >> 16);
}

static inline unsigned hash3(const unsigned char *p)
{
	return mix3((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16);
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
	free(pf->ents);
	free(pf->first);
	free(pf->count);
	free(pf->order);
	free(pf->freq);
	free(pf);
	*ppf = NULL;
}

size_t e53_prefilter_count(const struct e53_prefilter *pf)
{
	return pf->n;
}

e53_status e53_prefilter_add(struct e53_prefilter *pf, const char *lit, size_t len, uint32_t id)
{
	struct lit *l;

	if (len < STRIDE + 2 || len > UINT32_MAX)
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
	l->len = (uint32_t)len;
	l->id = id;
	pf->n++;
	return E53_OK;
}

/* How common a byte is in log text (rough): the anchor is put where the
 * bytes are rare, so the bitmap seldom fires on ordinary lines. */
static unsigned weight(unsigned char c)
{
	if (c == ' ')
		return 14;
	if (c && strchr("etaoinsrhldcu", c))
		return 11;
	if (c >= 'a' && c <= 'z')
		return 6;
	if (c >= '0' && c <= '9')
		return 8;
	if (c && strchr(".:/-_,()[]=<>'\"", c))
		return 6;
	if (c >= 'A' && c <= 'Z')
		return 3;
	return 1;
}

e53_status e53_prefilter_train(struct e53_prefilter *pf, const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i;

	if (!pf->freq) {
		pf->freq = calloc(65536, sizeof *pf->freq);
		if (!pf->freq)
			return E53_ENOMEM;
	}
	for (i = 0; i + 2 < len; i++)
		if (pf->freq[hash3(p + i)] < UINT32_MAX)
			pf->freq[hash3(p + i)]++;
	return E53_OK;
}

/* How often a trigram turns up in log text: counted in the training text
 * when there is one, else guessed from its bytes. */
static uint64_t trigram_weight(const struct e53_prefilter *pf, const unsigned char *p)
{
	if (pf->freq)
		return 1 + (uint64_t)pf->freq[hash3(p)];
	return (uint64_t)weight(p[0]) * weight(p[1]) * weight(p[2]);
}

e53_status e53_prefilter_build(struct e53_prefilter *pf)
{
	size_t i, b = 0, e;

	memset(pf->bitmap, 0, sizeof pf->bitmap);
	memset(pf->slot, 0, sizeof pf->slot);
	free(pf->ents);
	free(pf->first);
	free(pf->count);
	free(pf->order);
	pf->nents = pf->n * STRIDE;
	pf->ents = calloc(pf->nents + 1, sizeof *pf->ents);
	pf->first = calloc(pf->nents + 1, sizeof *pf->first);
	pf->count = calloc(pf->nents + 1, sizeof *pf->count);
	pf->order = calloc(pf->nents + 1, sizeof *pf->order);
	if (!pf->ents || !pf->first || !pf->count || !pf->order)
		return E53_ENOMEM;
	for (i = 0; i < pf->n; i++) {
		const struct lit *l = &pf->lits[i];
		const unsigned char *ls = (const unsigned char *)l->s;
		uint32_t off, k0 = 0, k;
		uint64_t best = UINT64_MAX;

		for (k = 0; k + STRIDE + 2 <= l->len; k++) {
			uint64_t w = trigram_weight(pf, ls + k) + trigram_weight(pf, ls + k + 1);

			if (w < best) {
				best = w;
				k0 = k;
			}
		}
		for (off = 0; off < STRIDE; off++) {
			struct ent *en = &pf->ents[i * STRIDE + off];
			uint32_t m = l->len - (k0 + off) < 4 ? l->len - (k0 + off) : 4;

			en->lit = (uint32_t)i;
			en->off = k0 + off;
			en->key = (uint16_t)hash3(ls + k0 + off);
			for (k = 0; k < m; k++) {
				en->head |= (uint32_t)ls[k0 + off + k] << (8 * k);
				en->mask |= 0xffu << (8 * k);
			}
		}
	}
	for (e = 0; e < pf->nents; e++) {
		uint16_t key = pf->ents[e].key;

		if (!pf->slot[key])
			pf->slot[key] = (uint16_t)++b;
		pf->count[pf->slot[key] - 1]++;
		pf->bitmap[key >> 3] |= (uint8_t)(1u << (key & 7));
	}
	pf->nbuckets = b;
	for (i = 1; i < b; i++)
		pf->first[i] = pf->first[i - 1] + pf->count[i - 1];
	memset(pf->count, 0, (pf->nents + 1) * sizeof *pf->count);
	for (e = 0; e < pf->nents; e++) {
		uint32_t s = pf->slot[pf->ents[e].key] - 1u;

		pf->order[pf->first[s] + pf->count[s]++] = (uint32_t)e;
	}
	return E53_OK;
}

/* Is entry en's literal at p + i - en->off? */
static inline bool verify(const struct e53_prefilter *pf, const struct ent *en,
			  const unsigned char *p, size_t n, size_t i)
{
	const struct lit *l = &pf->lits[en->lit];
	size_t start;
	uint32_t w = 0;

	if (i < en->off)
		return false;
	start = i - en->off;
	if (start + l->len > n)
		return false;
	/* the anchor's first bytes settle most hash collisions without a call */
	memcpy(&w, p + i, n - i >= 4 ? 4 : n - i);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap32(w);
#endif
	if ((w & en->mask) != en->head)
		return false;
	return !memcmp(p + start, l->s, l->len);
}

#define BIT(bm, k) ((bm)[(k) >> 3] & (1u << ((k) & 7)))

/* Reports each literal whose anchor matches at p + i; with no callback,
 * stops at the first and returns true. */
static inline bool probe(const struct e53_prefilter *pf, unsigned key, const unsigned char *p,
			 size_t n, size_t i, e53_prefilter_hit hit, void *ctx)
{
	uint32_t b = pf->slot[key] - 1u, j, e;

	for (j = pf->first[b], e = j + pf->count[b]; j < e; j++) {
		const struct ent *en = &pf->ents[pf->order[j]];

		if (verify(pf, en, p, n, i)) {
			if (!hit)
				return true;
			hit(ctx, pf->lits[en->lit].id);
		}
	}
	return false;
}

static bool scan(const struct e53_prefilter *pf, const char *s, size_t n, e53_prefilter_hit hit,
		 void *ctx)
{
	const unsigned char *p = (const unsigned char *)s;
	const uint8_t *bm = pf->bitmap;
	size_t i = 0;

	if (n < STRIDE + 2 || !pf->n)
		return false;
	/* one 8-byte load covers the trigrams at three sampled positions */
	for (; i + 8 <= n; i += 3 * STRIDE) {
		uint64_t w;
		unsigned k0, k1, k2;

		memcpy(&w, p + i, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		w = __builtin_bswap64(w);
#endif
		k0 = mix3((uint32_t)w);
		k1 = mix3((uint32_t)(w >> 16));
		k2 = mix3((uint32_t)(w >> 32));
		if (!(BIT(bm, k0) | BIT(bm, k1) | BIT(bm, k2)))
			continue;
		if (BIT(bm, k0) && probe(pf, k0, p, n, i, hit, ctx))
			return true;
		if (BIT(bm, k1) && probe(pf, k1, p, n, i + 2, hit, ctx))
			return true;
		if (BIT(bm, k2) && probe(pf, k2, p, n, i + 4, hit, ctx))
			return true;
	}
	for (; i + 2 < n; i += STRIDE) {
		unsigned key = hash3(p + i);

		if (BIT(bm, key) && probe(pf, key, p, n, i, hit, ctx))
			return true;
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
