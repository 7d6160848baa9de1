/* test_input.c - the input layer (src/input.c) through the real libraries:
 * every file, archive and compressed stream is built by the test itself with
 * zlib and libarchive's writer, in a temporary directory under /tmp that is
 * removed at the end of each test.
 *
 * A recording sink keeps, per member, its origin (input, path, member) and
 * the concatenation of its data blocks, plus every error (status, message,
 * origin) and warning.  The assertions are on what the sink receives. */
#include <criterion/criterion.h>

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "err53/input.h"
#include "testutil.h"

/* ---- the recording sink ------------------------------------------------ */

struct rmember {
	char *input, *path, *member; /* member NULL kept as NULL */
	struct tbuf data;
	bool ended;
};

struct rerror {
	e53_status st;
	char *msg, *path, *member;
};

struct rwarn {
	char *msg, *path;
};

struct rec {
	struct rmember *m;
	size_t nm;
	struct rerror *e;
	size_t ne;
	struct rwarn *w;
	size_t nw;
	bool open;
	/* want / member_begin refuse origins whose member (or, for files,
	 * path) ends with this suffix */
	const char *refuse_want;
	const char *refuse_begin;
	unsigned want_calls;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a, b;

	if (!s || !suffix)
		return false;
	a = strlen(s);
	b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static const char *origin_key(const struct e53_origin *o)
{
	return o->member ? o->member : o->path;
}

static bool s_want(void *ctx, const struct e53_origin *o)
{
	struct rec *r = ctx;

	r->want_calls++;
	return !(r->refuse_want && ends_with(origin_key(o), r->refuse_want));
}

static bool s_begin(void *ctx, const struct e53_origin *o)
{
	struct rec *r = ctx;
	struct rmember *m;

	cr_assert(!r->open, "member_begin while a member is open");
	cr_assert_not_null(o->input);
	cr_assert_not_null(o->path);
	if (r->refuse_begin && ends_with(origin_key(o), r->refuse_begin))
		return false;
	r->m = realloc(r->m, (r->nm + 1) * sizeof *r->m);
	cr_assert_not_null(r->m);
	m = &r->m[r->nm++];
	memset(m, 0, sizeof *m);
	m->input = strdup(o->input);
	m->path = strdup(o->path);
	m->member = dup_or_null(o->member);
	r->open = true;
	return true;
}

static void s_data(void *ctx, const char *p, size_t n)
{
	struct rec *r = ctx;

	cr_assert(r->open, "data outside of a member");
	cr_assert(n > 0, "empty data block");
	tbuf_add(&r->m[r->nm - 1].data, p, n);
}

static void s_end(void *ctx, const struct e53_origin *o)
{
	struct rec *r = ctx;
	struct rmember *m;

	cr_assert(r->open, "member_end without member_begin");
	m = &r->m[r->nm - 1];
	cr_assert_str_eq(o->path, m->path);
	cr_assert((o->member == NULL) == (m->member == NULL));
	if (o->member)
		cr_assert_str_eq(o->member, m->member);
	m->ended = true;
	r->open = false;
}

static void s_error(void *ctx, const struct e53_origin *o, e53_status st, const char *msg)
{
	struct rec *r = ctx;
	struct rerror *e;

	cr_assert_not_null(msg);
	cr_assert(st > E53_OK && st < E53_STATUS_MAX, "status %d out of range", (int)st);
	r->e = realloc(r->e, (r->ne + 1) * sizeof *r->e);
	cr_assert_not_null(r->e);
	e = &r->e[r->ne++];
	e->st = st;
	e->msg = strdup(msg);
	e->path = dup_or_null(o ? o->path : NULL);
	e->member = dup_or_null(o ? o->member : NULL);
}

static void s_warning(void *ctx, const struct e53_origin *o, const char *msg)
{
	struct rec *r = ctx;
	struct rwarn *w;

	cr_assert_not_null(msg);
	r->w = realloc(r->w, (r->nw + 1) * sizeof *r->w);
	cr_assert_not_null(r->w);
	w = &r->w[r->nw++];
	w->msg = strdup(msg);
	w->path = dup_or_null(o ? o->path : NULL);
}

static struct e53_sink sink_for(struct rec *r)
{
	struct e53_sink s = { r, s_want, s_begin, s_data, s_end, s_error, s_warning };

	return s;
}

static void rec_free(struct rec *r)
{
	for (size_t i = 0; i < r->nm; i++) {
		free(r->m[i].input);
		free(r->m[i].path);
		free(r->m[i].member);
		tbuf_free(&r->m[i].data);
	}
	for (size_t i = 0; i < r->ne; i++) {
		free(r->e[i].msg);
		free(r->e[i].path);
		free(r->e[i].member);
	}
	for (size_t i = 0; i < r->nw; i++) {
		free(r->w[i].msg);
		free(r->w[i].path);
	}
	free(r->m);
	free(r->e);
	free(r->w);
	memset(r, 0, sizeof *r);
}

/* Scans path with the recording sink; checks the invariants every scan
 * must keep (members closed, stats agree with the callbacks). */
static e53_status scan(const char *path, const struct e53_limits *lim, struct rec *r,
		       struct e53_scan_stats *out)
{
	struct e53_sink s = sink_for(r);
	struct e53_scan_stats st;
	e53_status ret;
	uint64_t bytes = 0;

	memset(&st, 0xa5, sizeof st); /* the scan must reset it */
	ret = e53_scan_path(path, lim, &s, &st);
	cr_assert(!r->open, "a member was left open");
	for (size_t i = 0; i < r->nm; i++) {
		cr_assert(r->m[i].ended);
		bytes += r->m[i].data.len;
	}
	cr_assert_eq(st.members, r->nm, "stats.members %llu, sink saw %zu",
		     (unsigned long long)st.members, r->nm);
	cr_assert_eq(st.bytes, bytes, "stats.bytes %llu, sink saw %llu",
		     (unsigned long long)st.bytes, (unsigned long long)bytes);
	cr_assert_eq(st.errors, r->ne, "stats.errors %u, sink saw %zu", st.errors, r->ne);
	if (r->ne)
		cr_assert_eq(ret, r->e[0].st, "returned %d, first error callback had %d",
			     (int)ret, (int)r->e[0].st);
	else
		cr_assert_eq(ret, E53_OK, "returned %d without an error callback", (int)ret);
	if (out)
		*out = st;
	return ret;
}

static void dump(const struct rec *r)
{
	for (size_t i = 0; i < r->nm; i++)
		fprintf(stderr, "  member %zu: path=%s member=%s bytes=%zu\n", i, r->m[i].path,
			r->m[i].member ? r->m[i].member : "(null)", r->m[i].data.len);
	for (size_t i = 0; i < r->ne; i++)
		fprintf(stderr, "  error %zu: st=%d (%s) path=%s member=%s: %s\n", i, (int)r->e[i].st,
			e53_strerror(r->e[i].st), r->e[i].path ? r->e[i].path : "(null)",
			r->e[i].member ? r->e[i].member : "(null)", r->e[i].msg);
	for (size_t i = 0; i < r->nw; i++)
		fprintf(stderr, "  warning %zu: path=%s: %s\n", i, r->w[i].path ? r->w[i].path : "(null)",
			r->w[i].msg);
}

static void assert_data(const struct rmember *m, const void *want, size_t n)
{
	cr_assert_eq(m->data.len, n, "%s: %zu bytes delivered, expected %zu",
		     m->member ? m->member : m->path, m->data.len, n);
	cr_assert(n == 0 || memcmp(m->data.p, want, n) == 0, "%s: data differs",
		  m->member ? m->member : m->path);
}

static void assert_member(const struct rec *r, size_t i, const char *name, const void *data, size_t n)
{
	if (i >= r->nm)
		dump(r);
	cr_assert_lt(i, r->nm, "member %zu (%s) missing: only %zu delivered", i, name, r->nm);
	cr_assert_not_null(r->m[i].member, "member %zu delivered without a name (want %s)", i, name);
	cr_assert_str_eq(r->m[i].member, name, "member %zu", i);
	assert_data(&r->m[i], data, n);
}

static size_t count_status(const struct rec *r, e53_status st)
{
	size_t k = 0;

	for (size_t i = 0; i < r->ne; i++)
		k += r->e[i].st == st;
	return k;
}

/* ---- fixtures --------------------------------------------------------- */

static char *tmp;

static void setup(void)
{
	tmp = t_mkdtemp();
}

static void teardown(void)
{
	t_rmtree(tmp);
	tmp = NULL;
}

static char *write_buf(const char *rel, const struct tbuf *b)
{
	return t_write(tmp, rel, b->p, b->len);
}

#define IN_TEST(suite, name) Test(suite, name, .init = setup, .fini = teardown, .timeout = 20)

/* ---- plain files and descriptors --------------------------------------- */

IN_TEST(input_plain, plain_file_is_one_unnamed_member)
{
	struct tbuf text = { 0 };
	struct rec r = { 0 };
	char *p;

	t_text(&text, 3000, "plain");
	p = write_buf("restore.log", &text);
	cr_assert_eq(scan(p, NULL, &r, NULL), E53_OK);
	cr_assert_eq(r.nm, 1);
	cr_assert_null(r.m[0].member);
	cr_assert_str_eq(r.m[0].input, p);
	cr_assert_str_eq(r.m[0].path, p);
	assert_data(&r.m[0], text.p, text.len);
	cr_assert_eq(r.want_calls, 0, "want is for archive entries and folder files");
	rec_free(&r);
	tbuf_free(&text);
	free(p);
}

IN_TEST(input_plain, file_larger_than_one_block_is_complete)
{
	struct tbuf text = { 0 };
	struct rec r = { 0 };
	struct e53_scan_stats st;
	char *p;

	t_text(&text, 700000, "big");   /* several 256 KiB blocks */
	p = write_buf("big.log", &text);
	cr_assert_eq(scan(p, NULL, &r, &st), E53_OK);
	cr_assert_eq(r.nm, 1);
	assert_data(&r.m[0], text.p, text.len);
	cr_assert_eq(st.bytes, text.len);
	rec_free(&r);
	tbuf_free(&text);
	free(p);
}

IN_TEST(input_plain, empty_file_delivers_no_bytes_and_no_error)
{
	struct rec r = { 0 };
	struct e53_scan_stats st;
	char *p = t_write(tmp, "empty.log", "", 0);

	cr_assert_eq(scan(p, NULL, &r, &st), E53_OK);
	cr_assert_eq(r.ne, 0);
	cr_assert_leq(r.nm, 1, "an empty file is at most one (empty) member");
	for (size_t i = 0; i < r.nm; i++) {
		cr_assert_eq(r.m[i].data.len, 0);
		cr_assert_null(r.m[i].member);
	}
	cr_assert_eq(st.bytes, 0);
	rec_free(&r);
	free(p);
}

struct writer {
	int fd;
	const unsigned char *p;
	size_t n;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	size_t off = 0;

