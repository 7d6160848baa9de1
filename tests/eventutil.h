/* eventutil.h - drive the session builder (src/session.c) directly with
 * synthetic events, without the rule engine, and collect the sessions it
 * hands over.
 *
 *   struct e53_event e = ev(E53_EV_IDENTITY, 12, "ECID: 123", "ecid", "123", NULL);
 *
 * builds an event (the rule id defaults to "t-<kind>"; evr() takes one).
 * Field values are referenced, not copied: pass literals or strings that
 * outlive the e53_builder_event call.
 *
 * The feeder numbers lines itself and replays them the way src/analyze.c
 * does: e53_builder_line for every line, then e53_builder_event for each of
 * the line's events (START events first, as the rule files order them).
 *
 *   struct t_feed f;
 *   t_feed_init(&f, "restore.log");
 *   uint64_t l = t_lev(&f, "ECID: 6346169327486986", E53_EV_IDENTITY, "idr-ecid",
 *                      "ecid", "6346169327486986", NULL);   // one line, one event
 *   t_line(&f, "Cleaning up...");                           // a line, no event yet
 *   t_event(&f, E53_EV_UNEMBED, "host-unembed", NULL);      // event on that line
 *   t_end(&f);                                              // f.out.v[0 .. f.out.n)
 *   t_feed_free(&f);
 *
 * The collector deep-copies each finished session (the builder frees it
 * after the callback) into a fixed array and re-points its actions[] at the
 * copy's buffers; copy a session out with t_session_copy, not by value.
 * Everything is static so each test file can include it alone. */
#ifndef ERR53_EVENTUTIL_H
#define ERR53_EVENTUTIL_H

#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err53/rules.h"
#include "err53/session.h"

/* ---- events ----------------------------------------------------------- */

static const char *const t_default_rule[E53_EV__COUNT] = {
#define X(id, name) "t-" name,
	E53_EVENT_KINDS(X)
#undef X
};

static inline int t_field_key(const char *name)
{
	int k;

	for (k = 0; k < E53_F__COUNT; k++)
		if (!strcmp(e53_field_name((enum e53_field_key)k), name))
			return k;
	return -1;
}

static inline struct e53_event t_ev_va(enum e53_event_kind kind, const char *rule, uint64_t line,
				       const char *text, va_list ap)
{
	struct e53_event e;
	const char *k;

	memset(&e, 0, sizeof e);
	cr_assert((unsigned)kind < E53_EV__COUNT, "bad event kind %d", (int)kind);
	e.kind = kind;
	e.rule = rule ? rule : t_default_rule[kind];
	e.line = line;
	e.text = text ? text : "";
	e.text_len = strlen(e.text);
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);
		int key = t_field_key(k);

		cr_assert(key >= 0, "unknown event field '%s'", k);
		cr_assert_not_null(v, "field '%s' without a value", k);
		e.f[key].p = v;
		e.f[key].n = strlen(v);
	}
	return e;
}

/* ev(kind, line, text, "field", "value", ..., NULL) */
static inline struct e53_event ev(enum e53_event_kind kind, uint64_t line, const char *text, ...)
{
	struct e53_event e;
	va_list ap;

	va_start(ap, text);
	e = t_ev_va(kind, NULL, line, text, ap);
	va_end(ap);
	return e;
}

/* evr(kind, rule, line, text, "field", "value", ..., NULL) */
static inline struct e53_event evr(enum e53_event_kind kind, const char *rule, uint64_t line,
				   const char *text, ...)
{
	struct e53_event e;
	va_list ap;

	va_start(ap, text);
	e = t_ev_va(kind, rule, line, text, ap);
	va_end(ap);
	return e;
}

/* ---- collecting sessions ------------------------------------------------ */

/* Room for T_MAX_SESSIONS sessions, allocated once: a copy's actions[]
 * point into its own action_buf, so the array must never move. */
#define T_MAX_SESSIONS 64

struct t_sessions {
	struct e53_session *v;
	size_t n;
};

static inline void t_collect(void *ctx, struct e53_session *s)
{
	struct t_sessions *c = ctx;
	struct e53_session *d;
	unsigned i;

	if (!c->v) {
		c->v = calloc(T_MAX_SESSIONS, sizeof c->v[0]);
		cr_assert_not_null(c->v, "out of memory");
	}
	cr_assert_lt(c->n, T_MAX_SESSIONS, "more than %d sessions", T_MAX_SESSIONS);
	d = &c->v[c->n++];
	memcpy(d, s, sizeof *d);
	/* actions point into the session's own buffers: follow the copy */
	for (i = 0; i < d->nactions && i < E53_MAX_ACTIONS; i++)
		if (s->actions[i] >= &s->action_buf[0][0] &&
		    s->actions[i] < &s->action_buf[0][0] + sizeof s->action_buf)
			d->actions[i] = &d->action_buf[0][0] + (s->actions[i] - &s->action_buf[0][0]);
}

