/* input.c - open an input, detect what it is by its first bytes, and push
 * its text members to a sink in blocks.
 *
 * Readers stack: a byte source (descriptor, memory, archive entry) under
 * optional decoders (gzip through zlib, UTF-16 to UTF-8), each with a small
 * peek buffer so detection never consumes data.  Archives go through
 * libarchive's streaming reader fed from our own reader, so a tar.gz is
 * inflated by the same zlib loop as a .gz and nothing touches the disk. */
#include "err53/input.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#ifdef E53_WITH_ISAL
#include <isa-l/igzip_lib.h>
#endif

#define BLOCK_SIZE (256u * 1024u)
#define ZIN_SIZE (128u * 1024u)
#define PEEK_SIZE 1024u
#define MAX_DECODE_LAYERS 8
#ifdef E53_WITH_ISAL
const char e53_inflate_name[] = "ISA-L";
#else
const char e53_inflate_name[] = "zlib";
#endif  /* gzip in gzip in ...: no input needs more */

enum rd_kind { RD_FD, RD_MEM, RD_GZIP, RD_ENTRY, RD_UTF16 };

struct rd {
	enum rd_kind kind;
	int fd;
	const unsigned char *mem;
	size_t mem_len, mem_pos;
	struct rd *under;
	/* gzip: z carries the input bookkeeping for both inflaters */
	z_stream z;
#ifdef E53_WITH_ISAL
	struct inflate_state *isal;
#endif
	bool z_init;
	bool under_eof;
	bool between;        /* a gzip member ended; another may follow */
	unsigned char *zin;
	/* archive entry */
	struct archive *ar;
	/* UTF-16 */
	bool big_endian;
	unsigned hi_surrogate;
	/* peeked bytes, returned before anything else */
	unsigned char peek[PEEK_SIZE];
	size_t peek_len, peek_pos;
	/* the first failure; later reads return -1 */
	e53_status st;
	char msg[256];
	bool failed;         /* st set and reported to the reader's caller */
	uint64_t raw;        /* bytes read from the descriptor */
	bool eof;            /* the descriptor reached its end */
};

struct scan {
	const struct e53_limits *lim;
	const struct e53_sink *sink;
	struct e53_scan_stats *stats;
	const char *input;
	e53_status first;
	uint64_t members;    /* archive members seen in this input */
	unsigned archives;   /* archives open around the current member */
	unsigned char *block;
};

static void rd_fail(struct rd *r, e53_status st, const char *fmt, const char *arg)
{
	if (r->st)
		return;
	r->st = st;
	snprintf(r->msg, sizeof r->msg, fmt, arg ? arg : "");
}

static void rd_inherit(struct rd *r, const struct rd *from)
{
	if (r->st || !from->st)
		return;
	r->st = from->st;
	memcpy(r->msg, from->msg, sizeof r->msg);
}

static ssize_t rd_read(struct rd *r, void *buf, size_t n);

static ssize_t fd_read(struct rd *r, void *buf, size_t n)
{
	for (;;) {
		ssize_t got = read(r->fd, buf, n);

		if (got >= 0) {
			r->raw += (uint64_t)got;
			if (got == 0)
				r->eof = true;
			return got;
		}
		if (errno == EINTR)
			continue;
		rd_fail(r, E53_EIO, "read error: %s", strerror(errno));
		return -1;
	}
}

static ssize_t mem_read(struct rd *r, void *buf, size_t n)
{
	size_t left = r->mem_len - r->mem_pos;

	if (n > left)
		n = left;
	memcpy(buf, r->mem + r->mem_pos, n);
	r->mem_pos += n;
	return (ssize_t)n;
}

/* Refill the gzip reader's input; false at the end of the underlying data. */
static bool gz_fill(struct rd *r)
{
	ssize_t got;

	if (r->z.avail_in || r->under_eof)
		return r->z.avail_in != 0;
	got = rd_read(r->under, r->zin, ZIN_SIZE);
	if (got < 0) {
		rd_inherit(r, r->under);
		r->under_eof = true;
		return false;
	}
	if (got == 0) {
		r->under_eof = true;
		return false;
	}
	r->z.next_in = r->zin;
	r->z.avail_in = (uInt)got;
	return true;
}

