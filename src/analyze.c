/* analyze.c - one input through the pipeline: the input layer's sink feeds
 * the line splitter, each line goes through the rules, events go to the
 * session builder, finished sessions are rendered into the result. */
#include "err53/analyze.h"
#include "err53/input.h"
#include "err53/lines.h"
#include "err53/redact.h"
#include "err53/report.h"
#include "err53/session.h"
#include "err53/sysdiag.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE_EVENTS 32

/* The parse pipeline (lim.pipeline): a matcher thread runs the literal
 * scan and the rules over each block's whole lines while this thread walks
 * the blocks before it, feeding the builder.  Blocks are copied into a
 * ring of slots; a slot's events point into its copy. */
#define PP_SLOTS 4
#define PP_MAX_EVENTS 4096     /* per slot; later lines are matched by the walker */

struct pp_line {
	uint32_t off;              /* where the line starts in the slot */
	uint32_t first, n;         /* its events in the slot's evs */
};

struct pp_slot {
	char *data;
	size_t n, alloc;
	bool starts_line;          /* the block begins a line */
	size_t body, done;         /* lines starting in [body, done) were matched */
	struct pp_line *lines;
	size_t nlines, alines;
	struct e53_event *evs;     /* PP_MAX_EVENTS */
	size_t nevs;
	unsigned line_evs;         /* events of the line being matched */
};

struct pp {
	const struct e53_rules *rs;
	size_t max_line;
	struct e53_matcher *m;     /* the matcher thread's */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pp_slot slot[PP_SLOTS];
	unsigned head, mid, tail;  /* [tail, mid) matched, [mid, head) waiting */
	bool quit;
	bool prev_nl;              /* the last block queued ended a line */
	bool failed;               /* could not start: blocks go the direct way */
};

struct e53_analyzer {
	const struct e53_rules *rs;
	const struct e53_options *opt;
	struct e53_matcher *m;
	struct e53_lines lines;
	struct e53_builder *b;
	struct e53_sysdiag *sd;
	struct e53_result *res;
	char path[1024];
	char member[1024];
	bool has_member;
	unsigned nsessions;        /* in this input, for numbering */
	bool binary;               /* a member began with NUL bytes */
	bool first_block;
	struct e53_event evs[MAX_LINE_EVENTS];
	unsigned nev;
	char *clean;               /* a line without its terminal escapes */
	struct pp *pp;             /* the parse pipeline, started on first use */
};

void e53_result_init(struct e53_result *r)
{
	memset(r, 0, sizeof *r);
	e53_buf_init(&r->out, 0);
	e53_buf_init(&r->msgs, 0);
}

void e53_result_release(struct e53_result *r)
{
	e53_buf_release(&r->out);
	e53_buf_release(&r->msgs);
	free(r->by_code);
	free(r->rows);
	memset(r, 0, sizeof *r);
}

static e53_status add_code(struct e53_result *r, long code, uint64_t n)
{
	size_t i;
	struct e53_code_count *p;

	for (i = 0; i < r->n_codes; i++)
		if (r->by_code[i].code == code) {
			r->by_code[i].n += n;
			return E53_OK;
		}
	p = realloc(r->by_code, (r->n_codes + 1) * sizeof *p);
	if (!p)
		return E53_ENOMEM;
	r->by_code = p;
	/* keep the codes sorted for the summary */
	for (i = r->n_codes; i > 0 && p[i - 1].code > code; i--)
		p[i] = p[i - 1];
	p[i].code = code;
	p[i].n = n;
	r->n_codes++;
	return E53_OK;
}

static e53_status add_row(struct e53_result *r, const struct e53_row *row)
{
	struct e53_row *p;

	if (r->n_rows >= E53_MAX_ROWS) {
		r->rows_dropped++;
		return E53_OK;
	}
	p = realloc(r->rows, (r->n_rows + 1) * sizeof *p);

	if (!p)
		return E53_ENOMEM;
	r->rows = p;
	p[r->n_rows++] = *row;
	return E53_OK;
}

e53_status e53_result_merge_counts(struct e53_result *dst, const struct e53_result *src)
{
	size_t i;
	e53_status st = E53_OK;

	dst->bytes += src->bytes;
	dst->lines += src->lines;
	dst->sessions += src->sessions;
	dst->input_errors += src->input_errors;
	dst->refused |= src->refused;
	for (i = 0; i < E53_OUT__COUNT; i++)
		dst->by_outcome[i] += src->by_outcome[i];
	for (i = 0; i < E53_V__COUNT; i++)
		dst->by_verdict[i] += src->by_verdict[i];
	for (i = 0; i < src->n_codes && !st; i++)
		st = add_code(dst, src->by_code[i].code, src->by_code[i].n);
	for (i = 0; i < src->n_rows && !st; i++)
		st = add_row(dst, &src->rows[i]);
	dst->rows_dropped += src->rows_dropped;
	return st;
}

