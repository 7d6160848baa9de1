/* test_lines.c - the streaming line splitter (src/lines.c) against an
 * independent reference splitter that sees the whole buffer at once.
 *
 * The contract (include/err53/lines.h): a line is delivered without its '\n'
 * and without one trailing '\r'; a last line without newline is delivered by
 * e53_lines_finish; a line longer than max_line is cut to its first max_line
 * bytes and the rest up to the newline is skipped and counted; line numbers
 * start at 1 for each member.  The result must not depend on how the bytes
 * are cut into blocks, so every test feeds the same buffer at every block
 * size and compares with the reference. */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err53/lines.h"
#include "testutil.h"

/* ---- recording the splitter's output ----------------------------------- */

struct line {
	char *p;
	size_t len;
	uint64_t lineno;
};

struct lines_rec {
	struct line *v;
	size_t n, alloc;
	/* where the last fed block lives, to check in-place delivery */
	const char *block;
	size_t block_len;
	size_t in_place;
};

static void rec_line(void *ctx, const char *p, size_t len, uint64_t lineno)
{
	struct lines_rec *r = ctx;

	if (r->n == r->alloc) {
		r->alloc = r->alloc ? r->alloc * 2 : 64;
		r->v = realloc(r->v, r->alloc * sizeof *r->v);
		cr_assert_not_null(r->v);
	}
	r->v[r->n].p = malloc(len + 1);
	cr_assert_not_null(r->v[r->n].p);
	if (len)
		memcpy(r->v[r->n].p, p, len);
	r->v[r->n].p[len] = 0;
	r->v[r->n].len = len;
	r->v[r->n].lineno = lineno;
	r->n++;
	if (r->block && p >= r->block && p + len <= r->block + r->block_len)
		r->in_place++;
}

static void rec_free(struct lines_rec *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].p);
	free(r->v);
	memset(r, 0, sizeof *r);
}

/* ---- the reference: whole-buffer splitting ----------------------------- */

struct ref {
	struct lines_rec lines;
	uint64_t newlines, cut, skipped;
};

static void ref_line(struct ref *ref, const char *p, size_t raw, size_t max_line)
{
	size_t len = raw;

	if (raw > max_line) {
		/* cut: the first max_line bytes as they are */
		ref->cut++;
		ref->skipped += raw - max_line;
		len = max_line;
	} else if (len && p[len - 1] == '\r') {
		len--;
	}
	rec_line(&ref->lines, p, len, ref->lines.n + 1);
}

static void ref_split(struct ref *ref, const char *buf, size_t n, size_t max_line)
{
	size_t start = 0;

	memset(ref, 0, sizeof *ref);
	for (size_t i = 0; i < n; i++) {
		if (buf[i] != '\n')
			continue;
		ref->newlines++;
		ref_line(ref, buf + start, i - start, max_line);
		start = i + 1;
	}
	if (start < n)
		ref_line(ref, buf + start, n - start, max_line);
}

/* Feeds buf in blocks of k bytes (0: all at once) then finishes. */
static void split_blocks(struct e53_lines *l, struct lines_rec *r, const char *buf, size_t n,
			 size_t k, size_t max_line)
{
	memset(r, 0, sizeof *r);
	cr_assert_eq(e53_lines_init(l, max_line, rec_line, r), E53_OK);
	if (k == 0)
		k = n ? n : 1;
	for (size_t off = 0; off < n; off += k) {
		size_t m = n - off < k ? n - off : k;
		/* copy each block to its own allocation so a pointer kept past the
		 * block (instead of copied to the carry) would be caught by ASan
		 * and would read garbage here */
		char *blk = malloc(m);

		cr_assert_not_null(blk);
		memcpy(blk, buf + off, m);
		r->block = blk;
		r->block_len = m;
		e53_lines_feed(l, blk, m);
		memset(blk, '#', m);
		free(blk);
		r->block = NULL;
	}
	e53_lines_finish(l);
}

static void show(char *out, size_t cap, const char *p, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
	}
	out[o] = 0;
}