/* Between gzip members: true when another member starts, false at a clean
 * end (only zero padding may follow, as tape and some tools write). */
static bool gz_next_member(struct rd *r)
{
	for (;;) {
		if (!gz_fill(r))
			return false;
		if (r->z.next_in[0] == 0x1f)
			return true;
		if (r->z.next_in[0] != 0) {
			rd_fail(r, E53_ECORRUPT, "data after the end of the gzip stream was ignored%s", NULL);
			return false;
		}
		while (r->z.avail_in && r->z.next_in[0] == 0) {
			r->z.next_in++;
			r->z.avail_in--;
		}
	}
}

/* Readies the gzip reader for one more inflate call: starts the next
 * member after one ended (reset says how), refills the input.  False when
 * there is nothing to inflate: a clean end, or a failure set on r
 * (truncation when the input ends inside a member). */
static bool gz_ready(struct rd *r, bool (*reset)(struct rd *))
{
	if (r->st)
		return false;
	if (r->between) {
		if (!gz_next_member(r))
			return false;
		r->between = false;
		if (!reset(r)) {
			rd_fail(r, E53_ECORRUPT, "gzip reset failed%s", NULL);
			return false;
		}
	}
	if (!gz_fill(r)) {
		if (!r->st)
			rd_fail(r, E53_ETRUNC, "gzip data ends early (truncated)%s", NULL);
		return false;
	}
	return true;
}

#ifdef E53_WITH_ISAL
static bool isal_reset(struct rd *r)
{
	isal_inflate_reset(r->isal);
	r->isal->crc_flag = ISAL_GZIP;
	return true;
}

/* The same loop on ISA-L's inflate (make ISAL=1): member by member, a
 * truncated or corrupt stream reported as with zlib. */
static ssize_t gz_read(struct rd *r, void *buf, size_t n)
{
	struct inflate_state *s = r->isal;
	uint32_t cap = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);

	s->next_out = buf;
	s->avail_out = cap;
	while (s->avail_out == cap && gz_ready(r, isal_reset)) {
		int ret;

		s->next_in = r->z.next_in;
		s->avail_in = r->z.avail_in;
		ret = isal_inflate(s);
		r->z.next_in = s->next_in;
		r->z.avail_in = s->avail_in;
		if (ret < 0) {
			rd_fail(r, E53_ECORRUPT, "corrupt gzip data: %s",
				ret == ISAL_INCORRECT_CHECKSUM ? "incorrect data check" :
				ret == ISAL_INVALID_WRAPPER ? "incorrect header check" : "invalid deflate data");
			break;
		}
		if (s->block_state == ISAL_BLOCK_FINISH)
			r->between = true;
	}
	if (s->avail_out != cap)
		return (ssize_t)(cap - s->avail_out);
	return r->st ? -1 : 0;
}
#else
static bool zlib_reset(struct rd *r)
{
	return inflateReset(&r->z) == Z_OK;
}

static ssize_t gz_read(struct rd *r, void *buf, size_t n)
{
	r->z.next_out = buf;
	r->z.avail_out = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
	while (r->z.avail_out == n && gz_ready(r, zlib_reset)) {
		int ret;

		ret = inflate(&r->z, Z_NO_FLUSH);
		if (ret == Z_STREAM_END) {
			r->between = true;
		} else if (ret == Z_BUF_ERROR) {
			/* no progress possible without more input: gz_fill decides */
			if (r->z.avail_in)
				continue;
		} else if (ret != Z_OK) {
			rd_fail(r, E53_ECORRUPT, "corrupt gzip data: %s",
				r->z.msg ? r->z.msg : "inflate failed");
			break;
		}
	}
	if (r->z.avail_out != n)
		return (ssize_t)(n - r->z.avail_out);
	return r->st ? -1 : 0;
}
#endif