static void on_session(void *ctx, struct e53_session *s)
{
	struct e53_analyzer *an = ctx;
	struct e53_result *r = an->res;
	struct e53_row row;
	const struct e53_device *d;

	if (an->sd)
		e53_sysdiag_apply(an->sd, s);
	if (an->opt->redact)
		e53_redact_session(an->opt->redact, s);
	an->nsessions++;
	r->sessions++;
	r->by_outcome[s->outcome]++;
	r->by_verdict[s->verdict]++;
	if (s->has_code && s->outcome == E53_OUT_FAILURE)
		add_code(r, s->code, 1);
	switch (an->opt->format) {
	case E53_FMT_NDJSON:
		e53_render_session_ndjson(s, &r->out);
		break;
	case E53_FMT_CSV:
		e53_render_session_csv(s, &r->out);
		break;
	case E53_FMT_TEXT:
	case E53_FMT_MARKDOWN:
		e53_render_session_text(s, an->opt->format == E53_FMT_MARKDOWN,
					an->opt->color, &r->out);
		memset(&row, 0, sizeof row);
		snprintf(row.source, sizeof row.source, "%s%s%s:%llu", s->path, s->member[0] ? ":" : "",
			 s->member, (unsigned long long)s->first_line);
		d = e53_session_device(s);
		snprintf(row.device, sizeof row.device, "%s",
			 d ? d->name : s->product_type[0] ? s->product_type : "unknown");
		row.outcome = s->outcome;
		row.code = s->has_code && s->outcome == E53_OUT_FAILURE ? s->code : 0;
		row.verdict = s->verdict;
		add_row(r, &row);
		break;
	default:
		break;
	}
	if (r->flush && r->out.len >= E53_FLUSH_BYTES)
		r->flush(r->flush_ctx, r);
}

/* The events view under --redact: identifier fields become placeholders,
 * other fields and the path lose user names and IMEIs. */
static void render_event_redacted(struct e53_analyzer *an, const struct e53_event *src)
{
	static const struct { enum e53_field_key k; const char *kind; } ids[] = {
		{ E53_F_ECID, "ECID" }, { E53_F_UDID, "UDID" }, { E53_F_SERIAL, "SERIAL" },
	};
	char vals[E53_F__COUNT][160];
	char path[1024], member[1024];
	struct e53_event ev = *src;
	unsigned i, k;

	for (i = 0; i < E53_F__COUNT; i++) {
		if (!ev.f[i].p)
			continue;
		snprintf(vals[i], sizeof vals[i], "%.*s", (int)(ev.f[i].n < 159 ? ev.f[i].n : 159), ev.f[i].p);
		for (k = 0; k < sizeof ids / sizeof ids[0]; k++)
			if (ids[k].k == (enum e53_field_key)i) {
				char tmp[160];
				uint64_t e;

				/* the same placeholder as the session's: hash the 16-digit form */
				if (i == E53_F_ECID && e53_parse_ecid(ev.f[i].p, ev.f[i].n, &e))
					snprintf(vals[i], sizeof vals[i], "%016llx", (unsigned long long)e);
				e53_redact_value(an->opt->redact, ids[k].kind, vals[i], tmp, sizeof tmp);
				e53_scpy(vals[i], sizeof vals[i], tmp);
			}
		e53_redact_text(an->opt->redact, vals[i], sizeof vals[i]);
		ev.f[i].p = vals[i];
		ev.f[i].n = strlen(vals[i]);
	}
	e53_scpy(path, sizeof path, an->path);
	e53_scpy(member, sizeof member, an->member);
	e53_redact_text(an->opt->redact, path, sizeof path);
	e53_redact_text(an->opt->redact, member, sizeof member);
	e53_render_event(path, an->has_member ? member : NULL, &ev, &an->res->out);
}

/* Copies line without ANSI escape sequences (colour in terminal captures)
 * into out; returns the new length. */
static size_t strip_escapes(const char *line, size_t len, char *out)
{
	size_t i = 0, o = 0;

	while (i < len) {
		if (line[i] != '\033') {
			out[o++] = line[i++];
			continue;
		}
		i++;
		if (i < len && line[i] == '[') {
			/* CSI: parameters and intermediates, then one final byte */
			i++;
			while (i < len && (unsigned char)line[i] >= 0x20 && (unsigned char)line[i] <= 0x3f)
				i++;
			while (i < len && (unsigned char)line[i] >= 0x20 && (unsigned char)line[i] <= 0x2f)
				i++;
			if (i < len)
				i++;
		} else if (i < len) {
			i++; /* a two-byte escape */
		}
	}
	return o;
}