static void assert_same_lines(const struct lines_rec *got, const struct lines_rec *want, size_t k)
{
	cr_assert_eq(got->n, want->n, "block size %zu: %zu lines, expected %zu", k, got->n, want->n);
	for (size_t i = 0; i < want->n; i++) {
		char a[200], b[200];

		show(a, sizeof a, got->v[i].p, got->v[i].len);
		show(b, sizeof b, want->v[i].p, want->v[i].len);
		cr_assert_eq(got->v[i].len, want->v[i].len,
			     "block size %zu, line %zu: length %zu, expected %zu\n got  \"%s\"\n want \"%s\"",
			     k, i + 1, got->v[i].len, want->v[i].len, a, b);
		cr_assert(memcmp(got->v[i].p, want->v[i].p, want->v[i].len) == 0,
			  "block size %zu, line %zu: bytes differ\n got  \"%s\"\n want \"%s\"", k, i + 1, a, b);
		cr_assert_eq(got->v[i].lineno, (uint64_t)(i + 1), "block size %zu: line %zu numbered %llu",
			     k, i + 1, (unsigned long long)got->v[i].lineno);
	}
}

/* The mixed buffer of the block-size test. */
static void mixed_buffer(struct tbuf *b)
{
	tbuf_adds(b, "first line\r\n");
	tbuf_adds(b, "\n");                     /* empty */
	tbuf_adds(b, "\r\n");                   /* empty after CR strip */
	tbuf_adds(b, "unix line\n");
	tbuf_add(b, "nul\0inside\r\n", 12);     /* a NUL byte inside a line */
	tbuf_adds(b, "bad utf8 \xff here \xc3 alone\n");
	tbuf_adds(b, "two CRs\r\r\n");          /* only one CR is stripped */
	tbuf_adds(b, "\r");                     /* a lone CR line ... */
	tbuf_adds(b, "\n");                     /* ... delivered empty */
	tbuf_adds(b, "mid\rline CR kept\n");
	for (int i = 0; i < 700; i++)            /* a long line, far above 300 */
		tbuf_addc(b, (unsigned char)('a' + i % 26));
	tbuf_adds(b, "\r\n");
	tbuf_adds(b, "\n\n\n");
	tbuf_adds(b, "\xc3\xa9t\xc3\xa9 UTF-8\n");
	tbuf_adds(b, "last line without newline");
}

/* ---- tests ------------------------------------------------------------- */

Test(lines_split, reference_buffer_is_what_the_test_claims)
{
	/* guard the oracle itself: a wrong reference would make the other
	 * tests pass vacuously */
	struct tbuf b = { 0 };
	struct ref ref;

	mixed_buffer(&b);
	ref_split(&ref, (const char *)b.p, b.len, 65536);
	cr_assert_eq(ref.lines.n, 15);
	cr_assert_eq(ref.newlines, 14);
	cr_assert_eq(ref.lines.v[0].len, 10);
	cr_assert(memcmp(ref.lines.v[0].p, "first line", 10) == 0);
	cr_assert_eq(ref.lines.v[1].len, 0);
	cr_assert_eq(ref.lines.v[2].len, 0);
	cr_assert_eq(ref.lines.v[4].len, 10);
	cr_assert(memcmp(ref.lines.v[4].p, "nul\0inside", 10) == 0);
	cr_assert_eq(ref.lines.v[6].len, 8);          /* "two CRs\r" */
	cr_assert_eq(ref.lines.v[7].len, 0);
	cr_assert_eq(ref.lines.v[9].len, 700);
	cr_assert_str_eq(ref.lines.v[14].p, "last line without newline");
	rec_free(&ref.lines);
	tbuf_free(&b);
}

Test(lines_split, every_block_size_1_to_300_matches_whole_buffer)
{
	struct tbuf b = { 0 };
	struct ref ref;

	mixed_buffer(&b);
	ref_split(&ref, (const char *)b.p, b.len, 65536);
	for (size_t k = 0; k <= 300; k++) {   /* 0 = the whole buffer at once */
		struct e53_lines l;
		struct lines_rec got;

		split_blocks(&l, &got, (const char *)b.p, b.len, k, 65536);
		assert_same_lines(&got, &ref.lines, k);
		cr_assert_eq(l.newlines, ref.newlines, "block size %zu: newlines %llu", k,
			     (unsigned long long)l.newlines);
		cr_assert_eq(l.cut_lines, 0, "block size %zu", k);
		cr_assert_eq(l.skipped_bytes, 0, "block size %zu", k);
		e53_lines_release(&l);
		rec_free(&got);
	}
	rec_free(&ref.lines);
	tbuf_free(&b);
}