static ssize_t entry_read(struct rd *r, void *buf, size_t n)
{
	la_ssize_t got = archive_read_data(r->ar, buf, n);

	if (got >= 0)
		return (ssize_t)got;
	/* the archive's own source failed (a truncated tar.gz): say that */
	if (r->under && r->under->st) {
		rd_inherit(r, r->under);
		return -1;
	}
	rd_fail(r, E53_ECORRUPT, "corrupt archive member: %s",
		archive_error_string(r->ar) ? archive_error_string(r->ar) : "read failed");
	return -1;
}

static size_t put_utf8(unsigned char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* UTF-16 to UTF-8: reads n/4 units so the output always fits in n bytes
 * (a unit yields at most 3 bytes, a surrogate pair 4 for two units). */
static ssize_t utf16_read(struct rd *r, void *buf, size_t n)
{
	unsigned char in[8192];
	unsigned char *out = buf;
	size_t want = n / 4 * 2, o = 0;

	if (want > sizeof in)
		want = sizeof in;
	if (want < 2)
		want = 2;
	while (o == 0) {
		ssize_t got = rd_read(r->under, in, want);
		size_t i;

		if (got < 0) {
			rd_inherit(r, r->under);
			return -1;
		}
		if (got == 0)
			return 0;
		if (got & 1) {
			/* keep unit boundaries: read the odd byte's partner */
			ssize_t more = rd_read(r->under, in + got, 1);

			if (more <= 0)
				got--;  /* a lone final byte cannot be a character */
			else
				got++;
		}
		for (i = 0; i + 1 < (size_t)got; i += 2) {
			unsigned u = r->big_endian ? (unsigned)(in[i] << 8 | in[i + 1])
						   : (unsigned)(in[i + 1] << 8 | in[i]);

			if (u >= 0xd800 && u <= 0xdbff) {
				r->hi_surrogate = u;
				continue;
			}
			if (u >= 0xdc00 && u <= 0xdfff) {
				if (!r->hi_surrogate) {
					o += put_utf8(out + o, 0xfffd);
					continue;
				}
				u = 0x10000 + ((r->hi_surrogate - 0xd800) << 10) + (u - 0xdc00);
			} else if (r->hi_surrogate) {
				o += put_utf8(out + o, 0xfffd);
			}
			r->hi_surrogate = 0;
			o += put_utf8(out + o, u);
		}
	}
	return (ssize_t)o;
}

/* Reads from the source or decoder itself, bypassing the peek buffer. */
static ssize_t rd_read_raw(struct rd *r, void *buf, size_t n)
{
	ssize_t got;

	if (r->failed)
		return -1;
	switch (r->kind) {
	case RD_FD: got = fd_read(r, buf, n); break;
	case RD_MEM: got = mem_read(r, buf, n); break;
	case RD_GZIP: got = gz_read(r, buf, n); break;
	case RD_ENTRY: got = entry_read(r, buf, n); break;
	case RD_UTF16: got = utf16_read(r, buf, n); break;
	default: got = -1; break;
	}
	if (got < 0)
		r->failed = true;
	return got;
}

static ssize_t rd_read(struct rd *r, void *buf, size_t n)
{
	if (n == 0)
		return 0;
	if (r->peek_pos < r->peek_len) {
		size_t k = r->peek_len - r->peek_pos;

		if (k > n)
			k = n;
		memcpy(buf, r->peek + r->peek_pos, k);
		r->peek_pos += k;
		return (ssize_t)k;
	}
	return rd_read_raw(r, buf, n);
}

/* Fill the peek buffer with up to PEEK_SIZE bytes (fewer at the end);
 * called once, before anything is read. */
static void rd_peek(struct rd *r)
{
	r->peek_len = r->peek_pos = 0;
	while (r->peek_len < PEEK_SIZE) {
		ssize_t got = rd_read_raw(r, r->peek + r->peek_len, PEEK_SIZE - r->peek_len);

		if (got <= 0)
			break;
		r->peek_len += (size_t)got;
	}
}

static void rd_init(struct rd *r, enum rd_kind kind)
{
	memset(r, 0, sizeof *r);
	r->kind = kind;
	r->fd = -1;
}

static e53_status gz_open(struct rd *r, struct rd *under)
{
	rd_init(r, RD_GZIP);
	r->under = under;
	r->zin = malloc(ZIN_SIZE);
	if (!r->zin)
		return E53_ENOMEM;
#ifdef E53_WITH_ISAL
	r->isal = malloc(sizeof *r->isal);
	if (!r->isal) {
		free(r->zin);
		r->zin = NULL;
		return E53_ENOMEM;
	}
	isal_inflate_init(r->isal);
	r->isal->crc_flag = ISAL_GZIP;
	return E53_OK;
#else
	/* 16 + MAX_WBITS: gzip framing only */
	if (inflateInit2(&r->z, 16 + MAX_WBITS) != Z_OK) {
		free(r->zin);
		r->zin = NULL;
		return E53_ENOMEM;
	}
	r->z_init = true;
	return E53_OK;
#endif
}

static void gz_close(struct rd *r)
{
#ifdef E53_WITH_ISAL
	free(r->isal);
	r->isal = NULL;
#endif
	if (r->z_init)
		inflateEnd(&r->z);
	free(r->zin);
	r->zin = NULL;
	r->z_init = false;
}

enum kind { K_TEXT, K_GZIP, K_COMPRESSED, K_TAR, K_ZIP, K_UTF16LE, K_UTF16BE, K_UTF8BOM, K_UTF32 };

static enum kind detect(const unsigned char *p, size_t n)
{
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return K_GZIP;
	if (n >= 4 && p[0] == 'P' && p[1] == 'K' &&
	    ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6) || (p[2] == 7 && p[3] == 8)))
		return K_ZIP;
	if (n >= 262 && memcmp(p + 257, "ustar", 5) == 0)
		return K_TAR;
	if (n >= 3 && memcmp(p, "BZh", 3) == 0 && n >= 4 && p[3] >= '1' && p[3] <= '9')
		return K_COMPRESSED;
	if (n >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0)
		return K_COMPRESSED;
	if (n >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0)
		return K_COMPRESSED;
	if (n >= 4 && memcmp(p, "\x04\x22\x4d\x18", 4) == 0)
		return K_COMPRESSED;
	if (n >= 4 && memcmp(p, "\xff\xfe\0\0", 4) == 0)
		return K_UTF32;
	if (n >= 2 && p[0] == 0xff && p[1] == 0xfe)
		return K_UTF16LE;
	if (n >= 2 && p[0] == 0xfe && p[1] == 0xff)
		return K_UTF16BE;
	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		return K_UTF8BOM;
	return K_TEXT;
}