static void deliver(struct e53_analyzer *an, const char *line, size_t len, uint64_t lineno);

/* A line a GUI wrapper printed as a C string: ... "message\n" */
static bool gui_quoted(const char *line, size_t len)
{
	return len >= 4 && line[len - 1] == '"' && line[len - 2] == 'n' && line[len - 3] == '\\';
}

static void on_line(void *ctx, const char *line, size_t len, uint64_t lineno)
{
	struct e53_analyzer *an = ctx;

	if (memchr(line, '\033', len)) {
		len = strip_escapes(line, len, an->clean);
		line = an->clean;
	}
	if (gui_quoted(line, len)) {
		const char *q = memchr(line, '"', len - 3 < 48 ? len - 3 : 48);

		if (q && (q == line || q[-1] == ' ')) {
			size_t head = (size_t)(q - line);

			if (line != an->clean)
				memcpy(an->clean, line, head);
			memmove(an->clean + head, q + 1, len - 3 - head - 1);
			len -= 4;
			line = an->clean;
		}
	}
	if (e53_sysdiag_line(an->sd, line, len, lineno))
		return;
	an->nev = e53_match_line_into(an->m, line, len, lineno, 0, an->evs, MAX_LINE_EVENTS);
	deliver(an, line, len, lineno);
}

/* A line's events (an->evs) to the report or the builder. */
static void deliver(struct e53_analyzer *an, const char *line, size_t len, uint64_t lineno)
{
	unsigned i;

	if (an->opt->format == E53_FMT_EVENTS) {
		for (i = 0; i < an->nev; i++) {
			if (an->opt->redact)
				render_event_redacted(an, &an->evs[i]);
			else
				e53_render_event(an->path, an->has_member ? an->member : NULL, &an->evs[i], &an->res->out);
		}
		if (an->res->flush && an->res->out.len >= E53_FLUSH_BYTES)
			an->res->flush(an->res->flush_ctx, an->res);
		return;
	}
	e53_builder_line(an->b, line, len, lineno);
	/* a line's start marker opens its session, and its result lines
	 * route it, before its other events */
	for (i = 0; i < an->nev; i++)
		if (an->evs[i].kind == E53_EV_START)
			e53_builder_event(an->b, &an->evs[i]);
	for (i = 0; i < an->nev; i++)
		if (an->evs[i].kind == E53_EV_OUTCOME)
			e53_builder_event(an->b, &an->evs[i]);
	for (i = 0; i < an->nev; i++)
		if (an->evs[i].kind != E53_EV_START && an->evs[i].kind != E53_EV_OUTCOME)
			e53_builder_event(an->b, &an->evs[i]);
}

/* The length a line of raw length len is matched with: cut at max_line
 * (a cut line keeps a final CR), else without one trailing CR; as the
 * line splitter delivers it. */
static size_t view_len(const char *q, size_t len, size_t max_line)
{
	if (len > max_line)
		return max_line;
	return len && q[len - 1] == '\r' ? len - 1 : len;
}

/* One whole line of raw length len counted as the splitter counts it
 * (one longer than max_line is cut). */
static void count_line(struct e53_lines *l, size_t len)
{
	l->newlines++;
	l->lineno++;
	if (len > l->max_line) {
		l->cut_lines++;
		l->skipped_bytes += len - l->max_line;
	}
}

/* A line that gives no event: counted, and shown to the builder only as
 * far as such a line can matter. */
static void quiet_line(struct e53_analyzer *an, const char *q, size_t len)
{
	count_line(&an->lines, len);
	if (an->opt->format != E53_FMT_EVENTS)
		e53_builder_quiet_line(an->b, q, view_len(q, len, an->lines.max_line), an->lines.lineno);
}

/* The start of the first line at or after q (a line start) that holds a
 * rule literal, or end; *hit: where the literal starts. */
static const char *cand_line(const struct e53_rules *rs, const char *p, const char *q, const char *end,
			     size_t *hit)
{
	const char *ls;

	*hit = e53_rules_next_candidate(rs, p, (size_t)(end - p), (size_t)(q - p));
	if (*hit >= (size_t)(end - p))
		return end;
	ls = p + *hit > q ? memrchr(q, '\n', (size_t)(p + *hit - q)) : NULL;
	return ls ? ls + 1 : q;
}