Test(lines_split, lines_inside_one_block_are_passed_in_place)
{
	/* lines.h: lines that fit inside a block are passed without a copy */
	static const char buf[] = "alpha\nbeta\r\ngamma\n";
	struct e53_lines l;
	struct lines_rec r = { 0 };

	cr_assert_eq(e53_lines_init(&l, 1024, rec_line, &r), E53_OK);
	r.block = buf;
	r.block_len = sizeof buf - 1;
	e53_lines_feed(&l, buf, sizeof buf - 1);
	e53_lines_finish(&l);
	cr_assert_eq(r.n, 3);
	cr_assert_eq(r.in_place, 3, "%zu of 3 lines were copied", 3 - r.in_place);
	cr_assert_eq(r.v[1].len, 4);
	e53_lines_release(&l);
	rec_free(&r);
}

static void long_line_buffer(struct tbuf *b)
{
	tbuf_adds(b, "short\n");
	for (int i = 0; i < 100; i++)            /* a 100-byte line */
		tbuf_addc(b, (unsigned char)('A' + i % 26));
	tbuf_adds(b, "\n");
	tbuf_adds(b, "next line intact\n");      /* exactly 16 bytes: not cut */
	tbuf_adds(b, "0123456789abcdefg\n");     /* 17 bytes: cut by one */
	for (int i = 0; i < 50; i++)             /* long CRLF line */
		tbuf_addc(b, (unsigned char)('0' + i % 10));
	tbuf_adds(b, "\r\n");
	tbuf_adds(b, "0123456789abcde\r\n");     /* 15 + CR: fits, CR stripped */
	tbuf_adds(b, "\n");
	for (int i = 0; i < 40; i++)             /* a long last line, no newline */
		tbuf_addc(b, (unsigned char)('z' - i % 26));
}

Test(lines_cut, long_line_cut_to_max_line_at_every_block_size_1_to_40)
{
	struct tbuf b = { 0 };
	struct ref ref;

	long_line_buffer(&b);
	ref_split(&ref, (const char *)b.p, b.len, 16);
	/* the oracle: the 100-byte line cut to 16, the next intact */
	cr_assert_eq(ref.lines.n, 8);
	cr_assert_eq(ref.cut, 4);
	cr_assert_eq(ref.skipped, (100 - 16) + (17 - 16) + (51 - 16) + (40 - 16));
	for (size_t k = 0; k <= 40; k++) {
		struct e53_lines l;
		struct lines_rec got;

		split_blocks(&l, &got, (const char *)b.p, b.len, k, 16);
		assert_same_lines(&got, &ref.lines, k);
		cr_assert_eq(got.v[1].len, 16, "block size %zu", k);
		cr_assert(memcmp(got.v[1].p, "ABCDEFGHIJKLMNOP", 16) == 0, "block size %zu", k);
		cr_assert_eq(got.v[2].len, 16, "block size %zu", k);
		cr_assert(memcmp(got.v[2].p, "next line intact", 16) == 0, "block size %zu", k);
		cr_assert_eq(l.cut_lines, ref.cut, "block size %zu: cut_lines %llu", k,
			     (unsigned long long)l.cut_lines);
		cr_assert_eq(l.skipped_bytes, ref.skipped, "block size %zu: skipped %llu, expected %llu", k,
			     (unsigned long long)l.skipped_bytes, (unsigned long long)ref.skipped);
		cr_assert_eq(l.newlines, ref.newlines, "block size %zu", k);
		e53_lines_release(&l);
		rec_free(&got);
	}
	rec_free(&ref.lines);
	tbuf_free(&b);
}