	while (off < w->n) {
		/* odd-sized writes so reads see ragged pieces */
		size_t k = w->n - off < 777 ? w->n - off : 777;
		ssize_t got = write(w->fd, w->p + off, k);

		if (got <= 0)
			break;
		off += (size_t)got;
	}
	close(w->fd);
	return NULL;
}

static void scan_through_pipe(const struct tbuf *in, struct rec *r, e53_status *ret)
{
	int fds[2];
	pthread_t th;
	struct writer w;
	struct e53_sink s = sink_for(r);
	struct e53_scan_stats st;

	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(pipe(fds), 0);
	w.fd = fds[1];
	w.p = in->p;
	w.n = in->len;
	cr_assert_eq(pthread_create(&th, NULL, writer_main, &w), 0);
	*ret = e53_scan_fd("-", fds[0], NULL, &s, &st);
	pthread_join(th, NULL);
	/* the descriptor is not closed by the scan */
	cr_assert_neq(fcntl(fds[0], F_GETFD), -1, "e53_scan_fd closed the descriptor");
	close(fds[0]);
	cr_assert_eq(st.members, r->nm);
}

IN_TEST(input_plain, stdin_pipe_written_by_a_thread)
{
	struct tbuf text = { 0 };
	struct rec r = { 0 };
	e53_status ret;

	t_text(&text, 300000, "pipe");   /* more than a pipe buffer */
	scan_through_pipe(&text, &r, &ret);
	cr_assert_eq(ret, E53_OK);
	cr_assert_eq(r.nm, 1);
	cr_assert_str_eq(r.m[0].input, "-");
	cr_assert_null(r.m[0].member);
	assert_data(&r.m[0], text.p, text.len);
	rec_free(&r);
	tbuf_free(&text);
}

IN_TEST(input_plain, gzip_through_a_pipe_is_inflated)
{
	struct tbuf text = { 0 }, gz = { 0 };
	struct rec r = { 0 };
	e53_status ret;

	t_text(&text, 200000, "gzpipe");
	t_gzip(&gz, text.p, text.len);
	scan_through_pipe(&gz, &r, &ret);
	cr_assert_eq(ret, E53_OK);
	cr_assert_eq(r.nm, 1);
	assert_data(&r.m[0], text.p, text.len);
	rec_free(&r);
	tbuf_free(&text);
	tbuf_free(&gz);
}

IN_TEST(input_plain, open_file_descriptor)
{
	struct tbuf text = { 0 };
	struct rec r = { 0 };
	struct e53_sink s = sink_for(&r);
	char *p;
	int fd;

	t_text(&text, 5000, "fd");
	p = write_buf("fd.log", &text);
	fd = open(p, O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(e53_scan_fd("named", fd, NULL, &s, NULL), E53_OK);
	cr_assert_neq(fcntl(fd, F_GETFD), -1, "e53_scan_fd closed the descriptor");
	close(fd);
	cr_assert_eq(r.nm, 1);
	cr_assert_str_eq(r.m[0].input, "named");
	cr_assert_str_eq(r.m[0].path, "named");
	assert_data(&r.m[0], text.p, text.len);
	rec_free(&r);
	tbuf_free(&text);
	free(p);
}

/* ---- gzip ------------------------------------------------------------- */

IN_TEST(input_gzip, single_member)
{
	struct tbuf text = { 0 }, gz = { 0 };
	struct rec r = { 0 };
	char *p;

	t_text(&text, 400000, "gz");
	t_gzip(&gz, text.p, text.len);
	p = write_buf("restore.log.gz", &gz);
	cr_assert_eq(scan(p, NULL, &r, NULL), E53_OK);
	cr_assert_eq(r.nm, 1);
	cr_assert_null(r.m[0].member);
	cr_assert_str_eq(r.m[0].path, p);
	assert_data(&r.m[0], text.p, text.len);
	rec_free(&r);
	tbuf_free(&text);
	tbuf_free(&gz);
	free(p);
}

IN_TEST(input_gzip, concatenated_members_are_one_member_in_order)
{
	struct tbuf a = { 0 }, b = { 0 }, both = { 0 }, gz = { 0 };
	struct rec r = { 0 };
	char *p;

	t_text(&a, 150000, "first");
	t_text(&b, 90000, "second");
	tbuf_add(&both, a.p, a.len);
	tbuf_add(&both, b.p, b.len);
	t_gzip(&gz, a.p, a.len);
	t_gzip(&gz, "", 0);          /* an empty member in between */
	t_gzip(&gz, b.p, b.len);
	p = write_buf("cat.gz", &gz);
	cr_assert_eq(scan(p, NULL, &r, NULL), E53_OK);
	cr_assert_eq(r.nm, 1, "concatenated gzip members are one input member");
	assert_data(&r.m[0], both.p, both.len);
	rec_free(&r);
	tbuf_free(&a);
	tbuf_free(&b);
	tbuf_free(&both);
	tbuf_free(&gz);
	free(p);
}

IN_TEST(input_gzip, gzip_of_gzip_is_inflated_twice)
{
	struct tbuf text = { 0 }, gz1 = { 0 }, gz2 = { 0 };
	struct rec r = { 0 };
	char *p;

	t_text(&text, 20000, "twice");
	t_gzip(&gz1, text.p, text.len);
	t_gzip(&gz2, gz1.p, gz1.len);
	p = write_buf("x.log.gz.gz", &gz2);
	cr_assert_eq(scan(p, NULL, &r, NULL), E53_OK);
	cr_assert_eq(r.nm, 1);
	assert_data(&r.m[0], text.p, text.len);
	rec_free(&r);
	tbuf_free(&text);
	tbuf_free(&gz1);
	tbuf_free(&gz2);
	free(p);
}

/* Text that deflates to roughly half its size, so a cut in the middle of
 * the compressed stream falls well inside the data. */
static void noisy_text(struct tbuf *b, size_t n)
{
	uint32_t seed = 42;

	while (b->len < n) {
		char line[64];
		int k = snprintf(line, sizeof line, "%08x %08x restore step\n", t_rand(&seed), t_rand(&seed));

		tbuf_add(b, line, (size_t)k);
	}
}

IN_TEST(input_gzip, truncated_gzip_reports_etrunc_and_delivers_the_decodable_prefix)
{
	struct tbuf text = { 0 }, gz = { 0 }, cut = { 0 };
	struct rec r = { 0 };
	char *p;

	noisy_text(&text, 300000);
	t_gzip(&gz, text.p, text.len);
	tbuf_add(&cut, gz.p, gz.len / 2);
	p = write_buf("cut.gz", &cut);
	cr_assert_eq(scan(p, NULL, &r, NULL), E53_ETRUNC);
	cr_assert_eq(r.ne, 1);
	cr_assert_eq(r.e[0].st, E53_ETRUNC);
	cr_assert_str_eq(r.e[0].path, p);
	cr_assert_null(r.e[0].member);
	cr_assert_eq(r.nm, 1);
	cr_assert_gt(r.m[0].data.len, text.len / 4, "only %zu bytes of about %zu decodable delivered",
		     r.m[0].data.len, text.len / 2);
	cr_assert_lt(r.m[0].data.len, text.len);
	cr_assert(memcmp(r.m[0].data.p, text.p, r.m[0].data.len) == 0,
		  "the delivered data is not a prefix of the original");
	rec_free(&r);
	tbuf_free(&text);
	tbuf_free(&gz);
	tbuf_free(&cut);
	free(p);
}

/* The inflate thread (lim.pipeline): the same bytes in the same order
 * over many ring blocks, the same truncation error at the same point, and
 * a member cut by the byte cap stops the producer cleanly. */
IN_TEST(input_gzip, pipeline_delivers_the_same_bytes_errors_and_cut)
{
	struct tbuf text = { 0 }, gz = { 0 }, cut = { 0 };
	struct e53_limits lim;
	size_t plain_len;
	char *p, *pc;

	e53_limits_default(&lim);
	noisy_text(&text, 3000000);  /* about a dozen 256 KiB blocks, more than the ring holds */
	t_gzip(&gz, text.p, text.len);
	tbuf_add(&cut, gz.p, gz.len / 2);
	p = write_buf("pipe.gz", &gz);
	pc = write_buf("pipe-cut.gz", &cut);
	for (int piped = 0; piped < 2; piped++) {
		struct rec r = { 0 }, rc = { 0 }, rk = { 0 };

		lim.pipeline = piped;
		lim.max_member_bytes = E53_DEFAULT_MAX_MEMBER_BYTES;
		cr_assert_eq(scan(p, &lim, &r, NULL), E53_OK);
		cr_assert_eq(r.nm, 1);
		assert_data(&r.m[0], text.p, text.len);
		cr_assert_eq(scan(pc, &lim, &rc, NULL), E53_ETRUNC, "pipeline %d", piped);
		cr_assert_eq(rc.ne, 1);
		cr_assert(memcmp(rc.m[0].data.p, text.p, rc.m[0].data.len) == 0);
		if (!piped)
			plain_len = rc.m[0].data.len;
		else
			cr_assert_eq(rc.m[0].data.len, plain_len, "the pipeline delivered %zu bytes of the cut stream, the plain reader %zu",
				     rc.m[0].data.len, plain_len);
		lim.max_member_bytes = 600000;
		cr_assert_eq(scan(p, &lim, &rk, NULL), E53_ETOOBIG);
		assert_data(&rk.m[0], text.p, 600000);
		rec_free(&r);
		rec_free(&rc);
		rec_free(&rk);
	}
	tbuf_free(&text);
	tbuf_free(&gz);
	tbuf_free(&cut);
	free(p);
	free(pc);
}

IN_TEST(input_gzip, truncated_at_every_length_delivers_a_prefix_and_etrunc)
{
	/* every cut of a small gzip stream, through e53_scan_mem: a prefix of
	 * the original is delivered and the scan reports ETRUNC */
	struct tbuf text = { 0 }, gz = { 0 };
	struct e53_scan_stats st;

	noisy_text(&text, 3000);
	t_gzip(&gz, text.p, text.len);
	for (size_t n = 2; n < gz.len; n++) {
		struct rec r = { 0 };
		struct e53_sink s = sink_for(&r);
		e53_status ret = e53_scan_mem("cut.gz", gz.p, n, NULL, &s, &st);

		cr_assert_eq(ret, E53_ETRUNC, "cut at %zu of %zu: status %d", n, gz.len, (int)ret);
		cr_assert_eq(r.ne, 1, "cut at %zu", n);
		cr_assert_leq(r.nm, 1);
		if (r.nm) {
			cr_assert_leq(r.m[0].data.len, text.len);
			cr_assert(memcmp(r.m[0].data.p, text.p, r.m[0].data.len) == 0,
				  "cut at %zu: not a prefix", n);
		}
		if (n == gz.len - 1)   /* only the trailer is short: all data decoded */
			cr_assert_eq(r.nm ? r.m[0].data.len : 0, text.len);
		rec_free(&r);
	}
	tbuf_free(&text);
	tbuf_free(&gz);
}

IN_TEST(input_gzip, corrupt_gzip_reports_ecorrupt)
{
	struct tbuf text = { 0 }, gz = { 0 };
	struct rec r = { 0 };
	char *p;

	noisy_text(&text, 200000);
	t_gzip(&gz, text.p, text.len);
	for (size_t i = gz.len / 2; i < gz.len / 2 + 64; i++)
		gz.p[i] ^= 0x55;
	p = write_buf("bad.gz", &gz);
	cr_assert_eq(scan(p, NULL, &r, NULL), E53_ECORRUPT);
	cr_assert_eq(count_status(&r, E53_ECORRUPT), 1);
	cr_assert_eq(count_status(&r, E53_ETRUNC), 0);
	/* what was decoded before the damaged bytes is the original */
	cr_assert_eq(r.nm, 1);
	cr_assert_geq(r.m[0].data.len, text.len / 4);
	cr_assert(memcmp(r.m[0].data.p, text.p, text.len / 4) == 0);
	rec_free(&r);
	tbuf_free(&text);
	tbuf_free(&gz);
	free(p);
}

IN_TEST(input_gzip, bad_crc_reports_ecorrupt)
{
	struct tbuf text = { 0 }, gz = { 0 };
	struct rec r = { 0 };
	char *p;

	t_text(&text, 10000, "crc");
	t_gzip(&gz, text.p, text.len);
	gz.p[gz.len - 8] ^= 0xff;   /* CRC32 in the trailer */
	p = write_buf("crc.gz", &gz);
	cr_assert_eq(scan(p, NULL, &r, NULL), E53_ECORRUPT);
	cr_assert_eq(r.ne, 1);
	rec_free(&r);
	tbuf_free(&text);
	tbuf_free(&gz);
	free(p);
}

IN_TEST(input_gzip, trailing_zero_padding_is_not_an_error)
{
	struct tbuf text = { 0 }, gz = { 0 };
	struct rec r = { 0 };
	char *p;
	static unsigned char zeros[4096];

	t_text(&text, 50000, "pad");
	t_gzip(&gz, text.p, text.len);
	for (int i = 0; i < 70; i++)         /* 280 KiB: more than one read */
		tbuf_add(&gz, zeros, sizeof zeros);
	p = write_buf("padded.gz", &gz);
	cr_assert_eq(scan(p, NULL, &r, NULL), E53_OK);
	cr_assert_eq(r.ne, 0);
	cr_assert_eq(r.nm, 1);
	assert_data(&r.m[0], text.p, text.len);
	rec_free(&r);
	tbuf_free(&text);
	tbuf_free(&gz);
	free(p);
}

IN_TEST(input_gzip, trailing_garbage_is_reported_after_all_data)
{
	struct tbuf text = { 0 }, gz = { 0 };
	struct rec r = { 0 };
	char *p;

	t_text(&text, 5000, "garbage");
	t_gzip(&gz, text.p, text.len);
	tbuf_add(&gz, "\0\0\0GARBAGE", 10);
	p = write_buf("garbage.gz", &gz);
	cr_assert_neq(scan(p, NULL, &r, NULL), E53_OK);
	cr_assert_eq(r.nm, 1);
	assert_data(&r.m[0], text.p, text.len);
	rec_free(&r);
	tbuf_free(&text);
	tbuf_free(&gz);
	free(p);
}

/* ---- archives --------------------------------------------------------- */

static const char A_LOG[] = "2024-01-01 restore started\nerror 53\n";
static const char B_LOG[] = "AMRestore: failed with 53\r\nlast line";

/* a.log, a directory, b.log inside it, and an empty file */
static size_t std_entries(struct t_entry *e)
{
	e[0] = (struct t_entry){ "a.log", A_LOG, sizeof A_LOG - 1, false };
	e[1] = (struct t_entry){ "logs", NULL, 0, true };
	e[2] = (struct t_entry){ "logs/b.log", B_LOG, sizeof B_LOG - 1, false };
	e[3] = (struct t_entry){ "logs/empty.log", "", 0, false };
	return 4;
}

static void check_std_members(const struct rec *r)
{
	if (r->nm != 3)
		dump(r);
	cr_assert_eq(r->nm, 3, "directories are not members: %zu delivered", r->nm);
	assert_member(r, 0, "a.log", A_LOG, sizeof A_LOG - 1);
	assert_member(r, 1, "logs/b.log", B_LOG, sizeof B_LOG - 1);
	assert_member(r, 2, "logs/empty.log", "", 0);
	cr_assert_eq(r->ne, 0);
}

static void archive_round_trip(enum t_fmt fmt, enum t_filter filter, const char *name)
{
	struct t_entry e[4];
	struct tbuf ar = { 0 };
	struct rec r = { 0 };
	char *p;

	if (!t_archive(&ar, fmt, filter, e, std_entries(e))) {
		tbuf_free(&ar);
		cr_skip_test("libarchive cannot write %s here", name);
	}
	p = write_buf(name, &ar);
	cr_assert_eq(scan(p, NULL, &r, NULL), E53_OK);
	check_std_members(&r);
	for (size_t i = 0; i < r.nm; i++) {
		cr_assert_str_eq(r.m[i].input, p);
		cr_assert_str_eq(r.m[i].path, p);
	}
	cr_assert_eq(r.want_calls, 3, "want is asked once per regular entry");
	rec_free(&r);
	tbuf_free(&ar);
	free(p);
}

IN_TEST(input_archive, tar) { archive_round_trip(T_TAR, T_NONE, "logs.tar"); }
IN_TEST(input_archive, tar_gz) { archive_round_trip(T_TAR, T_GZIP, "logs.tar.gz"); }
IN_TEST(input_archive, zip) { archive_round_trip(T_ZIP, T_NONE, "logs.zip"); }
IN_TEST(input_archive, tar_bz2) { archive_round_trip(T_TAR, T_BZIP2, "logs.tar.bz2"); }
IN_TEST(input_archive, tar_xz) { archive_round_trip(T_TAR, T_XZ, "logs.tar.xz"); }

IN_TEST(input_archive, large_entries_in_tar_gz_are_complete)
{
	struct tbuf a = { 0 }, b = { 0 }, ar = { 0 };
	struct t_entry e[2];
	struct rec r = { 0 };
	char *p;

	noisy_text(&a, 600000);
	t_text(&b, 300000, "second");
	e[0] = (struct t_entry){ "one.log", a.p, a.len, false };
	e[1] = (struct t_entry){ "two.log", b.p, b.len, false };
	cr_assert(t_archive(&ar, T_TAR, T_GZIP, e, 2));
	p = write_buf("big.tar.gz", &ar);
	cr_assert_eq(scan(p, NULL, &r, NULL), E53_OK);
	cr_assert_eq(r.nm, 2);
	assert_member(&r, 0, "one.log", a.p, a.len);
	assert_member(&r, 1, "two.log", b.p, b.len);
	rec_free(&r);
	tbuf_free(&a);
	tbuf_free(&b);
	tbuf_free(&ar);
	free(p);
}

IN_TEST(input_archive, gz_member_in_tar_gz_is_inflated_and_keeps_its_name)
{
	struct tbuf text = { 0 }, gz = { 0 }, ar = { 0 };
	struct t_entry e[3];
	struct rec r = { 0 };
	char *p;

	t_text(&text, 30000, "nested");
	t_gzip(&gz, text.p, text.len);
	e[0] = (struct t_entry){ "a.log", A_LOG, sizeof A_LOG - 1, false };
	e[1] = (struct t_entry){ "rotated/restore.log.1.gz", gz.p, gz.len, false };
	e[2] = (struct t_entry){ "z.log", B_LOG, sizeof B_LOG - 1, false };
	cr_assert(t_archive(&ar, T_TAR, T_GZIP, e, 3));
	p = write_buf("bundle.tar.gz", &ar);
	cr_assert_eq(scan(p, NULL, &r, NULL), E53_OK);
	cr_assert_eq(r.nm, 3);
	assert_member(&r, 0, "a.log", A_LOG, sizeof A_LOG - 1);
	assert_member(&r, 1, "rotated/restore.log.1.gz", text.p, text.len);
	assert_member(&r, 2, "z.log", B_LOG, sizeof B_LOG - 1);
	rec_free(&r);
	tbuf_free(&text);
	tbuf_free(&gz);
	tbuf_free(&ar);
	free(p);
}

static void single_compressed(enum t_filter filter, const char *name)
{
	struct tbuf text = { 0 }, xz = { 0 };
	struct rec r = { 0 };
	char *p;

	t_text(&text, 80000, name);
	if (!t_raw_compress(&xz, filter, text.p, text.len)) {
		tbuf_free(&text);
		cr_skip_test("libarchive cannot write %s here", name);
	}
	cr_assert_neq(memcmp(xz.p, text.p, 16), 0, "the file is not compressed");
	p = write_buf(name, &xz);
	cr_assert_eq(scan(p, NULL, &r, NULL), E53_OK);
	cr_assert_eq(r.nm, 1);
	cr_assert_null(r.m[0].member, "a compressed single file has no member name, got %s", r.m[0].member);
	cr_assert_str_eq(r.m[0].path, p);
	assert_data(&r.m[0], text.p, text.len);
	rec_free(&r);
	tbuf_free(&text);
	tbuf_free(&xz);
	free(p);
}

IN_TEST(input_archive, xz_single_file_has_no_member_name) { single_compressed(T_XZ, "restore.log.xz"); }
IN_TEST(input_archive, bz2_single_file_has_no_member_name) { single_compressed(T_BZIP2, "restore.log.bz2"); }

static void tar_in_zip(struct tbuf *zip, const struct tbuf *big)
{
	struct t_entry inner[3], outer[4];
	struct tbuf tar = { 0 };

	inner[0] = (struct t_entry){ "inner.log", A_LOG, sizeof A_LOG - 1, false };
	inner[1] = (struct t_entry){ "sub", NULL, 0, true };
	inner[2] = (struct t_entry){ "sub/deep.log", big->p, big->len, false };
	cr_assert(t_archive(&tar, T_TAR, T_NONE, inner, 3));
	outer[0] = (struct t_entry){ "readme.txt", "ticket 53\n", 10, false };
	outer[1] = (struct t_entry){ "outer.tar", tar.p, tar.len, false };
	outer[2] = (struct t_entry){ "dir", NULL, 0, true };
	outer[3] = (struct t_entry){ "dir/after.log", B_LOG, sizeof B_LOG - 1, false };
	cr_assert(t_archive(zip, T_ZIP, T_NONE, outer, 4));
	tbuf_free(&tar);
}

IN_TEST(input_archive, tar_inside_zip_members_are_joined_with_slash)
{
	struct tbuf zip = { 0 }, big = { 0 };
	struct rec r = { 0 };
	char *p;

	t_text(&big, 40000, "deep");
	tar_in_zip(&zip, &big);
	p = write_buf("ticket.zip", &zip);
	cr_assert_eq(scan(p, NULL, &r, NULL), E53_OK);
	if (r.nm != 4)
		dump(&r);
	cr_assert_eq(r.nm, 4);
	assert_member(&r, 0, "readme.txt", "ticket 53\n", 10);
	assert_member(&r, 1, "outer.tar/inner.log", A_LOG, sizeof A_LOG - 1);
	assert_member(&r, 2, "outer.tar/sub/deep.log", big.p, big.len);
	assert_member(&r, 3, "dir/after.log", B_LOG, sizeof B_LOG - 1);
	for (size_t i = 0; i < r.nm; i++)
		cr_assert_str_eq(r.m[i].path, p);
	rec_free(&r);
	tbuf_free(&zip);
	tbuf_free(&big);
	free(p);
}

IN_TEST(input_archive, tar_gz_inside_tar)
{
	struct tbuf inner = { 0 }, outer = { 0 };
	struct t_entry ie[1], oe[2];
	struct rec r = { 0 };
	char *p;

	ie[0] = (struct t_entry){ "x.log", A_LOG, sizeof A_LOG - 1, false };
	cr_assert(t_archive(&inner, T_TAR, T_GZIP, ie, 1));
	oe[0] = (struct t_entry){ "nested/bundle.tar.gz", inner.p, inner.len, false };
	oe[1] = (struct t_entry){ "y.log", B_LOG, sizeof B_LOG - 1, false };
	cr_assert(t_archive(&outer, T_TAR, T_NONE, oe, 2));
	p = write_buf("outer.tar", &outer);
	cr_assert_eq(scan(p, NULL, &r, NULL), E53_OK);
	cr_assert_eq(r.nm, 2);
	assert_member(&r, 0, "nested/bundle.tar.gz/x.log", A_LOG, sizeof A_LOG - 1);
	assert_member(&r, 1, "y.log", B_LOG, sizeof B_LOG - 1);
	rec_free(&r);
	tbuf_free(&inner);
	tbuf_free(&outer);
	free(p);
}

IN_TEST(input_archive, truncated_tar_gz_reports_etrunc)
{
	/* a tar.gz cut inside its second entry: the first entry is complete,
	 * and the failure is a truncation (ETRUNC), as for a bare .gz - the
	 * stream ends early, nothing in it is corrupt */
	struct tbuf a = { 0 }, b = { 0 }, ar = { 0 }, cut = { 0 };
	struct t_entry e[2];
	struct rec r = { 0 };
	char *p;

	t_text(&a, 2000, "whole");
	noisy_text(&b, 400000);
	e[0] = (struct t_entry){ "first.log", a.p, a.len, false };
	e[1] = (struct t_entry){ "second.log", b.p, b.len, false };
	cr_assert(t_archive(&ar, T_TAR, T_GZIP, e, 2));
	tbuf_add(&cut, ar.p, ar.len / 2);
	p = write_buf("cut.tar.gz", &cut);
	scan(p, NULL, &r, NULL);
	cr_assert_geq(r.nm, 1);
	assert_member(&r, 0, "first.log", a.p, a.len);
	if (r.nm > 1) {
		cr_assert_str_eq(r.m[1].member, "second.log");
		cr_assert_lt(r.m[1].data.len, b.len);
		cr_assert(memcmp(r.m[1].data.p, b.p, r.m[1].data.len) == 0);
	}
	cr_assert_geq(r.ne, 1);
	if (count_status(&r, E53_ETRUNC) != r.ne)
		dump(&r);
	cr_assert_eq(count_status(&r, E53_ETRUNC), r.ne,
		     "a truncated tar.gz must report ETRUNC, not ECORRUPT (first error: %d %s)",
		     (int)r.e[0].st, r.e[0].msg);
	rec_free(&r);
	tbuf_free(&a);
	tbuf_free(&b);
	tbuf_free(&ar);
	tbuf_free(&cut);
	free(p);
}

/* ---- caps ------------------------------------------------------------- */

IN_TEST(input_caps, max_member_bytes_on_a_plain_file)
{
	struct tbuf text = { 0 };
	struct rec r = { 0 };
	struct e53_limits lim;
	struct e53_scan_stats st;
	char *p;

	e53_limits_default(&lim);
	lim.max_member_bytes = 1000;
	t_text(&text, 5000, "cap");
	p = write_buf("big.log", &text);
	cr_assert_eq(scan(p, &lim, &r, &st), E53_ETOOBIG);
	cr_assert_eq(r.nm, 1);
	assert_data(&r.m[0], text.p, 1000);
	cr_assert_eq(r.ne, 1);
	cr_assert_eq(r.e[0].st, E53_ETOOBIG);
	cr_assert_eq(st.bytes, 1000);
	rec_free(&r);
	tbuf_free(&text);
	free(p);
}

IN_TEST(input_caps, max_member_bytes_exactly_reached_is_not_an_error)
{
	struct tbuf text = { 0 };
	struct rec r = { 0 };
	struct e53_limits lim;
	char *p;

	e53_limits_default(&lim);
	lim.max_member_bytes = 1000;
	t_text(&text, 1000, "exact");
	p = write_buf("exact.log", &text);
	cr_assert_eq(scan(p, &lim, &r, NULL), E53_OK);
	assert_data(&r.m[0], text.p, 1000);
	rec_free(&r);
	tbuf_free(&text);
	free(p);
}

IN_TEST(input_caps, max_member_bytes_in_a_tar_gz_then_next_member_is_read)
{
	struct tbuf big = { 0 }, ar = { 0 };
	struct t_entry e[2];
	struct rec r = { 0 };
	struct e53_limits lim;
	char *p;

	e53_limits_default(&lim);
	lim.max_member_bytes = 1000;
	t_text(&big, 5000, "cap");
	e[0] = (struct t_entry){ "big.log", big.p, big.len, false };
	e[1] = (struct t_entry){ "small.log", A_LOG, sizeof A_LOG - 1, false };
	cr_assert(t_archive(&ar, T_TAR, T_GZIP, e, 2));
	p = write_buf("cap.tar.gz", &ar);
	cr_assert_eq(scan(p, &lim, &r, NULL), E53_ETOOBIG);
	cr_assert_eq(r.nm, 2);
	assert_member(&r, 0, "big.log", big.p, 1000);
	assert_member(&r, 1, "small.log", A_LOG, sizeof A_LOG - 1);
	cr_assert_eq(r.ne, 1);
	cr_assert_eq(r.e[0].st, E53_ETOOBIG);
	cr_assert_str_eq(r.e[0].member, "big.log");
	rec_free(&r);
	tbuf_free(&big);
	tbuf_free(&ar);
	free(p);
}

IN_TEST(input_caps, max_members_3_of_10)
{
	struct tbuf ar = { 0 };
	struct t_entry e[10];
	char names[10][16], data[10][32];
	struct rec r = { 0 };
	struct e53_limits lim;
	char *p;

	for (int i = 0; i < 10; i++) {
		snprintf(names[i], sizeof names[i], "m%02d.log", i);
		snprintf(data[i], sizeof data[i], "member %d\n", i);
		e[i] = (struct t_entry){ names[i], data[i], strlen(data[i]), false };
	}
	cr_assert(t_archive(&ar, T_TAR, T_NONE, e, 10));
	e53_limits_default(&lim);
	lim.max_members = 3;
	p = write_buf("ten.tar", &ar);
	cr_assert_eq(scan(p, &lim, &r, NULL), E53_ELIMIT);
	cr_assert_eq(r.nm, 3);
	for (size_t i = 0; i < 3; i++)
		assert_member(&r, i, names[i], data[i], strlen(data[i]));
	cr_assert_eq(r.ne, 1);
	cr_assert_eq(r.e[0].st, E53_ELIMIT);
	rec_free(&r);
	tbuf_free(&ar);
	free(p);
}

IN_TEST(input_caps, max_nesting_0_refuses_the_inner_archive_only)
{
	/* max_nesting counts archives inside archives: 0 means the zip itself
	 * is read, the tar inside it is not */
	struct tbuf zip = { 0 }, big = { 0 };
	struct rec r = { 0 };
	struct e53_limits lim;
	char *p;

	t_text(&big, 1000, "deep");
	tar_in_zip(&zip, &big);
	p = write_buf("ticket.zip", &zip);
	e53_limits_default(&lim);
	lim.max_nesting = 0;
	cr_assert_eq(scan(p, &lim, &r, NULL), E53_ELIMIT);
	if (r.nm != 2)
		dump(&r);
	cr_assert_eq(r.nm, 2, "the outer zip's own members must be read");
	assert_member(&r, 0, "readme.txt", "ticket 53\n", 10);
	assert_member(&r, 1, "dir/after.log", B_LOG, sizeof B_LOG - 1);
	cr_assert_eq(r.ne, 1);
	cr_assert_eq(r.e[0].st, E53_ELIMIT);
	cr_assert_str_eq(r.e[0].member, "outer.tar");
	rec_free(&r);
	tbuf_free(&zip);
	tbuf_free(&big);
	free(p);
}

IN_TEST(input_caps, max_nesting_1_reads_a_tar_gz_and_one_nested_tar)
{
	/* a compression layer is not an archive level: with max_nesting 1 a
	 * tar.gz holding a tar is read in full, a tar in that tar is refused */
	struct tbuf deep = { 0 }, mid = { 0 }, top = { 0 };
	struct t_entry de[1], me[2], te[2];
	struct rec r = { 0 };
	struct e53_limits lim;
	char *p;

	de[0] = (struct t_entry){ "deep.log", "deep\n", 5, false };
	cr_assert(t_archive(&deep, T_TAR, T_NONE, de, 1));
	me[0] = (struct t_entry){ "mid.log", "mid\n", 4, false };
	me[1] = (struct t_entry){ "deep.tar", deep.p, deep.len, false };
	cr_assert(t_archive(&mid, T_TAR, T_NONE, me, 2));
	te[0] = (struct t_entry){ "top.log", "top\n", 4, false };
	te[1] = (struct t_entry){ "mid.tar", mid.p, mid.len, false };
	cr_assert(t_archive(&top, T_TAR, T_GZIP, te, 2));
	p = write_buf("top.tar.gz", &top);
	e53_limits_default(&lim);
	lim.max_nesting = 1;
	cr_assert_eq(scan(p, &lim, &r, NULL), E53_ELIMIT);
	if (r.nm != 2)
		dump(&r);
	cr_assert_eq(r.nm, 2);
	assert_member(&r, 0, "top.log", "top\n", 4);
	assert_member(&r, 1, "mid.tar/mid.log", "mid\n", 4);
	cr_assert_eq(r.ne, 1);
	cr_assert_str_eq(r.e[0].member, "mid.tar/deep.tar");
	rec_free(&r);
	tbuf_free(&deep);
	tbuf_free(&mid);
	tbuf_free(&top);
	free(p);
}

IN_TEST(input_caps, default_nesting_reads_tar_gz_two_levels_deep)
{
	/* a ticket bundle: top.tar.gz holding l1.tar.gz holding l2.tar.gz -
	 * two archives inside an archive, within the default max_nesting (4) */
	struct tbuf l2 = { 0 }, l1 = { 0 }, top = { 0 };
	struct t_entry e2[1], e1[1], et[1];
	struct rec r = { 0 };
	char *p;

	e2[0] = (struct t_entry){ "x.log", A_LOG, sizeof A_LOG - 1, false };
	cr_assert(t_archive(&l2, T_TAR, T_GZIP, e2, 1));
	e1[0] = (struct t_entry){ "l2.tar.gz", l2.p, l2.len, false };
	cr_assert(t_archive(&l1, T_TAR, T_GZIP, e1, 1));
	et[0] = (struct t_entry){ "l1.tar.gz", l1.p, l1.len, false };
	cr_assert(t_archive(&top, T_TAR, T_GZIP, et, 1));
	p = write_buf("top.tar.gz", &top);
	cr_assert_eq(E53_DEFAULT_MAX_NESTING, 4);
	if (scan(p, NULL, &r, NULL) != E53_OK)
		dump(&r);
	cr_assert_eq(r.ne, 0);
	cr_assert_eq(r.nm, 1);
	assert_member(&r, 0, "l1.tar.gz/l2.tar.gz/x.log", A_LOG, sizeof A_LOG - 1);
	rec_free(&r);
	tbuf_free(&l2);
	tbuf_free(&l1);
	tbuf_free(&top);
	free(p);
}

/* ---- folders ---------------------------------------------------------- */

IN_TEST(input_folder, files_are_read_in_sorted_order)
{
	struct rec r = { 0 };
	char *dir = t_path(tmp, "tree"), *want;
	const char *order[] = { "a.log", "b.log", "sub/c.log", "sub/d/e.log" };

	t_mkdir(tmp, "tree");
	t_mkdir(tmp, "tree/sub");
	t_mkdir(tmp, "tree/sub/d");
	free(t_write(tmp, "tree/b.log", "bee\n", 4));
	free(t_write(tmp, "tree/sub/d/e.log", "eee\n", 4));
	free(t_write(tmp, "tree/a.log", "ay\n", 3));
	free(t_write(tmp, "tree/sub/c.log", "sea\n", 4));
	cr_assert_eq(scan(dir, NULL, &r, NULL), E53_OK);
	cr_assert_eq(r.nm, 4);
	for (size_t i = 0; i < 4; i++) {
		want = t_path(dir, order[i]);
		cr_assert_str_eq(r.m[i].path, want, "file %zu", i);
		cr_assert_str_eq(r.m[i].input, dir);
		cr_assert_null(r.m[i].member);
		free(want);
	}
	assert_data(&r.m[0], "ay\n", 3);
	assert_data(&r.m[2], "sea\n", 4);
	rec_free(&r);
	free(dir);
}

IN_TEST(input_folder, archives_in_a_folder_are_opened)
{
	struct t_entry e[4];
	struct tbuf ar = { 0 }, gz = { 0 };
	struct rec r = { 0 };
	char *dir = t_path(tmp, "t");

	t_mkdir(tmp, "t");
	cr_assert(t_archive(&ar, T_TAR, T_GZIP, e, std_entries(e)));
	t_gzip(&gz, A_LOG, sizeof A_LOG - 1);
	free(t_write(tmp, "t/1.tar.gz", ar.p, ar.len));
	free(t_write(tmp, "t/2.log.gz", gz.p, gz.len));
	cr_assert_eq(scan(dir, NULL, &r, NULL), E53_OK);
	cr_assert_eq(r.nm, 4);
	assert_member(&r, 0, "a.log", A_LOG, sizeof A_LOG - 1);
	cr_assert(ends_with(r.m[0].path, "/t/1.tar.gz"));
	cr_assert_null(r.m[3].member);
	cr_assert(ends_with(r.m[3].path, "/t/2.log.gz"));
	assert_data(&r.m[3], A_LOG, sizeof A_LOG - 1);
	rec_free(&r);
	tbuf_free(&ar);
	tbuf_free(&gz);
	free(dir);
}

IN_TEST(input_folder, symlink_loop_is_eloop_and_other_files_are_read)
{
	struct rec r = { 0 };
	char *dir = t_path(tmp, "tree"), *loop = t_path(tmp, "tree/sub/loop");

	t_mkdir(tmp, "tree");
	t_mkdir(tmp, "tree/sub");
	free(t_write(tmp, "tree/a.log", "a\n", 2));
	free(t_write(tmp, "tree/sub/c.log", "c\n", 2));
	free(t_write(tmp, "tree/z.log", "z\n", 2));
	cr_assert_eq(symlink("..", loop), 0);
	cr_assert_eq(scan(dir, NULL, &r, NULL), E53_ELOOP);
	cr_assert_eq(r.ne, 1);
	cr_assert_eq(r.e[0].st, E53_ELOOP);
	cr_assert_str_eq(r.e[0].path, loop);
	cr_assert_eq(r.nm, 3, "each file read once: %zu members", r.nm);
	cr_assert(ends_with(r.m[0].path, "/tree/a.log"));
	cr_assert(ends_with(r.m[1].path, "/tree/sub/c.log"));
	cr_assert(ends_with(r.m[2].path, "/tree/z.log"));
	rec_free(&r);
	free(dir);
	free(loop);
}

IN_TEST(input_folder, symlink_to_a_sibling_dir_is_not_a_loop)
{
	/* a link to a directory that is not an ancestor is read (twice: once
	 * by its name, once through the link) and is no error */
	struct rec r = { 0 };
	char *dir = t_path(tmp, "tree"), *link = t_path(tmp, "tree/b");

	t_mkdir(tmp, "tree");
	t_mkdir(tmp, "tree/a");
	free(t_write(tmp, "tree/a/x.log", "x\n", 2));
	cr_assert_eq(symlink("a", link), 0);
	cr_assert_eq(scan(dir, NULL, &r, NULL), E53_OK);
	cr_assert_eq(r.nm, 2);
	cr_assert(ends_with(r.m[0].path, "/tree/a/x.log"));
	cr_assert(ends_with(r.m[1].path, "/tree/b/x.log"));
	rec_free(&r);
	free(dir);
	free(link);
}

IN_TEST(input_folder, unreadable_directory)
{
	struct rec r = { 0 };
	char *dir = t_path(tmp, "tree"), *locked = t_path(tmp, "tree/locked");
	e53_status ret;

	t_mkdir(tmp, "tree");
	t_mkdir(tmp, "tree/locked");
	free(t_write(tmp, "tree/a.log", "a\n", 2));
	free(t_write(tmp, "tree/locked/secret.log", "s\n", 2));
	free(t_write(tmp, "tree/z.log", "z\n", 2));
	cr_assert_eq(chmod(locked, 0), 0);
	ret = scan(dir, NULL, &r, NULL);
	chmod(locked, 0755);
	if (geteuid() == 0) {
		/* root reads it anyway: no crash, every file read */
		cr_assert_eq(ret, E53_OK);
		cr_assert_eq(r.nm, 3);
		cr_assert(ends_with(r.m[1].path, "/tree/locked/secret.log"));
	} else {
		cr_assert_eq(ret, E53_EACCES);
		cr_assert_eq(r.ne, 1);
		cr_assert_eq(r.e[0].st, E53_EACCES);
		cr_assert_str_eq(r.e[0].path, locked);
		cr_assert_eq(r.nm, 2, "the readable files are still read");
		cr_assert(ends_with(r.m[0].path, "/tree/a.log"));
		cr_assert(ends_with(r.m[1].path, "/tree/z.log"));
	}
	rec_free(&r);
	free(dir);
	free(locked);
}

IN_TEST(input_folder, missing_path_is_enoent)
{
	struct rec r = { 0 };
	char *p = t_path(tmp, "no/such/file.log");

	cr_assert_eq(scan(p, NULL, &r, NULL), E53_ENOENT);
	cr_assert_eq(r.nm, 0);
	cr_assert_eq(r.ne, 1);
	cr_assert_str_eq(r.e[0].path, p);
	rec_free(&r);
	free(p);
}

IN_TEST(input_folder, dangling_symlink_in_folder_is_enoent_others_read)
{
	struct rec r = { 0 };
	char *dir = t_path(tmp, "tree"), *dangling = t_path(tmp, "tree/b.log");

	t_mkdir(tmp, "tree");
	free(t_write(tmp, "tree/a.log", "a\n", 2));
	free(t_write(tmp, "tree/c.log", "c\n", 2));
	cr_assert_eq(symlink("nowhere.log", dangling), 0);
	cr_assert_eq(scan(dir, NULL, &r, NULL), E53_ENOENT);
	cr_assert_eq(r.nm, 2);
	cr_assert_str_eq(r.e[0].path, dangling);
	rec_free(&r);
	free(dir);
	free(dangling);
}

IN_TEST(input_folder, fifo_in_folder_is_skipped_with_a_warning)
{
	struct rec r = { 0 };
	char *dir = t_path(tmp, "tree"), *fifo = t_path(tmp, "tree/m.pipe");

	t_mkdir(tmp, "tree");
	free(t_write(tmp, "tree/a.log", "a\n", 2));
	free(t_write(tmp, "tree/z.log", "z\n", 2));
	cr_assert_eq(mkfifo(fifo, 0644), 0);
	/* a FIFO nobody writes to: opening it would hang (the test timeout
	 * catches that) */
	cr_assert_eq(scan(dir, NULL, &r, NULL), E53_OK);
	cr_assert_eq(r.nm, 2);
	cr_assert(ends_with(r.m[0].path, "/tree/a.log"));
	cr_assert(ends_with(r.m[1].path, "/tree/z.log"));
	cr_assert_eq(r.nw, 1);
	cr_assert_str_eq(r.w[0].path, fifo);
	cr_assert_eq(r.ne, 0);
	rec_free(&r);
	free(dir);
	free(fifo);
}

IN_TEST(input_folder, want_false_skips_a_file)
{
	struct rec r = { 0 };
	char *dir = t_path(tmp, "tree");

	t_mkdir(tmp, "tree");
	free(t_write(tmp, "tree/a.log", "a\n", 2));
	free(t_write(tmp, "tree/b.skip", "b\n", 2));
	free(t_write(tmp, "tree/c.log", "c\n", 2));
	r.refuse_want = ".skip";
	cr_assert_eq(scan(dir, NULL, &r, NULL), E53_OK);
	cr_assert_eq(r.want_calls, 3);
	cr_assert_eq(r.nm, 2);
	cr_assert(ends_with(r.m[0].path, "/a.log"));
	cr_assert(ends_with(r.m[1].path, "/c.log"));
	rec_free(&r);
	free(dir);
}

IN_TEST(input_perm, unreadable_file_is_eacces)
{
	struct rec r = { 0 };
	char *p = t_write(tmp, "secret.log", "top secret\n", 11);
	e53_status ret;

	cr_assert_eq(chmod(p, 0), 0);
	ret = scan(p, NULL, &r, NULL);
	if (geteuid() == 0) {
		cr_assert_eq(ret, E53_OK);
		cr_assert_eq(r.nm, 1);
		assert_data(&r.m[0], "top secret\n", 11);
	} else {
		cr_assert_eq(ret, E53_EACCES);
		cr_assert_eq(r.nm, 0);
		cr_assert_eq(r.ne, 1);
		cr_assert_eq(r.e[0].st, E53_EACCES);
		cr_assert_str_eq(r.e[0].path, p);
	}
	rec_free(&r);
	free(p);
}

/* ---- text encodings --------------------------------------------------- */

/* Encodes UTF-8 (valid, as written in this file) to UTF-16. */
static void to_utf16(struct tbuf *out, const char *s, bool be)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned cp;
		unsigned units[2];
		int nu = 1;

		if (p[0] < 0x80) {
			cp = p[0];
			p += 1;
		} else if (p[0] < 0xe0) {
			cp = (p[0] & 0x1fu) << 6 | (p[1] & 0x3fu);
			p += 2;
		} else if (p[0] < 0xf0) {
			cp = (p[0] & 0x0fu) << 12 | (p[1] & 0x3fu) << 6 | (p[2] & 0x3fu);
			p += 3;
		} else {
			cp = (p[0] & 0x07u) << 18 | (p[1] & 0x3fu) << 12 | (p[2] & 0x3fu) << 6 | (p[3] & 0x3fu);
			p += 4;
		}
		if (cp >= 0x10000) {
			units[0] = 0xd800 + ((cp - 0x10000) >> 10);
			units[1] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
			nu = 2;
		} else {
			units[0] = cp;
		}
		for (int i = 0; i < nu; i++) {
			if (be) {
				tbuf_addc(out, (unsigned char)(units[i] >> 8));
				tbuf_addc(out, (unsigned char)(units[i] & 0xff));
			} else {
				tbuf_addc(out, (unsigned char)(units[i] & 0xff));
				tbuf_addc(out, (unsigned char)(units[i] >> 8));
			}
		}
	}
}