/* Lines the per-line path rewrites (terminal escapes, GUI-quoted lines)
 * and a member's first line (a crash report header) take the full path. */
static bool needs_full_path(const struct e53_analyzer *an, const char *q, size_t len, bool esc)
{
	return esc || an->lines.lineno == 0 || gui_quoted(q, len && q[len - 1] == '\r' ? len - 1 : len);
}

/* A block's lines into the builder.  A line holding a rule literal takes
 * the full path, or, when the matcher thread has done the block (sl), its
 * events are taken from the slot; the quiet lines between give no event,
 * so they only move the line count and the builder's extent, and are
 * counted in one pass where none of them needs a look of its own.  Lines
 * spanning blocks, lines past what the matcher did, and those of
 * needs_full_path() take the full path. */
static void walk(struct e53_analyzer *an, const char *p, size_t n, const struct pp_slot *sl)
{
	struct e53_lines *l = &an->lines;
	const char *q = p, *last, *end, *esc, *known, *cand, *slow_until;
	size_t k = 0, hit;

	if (l->pending) {
		const char *nl = memchr(p, '\n', n);

		if (!nl) {
			e53_lines_feed(l, p, n);
			return;
		}
		e53_lines_feed(l, p, (size_t)(nl + 1 - p));
		q = nl + 1;
	}
	last = q < p + n ? memrchr(q, '\n', (size_t)(p + n - q)) : NULL;
	if (!last) {
		e53_lines_feed(l, q, (size_t)(p + n - q));
		return;
	}
	end = last + 1;
	known = sl ? p + sl->done : end;
	cand = !sl ? cand_line(an->rs, p, q, end, &hit) : sl->nlines ? p + sl->lines[0].off : known;
	slow_until = q;
	esc = memchr(q, '\033', (size_t)(end - q));
	if (!esc)
		esc = end;
	while (q < end) {
		const char *nl;
		size_t len;

		if (q < cand && q < known && q >= slow_until) {
			const char *stop = cand < known ? cand : known;
			size_t nq = (size_t)(stop - q) <= l->max_line && l->lineno && !e53_builder_embedded(an->b) ?
					    e53_rules_plain_lines(an->rs, q, (size_t)(stop - q)) : SIZE_MAX;

			if (nq != SIZE_MAX) {
				l->newlines += nq;
				l->lineno += nq;
				if (an->opt->format != E53_FMT_EVENTS)
					e53_builder_quiet_lines(an->b, l->lineno, nq);
				q = stop;
				continue;
			}
			slow_until = stop;
		}
		nl = memchr(q, '\n', (size_t)(end - q));
		len = (size_t)(nl - q);
		if (q >= known || (q == cand && !sl) || needs_full_path(an, q, len, esc < nl)) {
			e53_lines_feed(l, q, len + 1);
			if (esc < nl) {
				esc = memchr(nl + 1, '\033', (size_t)(end - nl - 1));
				if (!esc)
					esc = end;
			}
		} else if (q == cand) {
			const struct pp_line *pl = &sl->lines[k];
			unsigned i;

			count_line(l, len);
			for (i = 0; i < pl->n; i++) {
				an->evs[i] = sl->evs[pl->first + i];
				an->evs[i].line = l->lineno;
			}
			an->nev = pl->n;
			deliver(an, q, view_len(q, len, l->max_line), l->lineno);
		} else {
			quiet_line(an, q, len);
		}
		if (q == cand) {
			k++;
			cand = !sl ? cand_line(an->rs, p, nl + 1, end, &hit) :
			       k < sl->nlines ? p + sl->lines[k].off : known;
		}
		q = nl + 1;
	}
	if (end < p + n)
		e53_lines_feed(l, end, (size_t)(p + n - end));
}

/* ---- the parse pipeline ---------------------------------------------- */

/* Matcher thread: the whole lines of a slot, as the walker would see
 * them, through the rules; records the lines that gave events. */