static void report_error(struct scan *sc, const struct e53_origin *o, e53_status st, const char *msg)
{
	if (!sc->first)
		sc->first = st;
	if (sc->stats)
		sc->stats->errors++;
	if (sc->sink->error)
		sc->sink->error(sc->sink->ctx, o, st, msg);
}

static void report_warning(struct scan *sc, const struct e53_origin *o, const char *msg)
{
	if (sc->sink->warning)
		sc->sink->warning(sc->sink->ctx, o, msg);
}

/* The two-stage pipeline for a decoded member (lim->pipeline): a second
 * thread runs the reader stack (inflate, libarchive, UTF-16) into a ring of
 * blocks while the caller's thread parses the blocks before it, in order.
 * Only the producer touches the reader until it has been joined. */
#define RING_BLOCKS 16

struct ring {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct rd *r;
	unsigned char *blk[RING_BLOCKS];
	size_t len[RING_BLOCKS];
	unsigned head, tail;   /* filled blocks are [tail, head) */
	bool done;             /* the producer has read its last block */
	bool stop;             /* the consumer wants no more */
};

static void *ring_produce(void *arg)
{
	struct ring *g = arg;

	for (;;) {
		unsigned slot;
		ssize_t got;

		pthread_mutex_lock(&g->mu);
		while (!g->stop && g->head - g->tail == RING_BLOCKS)
			pthread_cond_wait(&g->cv, &g->mu);
		if (g->stop) {
			pthread_mutex_unlock(&g->mu);
			break;
		}
		slot = g->head % RING_BLOCKS;
		pthread_mutex_unlock(&g->mu);
		got = rd_read(g->r, g->blk[slot], BLOCK_SIZE);
		pthread_mutex_lock(&g->mu);
		if (got <= 0) {
			g->done = true;
		} else {
			g->len[slot] = (size_t)got;
			g->head++;
		}
		pthread_cond_broadcast(&g->cv);
		pthread_mutex_unlock(&g->mu);
		if (got <= 0)
			break;
	}
	return NULL;
}