static const char UTF8_SAMPLE[] =
	"iTunes restore: \xc3\xa9tat erreur 53\r\n"             /* é */
	"emoji \xf0\x9f\x98\x80 (surrogate pair)\n"             /* U+1F600 */
	"\xe2\x82\xac euro, \xe6\x97\xa5\xe6\x9c\xac\n"         /* € 日本 */
	"last";

static void utf16_case(bool be, size_t repeat)
{
	struct tbuf want = { 0 }, file = { 0 };
	struct rec r = { 0 };
	char *p;

	for (size_t i = 0; i < repeat; i++)
		tbuf_adds(&want, UTF8_SAMPLE);
	if (be) {
		tbuf_addc(&file, 0xfe);
		tbuf_addc(&file, 0xff);
	} else {
		tbuf_addc(&file, 0xff);
		tbuf_addc(&file, 0xfe);
	}
	to_utf16(&file, (const char *)want.p, be);
	p = write_buf(be ? "be.txt" : "le.txt", &file);
	cr_assert_eq(scan(p, NULL, &r, NULL), E53_OK);
	cr_assert_eq(r.nm, 1);
	cr_assert_null(r.m[0].member);
	cr_assert(r.m[0].data.len < 3 || memcmp(r.m[0].data.p, "\xef\xbb\xbf", 3) != 0,
		  "the BOM must be dropped, not converted");
	assert_data(&r.m[0], want.p, want.len);
	rec_free(&r);
	tbuf_free(&want);
	tbuf_free(&file);
	free(p);
}

