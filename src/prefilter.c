/* prefilter.c - the sampled-quadgram multi-literal scanner (see prefilter.h).
 *
 * The text is sampled at every second byte: the four bytes at each sampled
 * position are hashed and tested against a 64 Ki-bit bitmap (8 KiB, in L1).
 * A literal of five bytes or more always has a sampled position at its
 * offset k or k + 1 whose four bytes lie inside it (k <= length - 5), so
 * each literal is entered twice, with the quadgrams at k and k + 1, k
 * chosen where they are rarest in log text (counted in training text, the
 * rules' own sample lines).  A four-byte literal is entered at offset 0 and,
 * for the odd alignment, as the 256 windows that start one byte before it.
 * A hit is verified with the bytes themselves.  Half the positions, four
 * bytes of context each (so ordinary words seldom fire), and no dependency
 * chain between positions: far less work per byte than an Aho-Corasick
 * walk, and the AVX2 version hashes eight positions per step. */
#include "err53/prefilter.h"

#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

#define STRIDE 2         /* sampling step */
#define GRAM 4           /* bytes hashed at a sampled position; literals need 4 */

struct lit {
	char *s;
	uint32_t len;
	uint32_t id;
};

/* One literal at one anchor offset. */
struct ent {
	uint32_t lit;
	int32_t off;      /* where the anchor window starts in the literal (-1: a byte before it) */
	uint32_t head;    /* the window's bytes that belong to the literal, for a quick test */
	uint32_t mask;
	uint16_t key;     /* hash of the anchor window */
};

struct e53_prefilter {
	struct lit *lits;
	size_t n, alloc;
	struct ent *ents;
	size_t nents;
	uint8_t bitmap[65536 / 8] __attribute__((aligned(64)));
	bool avx2;              /* the processor runs the AVX2 block scan */
	uint16_t slot[65536];   /* anchor hash -> 1 + bucket index, 0: none */
	uint32_t *first;        /* per bucket: start in order[] */
	uint32_t *count;
	uint32_t *order;        /* entry indexes grouped by bucket */
	size_t nbuckets;
	uint32_t *freq;         /* quadgram hash -> count in the training text */
};

static inline unsigned mix4(uint32_t w)
{
	return (unsigned)((w * 0x9E3779B1u) >> 16);
}