/* Next block from the ring: its length, 0 at the end.  The previous block
 * handed out is released first. */
static size_t ring_next(struct ring *g, const unsigned char **p, bool release)
{
	size_t n = 0;

	pthread_mutex_lock(&g->mu);
	if (release) {
		g->tail++;
		pthread_cond_broadcast(&g->cv);
	}
	while (g->head == g->tail && !g->done)
		pthread_cond_wait(&g->cv, &g->mu);
	if (g->head != g->tail) {
		*p = g->blk[g->tail % RING_BLOCKS];
		n = g->len[g->tail % RING_BLOCKS];
	}
	pthread_mutex_unlock(&g->mu);
	return n;
}

static bool ring_start(struct ring *g, pthread_t *th, struct rd *r)
{
	unsigned i;

	memset(g, 0, sizeof *g);
	g->r = r;
	for (i = 0; i < RING_BLOCKS; i++)
		if (!(g->blk[i] = malloc(BLOCK_SIZE)))
			goto fail;
	if (pthread_mutex_init(&g->mu, NULL))
		goto fail;
	if (pthread_cond_init(&g->cv, NULL)) {
		pthread_mutex_destroy(&g->mu);
		goto fail;
	}
	if (pthread_create(th, NULL, ring_produce, g)) {
		pthread_cond_destroy(&g->cv);
		pthread_mutex_destroy(&g->mu);
		goto fail;
	}
	return true;
fail:
	for (i = 0; i < RING_BLOCKS; i++)
		free(g->blk[i]);
	return false;
}

static void ring_finish(struct ring *g, pthread_t th)
{
	unsigned i;

	pthread_mutex_lock(&g->mu);
	g->stop = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	pthread_join(th, NULL);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	for (i = 0; i < RING_BLOCKS; i++)
		free(g->blk[i]);
}

/* Push one text member to the sink, block by block, up to the byte cap. */
static void deliver_text(struct scan *sc, struct rd *r, const struct e53_origin *o)
{
	uint64_t total = 0, cap = sc->lim->max_member_bytes;
	bool cut = false, piped = false, released = false;
	struct ring ring;
	pthread_t th;

	if (sc->sink->member_begin && !sc->sink->member_begin(sc->sink->ctx, o))
		return;
	if (sc->stats)
		sc->stats->members++;
	/* worth a thread only where decoding costs more than a read */
	if (sc->lim->pipeline && r->kind != RD_FD && r->kind != RD_MEM)
		piped = ring_start(&ring, &th, r);
	for (;;) {
		const unsigned char *blk = sc->block;
		ssize_t got;
		size_t n;

		if (piped) {
			got = (ssize_t)ring_next(&ring, &blk, released);
			released = true;
		} else {
			got = rd_read(r, sc->block, BLOCK_SIZE);
		}
		if (got <= 0)
			break;
		n = (size_t)got;
		if (cap && total + n > cap) {
			n = (size_t)(cap - total);
			cut = true;
		}
		if (n && sc->sink->data)
			sc->sink->data(sc->sink->ctx, (const char *)blk, n);
		total += n;
		if (sc->stats)
			sc->stats->bytes += n;
		if (cut)
			break;
	}
	if (piped)
		ring_finish(&ring, th);
	if (sc->sink->member_end)
		sc->sink->member_end(sc->sink->ctx, o);
	if (cut) {
		char msg[160];

		snprintf(msg, sizeof msg,
			 "more than %llu bytes after decompression (--max-member-bytes); the rest was skipped",
			 (unsigned long long)cap);
		report_error(sc, o, E53_ETOOBIG, msg);
	} else if (r->st) {
		report_error(sc, o, r->st, r->msg);
	}
}

static void scan_stream(struct scan *sc, struct rd *r, const struct e53_origin *o, unsigned depth);

struct ar_ctx {
	struct rd *r;
	unsigned char *buf;
};