static void pp_match(struct pp *pp, struct pp_slot *sl)
{
	const char *p = sl->data, *last;
	size_t end, q, hit;

	sl->nlines = sl->nevs = 0;
	sl->body = sl->done = 0;
	last = sl->n ? memrchr(p, '\n', sl->n) : NULL;
	if (!last)
		return;
	end = (size_t)(last + 1 - p);
	if (sl->starts_line)
		q = 0;
	else
		q = (size_t)((const char *)memchr(p, '\n', sl->n) + 1 - p);
	sl->body = q;
	for (;;) {
		const char *ls = cand_line(pp->rs, p, p + q, p + end, &hit), *nl;
		size_t start = (size_t)(ls - p), len, from;
		uint32_t first = (uint32_t)sl->nevs;

		if (start == end)
			break;
		nl = memchr(p + hit, '\n', end - hit);
		len = (size_t)(nl - ls);
		if (sl->nevs + MAX_LINE_EVENTS > PP_MAX_EVENTS) {
			sl->done = start;
			return;
		}
		/* no literal's anchor lies before the one the block scan found, at
		 * hit - 1 or later; sampled from q, whose parity the line's start
		 * may not share, so the line's own scan starts one byte earlier */
		from = hit - start >= 2 ? (hit - start - 2) & ~(size_t)1 : 0;
		sl->line_evs = e53_match_line_into(pp->m, p + start, view_len(p + start, len, pp->max_line), 0,
						   from, sl->evs + sl->nevs, MAX_LINE_EVENTS);
		sl->nevs += sl->line_evs;
		if (sl->line_evs) {
			if (sl->nlines == sl->alines) {
				size_t na = sl->alines ? sl->alines * 2 : 256;
				struct pp_line *nlp = realloc(sl->lines, na * sizeof *nlp);

				if (!nlp) {
					sl->nevs = first;
					sl->done = start;
					return;
				}
				sl->lines = nlp;
				sl->alines = na;
			}
			sl->lines[sl->nlines].off = (uint32_t)start;
			sl->lines[sl->nlines].first = first;
			sl->lines[sl->nlines].n = sl->line_evs;
			sl->nlines++;
		}
		q = (size_t)(nl + 1 - p);
	}
	sl->done = end;
}

static void *pp_main(void *arg)
{
	struct pp *pp = arg;

	pthread_mutex_lock(&pp->mu);
	for (;;) {
		struct pp_slot *sl;

		while (!pp->quit && pp->mid == pp->head)
			pthread_cond_wait(&pp->cv, &pp->mu);
		if (pp->mid == pp->head)
			break;
		sl = &pp->slot[pp->mid % PP_SLOTS];
		pthread_mutex_unlock(&pp->mu);
		pp_match(pp, sl);
		pthread_mutex_lock(&pp->mu);
		pp->mid++;
		pthread_cond_broadcast(&pp->cv);
	}
	pthread_mutex_unlock(&pp->mu);
	return NULL;
}

static void pp_free(struct pp *pp)
{
	unsigned i;

	if (!pp)
		return;
	if (!pp->failed) {
		pthread_mutex_lock(&pp->mu);
		pp->quit = true;
		pthread_cond_broadcast(&pp->cv);
		pthread_mutex_unlock(&pp->mu);
		pthread_join(pp->th, NULL);
		pthread_cond_destroy(&pp->cv);
		pthread_mutex_destroy(&pp->mu);
	}
	for (i = 0; i < PP_SLOTS; i++) {
		free(pp->slot[i].data);
		free(pp->slot[i].lines);
		free(pp->slot[i].evs);
	}
	e53_matcher_free(&pp->m);
	free(pp);
}

/* The pipeline of an analyzer, started on first use; NULL when it is off
 * or could not start (the blocks then go the direct way). */
static struct pp *pp_get(struct e53_analyzer *an)
{
	struct pp *pp = an->pp;
	unsigned i;

	if (pp)
		return pp->failed ? NULL : pp;
	if (!an->opt->lim.pipeline)
		return NULL;
	pp = calloc(1, sizeof *pp);
	if (!pp)
		return NULL;
	an->pp = pp;
	pp->failed = true;
	pp->rs = an->rs;
	pp->max_line = an->opt->lim.max_line;
	pp->prev_nl = true;
	pp->m = e53_matcher_new(an->rs);
	if (!pp->m)
		return NULL;
	for (i = 0; i < PP_SLOTS; i++)
		if (!(pp->slot[i].evs = malloc(PP_MAX_EVENTS * sizeof *pp->slot[i].evs)))
			return NULL;
	if (pthread_mutex_init(&pp->mu, NULL))
		return NULL;
	if (pthread_cond_init(&pp->cv, NULL)) {
		pthread_mutex_destroy(&pp->mu);
		return NULL;
	}
	if (pthread_create(&pp->th, NULL, pp_main, pp)) {
		pthread_cond_destroy(&pp->cv);
		pthread_mutex_destroy(&pp->mu);
		return NULL;
	}
	pp->failed = false;
	return pp;
}

/* With pp->mu held: waits for the oldest queued slot to be matched and
 * walks it (the lock is let go meanwhile). */