Test(lines_cut, cr_at_the_cut_point_same_at_every_block_size)
{
	/* A 20-byte line whose 16th byte is a CR, with max_line 16: the cut
	 * keeps the first 16 bytes.  Whether that CR is kept or stripped, the
	 * answer must not depend on where the block boundaries fall: the
	 * whole-buffer feed is the reference. */
	static const char buf[] = "xxxxxxxxxxxxxxx\ryyyy\nok\n";
	struct e53_lines l;
	struct lines_rec whole;

	split_blocks(&l, &whole, buf, sizeof buf - 1, 0, 16);
	e53_lines_release(&l);
	cr_assert_eq(whole.n, 2);
	for (size_t k = 1; k <= 24; k++) {
		struct lines_rec got;

		split_blocks(&l, &got, buf, sizeof buf - 1, k, 16);
		assert_same_lines(&got, &whole, k);
		cr_assert_eq(l.cut_lines, 1, "block size %zu", k);
		cr_assert_eq(l.skipped_bytes, 4, "block size %zu", k);
		e53_lines_release(&l);
		rec_free(&got);
	}
	rec_free(&whole);
}

Test(lines_cut, random_buffers_random_blocks_match_reference)
{
	/* Random lines over a small alphabet (CR only just before LF), random
	 * max_line 1..24 and random block sizes, against the reference. */
	uint32_t seed = 12345;

	for (int round = 0; round < 400; round++) {
		struct tbuf b = { 0 };
		size_t max_line = 1 + t_rand(&seed) % 24;
		size_t nlines = t_rand(&seed) % 12;
		struct ref ref;
		struct e53_lines l;
		struct lines_rec got = { 0 };
		size_t off = 0;

		for (size_t i = 0; i < nlines; i++) {
			size_t len = t_rand(&seed) % 40;

			for (size_t j = 0; j < len; j++) {
				static const char alpha[] = "ab\0\xff ";
				tbuf_addc(&b, (unsigned char)alpha[t_rand(&seed) % 5]);
			}
			if (t_rand(&seed) % 3 == 0)
				tbuf_addc(&b, '\r');
			if (i + 1 < nlines || t_rand(&seed) % 2)
				tbuf_addc(&b, '\n');
		}
		ref_split(&ref, (const char *)b.p, b.len, max_line);
		cr_assert_eq(e53_lines_init(&l, max_line, rec_line, &got), E53_OK);
		while (off < b.len) {
			size_t k = 1 + t_rand(&seed) % 30;

			if (k > b.len - off)
				k = b.len - off;
			e53_lines_feed(&l, (const char *)b.p + off, k);
			off += k;
		}
		e53_lines_finish(&l);
		assert_same_lines(&got, &ref.lines, (size_t)round);
		cr_assert_eq(l.cut_lines, ref.cut, "round %d", round);
		cr_assert_eq(l.skipped_bytes, ref.skipped, "round %d", round);
		cr_assert_eq(l.newlines, ref.newlines, "round %d", round);
		e53_lines_release(&l);
		rec_free(&got);
		rec_free(&ref.lines);
		tbuf_free(&b);
	}
}

Test(lines_count, newlines_is_wc_l_and_last_line_still_delivered)
{
	static const char buf[] = "a\nb\r\n\nlast";
	struct e53_lines l;
	struct lines_rec r = { 0 };

	cr_assert_eq(e53_lines_init(&l, 64, rec_line, &r), E53_OK);
	e53_lines_feed(&l, buf, sizeof buf - 1);
	cr_assert_eq(l.newlines, 3);           /* printf 'a\nb\r\n\nlast' | wc -l */
	cr_assert_eq(r.n, 3, "the unterminated line must wait for finish");
	e53_lines_finish(&l);
	cr_assert_eq(r.n, 4);
	cr_assert_eq(l.newlines, 3, "finish must not count a newline that is not there");
	cr_assert_eq(r.v[3].len, 4);
	cr_assert(memcmp(r.v[3].p, "last", 4) == 0);
	cr_assert_eq(r.v[3].lineno, 4);
	cr_assert_eq(r.v[1].len, 1);
	cr_assert_eq(r.v[2].len, 0);
	e53_lines_release(&l);
	rec_free(&r);
}

Test(lines_count, terminated_input_has_no_extra_empty_line)
{
	static const char buf[] = "one\ntwo\n";
	struct e53_lines l;
	struct lines_rec r = { 0 };

	cr_assert_eq(e53_lines_init(&l, 64, rec_line, &r), E53_OK);
	e53_lines_feed(&l, buf, 4);
	e53_lines_feed(&l, buf + 4, 4);
	e53_lines_finish(&l);
	cr_assert_eq(r.n, 2);
	cr_assert_eq(l.newlines, 2);
	e53_lines_finish(&l);              /* a second finish delivers nothing */
	cr_assert_eq(r.n, 2);
	e53_lines_release(&l);
	rec_free(&r);
}