static inline uint32_t word4(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline unsigned hash4(const unsigned char *p)
{
	return mix4(word4(p));
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

	if (len < GRAM || len > INT32_MAX)
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
	for (i = 0; i + GRAM <= len; i++)
		if (pf->freq[hash4(p + i)] < UINT32_MAX)
			pf->freq[hash4(p + i)]++;
	return E53_OK;
}

/* How often a quadgram turns up in log text: counted in the training text
 * when there is one, else guessed from its bytes. */
static uint64_t gram_weight(const struct e53_prefilter *pf, const unsigned char *p)
{
	uint64_t guess = (uint64_t)weight(p[0]) * weight(p[1]) * weight(p[2]) * weight(p[3]);

	/* the count decides; the guess breaks the many ties among unseen ones */
	if (pf->freq)
		return (1 + 4 * (uint64_t)pf->freq[hash4(p)]) * guess;
	return guess;
}

/* Entry for literal i with its anchor window at offset off (bytes of the
 * window outside the literal are left out of head and mask; x is the
 * byte assumed before a literal for off == -1). */
static void set_ent(struct ent *en, uint32_t i, const struct lit *l, int32_t off, unsigned x)
{
	unsigned char win[GRAM];
	int32_t k;

	en->lit = i;
	en->off = off;
	en->head = en->mask = 0;
	for (k = 0; k < GRAM; k++) {
		int32_t at = off + k;

		if (at >= 0 && (uint32_t)at < l->len) {
			win[k] = (unsigned char)l->s[at];
			en->head |= (uint32_t)win[k] << (8 * k);
			en->mask |= 0xffu << (8 * k);
		} else {
			win[k] = (unsigned char)x;
		}
	}
	en->key = (uint16_t)hash4(win);
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
	/* two entries for a literal of five bytes or more, 257 for four */
	pf->nents = 0;
	for (i = 0; i < pf->n; i++)
		pf->nents += pf->lits[i].len > GRAM ? STRIDE : 1 + 256;
	pf->ents = calloc(pf->nents + 1, sizeof *pf->ents);
	pf->first = calloc(pf->nents + 1, sizeof *pf->first);
	pf->count = calloc(pf->nents + 1, sizeof *pf->count);
	pf->order = calloc(pf->nents + 1, sizeof *pf->order);
	if (!pf->ents || !pf->first || !pf->count || !pf->order)
		return E53_ENOMEM;
	e = 0;
	for (i = 0; i < pf->n; i++) {
		const struct lit *l = &pf->lits[i];
		const unsigned char *ls = (const unsigned char *)l->s;
		uint32_t k0 = 0, k;
		uint64_t best = UINT64_MAX;
		unsigned x;

		if (l->len == GRAM) {
			/* at a sampled position, or one byte after one */
			set_ent(&pf->ents[e++], (uint32_t)i, l, 0, 0);
			for (x = 0; x < 256; x++)
				set_ent(&pf->ents[e++], (uint32_t)i, l, -1, x);
			continue;
		}
		for (k = 0; k + 1 + GRAM <= l->len; k++) {
			uint64_t w = gram_weight(pf, ls + k) + gram_weight(pf, ls + k + 1);

			if (w < best) {
				best = w;
				k0 = k;
			}
		}
		set_ent(&pf->ents[e++], (uint32_t)i, l, (int32_t)k0, 0);
		set_ent(&pf->ents[e++], (uint32_t)i, l, (int32_t)k0 + 1, 0);
	}
	for (e = 0; e < pf->nents; e++) {
		uint16_t key = pf->ents[e].key;

		if (!pf->slot[key])
			pf->slot[key] = (uint16_t)++b;
		pf->count[pf->slot[key] - 1]++;
		pf->bitmap[key >> 3] |= (uint8_t)(1u << (key & 7));
	}
	pf->nbuckets = b;
	pf->avx2 = !strcmp(e53_prefilter_default_engine(), "AVX2");
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

	if (en->off > 0 && i < (size_t)en->off)
		return false;
	start = (size_t)((ptrdiff_t)i - en->off);
	if (start + l->len > n)
		return false;
	/* the window's bytes settle most hash collisions without a call */
	if (n - i >= 4)
		memcpy(&w, p + i, 4);
	else
		memcpy(&w, p + i, n - i);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap32(w);
#endif
	if ((w & en->mask) != en->head)
		return false;
	return !memcmp(p + start, l->s, l->len);
}

#define BIT(bm, k) ((bm)[(k) >> 3] & (1u << ((k) & 7)))

/* The literals whose anchor matches at p + i: each reported to hit, or,
 * with no callback, the first one's start put in *start and true. */
static inline bool probe(const struct e53_prefilter *pf, unsigned key, const unsigned char *p,
			 size_t n, size_t i, e53_prefilter_hit hit, void *ctx, size_t *start)
{
	uint32_t b = pf->slot[key] - 1u, j, e;

	for (j = pf->first[b], e = j + pf->count[b]; j < e; j++) {
		const struct ent *en = &pf->ents[pf->order[j]];

		if (verify(pf, en, p, n, i)) {
			if (!hit) {
				*start = (size_t)((ptrdiff_t)i - en->off);
				return true;
			}
			hit(ctx, pf->lits[en->lit].id);
		}
	}
	return false;
}

#ifdef HAVE_AVX2_PATH
/* Sixteen bytes at p: the low lane holds bytes 0-15, the high lane bytes
 * 8-23; one shuffle puts the quadgrams at 0, 2, 4, 6 (low) and 8, 10, 12,
 * 14 (high) into eight 32-bit words, hashed as mix4 does and looked up in
 * the bitmap (read as 32-bit words, the same bits on a little-endian
 * machine) with one gather.  Bit k of the result: the quadgram at 2k hit. */
__attribute__((target("avx2")))
static inline unsigned hits16(const struct e53_prefilter *pf, const unsigned char *p)
{
	const __m256i shuf = _mm256_setr_epi8(0, 1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7, 6, 7, 8, 9,
					      0, 1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7, 6, 7, 8, 9);
	const __m256i golden = _mm256_set1_epi32((int)0x9E3779B1u);
	const __m256i low5 = _mm256_set1_epi32(31);
	const int *words = (const int *)(const void *)pf->bitmap;
	__m128i lo = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i hi = _mm_loadu_si128((const __m128i *)(const void *)(p + 8));
	__m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
	__m256i h = _mm256_srli_epi32(_mm256_mullo_epi32(_mm256_shuffle_epi8(v, shuf), golden), 16);
	__m256i g = _mm256_i32gather_epi32(words, _mm256_srli_epi32(h, 5), 4);
	__m256i t = _mm256_slli_epi32(_mm256_srlv_epi32(g, _mm256_and_si256(h, low5)), 31);

	return (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(t));
}

/* The scan's AVX2 part, sixteen bytes a step; returns where the scalar
 * loop goes on, or n when a stop (no callback) was found. */
__attribute__((target("avx2")))
static size_t scan_avx2(const struct e53_prefilter *pf, const unsigned char *p, size_t n, size_t i,
			e53_prefilter_hit hit, void *ctx, size_t *start)
{
	for (; i + 24 <= n; i += 16) {
		unsigned mask = hits16(pf, p + i);

		while (mask) {
			size_t pos = i + 2 * (unsigned)__builtin_ctz(mask);

			mask &= mask - 1;
			if (probe(pf, hash4(p + pos), p, n, pos, hit, ctx, start))
				return n;
		}
	}
	return i;
}
#endif

/* Samples s from position from (every STRIDE bytes).  With a callback,
 * every literal found is reported and n returned; without one, the start
 * of the first literal found (n: none). */
static size_t scan(const struct e53_prefilter *pf, const char *s, size_t n, size_t from,
		   e53_prefilter_hit hit, void *ctx)
{
	const unsigned char *p = (const unsigned char *)s;
	const uint8_t *bm = pf->bitmap;
	size_t i = from, start = n;

	if (n < GRAM || !pf->n)
		return n;
#ifdef HAVE_AVX2_PATH
	if (pf->avx2 && i + 24 <= n) {
		i = scan_avx2(pf, p, n, i, hit, ctx, &start);
		if (i == n)
			return start;
	}
#endif
	/* one 8-byte load covers the quadgrams at three sampled positions */
	for (; i + 8 <= n; i += 3 * STRIDE) {
		uint64_t w;
		unsigned k0, k1, k2;

		memcpy(&w, p + i, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		w = __builtin_bswap64(w);
#endif
		k0 = mix4((uint32_t)w);
		k1 = mix4((uint32_t)(w >> 16));
		k2 = mix4((uint32_t)(w >> 32));
		if (!(BIT(bm, k0) | BIT(bm, k1) | BIT(bm, k2)))
			continue;
		if ((BIT(bm, k0) && probe(pf, k0, p, n, i, hit, ctx, &start)) ||
		    (BIT(bm, k1) && probe(pf, k1, p, n, i + 2, hit, ctx, &start)) ||
		    (BIT(bm, k2) && probe(pf, k2, p, n, i + 4, hit, ctx, &start)))
			return start;
	}
	for (; i + GRAM <= n; i += STRIDE) {
		unsigned key = hash4(p + i);

		if (BIT(bm, key) && probe(pf, key, p, n, i, hit, ctx, &start))
			return start;
	}
	return n;
}

void e53_prefilter_scan(const struct e53_prefilter *pf, const char *s, size_t n, size_t from,
			e53_prefilter_hit hit, void *ctx)
{
	scan(pf, s, n, from, hit, ctx);
}

#ifdef HAVE_AVX2_PATH
/* 32 bytes a step: newlines counted; an escape byte, a quote or CR right
 * before a newline, or '=' right after one ends the count early. */
__attribute__((target("avx2")))
static size_t plain_avx2(const unsigned char *p, size_t n)
{
	const __m256i nl = _mm256_set1_epi8('\n'), esc = _mm256_set1_epi8(27), quote = _mm256_set1_epi8('"');
	const __m256i cr = _mm256_set1_epi8('\r'), eq = _mm256_set1_epi8('=');
	uint64_t prev_nl = 1, prev_qc = 0;  /* the stretch starts a line */
	size_t i, lines = 0;

	for (i = 0; i + 32 <= n; i += 32) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		uint64_t mn = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, nl));
		uint64_t me = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, esc));
		uint64_t mq = (uint32_t)_mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(v, quote),
									     _mm256_cmpeq_epi8(v, cr)));
		uint64_t mq2 = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, eq));

		if (me || (((mq << 1) | prev_qc) & mn) || (((mn << 1) | prev_nl) & mq2))
			return SIZE_MAX;
		prev_nl = mn >> 31;
		prev_qc = mq >> 31;
		lines += (size_t)__builtin_popcount((unsigned)mn);
	}
	for (; i < n; i++) {
		unsigned c = p[i];

		if (c == 27 || (c == '\n' && prev_qc) || (c == '=' && prev_nl))
			return SIZE_MAX;
		prev_nl = c == '\n';
		prev_qc = c == '"' || c == '\r';
		lines += c == '\n';
	}
	return lines;
}
#endif

size_t e53_prefilter_plain_lines(const struct e53_prefilter *pf, const char *s, size_t n)
{
#ifdef HAVE_AVX2_PATH
	if (pf->avx2)
		return plain_avx2((const unsigned char *)s, n);
#endif
	(void)pf;
	(void)s;
	(void)n;
	return SIZE_MAX;
}

size_t e53_prefilter_first(const struct e53_prefilter *pf, const char *s, size_t n, size_t from)
{
	return from >= n ? n : scan(pf, s, n, from, NULL, NULL);
}

const char *e53_prefilter_engine(const struct e53_prefilter *pf)
{
	return pf->avx2 ? "AVX2" : "scalar";
}

const char *e53_prefilter_default_engine(void)
{
#ifdef HAVE_AVX2_PATH
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2") && !getenv("E53_NO_AVX2"))
		return "AVX2";
#endif
	return "scalar";
}
