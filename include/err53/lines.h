/* lines.h - split a member's blocks into lines, across block boundaries.
 *
 * A line is delivered without its '\n' and without one trailing '\r'.
 * Lines that fit inside a block are passed in place (no copy); only a line
 * that spans blocks is assembled in the carry buffer.  A line longer than
 * max_line is cut to max_line bytes, the rest up to its newline is skipped
 * and counted.  Line numbers start at 1 for each member. */
#ifndef ERR53_LINES_H
#define ERR53_LINES_H

#include "err53/err53.h"

typedef void (*e53_line_fn)(void *ctx, const char *line, size_t len, uint64_t lineno);

struct e53_lines {
	e53_line_fn fn;
	void *ctx;
	size_t max_line;
	char *carry;          /* max_line bytes */
	size_t carry_len;
	bool skipping;        /* the current line was cut; skip to its newline */
	bool pending;         /* a partial line is in carry (or being skipped) */
	uint64_t lineno;      /* lines delivered in this member */
	uint64_t newlines;    /* newline bytes seen (all members): `wc -l` */
	uint64_t cut_lines;   /* lines cut at max_line (all members) */
	uint64_t skipped_bytes;
};

e53_status e53_lines_init(struct e53_lines *l, size_t max_line, e53_line_fn fn, void *ctx);
void e53_lines_release(struct e53_lines *l);
void e53_lines_feed(struct e53_lines *l, const char *p, size_t n);
/* Delivers a last line without newline; the next member counts from 1. */
void e53_lines_finish(struct e53_lines *l);

#endif