IN_TEST(input_text, utf16le_with_bom_is_utf8) { utf16_case(false, 1); }
IN_TEST(input_text, utf16be_with_bom_is_utf8) { utf16_case(true, 1); }
/* big enough for many reads, so surrogate pairs fall across read edges */
IN_TEST(input_text, large_utf16le_with_pairs_across_reads) { utf16_case(false, 3000); }
IN_TEST(input_text, large_utf16be_with_pairs_across_reads) { utf16_case(true, 3000); }

IN_TEST(input_text, utf16le_inside_gzip)
{
	struct tbuf file = { 0 }, gz = { 0 };
	struct rec r = { 0 };
	char *p;

	tbuf_addc(&file, 0xff);
	tbuf_addc(&file, 0xfe);
	to_utf16(&file, UTF8_SAMPLE, false);
	t_gzip(&gz, file.p, file.len);
	p = write_buf("le.txt.gz", &gz);
	cr_assert_eq(scan(p, NULL, &r, NULL), E53_OK);
	cr_assert_eq(r.nm, 1);
	assert_data(&r.m[0], UTF8_SAMPLE, sizeof UTF8_SAMPLE - 1);
	rec_free(&r);
	tbuf_free(&file);
	tbuf_free(&gz);
	free(p);
}

IN_TEST(input_text, utf8_bom_is_dropped)
{
	struct tbuf file = { 0 };
	struct rec r = { 0 };
	char *p;

	tbuf_adds(&file, "\xef\xbb\xbf");
	tbuf_adds(&file, UTF8_SAMPLE);
	p = write_buf("bom.txt", &file);
	cr_assert_eq(scan(p, NULL, &r, NULL), E53_OK);
	cr_assert_eq(r.nm, 1);
	assert_data(&r.m[0], UTF8_SAMPLE, sizeof UTF8_SAMPLE - 1);
	rec_free(&r);
	tbuf_free(&file);
	free(p);
}