/* ---- the feeder --------------------------------------------------------- */

struct t_feed {
	struct e53_builder *b;
	struct t_sessions out;
	uint64_t lineno;
	const char *text;   /* the current line */
};

static inline void t_feed_init(struct t_feed *f, const char *path)
{
	memset(f, 0, sizeof *f);
	f->b = e53_builder_new(t_collect, &f->out);
	cr_assert_not_null(f->b);
	e53_builder_begin(f->b, path, NULL);
}

/* The next line (numbered from 1); returns its number. */
static inline uint64_t t_line(struct t_feed *f, const char *text)
{
	f->lineno++;
	f->text = text;
	e53_builder_line(f->b, text, strlen(text), f->lineno);
	return f->lineno;
}

/* An event on the current line: t_event(f, kind, rule, "field", "value", ..., NULL). */
static inline void t_event(struct t_feed *f, enum e53_event_kind kind, const char *rule, ...)
{
	struct e53_event e;
	va_list ap;

	cr_assert(f->lineno > 0, "t_event before the first t_line");
	va_start(ap, rule);
	e = t_ev_va(kind, rule, f->lineno, f->text, ap);
	va_end(ap);
	e53_builder_event(f->b, &e);
}

/* A line with one event; returns the line number. */
static inline uint64_t t_lev(struct t_feed *f, const char *text, enum e53_event_kind kind,
			     const char *rule, ...)
{
	struct e53_event e;
	va_list ap;

	t_line(f, text);
	va_start(ap, rule);
	e = t_ev_va(kind, rule, f->lineno, f->text, ap);
	va_end(ap);
	e53_builder_event(f->b, &e);
	return f->lineno;
}

static inline void t_end(struct t_feed *f)
{
	e53_builder_end(f->b);
}

static inline void t_feed_free(struct t_feed *f)
{
	e53_builder_free(&f->b);
	free(f->out.v);
	memset(f, 0, sizeof *f);
}

/* *dst = *src with dst's actions[] pointing into dst's own buffers. */
static inline void t_session_copy(struct e53_session *dst, const struct e53_session *src)
{
	unsigned i;

	memcpy(dst, src, sizeof *dst);
	for (i = 0; i < dst->nactions && i < E53_MAX_ACTIONS; i++)
		if (src->actions[i] >= &src->action_buf[0][0] &&
		    src->actions[i] < &src->action_buf[0][0] + sizeof src->action_buf)
			dst->actions[i] = &dst->action_buf[0][0] + (src->actions[i] - &src->action_buf[0][0]);
}

/* ---- looking into sessions ---------------------------------------------- */

static inline const struct e53_stage *t_stage_step(const struct e53_session *s, int step)
{
	unsigned i;

	for (i = 0; i < s->nstages; i++)
		if (s->stages[i].step == step)
			return &s->stages[i];
	return NULL;
}

static inline const struct e53_stage *t_stage_op(const struct e53_session *s, int op)
{
	unsigned i;

	for (i = 0; i < s->nstages; i++)
		if (s->stages[i].op == op)
			return &s->stages[i];
	return NULL;
}

static inline const struct e53_stage *t_stage_line(const struct e53_session *s, uint64_t line)
{
	unsigned i;

	for (i = 0; i < s->nstages; i++)
		if (s->stages[i].line == line)
			return &s->stages[i];
	return NULL;
}

static inline unsigned t_failed_stages(const struct e53_session *s)
{
	unsigned i, n = 0;

	for (i = 0; i < s->nstages; i++)
		n += s->stages[i].outcome == E53_ST_FAILED;
	return n;
}

static inline const struct e53_evidence *t_evidence_line(const struct e53_session *s, uint64_t line)
{
	unsigned i;

	for (i = 0; i < s->nev; i++)
		if (s->ev[i].line == line)
			return &s->ev[i];
	return NULL;
}

static inline const struct e53_evidence *t_evidence_cls(const struct e53_session *s,
							enum e53_ev_class c)
{
	unsigned i;

	for (i = 0; i < s->nev; i++)
		if (s->ev[i].cls == c)
			return &s->ev[i];
	return NULL;
}

/* The first action containing needle (case-insensitive), or NULL. */
static inline const char *t_action(const struct e53_session *s, const char *needle)
{
	unsigned i;

	for (i = 0; i < s->nactions; i++)
		if (s->actions[i] && strcasestr(s->actions[i], needle))
			return s->actions[i];
	return NULL;
}

/* All actions joined, for failure messages. */
static inline const char *t_actions_str(const struct e53_session *s)
{
	static char buf[E53_MAX_ACTIONS * 520];
	size_t n = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < s->nactions && n < sizeof buf; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "[%u] %s\n", i + 1,
				      s->actions[i] ? s->actions[i] : "(null)");
	return buf;
}

#endif