static void pp_walk_oldest(struct e53_analyzer *an, struct pp *pp)
{
	const struct pp_slot *sl = &pp->slot[pp->tail % PP_SLOTS];

	while (pp->mid == pp->tail)
		pthread_cond_wait(&pp->cv, &pp->mu);
	pthread_mutex_unlock(&pp->mu);
	walk(an, sl->data, sl->n, sl);
	pthread_mutex_lock(&pp->mu);
	pp->tail++;
}

/* Walks every slot queued so far (before the builder is touched another
 * way: a member's start or end, a message). */
static void pp_drain(struct e53_analyzer *an)
{
	struct pp *pp = an->pp;

	if (!pp || pp->failed)
		return;
	pthread_mutex_lock(&pp->mu);
	while (pp->tail != pp->head)
		pp_walk_oldest(an, pp);
	pthread_mutex_unlock(&pp->mu);
}

/* Queues a block for the matcher and walks the ones it has finished;
 * false when the block must go the direct way. */
static bool pp_feed(struct e53_analyzer *an, const char *p, size_t n)
{
	struct pp *pp = pp_get(an);
	struct pp_slot *sl;

	if (!pp || n > UINT32_MAX)
		return false;
	pthread_mutex_lock(&pp->mu);
	while (pp->head - pp->tail == PP_SLOTS)
		pp_walk_oldest(an, pp);
	sl = &pp->slot[pp->head % PP_SLOTS];
	pthread_mutex_unlock(&pp->mu);
	if (sl->alloc < n) {
		char *d = realloc(sl->data, n);

		if (!d) {
			pp_drain(an);
			return false;
		}
		sl->data = d;
		sl->alloc = n;
	}
	memcpy(sl->data, p, n);
	sl->n = n;
	sl->starts_line = pp->prev_nl;
	pp->prev_nl = p[n - 1] == '\n';
	pthread_mutex_lock(&pp->mu);
	pp->head++;
	pthread_cond_broadcast(&pp->cv);
	while (pp->tail != pp->mid)
		pp_walk_oldest(an, pp);
	pthread_mutex_unlock(&pp->mu);
	return true;
}

static void set_origin(struct e53_analyzer *an, const struct e53_origin *o)
{
	e53_scpy(an->path, sizeof an->path, o->path ? o->path : "-");
	an->has_member = o->member != NULL;
	e53_scpy(an->member, sizeof an->member, o->member ? o->member : "");
}

static bool sink_want(void *ctx, const struct e53_origin *o)
{
	struct e53_analyzer *an = ctx;

	pp_drain(an);
	return e53_sysdiag_want(an->sd, o);
}

static bool sink_begin(void *ctx, const struct e53_origin *o)
{
	struct e53_analyzer *an = ctx;

	pp_drain(an);
	if (an->pp)
		an->pp->prev_nl = true;
	set_origin(an, o);
	an->first_block = true;
	if (e53_sysdiag_member_begin(an->sd, o, an->b))
		return true;
	e53_builder_begin(an->b, an->path, an->has_member ? an->member : NULL);
	return true;
}

static void sink_data(void *ctx, const char *p, size_t n)
{
	struct e53_analyzer *an = ctx;

	if (an->first_block) {
		an->first_block = false;
		if (memchr(p, '\0', n < 4096 ? n : 4096))
			an->binary = true;
	}
	if (an->opt->progress)
		__atomic_fetch_add(an->opt->progress, (uint64_t)n, __ATOMIC_RELAXED);
	if (e53_sysdiag_data(an->sd, p, n))
		return;
	if (!pp_feed(an, p, n))
		walk(an, p, n, NULL);
}

static void sink_end(void *ctx, const struct e53_origin *o)
{
	struct e53_analyzer *an = ctx;

	(void)o;
	pp_drain(an);
	e53_lines_finish(&an->lines);
	if (!e53_sysdiag_member_end(an->sd, an->b))
		e53_builder_end(an->b);
}

static void message(struct e53_analyzer *an, char kind, const struct e53_origin *o, const char *msg)
{
	const char *path = o->path ? o->path : "-";

	e53_buf_addf(&an->res->msgs, "%c %s%s%s: %s\n", kind, strcmp(path, "-") ? path : "(standard input)",
		     o->member ? ":" : "", o->member ? o->member : "", msg);
}

static void sink_error(void *ctx, const struct e53_origin *o, e53_status st, const char *msg)
{
	struct e53_analyzer *an = ctx;

	(void)st;
	pp_drain(an);
	an->res->input_errors++;
	an->res->refused = true;
	message(an, 'E', o, msg);
	if (an->opt->format == E53_FMT_NDJSON) {
		char path[1024], member[1024];

		e53_scpy(path, sizeof path, o->path ? o->path : "-");
		e53_scpy(member, sizeof member, o->member ? o->member : "");
		if (an->opt->redact) {
			e53_redact_text(an->opt->redact, path, sizeof path);
			e53_redact_text(an->opt->redact, member, sizeof member);
		}
		e53_render_input_error_ndjson(path, o->member ? member : NULL, msg, &an->res->out);
	}
}

