/* test_prefilter.c - the multi-literal prefilter (src/prefilter.c) against
 * a brute-force search: random log-like text with planted literals, every
 * literal at every offset parity and at block edges, on both block scans
 * (AVX2 where the processor has it, and the scalar one, chosen by setting
 * E53_NO_AVX2 before the build). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err53/prefilter.h"

static const char *lits[] = {
	"Restore Device", "CHECKPOINT BEGIN", "FAILURE:53", "operation ", "AMRestore",
	"Status: ", "Checkpoint ", "x-fdr-message", "seputil", "AppleMesa", "ECID: ",
	"error 53", "Identified device as", "restore-step-", "==> ", " <==",
	"kAMRestore", "0x634", "fdr_recover", "iBEC", "Variant:", "baseband",
};
#define NLITS (sizeof lits / sizeof lits[0])

static struct e53_prefilter *make(bool scalar)
{
	struct e53_prefilter *pf = e53_prefilter_new();
	static const char train[] = "[12:00:01.0001] <Restore Device 0x1>: operation 14 progress 3\n"
				    "2026-01-02 10:11:12.123 iTunes[100:200]: the quick brown fox\n";

	cr_assert_not_null(pf);
	for (size_t i = 0; i < NLITS; i++)
		cr_assert_eq(e53_prefilter_add(pf, lits[i], strlen(lits[i]), (uint32_t)i), E53_OK);
	cr_assert_eq(e53_prefilter_train(pf, train, sizeof train - 1), E53_OK);
	if (scalar)
		setenv("E53_NO_AVX2", "1", 1);
	else
		unsetenv("E53_NO_AVX2");
	cr_assert_eq(e53_prefilter_build(pf), E53_OK);
	unsetenv("E53_NO_AVX2");
	return pf;
}

/* Does some literal start at pos? */
static bool starts(const char *s, size_t n, size_t pos)
{
	for (size_t i = 0; i < NLITS; i++) {
		size_t l = strlen(lits[i]);

		if (pos + l <= n && !memcmp(s + pos, lits[i], l))
			return true;
	}
	return false;
}

/* Does a literal lie wholly inside s[from..n)? */
static bool brute_any(const char *s, size_t n, size_t from, size_t *first_end)
{
	bool any = false;

	*first_end = n;
	for (size_t i = 0; i < NLITS; i++) {
		size_t l = strlen(lits[i]);

		for (size_t k = from; k + l <= n; k++)
			if (!memcmp(s + k, lits[i], l)) {
				any = true;
				if (k + l < *first_end)
					*first_end = k + l;
				break;
			}
	}
	return any;
}

static unsigned rnd_state = 12345;
static unsigned rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

static void random_text(char *s, size_t n)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:.[]<>-_=/";

	for (size_t i = 0; i < n; i++)
		s[i] = (rnd() % 23 == 0) ? '\n' : alpha[rnd() % (sizeof alpha - 1)];
}

static void check_engine(bool scalar)
{
	struct e53_prefilter *pf = make(scalar);
	char buf[700];

	for (unsigned round = 0; round < 3000; round++) {
		size_t n = 1 + rnd() % (sizeof buf), from = rnd() % n, end, got;
		bool any;

		random_text(buf, n);
		if (round % 2) {
			/* plant a literal at a random place, often at an edge */
			const char *l = lits[rnd() % NLITS];
			size_t ll = strlen(l), at;

			if (ll <= n) {
				at = round % 6 == 1 ? n - ll : rnd() % (n - ll + 1);
				memcpy(buf + at, l, ll);
			}
		}
		any = brute_any(buf, n, from, &end);
		got = e53_prefilter_first(pf, buf, n, from);
		/* a hit is always inside a real occurrence (one that began just
		 * before from may be reported: lines never split a literal) */
		if (got < n)
			cr_assert(starts(buf, n, got), "%s: reported a hit at %zu of %zu where no literal starts (from %zu)",
				  e53_prefilter_engine(pf), got, n, from);
		if (!any)
			continue;
		cr_assert_lt(got, n, "%s: missed a literal ending at %zu in %zu bytes (from %zu)",
			     e53_prefilter_engine(pf), end, n, from);
		/* a literal starts there, no later than the first one's end, and
		 * at most a window's width before from */
		cr_assert_lt(got, end, "%s: first hit at %zu, but a literal ends at %zu",
			     e53_prefilter_engine(pf), got, end);
		cr_assert_geq(got + 4, from);
	}
	e53_prefilter_free(&pf);
	cr_assert_null(pf);
}

Test(prefilter, block_scan_agrees_with_brute_force_scalar)
{
	check_engine(true);
}

Test(prefilter, block_scan_agrees_with_brute_force_default_engine)
{
	check_engine(false);
}

