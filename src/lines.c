/* lines.c - the streaming line splitter (see lines.h for the contract). */
#include "err53/lines.h"

#include <stdlib.h>
#include <string.h>

e53_status e53_lines_init(struct e53_lines *l, size_t max_line, e53_line_fn fn, void *ctx)
{
	memset(l, 0, sizeof *l);
	if (max_line == 0)
		max_line = 1;
	l->carry = malloc(max_line);
	if (!l->carry)
		return E53_ENOMEM;
	l->max_line = max_line;
	l->fn = fn;
	l->ctx = ctx;
	return E53_OK;
}

void e53_lines_release(struct e53_lines *l)
{
	free(l->carry);
	l->carry = NULL;
}

static void emit(struct e53_lines *l, const char *p, size_t n)
{
	if (n && p[n - 1] == '\r')
		n--;
	l->lineno++;
	l->fn(l->ctx, p, n, l->lineno);
}

/* Add bytes of an unfinished line to the carry, cutting at max_line. */
static void carry_add(struct e53_lines *l, const char *p, size_t n)
{
	size_t room = l->max_line - l->carry_len;

	l->pending = true;
	if (l->skipping) {
		l->skipped_bytes += n;
		return;
	}
	if (n > room) {
		memcpy(l->carry + l->carry_len, p, room);
		l->carry_len += room;
		l->skipped_bytes += n - room;
		l->skipping = true;
		l->cut_lines++;
		return;
	}
	memcpy(l->carry + l->carry_len, p, n);
	l->carry_len += n;
}

static void carry_flush(struct e53_lines *l)
{
	if (l->skipping) {
		/* a cut line is delivered as cut, whatever byte ends the cut */
		l->lineno++;
		l->fn(l->ctx, l->carry, l->carry_len, l->lineno);
	} else {
		emit(l, l->carry, l->carry_len);
	}
	l->carry_len = 0;
	l->skipping = false;
	l->pending = false;
}

void e53_lines_feed(struct e53_lines *l, const char *p, size_t n)
{
	const char *end = p + n;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl) {
			carry_add(l, p, (size_t)(end - p));
			return;
		}
		if (l->pending) {
			carry_add(l, p, (size_t)(nl - p));
			carry_flush(l);
		} else if ((size_t)(nl - p) > l->max_line) {
			l->cut_lines++;
			l->skipped_bytes += (size_t)(nl - p) - l->max_line;
			/* a cut line must not lose a CR-stripping decision: it has none */
			l->lineno++;
			l->fn(l->ctx, p, l->max_line, l->lineno);
		} else {
			emit(l, p, (size_t)(nl - p));
		}
		l->newlines++;
		p = nl + 1;
	}
}

void e53_lines_finish(struct e53_lines *l)
{
	if (l->pending)
		carry_flush(l);
	l->lineno = 0;
}