static la_ssize_t ar_read_cb(struct archive *a, void *ud, const void **out)
{
	struct ar_ctx *c = ud;
	ssize_t got = rd_read(c->r, c->buf, ZIN_SIZE);

	*out = c->buf;
	if (got < 0) {
		archive_set_error(a, EIO, "%s", c->r->msg[0] ? c->r->msg : "read error");
		return -1;
	}
	return (la_ssize_t)got;
}

static void join_member(char *dst, size_t cap, const char *parent, const char *name)
{
	if (parent && *parent)
		snprintf(dst, cap, "%s/%s", parent, name);
	else
		snprintf(dst, cap, "%s", name);
}

static void scan_archive(struct scan *sc, struct rd *r, const struct e53_origin *o,
			 unsigned depth, bool raw_allowed)
{
	struct archive *a;
	struct archive_entry *ent;
	struct ar_ctx ctx;
	char msg[320];

	/* the top-level archive is level 0: max_nesting counts archives inside it */
	if (sc->archives > sc->lim->max_nesting) {
		snprintf(msg, sizeof msg, "archive nested more than %u levels deep (--max-nesting); not read",
			 sc->lim->max_nesting);
		report_error(sc, o, E53_ELIMIT, msg);
		return;
	}
	ctx.r = r;
	ctx.buf = malloc(ZIN_SIZE);
	a = archive_read_new();
	if (!a || !ctx.buf) {
		free(ctx.buf);
		if (a)
			archive_read_free(a);
		report_error(sc, o, E53_ENOMEM, "out of memory");
		return;
	}
	/* Only in-process decompressors: never archive_read_support_filter_all,
	 * which may start external programs. */
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_lz4(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_zip_streamable(a);
	if (raw_allowed)
		archive_read_support_format_raw(a);
	sc->archives++;
	if (archive_read_open(a, &ctx, NULL, ar_read_cb, NULL) != ARCHIVE_OK) {
		snprintf(msg, sizeof msg, "cannot read archive: %s",
			 archive_error_string(a) ? archive_error_string(a) : "unknown format");
		report_error(sc, o, r->st ? r->st : E53_ECORRUPT, r->st ? r->msg : msg);
		archive_read_free(a);
		free(ctx.buf);
		sc->archives--;
		return;
	}
	for (;;) {
		int ret = archive_read_next_header(a, &ent);
		const char *name;
		char member[1024];
		struct e53_origin mo;
		struct rd er;

		if (ret == ARCHIVE_EOF)
			break;
		if (ret < ARCHIVE_WARN) {
			snprintf(msg, sizeof msg, "corrupt archive: %s",
				 archive_error_string(a) ? archive_error_string(a) : "bad header");
			report_error(sc, o, r->st ? r->st : E53_ECORRUPT, r->st ? r->msg : msg);
			break;
		}
		if (archive_format(a) == ARCHIVE_FORMAT_RAW) {
			/* a compressed single file: same origin, no member name */
			rd_init(&er, RD_ENTRY);
			er.ar = a;
			er.under = r;
			scan_stream(sc, &er, o, depth);
			continue;
		}
		if (archive_entry_filetype(ent) != AE_IFREG)
			continue;
		if (++sc->members > sc->lim->max_members) {
			snprintf(msg, sizeof msg,
				 "more than %llu archive members (--max-members); the rest was skipped",
				 (unsigned long long)sc->lim->max_members);
			report_error(sc, o, E53_ELIMIT, msg);
			break;
		}
		name = archive_entry_pathname(ent);
		if (!name)
			name = "(unnamed)";
		join_member(member, sizeof member, o->member, name);
		mo = *o;
		mo.member = member;
		if (sc->sink->want && !sc->sink->want(sc->sink->ctx, &mo))
			continue;
		rd_init(&er, RD_ENTRY);
		er.ar = a;
		er.under = r;
		scan_stream(sc, &er, &mo, depth);
		if (er.st && er.st == r->st) {
			/* the source itself failed; reported with the member */
			break;
		}
	}
	archive_read_free(a);
	free(ctx.buf);
	sc->archives--;
}

/* Decide what r holds and read it. depth counts decoding layers. */
static void scan_stream(struct scan *sc, struct rd *r, const struct e53_origin *o, unsigned depth)
{
	enum kind k;
	struct rd dec;

	rd_peek(r);
	k = detect(r->peek, r->peek_len);
	if (r->peek_len == 0 && r->st) {
		report_error(sc, o, r->st, r->msg);
		return;
	}
	switch (k) {
	case K_GZIP:
		if (depth >= MAX_DECODE_LAYERS) {
			report_error(sc, o, E53_ELIMIT, "compressed data nested more than 8 layers deep; not read");
			return;
		}
		if (gz_open(&dec, r)) {
			report_error(sc, o, E53_ENOMEM, "out of memory");
			return;
		}
		scan_stream(sc, &dec, o, depth + 1);
		gz_close(&dec);
		return;
	case K_TAR:
	case K_ZIP:
		scan_archive(sc, r, o, depth + 1, false);
		return;
	case K_COMPRESSED:
		scan_archive(sc, r, o, depth + 1, true);
		return;
	case K_UTF16LE:
	case K_UTF16BE:
		r->peek_pos = 2; /* drop the byte order mark */
		rd_init(&dec, RD_UTF16);
		dec.under = r;
		dec.big_endian = k == K_UTF16BE;
		deliver_text(sc, &dec, o);
		return;
	case K_UTF32:
		report_error(sc, o, E53_EUNSUPPORTED, "UTF-32 text is not supported; convert it to UTF-8");
		return;
	case K_UTF8BOM:
		r->peek_pos = 3;
		deliver_text(sc, r, o);
		return;
	case K_TEXT:
	default:
		deliver_text(sc, r, o);
		return;
	}
}

static e53_status errno_status(int e)
{
	switch (e) {
	case ENOENT: case ENOTDIR: return E53_ENOENT;
	case EACCES: case EPERM: return E53_EACCES;
	case ELOOP: return E53_ELOOP;
	case ENOMEM: return E53_ENOMEM;
	default: return E53_EIO;
	}
}

static void scan_open_fd(struct scan *sc, int fd, const struct e53_origin *o)
{
	struct rd r;
	struct stat st;
	bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);

	rd_init(&r, RD_FD);
	r.fd = fd;
#ifdef POSIX_FADV_SEQUENTIAL
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	scan_stream(sc, &r, o, 0);
	/* a regular file read to its end should have had its size at open */
	if (regular && r.eof && r.raw != (uint64_t)st.st_size) {
		char msg[200];

		if (r.raw < (uint64_t)st.st_size) {
			snprintf(msg, sizeof msg, "file shrank while being read (%llu bytes at open, %llu read)",
				 (unsigned long long)st.st_size, (unsigned long long)r.raw);
			report_error(sc, o, E53_ETRUNC, msg);
		} else {
			snprintf(msg, sizeof msg, "file grew while being read (%llu bytes at open, %llu read); all were read",
				 (unsigned long long)st.st_size, (unsigned long long)r.raw);
			report_warning(sc, o, msg);
		}
	}
}

