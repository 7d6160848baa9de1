/* err53.h - status codes, limits and the growable buffer shared by every
 * module of liberr53.  The library never prints and never exits: it returns
 * an e53_status and keeps the human-readable context on its handles. */
#ifndef ERR53_ERR53_H
#define ERR53_ERR53_H

#include <stddef.h>
#include <string.h>
#include <stdint.h>
#include <stdbool.h>

#define E53_VERSION "0.1.0"
#define E53_SCHEMA "err53-logscan/1"

/* Frozen, numbered: values are never reused or renumbered. */
typedef enum e53_status {
	E53_OK = 0,
	E53_ENOMEM = 1,      /* out of memory */
	E53_EIO = 2,         /* read error */
	E53_ENOENT = 3,      /* no such file or directory */
	E53_EACCES = 4,      /* permission denied */
	E53_ETRUNC = 5,      /* input ends early (truncated compressed stream) */
	E53_ECORRUPT = 6,    /* corrupt compressed data or archive */
	E53_ETOOBIG = 7,     /* a size cap was reached; the rest was skipped */
	E53_ELIMIT = 8,      /* a count cap was reached (members, nesting) */
	E53_EINVAL = 9,      /* invalid argument */
	E53_ELOOP = 10,      /* symbolic link loop */
	E53_EUNSUPPORTED = 11, /* input kind not supported */
	E53_ERULE = 12,      /* rule file error */
	E53_ESKIPPED = 13,   /* input deliberately skipped (not an error) */
	E53_STATUS_MAX
} e53_status;

const char *e53_strerror(e53_status st);

/* Caps on untrusted input.  Every one has a command-line option. */
struct e53_limits {
	uint64_t max_member_bytes; /* bytes expanded per member */
	uint64_t max_members;      /* members per archive (all nesting levels) */
	size_t max_line;           /* bytes kept of one line; the rest is skipped */
	size_t max_plist;          /* bytes of one plist handed to libplist */
	unsigned max_plist_depth;  /* nesting of a plist */
	unsigned max_nesting;      /* archives inside archives */
	bool pipeline;             /* decompress in a second thread while parsing */
};

#define E53_DEFAULT_MAX_MEMBER_BYTES (4ULL << 30)   /* 4 GiB */
#define E53_DEFAULT_MAX_MEMBERS 50000ULL
#define E53_DEFAULT_MAX_LINE 65536
#define E53_DEFAULT_MAX_PLIST (8u << 20)            /* 8 MiB */
#define E53_DEFAULT_MAX_PLIST_DEPTH 64
#define E53_DEFAULT_MAX_NESTING 4

void e53_limits_default(struct e53_limits *lim);

/* A growable byte buffer with a cap (git strbuf, curl dynbuf).
 * Invariants: data is NUL-terminated when len > 0 or after any append;
 * len <= cap when cap != 0.  An append past the cap fails with ETOOBIG
 * and leaves the buffer unchanged. */
struct e53_buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t cap; /* 0 = no cap */
};

void e53_buf_init(struct e53_buf *b, size_t cap);
void e53_buf_release(struct e53_buf *b);
e53_status e53_buf_add_slow(struct e53_buf *b, const void *p, size_t n);
/* Appends n bytes; inline for the common case of room already there. */
static inline e53_status e53_buf_add(struct e53_buf *b, const void *p, size_t n)
{
	if (b->len + n < b->alloc && (!b->cap || b->len + n <= b->cap)) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = '\0';
		return E53_OK;
	}
	return e53_buf_add_slow(b, p, n);
}

static inline e53_status e53_buf_addc(struct e53_buf *b, char c)
{
	return e53_buf_add(b, &c, 1);
}

static inline e53_status e53_buf_adds(struct e53_buf *b, const char *s)
{
	return e53_buf_add(b, s, strlen(s));
}
e53_status e53_buf_addf(struct e53_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void e53_buf_reset(struct e53_buf *b);
/* Appends s as the body of a JSON string (no quotes); invalid UTF-8 bytes
 * become U+FFFD so the output is always valid UTF-8. */
e53_status e53_buf_json_str(struct e53_buf *b, const char *s, size_t n);
/* Same, with the quotes; NULL becomes null. */
e53_status e53_buf_json(struct e53_buf *b, const char *s);

/* Copies the string src into dst of cap bytes (cap > 0), cut to fit and
 * always terminated, as snprintf(dst, cap, "%s", src) without the format
 * machinery.  Returns the length copied. */
static inline size_t e53_scpy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
	return n;
}

#endif