Test(prefilter, every_literal_at_every_offset_and_parity)
{
	for (int scalar = 0; scalar < 2; scalar++) {
		struct e53_prefilter *pf = make(scalar);
		char buf[96];

		for (size_t i = 0; i < NLITS; i++) {
			size_t l = strlen(lits[i]);

			for (size_t at = 0; at + l <= sizeof buf; at++) {
				memset(buf, '.', sizeof buf);
				memcpy(buf + at, lits[i], l);
				for (size_t from = 0; from <= at; from += 1 + at / 3) {
					size_t got = e53_prefilter_first(pf, buf, sizeof buf, from);

					cr_assert(got == at || (got > at && got < at + l && starts(buf, sizeof buf, got)),
						  "%s: literal '%s' at %zu (from %zu): hit at %zu",
						  e53_prefilter_engine(pf), lits[i], at, from, got);
				}
				/* starting past its start, a literal need not be found, but
				 * if it is, its own start is reported */
				{
					size_t got = e53_prefilter_first(pf, buf, sizeof buf, at + 1);

					cr_assert(got == sizeof buf || (got >= at && got < at + l && starts(buf, sizeof buf, got)),
						  "%s: '%s' at %zu from %zu: %zu",
						  e53_prefilter_engine(pf), lits[i], at, at + 1, got);
				}
				/* starting past its end, nothing */
				cr_assert_eq(e53_prefilter_first(pf, buf, sizeof buf, at + l), sizeof buf);
			}
		}
		e53_prefilter_free(&pf);
	}
}

Test(prefilter, empty_and_short_inputs)
{
	struct e53_prefilter *pf = make(false);

	cr_assert_eq(e53_prefilter_first(pf, "", 0, 0), 0);
	cr_assert_eq(e53_prefilter_first(pf, "abc", 3, 0), 3);
	cr_assert_eq(e53_prefilter_first(pf, "iBEC", 4, 0) < 4, true);
	cr_assert_eq(e53_prefilter_first(pf, "iBEC", 4, 4), 4);
	cr_assert_eq(e53_prefilter_first(pf, "iBEC", 4, 9), 4);
	e53_prefilter_free(&pf);
}

/* The per-line scan reports every literal present (ids may repeat), on
 * lines long enough for the AVX2 loop and short ones, on both engines. */
struct seen {
	bool id[NLITS];
};

static void mark(void *ctx, uint32_t id)
{
	struct seen *s = ctx;

	cr_assert_lt(id, NLITS);
	s->id[id] = true;
}

Test(prefilter, line_scan_reports_every_literal_present)
{
	for (int scalar = 0; scalar < 2; scalar++) {
		struct e53_prefilter *pf = make(scalar);
		char buf[300];

		for (unsigned round = 0; round < 4000; round++) {
			size_t n = 1 + rnd() % sizeof buf;
			struct seen got = { { 0 } };

			random_text(buf, n);
			for (unsigned k = 0; k < 1 + round % 3; k++) {
				const char *l = lits[rnd() % NLITS];
				size_t ll = strlen(l);

				if (ll <= n)
					memcpy(buf + rnd() % (n - ll + 1), l, ll);
			}
			e53_prefilter_scan(pf, buf, n, 0, mark, &got);
			for (size_t i = 0; i < NLITS; i++) {
				size_t l = strlen(lits[i]);
				bool present = false;

				for (size_t k = 0; k + l <= n && !present; k++)
					present = !memcmp(buf + k, lits[i], l);
				cr_assert_eq(got.id[i], present, "%s: literal '%s' %s in %zu bytes but %s",
					     e53_prefilter_engine(pf), lits[i], present ? "present" : "absent", n,
					     got.id[i] ? "reported" : "not reported");
			}
		}
		e53_prefilter_free(&pf);
	}
}

/* Counting quiet lines in one pass: the count is the newline count, and
 * any line that could need a look of its own (an escape byte, a quote or
 * CR before its newline, a leading '=') makes it give up. */
Test(prefilter, plain_lines_counts_or_gives_up)
{
	for (int scalar = 0; scalar < 2; scalar++) {
		struct e53_prefilter *pf = make(scalar);
		char buf[400];

		for (unsigned round = 0; round < 20000; round++) {
			size_t n = 1 + rnd() % (sizeof buf - 1), nl = 0, got;
			bool special = false;

			random_text(buf, n);
			for (size_t i = 0; i < n; i++)
				if (buf[i] == '"' || buf[i] == '\r' || buf[i] == 27 || buf[i] == '=')
					buf[i] = 'x';
			switch (round % 7) {
			case 1: buf[rnd() % n] = 27; break;
			case 2: buf[rnd() % n] = '"'; break;
			case 3: buf[rnd() % n] = '\r'; break;
			case 4: buf[rnd() % n] = '='; break;
			default: break;
			}
			buf[n - 1] = '\n';
			for (size_t i = 0; i < n; i++) {
				bool at_start = i == 0 || buf[i - 1] == '\n';

				nl += buf[i] == '\n';
				if (buf[i] == 27 || (buf[i] == '=' && at_start) ||
				    ((buf[i] == '"' || buf[i] == '\r') && i + 1 < n && buf[i + 1] == '\n'))
					special = true;
			}
			got = e53_prefilter_plain_lines(pf, buf, n);
			if (!strcmp(e53_prefilter_engine(pf), "scalar")) {
				cr_assert_eq(got, SIZE_MAX, "the scalar engine never counts");
				continue;
			}
			if (special)
				cr_assert_eq(got, SIZE_MAX, "round %u: a line needing a look was counted", round);
			else
				cr_assert_eq(got, nl, "round %u: %zu lines counted, %zu there", round, got, nl);
		}
		e53_prefilter_free(&pf);
	}
}