Test(lines_count, newlines_accumulate_across_members)
{
	struct e53_lines l;
	struct lines_rec r = { 0 };

	cr_assert_eq(e53_lines_init(&l, 64, rec_line, &r), E53_OK);
	e53_lines_feed(&l, "1\n2\n3", 5);
	e53_lines_finish(&l);
	e53_lines_feed(&l, "\n\n", 2);
	e53_lines_finish(&l);
	cr_assert_eq(l.newlines, 4);
	cr_assert_eq(r.n, 5);
	e53_lines_release(&l);
	rec_free(&r);
}

Test(lines_member, finish_resets_line_numbers)
{
	struct e53_lines l;
	struct lines_rec r = { 0 };

	cr_assert_eq(e53_lines_init(&l, 64, rec_line, &r), E53_OK);
	e53_lines_feed(&l, "x\ny\nz", 5);
	e53_lines_finish(&l);
	e53_lines_feed(&l, "p\nq", 3);
	e53_lines_finish(&l);
	cr_assert_eq(r.n, 5);
	cr_assert_eq(r.v[0].lineno, 1);
	cr_assert_eq(r.v[2].lineno, 3);
	cr_assert_str_eq(r.v[2].p, "z");
	cr_assert_eq(r.v[3].lineno, 1, "the second member starts at line 1, got %llu",
		     (unsigned long long)r.v[3].lineno);
	cr_assert_str_eq(r.v[3].p, "p");
	cr_assert_eq(r.v[4].lineno, 2);
	cr_assert_str_eq(r.v[4].p, "q");
	e53_lines_release(&l);
	rec_free(&r);
}

Test(lines_member, finish_ends_a_cut_line_so_the_next_member_is_intact)
{
	/* member 1 ends inside an over-long line: its skipping state must not
	 * leak into member 2, nor its partial line be glued to it */
	struct e53_lines l;
	struct lines_rec r = { 0 };
	char big[64];

	memset(big, 'k', sizeof big);
	cr_assert_eq(e53_lines_init(&l, 8, rec_line, &r), E53_OK);
	e53_lines_feed(&l, "a\n", 2);
	e53_lines_feed(&l, big, sizeof big);
	e53_lines_finish(&l);
	e53_lines_feed(&l, "short\n", 6);
	e53_lines_finish(&l);
	cr_assert_eq(r.n, 3);
	cr_assert_eq(r.v[1].len, 8);
	cr_assert(memcmp(r.v[1].p, "kkkkkkkk", 8) == 0);
	cr_assert_eq(r.v[1].lineno, 2);
	cr_assert_eq(r.v[2].len, 5);
	cr_assert(memcmp(r.v[2].p, "short", 5) == 0);
	cr_assert_eq(r.v[2].lineno, 1);
	cr_assert_eq(l.cut_lines, 1);
	cr_assert_eq(l.skipped_bytes, 64 - 8);
	e53_lines_release(&l);
	rec_free(&r);
}

Test(lines_member, finish_ends_a_partial_line_so_the_next_member_starts_clean)
{
	struct e53_lines l;
	struct lines_rec r = { 0 };

	cr_assert_eq(e53_lines_init(&l, 64, rec_line, &r), E53_OK);
	e53_lines_feed(&l, "tail of one", 11);
	e53_lines_finish(&l);
	e53_lines_feed(&l, "head of two\n", 12);
	e53_lines_finish(&l);
	cr_assert_eq(r.n, 2);
	cr_assert_str_eq(r.v[0].p, "tail of one");
	cr_assert_str_eq(r.v[1].p, "head of two");
	cr_assert_eq(r.v[1].lineno, 1);
	e53_lines_release(&l);
	rec_free(&r);
}

Test(lines_member, empty_member_delivers_nothing)
{
	struct e53_lines l;
	struct lines_rec r = { 0 };

	cr_assert_eq(e53_lines_init(&l, 64, rec_line, &r), E53_OK);
	e53_lines_feed(&l, "", 0);
	e53_lines_finish(&l);
	cr_assert_eq(r.n, 0);
	cr_assert_eq(l.newlines, 0);
	e53_lines_release(&l);
	rec_free(&r);
}