IN_TEST(input_text, binary_is_one_text_member_without_error)
{
	struct tbuf bin = { 0 };
	struct rec r = { 0 };
	uint32_t seed = 7;
	char *p;

	tbuf_add(&bin, "\x89PNG\r\n\x1a\n", 8);
	tbuf_add(&bin, "\0\0\0\rIHDR\0\0\0\0\0\0\0\0", 17);
	while (bin.len < 20000) {
		unsigned char c = (unsigned char)t_rand(&seed);

		tbuf_addc(&bin, c % 5 == 0 ? 0 : c);
	}
	p = write_buf("image.png", &bin);
	cr_assert_eq(scan(p, NULL, &r, NULL), E53_OK);
	cr_assert_eq(r.ne, 0);
	cr_assert_eq(r.nm, 1);
	cr_assert_null(r.m[0].member);
	assert_data(&r.m[0], bin.p, bin.len);
	rec_free(&r);
	tbuf_free(&bin);
	free(p);
}

/* ---- API equivalences and callbacks ----------------------------------- */

IN_TEST(input_api, scan_mem_equals_scan_path_on_tar_gz)
{
	struct t_entry e[4];
	struct tbuf ar = { 0 }, gz = { 0 }, big = { 0 };
	struct t_entry more[6];
	struct rec rp = { 0 }, rm = { 0 };
	struct e53_sink s = sink_for(&rm);
	struct e53_scan_stats sp, sm;
	size_t n = std_entries(e);
	char *p;

	memcpy(more, e, n * sizeof *e);
	t_text(&big, 300000, "mem");
	t_gzip(&gz, big.p, big.len);
	more[n++] = (struct t_entry){ "big.log", big.p, big.len, false };
	more[n++] = (struct t_entry){ "big.log.gz", gz.p, gz.len, false };
	cr_assert(t_archive(&ar, T_TAR, T_GZIP, more, n));
	p = write_buf("same.tar.gz", &ar);
	cr_assert_eq(scan(p, NULL, &rp, &sp), E53_OK);
	cr_assert_eq(e53_scan_mem(p, ar.p, ar.len, NULL, &s, &sm), E53_OK);
	cr_assert_eq(rp.nm, 5);
	cr_assert_eq(rm.nm, rp.nm);
	for (size_t i = 0; i < rp.nm; i++) {
		cr_assert_str_eq(rm.m[i].member, rp.m[i].member);
		cr_assert_str_eq(rm.m[i].path, p);
		cr_assert_str_eq(rm.m[i].input, p);
		assert_data(&rm.m[i], rp.m[i].data.p, rp.m[i].data.len);
	}
	assert_member(&rm, 4, "big.log.gz", big.p, big.len);
	cr_assert_eq(sm.bytes, sp.bytes);
	cr_assert_eq(sm.members, sp.members);
	cr_assert_eq(rm.ne, 0);
	rec_free(&rp);
	rec_free(&rm);
	tbuf_free(&ar);
	tbuf_free(&gz);
	tbuf_free(&big);
	free(p);
}