static void sink_warning(void *ctx, const struct e53_origin *o, const char *msg)
{
	pp_drain(ctx);
	message(ctx, 'W', o, msg);
}

struct e53_analyzer *e53_analyzer_new(const struct e53_rules *rs, const struct e53_options *opt)
{
	struct e53_analyzer *an = calloc(1, sizeof *an);

	if (!an)
		return NULL;
	an->rs = rs;
	an->opt = opt;
	an->m = e53_matcher_new(rs);
	an->b = e53_builder_new(on_session, an);
	an->sd = e53_sysdiag_new(&opt->lim);
	an->clean = malloc(opt->lim.max_line + 1);
	if (!an->m || !an->b || !an->sd || !an->clean || e53_lines_init(&an->lines, opt->lim.max_line, on_line, an)) {
		e53_analyzer_free(&an);
		return NULL;
	}
	return an;
}

void e53_analyzer_free(struct e53_analyzer **pan)
{
	struct e53_analyzer *an = *pan;

	if (!an)
		return;
	pp_free(an->pp);
	e53_matcher_free(&an->m);
	e53_builder_free(&an->b);
	e53_sysdiag_free(&an->sd);
	e53_lines_release(&an->lines);
	free(an->clean);
	free(an);
	*pan = NULL;
}

static e53_status run(struct e53_analyzer *an, const char *input, const void *mem, size_t len,
		      struct e53_result *res)
{
	struct e53_sink sink = {
		.ctx = an, .want = sink_want, .member_begin = sink_begin, .data = sink_data,
		.member_end = sink_end, .error = sink_error, .warning = sink_warning,
	};
	struct e53_scan_stats stats;
	uint64_t nl0 = an->lines.newlines, cut0 = an->lines.cut_lines, skip0 = an->lines.skipped_bytes;
	e53_status st;

	an->res = res;
	an->nsessions = 0;
	an->binary = false;
	e53_sysdiag_reset(an->sd, input);
	if (mem)
		st = e53_scan_mem(input, mem, len, &an->opt->lim, &sink, &stats);
	else
		st = e53_scan_path(input, &an->opt->lim, &sink, &stats);
	/* sysdiagnose sessions wait for the whole archive */
	e53_sysdiag_finish(an->sd, an->b);
	e53_builder_end(an->b);
	res->bytes += stats.bytes;
	res->lines += an->lines.newlines - nl0;
	if (an->lines.cut_lines > cut0) {
		/* the rest of an over-long line was not read: the input was cut */
		char msg[200];
		struct e53_origin o = { input, input, NULL };

		snprintf(msg, sizeof msg, "%llu line(s) longer than %zu bytes were cut, %llu bytes skipped (--max-line)",
			 (unsigned long long)(an->lines.cut_lines - cut0), an->opt->lim.max_line,
			 (unsigned long long)(an->lines.skipped_bytes - skip0));
		sink_error(an, &o, E53_ETOOBIG, msg);
	}
	{
		const struct e53_sysdiag_msg *m;

		while ((m = e53_sysdiag_message(an->sd)) != NULL) {
			struct e53_origin o = { input, m->path, m->has_member ? m->member : NULL };

			if (m->error)
				sink_error(an, &o, E53_ECORRUPT, m->text);
			else
				sink_warning(an, &o, m->text);
		}
	}
	if (!an->nsessions && stats.bytes && an->opt->format != E53_FMT_EVENTS && !e53_sysdiag_seen(an->sd)) {
		struct e53_origin o = { input, input, NULL };

		sink_warning(an, &o, an->binary ? "binary data; no restore log found"
						: "no restore session found (no line of a known restore log)");
	}
	an->res = NULL;
	return st;
}

e53_status e53_analyze(struct e53_analyzer *an, const char *input, struct e53_result *res)
{
	return run(an, input, NULL, 0, res);
}

e53_status e53_analyze_mem(struct e53_analyzer *an, const char *name, const void *data,
			   size_t len, struct e53_result *res)
{
	return run(an, name, data ? data : "", len, res);
}

void e53_render_header(const struct e53_options *opt, struct e53_buf *out)
{
	if (opt->format == E53_FMT_CSV)
		e53_render_csv_header(out);
}

