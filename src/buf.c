/* buf.c - the capped growable buffer, JSON string escaping, status names. */
#include "err53/err53.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[E53_STATUS_MAX] = {
	[E53_OK] = "success",
	[E53_ENOMEM] = "out of memory",
	[E53_EIO] = "read error",
	[E53_ENOENT] = "no such file or directory",
	[E53_EACCES] = "permission denied",
	[E53_ETRUNC] = "truncated input",
	[E53_ECORRUPT] = "corrupt data",
	[E53_ETOOBIG] = "size limit reached",
	[E53_ELIMIT] = "count limit reached",
	[E53_EINVAL] = "invalid argument",
	[E53_ELOOP] = "symbolic link loop",
	[E53_EUNSUPPORTED] = "unsupported input",
	[E53_ERULE] = "rule error",
	[E53_ESKIPPED] = "skipped",
};

const char *e53_strerror(e53_status st)
{
	if ((unsigned)st >= E53_STATUS_MAX)
		return "unknown status";
	return status_names[st];
}

void e53_limits_default(struct e53_limits *lim)
{
	lim->max_member_bytes = E53_DEFAULT_MAX_MEMBER_BYTES;
	lim->max_members = E53_DEFAULT_MAX_MEMBERS;
	lim->max_line = E53_DEFAULT_MAX_LINE;
	lim->max_plist = E53_DEFAULT_MAX_PLIST;
	lim->max_plist_depth = E53_DEFAULT_MAX_PLIST_DEPTH;
	lim->max_nesting = E53_DEFAULT_MAX_NESTING;
	lim->pipeline = false;
}

void e53_buf_init(struct e53_buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void e53_buf_release(struct e53_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

void e53_buf_reset(struct e53_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static e53_status grow(struct e53_buf *b, size_t extra)
{
	size_t need;

	if (extra > SIZE_MAX - b->len - 1)
		return E53_ENOMEM;
	need = b->len + extra + 1;
	if (b->cap && b->len + extra > b->cap)
		return E53_ETOOBIG;
	if (need > b->alloc) {
		size_t na = b->alloc ? b->alloc : 64;
		char *p;

		while (na < need)
			na = na > SIZE_MAX / 2 ? need : na * 2;
		p = realloc(b->data, na);
		if (!p)
			return E53_ENOMEM;
		b->data = p;
		b->alloc = na;
	}
	return E53_OK;
}

e53_status e53_buf_add_slow(struct e53_buf *b, const void *p, size_t n)
{
	e53_status st = grow(b, n);

	if (st)
		return st;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return E53_OK;
}

e53_status e53_buf_addf(struct e53_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	size_t room = b->alloc > b->len ? b->alloc - b->len : 0;
	e53_status st;

	/* one pass when the text fits in the space already allocated */
	va_start(ap, fmt);
	n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return E53_EINVAL;
	if ((size_t)n < room) {
		if (b->cap && b->len + (size_t)n > b->cap) {
			b->data[b->len] = '\0';
			return E53_ETOOBIG;
		}
		b->len += (size_t)n;
		return E53_OK;
	}
	st = grow(b, (size_t)n);
	if (st) {
		if (b->data)
			b->data[b->len] = '\0';
		return st;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return E53_OK;
}

/* Length of a valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

e53_status e53_buf_json_str(struct e53_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	e53_status st = E53_OK;

	while (i < n && !st) {
		size_t run = i;

		/* copy plain runs in one go */
		while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
			run++;
		if (run > i) {
			st = e53_buf_add(b, s + i, run - i);
			i = run;
			continue;
		}
		if (p[i] == '"')
			st = e53_buf_add(b, "\\\"", 2);
		else if (p[i] == '\\')
			st = e53_buf_add(b, "\\\\", 2);
		else if (p[i] == '\n')
			st = e53_buf_add(b, "\\n", 2);
		else if (p[i] == '\t')
			st = e53_buf_add(b, "\\t", 2);
		else if (p[i] == '\r')
			st = e53_buf_add(b, "\\r", 2);
		else if (p[i] < 0x20) {
			static const char hex[] = "0123456789abcdef";
			char u[6] = { '\\', 'u', '0', '0', hex[p[i] >> 4], hex[p[i] & 15] };

			st = e53_buf_add(b, u, 6);
		} else {
			size_t l = utf8_len(p + i, n - i);

			if (l == 0) {
				st = e53_buf_add(b, "\xef\xbf\xbd", 3);
				i++;
				continue;
			}
			st = e53_buf_add(b, s + i, l);
			i += l;
			continue;
		}
		i++;
	}
	return st;
}

e53_status e53_buf_json(struct e53_buf *b, const char *s)
{
	e53_status st;

	if (!s)
		return e53_buf_adds(b, "null");
	st = e53_buf_addc(b, '"');
	if (!st)
		st = e53_buf_json_str(b, s, strlen(s));
	if (!st)
		st = e53_buf_addc(b, '"');
	return st;
}