IN_TEST(input_api, want_false_skips_an_archive_member)
{
	struct t_entry e[4];
	struct tbuf ar = { 0 };
	struct rec r = { 0 };
	char *p;

	cr_assert(t_archive(&ar, T_ZIP, T_NONE, e, std_entries(e)));
	p = write_buf("skip.zip", &ar);
	r.refuse_want = "b.log";
	cr_assert_eq(scan(p, NULL, &r, NULL), E53_OK);
	cr_assert_eq(r.want_calls, 3);
	cr_assert_eq(r.nm, 2);
	assert_member(&r, 0, "a.log", A_LOG, sizeof A_LOG - 1);
	assert_member(&r, 1, "logs/empty.log", "", 0);
	rec_free(&r);
	tbuf_free(&ar);
	free(p);
}

IN_TEST(input_api, member_begin_false_skips_a_member)
{
	struct t_entry e[4];
	struct tbuf ar = { 0 };
	struct rec r = { 0 };
	struct e53_scan_stats st;
	char *p;

	cr_assert(t_archive(&ar, T_TAR, T_GZIP, e, std_entries(e)));
	p = write_buf("skip.tar.gz", &ar);
	r.refuse_begin = "a.log";
	cr_assert_eq(scan(p, NULL, &r, &st), E53_OK);
	cr_assert_eq(r.nm, 2);
	assert_member(&r, 0, "logs/b.log", B_LOG, sizeof B_LOG - 1);
	cr_assert_eq(st.members, 2);
	cr_assert_eq(st.bytes, sizeof B_LOG - 1);
	rec_free(&r);
	tbuf_free(&ar);
	free(p);
}