static void scan_file(struct scan *sc, const char *path, const struct e53_origin *o)
{
	char msg[320];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(msg, sizeof msg, "cannot open: %s", strerror(errno));
		report_error(sc, o, errno_status(errno), msg);
		return;
	}
	scan_open_fd(sc, fd, o);
	close(fd);
}

struct dir_id {
	dev_t dev;
	ino_t ino;
	const struct dir_id *up;
};

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void scan_dir(struct scan *sc, const char *dir, const struct dir_id *chain)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, alloc = 0, i;
	char msg[320];
	struct e53_origin o = { sc->input, dir, NULL };

	if (!d) {
		snprintf(msg, sizeof msg, "cannot read directory: %s", strerror(errno));
		report_error(sc, &o, errno_status(errno), msg);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == alloc) {
			size_t na = alloc ? alloc * 2 : 32;
			char **p = realloc(names, na * sizeof *names);

			if (!p)
				break;
			names = p;
			alloc = na;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			break;
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_names);
	for (i = 0; i < n; i++) {
		size_t len = strlen(dir) + strlen(names[i]) + 2;
		char *full = malloc(len);
		struct stat st;
		struct e53_origin fo;

		if (!full)
			break;
		snprintf(full, len, "%s%s%s", dir,
			 dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
		fo.input = sc->input;
		fo.path = full;
		fo.member = NULL;
		if (stat(full, &st) != 0) {
			snprintf(msg, sizeof msg, "cannot open: %s", strerror(errno));
			report_error(sc, &fo, errno_status(errno), msg);
		} else if (S_ISDIR(st.st_mode)) {
			const struct dir_id *up;
			struct dir_id me = { st.st_dev, st.st_ino, chain };

			for (up = chain; up; up = up->up)
				if (up->dev == st.st_dev && up->ino == st.st_ino)
					break;
			if (up)
				report_error(sc, &fo, E53_ELOOP,
					     "directory loop (a symbolic link points to a parent); not followed");
			else
				scan_dir(sc, full, &me);
		} else if (S_ISREG(st.st_mode)) {
			if (++sc->members > sc->lim->max_members) {
				snprintf(msg, sizeof msg,
					 "more than %llu files (--max-members); the rest was skipped",
					 (unsigned long long)sc->lim->max_members);
				report_error(sc, &fo, E53_ELIMIT, msg);
				free(full);
				break;
			}
			if (!sc->sink->want || sc->sink->want(sc->sink->ctx, &fo))
				scan_file(sc, full, &fo);
		} else {
			report_warning(sc, &fo, "not a regular file; skipped");
		}
		free(full);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static bool scan_begin(struct scan *sc, const char *input, const struct e53_limits *lim,
		       const struct e53_sink *sink, struct e53_scan_stats *stats)
{
	static const struct e53_limits *dflt;
	static struct e53_limits dlim;

	memset(sc, 0, sizeof *sc);
	if (!lim) {
		if (!dflt) {
			e53_limits_default(&dlim);
			dflt = &dlim;
		}
		lim = dflt;
	}
	sc->lim = lim;
	sc->sink = sink;
	sc->stats = stats;
	sc->input = input;
	if (stats)
		memset(stats, 0, sizeof *stats);
	sc->block = malloc(BLOCK_SIZE);
	return sc->block != NULL;
}

e53_status e53_scan_fd(const char *name, int fd, const struct e53_limits *lim,
		       const struct e53_sink *sink, struct e53_scan_stats *stats)
{
	struct scan sc;
	struct e53_origin o = { name, name, NULL };

	if (!scan_begin(&sc, name, lim, sink, stats))
		return E53_ENOMEM;
	scan_open_fd(&sc, fd, &o);
	free(sc.block);
	return sc.first;
}

e53_status e53_scan_mem(const char *name, const void *data, size_t len,
			const struct e53_limits *lim, const struct e53_sink *sink,
			struct e53_scan_stats *stats)
{
	struct scan sc;
	struct e53_origin o = { name, name, NULL };
	struct rd r;

	if (!scan_begin(&sc, name, lim, sink, stats))
		return E53_ENOMEM;
	rd_init(&r, RD_MEM);
	r.mem = data;
	r.mem_len = len;
	scan_stream(&sc, &r, &o, 0);
	free(sc.block);
	return sc.first;
}

e53_status e53_scan_path(const char *path, const struct e53_limits *lim,
			 const struct e53_sink *sink, struct e53_scan_stats *stats)
{
	struct scan sc;
	struct e53_origin o = { path, path, NULL };
	struct stat st;
	char msg[320];

	if (!strcmp(path, "-"))
		return e53_scan_fd(path, STDIN_FILENO, lim, sink, stats);
	if (!scan_begin(&sc, path, lim, sink, stats))
		return E53_ENOMEM;
	if (stat(path, &st) != 0) {
		snprintf(msg, sizeof msg, "cannot open: %s", strerror(errno));
		report_error(&sc, &o, errno_status(errno), msg);
	} else if (S_ISDIR(st.st_mode)) {
		struct dir_id me = { st.st_dev, st.st_ino, NULL };

		scan_dir(&sc, path, &me);
	} else {
		scan_file(&sc, path, &o);
	}
	free(sc.block);
	return sc.first;
}