static void summary_ndjson(const struct e53_result *t, uint64_t inputs, struct e53_buf *b)
{
	size_t i;
	bool first = true;

	e53_buf_addf(b, "{\"type\":\"summary\",\"schema\":\"" E53_SCHEMA "\",\"inputs\":%llu,"
			"\"input_errors\":%llu,\"bytes\":%llu,\"lines\":%llu,\"sessions\":%llu,\"by_outcome\":{",
		     (unsigned long long)inputs, (unsigned long long)t->input_errors,
		     (unsigned long long)t->bytes, (unsigned long long)t->lines,
		     (unsigned long long)t->sessions);
	for (i = 0; i < E53_OUT__COUNT; i++) {
		if (!t->by_outcome[i])
			continue;
		e53_buf_addf(b, "%s\"%s\":%llu", first ? "" : ",", e53_outcome_name((enum e53_outcome)i),
			     (unsigned long long)t->by_outcome[i]);
		first = false;
	}
	e53_buf_adds(b, "},\"by_code\":{");
	for (i = 0; i < t->n_codes; i++)
		e53_buf_addf(b, "%s\"%ld\":%llu", i ? "," : "", t->by_code[i].code,
			     (unsigned long long)t->by_code[i].n);
	e53_buf_adds(b, "},\"by_verdict\":{");
	first = true;
	for (i = 0; i < E53_V__COUNT; i++) {
		if (!t->by_verdict[i])
			continue;
		e53_buf_addf(b, "%s\"%s\":%llu", first ? "" : ",", e53_verdict_name((enum e53_verdict)i),
			     (unsigned long long)t->by_verdict[i]);
		first = false;
	}
	e53_buf_adds(b, "}}\n");
}

void e53_render_summary(const struct e53_options *opt, const struct e53_result *t,
			uint64_t inputs, struct e53_buf *b)
{
	size_t i;
	bool md = opt->format == E53_FMT_MARKDOWN;

	if (opt->format == E53_FMT_NDJSON) {
		summary_ndjson(t, inputs, b);
		return;
	}
	if (opt->format != E53_FMT_TEXT && !md)
		return;
	if (!t->sessions) {
		e53_buf_addf(b, "No restore session found in %llu input(s) (%llu lines read).\n",
			     (unsigned long long)inputs, (unsigned long long)t->lines);
		return;
	}
	if (t->n_rows > 1) {
		int ws = 6, wd = 6;

		for (i = 0; i < t->n_rows; i++) {
			int l1 = (int)strlen(t->rows[i].source), l2 = (int)strlen(t->rows[i].device);

			ws = l1 > ws ? (l1 > 70 ? 70 : l1) : ws;
			wd = l2 > wd ? (l2 > 30 ? 30 : l2) : wd;
		}
		if (md) {
			e53_buf_adds(b, "## Summary\n\n| source | device | outcome | code | verdict |\n|---|---|---|---|---|\n");
		} else {
			e53_buf_adds(b, "Summary:\n");
			e53_buf_addf(b, "  %-*s  %-*s  %-10s %-5s %s\n", ws, "source", wd, "device", "outcome", "code", "verdict");
		}
		for (i = 0; i < t->n_rows; i++) {
			const struct e53_row *r = &t->rows[i];
			char code[24] = "-";

			if (r->code)
				snprintf(code, sizeof code, "%ld", r->code);
			if (md) {
				e53_buf_adds(b, "| ");
				e53_md_code(b, r->source, true);
				e53_buf_addf(b, " | %s | %s | %s | %s |\n", r->device,
					     e53_outcome_name(r->outcome), code, e53_verdict_name(r->verdict));
			}
			else
				e53_buf_addf(b, "  %-*s  %-*s  %-10s %-5s %s\n", ws, r->source, wd, r->device,
					     e53_outcome_name(r->outcome), code, e53_verdict_name(r->verdict));
		}
		if (t->rows_dropped)
			e53_buf_addf(b, "  ... and %zu more session(s) not listed\n", t->rows_dropped);
		e53_buf_addc(b, '\n');
	}
	e53_buf_addf(b, "%s%llu session(s) in %llu input(s): %llu failed, %llu succeeded, %llu incomplete; %llu with Error 53.\n",
		     md ? "" : "", (unsigned long long)t->sessions, (unsigned long long)inputs,
		     (unsigned long long)t->by_outcome[E53_OUT_FAILURE],
		     (unsigned long long)t->by_outcome[E53_OUT_SUCCESS],
		     (unsigned long long)t->by_outcome[E53_OUT_INCOMPLETE],
		     (unsigned long long)(t->sessions - t->by_verdict[E53_V_NOT_ERROR53]));
}