IN_TEST(input_api, stats_count_bytes_members_and_errors)
{
	struct tbuf ar = { 0 }, big = { 0 };
	struct t_entry e[3];
	struct rec r = { 0 };
	struct e53_scan_stats st;
	struct e53_limits lim;
	char *p;

	t_text(&big, 5000, "stats");
	e[0] = (struct t_entry){ "a.log", A_LOG, sizeof A_LOG - 1, false };
	e[1] = (struct t_entry){ "big.log", big.p, big.len, false };
	e[2] = (struct t_entry){ "b.log", B_LOG, sizeof B_LOG - 1, false };
	cr_assert(t_archive(&ar, T_TAR, T_NONE, e, 3));
	e53_limits_default(&lim);
	lim.max_member_bytes = 1000;
	p = write_buf("stats.tar", &ar);
	scan(p, &lim, &r, &st);
	cr_assert_eq(st.members, 3);
	cr_assert_eq(st.bytes, (sizeof A_LOG - 1) + 1000 + (sizeof B_LOG - 1));
	cr_assert_eq(st.errors, 1);
	/* a NULL stats pointer is allowed */
	{
		struct rec r2 = { 0 };
		struct e53_sink s = sink_for(&r2);

		cr_assert_eq(e53_scan_path(p, &lim, &s, NULL), E53_ETOOBIG);
		cr_assert_eq(r2.nm, 3);
		rec_free(&r2);
	}
	rec_free(&r);
	tbuf_free(&ar);
	tbuf_free(&big);
	free(p);
}

IN_TEST(input_api, minimal_sink_with_only_data)
{
	/* every callback but data is optional */
	struct t_entry e[4];
	struct tbuf ar = { 0 };
	struct rec r = { 0 };
	struct e53_sink s = { 0 };
	struct e53_scan_stats st;

	cr_assert(t_archive(&ar, T_TAR, T_GZIP, e, std_entries(e)));
	s.ctx = &r;
	r.open = true;
	r.m = calloc(1, sizeof *r.m);
	r.nm = 1;
	s.data = s_data;
	cr_assert_eq(e53_scan_mem("x", ar.p, ar.len, NULL, &s, &st), E53_OK);
	cr_assert_eq(r.m[0].data.len, sizeof A_LOG - 1 + sizeof B_LOG - 1);
	cr_assert_eq(st.members, 3);
	r.open = false;
	rec_free(&r);
	tbuf_free(&ar);
}
