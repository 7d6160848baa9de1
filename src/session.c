/* session.c - the session builder: events in, restore sessions out.
 *
 * Per stream it tracks the line's shape (which grammar wrote it), the
 * device tag a line carries, and whether the line belongs to a device log
 * embedded in the host log.  Sessions are split at start markers, after a
 * finished attempt, at a new device identity and at `==> name <==`
 * headers; lines of concurrent devices are routed by tag, and tags are
 * bound to devices through the ECIDs that identity lines announce. */
#include "err53/session.h"
#include "err53/tables.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum shape { SH_OTHER, SH_ITUNES, SH_MOBILE, SH_DEVICE, SH_IDR2, SH_SYSLOG, SH_RESTORED_EXT, SH_TAILHDR };
enum embed { EMB_NONE, EMB_ERA2, EMB_UNTIL_HOST, EMB_ITUNES };
enum tagmode { TAG_NONE, TAG_DFU, TAG_RECOVERY, TAG_RESTORE };

static const char *const family_names[E53_FAM__COUNT] = {
	[E53_FAM_NONE] = NULL,
	[E53_FAM_ITUNES] = "itunes-legacy",
	[E53_FAM_MOBILERESTORE] = "mobilerestore",
	[E53_FAM_IDEVICERESTORE] = "idevicerestore",
	[E53_FAM_FUTURERESTORE] = "futurerestore",
	[E53_FAM_RESTORED] = "restored",
	[E53_FAM_SYSDIAGNOSE] = "sysdiagnose",
};

const char *e53_family_name(enum e53_family f)
{
	return (unsigned)f < E53_FAM__COUNT ? family_names[f] : NULL;
}

static enum e53_family family_by_name(const char *p, size_t n)
{
	int i;

	for (i = 1; i < E53_FAM__COUNT; i++)
		if (strlen(family_names[i]) == n && !memcmp(family_names[i], p, n))
			return (enum e53_family)i;
	return E53_FAM_NONE;
}

struct e53_builder {
	e53_session_fn fn;
	void *ctx;
	char path[512];
	char member[512];
	struct e53_session *open[E53_MAX_HELD];
	struct e53_session *spare[2 * E53_MAX_OPEN];  /* finished sessions' memory, for reuse */
	unsigned nspare;
	bool finished[E53_MAX_HELD];
	bool held[E53_MAX_HELD];       /* waits for e53_builder_release */
	unsigned nopen;
	struct e53_session *cur;
	unsigned seq;
	enum e53_family forced;
	enum e53_family stream_family; /* the host family seen in this stream */
	/* stream state */
	enum embed embed;
	bool embed_previous;
	/* the current line */
	uint64_t lineno;
	enum shape shape;
	char tag[24];
	enum tagmode tagmode;
	bool in_embed;
	struct e53_session *line_sess; /* where this line's earlier events went */
};

static bool isdig(char c)
{
	return c >= '0' && c <= '9';
}

static bool digits(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdig(p[i]))
			return false;
	return true;
}

static enum shape line_shape(const char *l, size_t n)
{
	if (n >= 15 && l[0] == '[' && digits(l + 1, 2) && l[3] == ':' && digits(l + 4, 2) &&
	    l[6] == ':' && digits(l + 7, 2) && l[9] == '.' && digits(l + 10, 4)) {
		if (l[14] == ']')
			return SH_MOBILE;
		if (n >= 19 && !memcmp(l + 14, "-GMT]", 5))
			return SH_DEVICE;
	}
	if (n >= 14 && digits(l, 2) && l[2] == ':' && digits(l + 3, 2) && l[5] == ':' &&
	    digits(l + 6, 2) && l[8] == '.' && digits(l + 9, 3) && l[12] == ' ') {
		size_t i = 12;

		while (i < n && l[i] == ' ')
			i++;
		if (i < n && l[i] == '<')
			return SH_IDR2;
	}
	/* YYYY-MM-DD HH:MM:SS.mmm or YY-MM-DD ... */
	{
		size_t y = (n >= 4 && digits(l, 4) && l[4] == '-') ? 4 : (n >= 2 && digits(l, 2) && l[2] == '-') ? 2 : 0;

		if (y && n >= y + 19 && digits(l + y + 1, 2) && l[y + 3] == '-' && digits(l + y + 4, 2) &&
		    l[y + 6] == ' ' && digits(l + y + 7, 2) && l[y + 9] == ':' && l[y + 15] == '.') {
			size_t f = y + 16, k = 0;

			while (f + k < n && isdig(l[f + k]))
				k++;
			if (k == 3) {
				/* iTunes: "[pid:tid]:" or "iTunes[pid:tid]:" follows */
				size_t q = f + k;

				if (q < n && l[q] == ' ')
					q++;
				while (q < n && q < f + k + 40 && l[q] != '[' && l[q] != ' ' && l[q] != ':')
					q++;
				if (q < n && l[q] == '[' && q + 1 < n && isdig(l[q + 1]))
					return SH_ITUNES;
				return SH_OTHER;
			}
			if (k == 6)
				return SH_RESTORED_EXT;
		}
	}
	if (n >= 8 && !memcmp(l, "SYSLOG: ", 8))
		return SH_SYSLOG;
	if (n >= 8 && !memcmp(l, "==> ", 4) && !memcmp(l + n - 4, " <==", 4))
		return SH_TAILHDR;
	return SH_OTHER;
}

/* `<Restore Device 0x...>` near the start of the message. */
static enum tagmode find_tag(const char *l, size_t n, char *tag, size_t cap)
{
	size_t lim = n < 96 ? n : 96;
	const char *p = memchr(l, '<', lim);
	static const struct { const char *w; enum tagmode m; } kinds[] = {
		{ "DFU Device ", TAG_DFU },
		{ "Recovery Mode Device ", TAG_RECOVERY },
		{ "Restore Device ", TAG_RESTORE },
	};
	unsigned k;

	while (p) {
		size_t left = n - (size_t)(p + 1 - l);

		for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
			size_t wl = strlen(kinds[k].w), i = 0;
			const char *h;

			if (left < wl + 2 || memcmp(p + 1, kinds[k].w, wl))
				continue;
			h = p + 1 + wl;
			if (h[0] == '0' && (h[1] == 'x' || h[1] == 'X'))
				h += 2;
			while (h + i < l + n && isxdigit((unsigned char)h[i]) && i + 1 < cap)
				i++;
			if (i < 4 || h + i >= l + n || h[i] != '>')
				continue;
			memcpy(tag, h, i);
			tag[i] = '\0';
			return kinds[k].m;
		}
		lim = n - (size_t)(p + 1 - l);
		if (lim > 96)
			lim = 96;
		p = memchr(p + 1, '<', lim);
	}
	return TAG_NONE;
}

bool e53_parse_long(const char *p, size_t n, long *out)
{
	long v = 0;
	bool neg = false;
	size_t i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '+'))
		i++;
	if (i < n && p[i] == '-')
		neg = true, i++;
	if (i == n || !isdig(p[i]))
		return false;
	for (; i < n && isdig(p[i]); i++) {
		if (v > 100000000000L)
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = neg ? -v : v;
	return true;
}

static bool parse_hex(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0, k = 0;

	if (n >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		i = 2;
	for (; i < n && isxdigit((unsigned char)p[i]); i++, k++) {
		if (k >= 16)
			return false;
		v = v << 4 | (uint64_t)(isdig(p[i]) ? p[i] - '0' : (tolower((unsigned char)p[i]) - 'a' + 10));
	}
	if (!k)
		return false;
	*out = v;
	return true;
}

bool e53_parse_ecid(const char *p, size_t n, uint64_t *out)
{
	size_t i;
	bool hexletters = false;
	uint64_t v = 0;

	while (n && (*p == ' ' || *p == '[')) {
		p++;
		n--;
	}
	if (!n)
		return false;
	if (n >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		return parse_hex(p, n, out) && *out;
	for (i = 0; i < n && isxdigit((unsigned char)p[i]); i++)
		if (!isdig(p[i]))
			hexletters = true;
	n = i;
	if (!n)
		return false;
	/* a decimal ECID never starts with 0; hex dumps are zero-padded */
	if (hexletters || (p[0] == '0' && n > 1))
		return parse_hex(p, n, out) && *out;
	for (i = 0; i < n; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return v != 0;
}

bool e53_parse_step_id(const char *p, size_t n, unsigned *out)
{
	uint64_t v = 0;
	size_t i = 0;

	while (n && (*p == '[' || *p == ' ')) {
		p++;
		n--;
	}
	if (n >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		size_t k = 2;

		while (k < n && isxdigit((unsigned char)p[k]))
			k++;
		if (k == 2)
			return false;
		/* the low 16 bits are the last four hex digits */
		if (!parse_hex(p + (k - 2 > 4 ? k - 4 : 2), k - 2 > 4 ? 4 : k - 2, &v))
			return false;
		*out = (unsigned)v;
		return true;
	}
	for (; i < n && isdig(p[i]); i++)
		v = v * 10 + (uint64_t)(p[i] - '0'); /* wraps harmlessly: low bits only */
	if (!i)
		return false;
	*out = (unsigned)(v & 0xffff);
	return true;
}

static void copy_field(char *dst, size_t cap, const struct e53_slice *f)
{
	size_t n = f->n < cap - 1 ? f->n : cap - 1;

	memcpy(dst, f->p, n);
	dst[n] = '\0';
	/* trim trailing spaces and punctuation the grammar does not own */
	while (n && (dst[n - 1] == ' ' || dst[n - 1] == '.' || dst[n - 1] == ','))
		dst[--n] = '\0';
}

static bool field_eq(const char *have, const struct e53_slice *f)
{
	char tmp[64];

	copy_field(tmp, sizeof tmp, f);
	return !strcasecmp(have, tmp);
}

struct e53_builder *e53_builder_new(e53_session_fn fn, void *ctx)
{
	struct e53_builder *b = calloc(1, sizeof *b);

	if (!b)
		return NULL;
	b->fn = fn;
	b->ctx = ctx;
	return b;
}

/* Hands finished sessions over in start order; all: the open ones too.
 * A held session stops the queue (its archive is not read to the end). */
static void emit_ready(struct e53_builder *b, bool all)
{
	while (b->nopen && !b->held[0] && (all || b->finished[0])) {
		struct e53_session *s = b->open[0];

		memmove(b->open, b->open + 1, (b->nopen - 1) * sizeof b->open[0]);
		memmove(b->finished, b->finished + 1, (b->nopen - 1) * sizeof b->finished[0]);
		memmove(b->held, b->held + 1, (b->nopen - 1) * sizeof b->held[0]);
		b->nopen--;
		if (b->cur == s)
			b->cur = NULL;
		if (b->line_sess == s)
			b->line_sess = NULL;
		e53_finalize(s);
		e53_diagnose(s);
		b->fn(b->ctx, s);
		/* kept for the next session: no malloc and page-fault churn per
		 * restore when a log holds thousands */
		if (b->nspare < sizeof b->spare / sizeof b->spare[0])
			b->spare[b->nspare++] = s;
		else
			free(s);
	}
}

void e53_builder_free(struct e53_builder **pb)
{
	struct e53_builder *b = *pb;

	if (!b)
		return;
	emit_ready(b, true);
	while (b->nspare)
		free(b->spare[--b->nspare]);
	free(b);
	*pb = NULL;
}

void e53_builder_set_family(struct e53_builder *b, enum e53_family fam)
{
	b->forced = fam;
}

void e53_builder_begin(struct e53_builder *b, const char *path, const char *member)
{
	e53_scpy(b->path, sizeof b->path, path ? path : "");
	e53_scpy(b->member, sizeof b->member, member ? member : "");
	b->embed = EMB_NONE;
	b->embed_previous = false;
	b->lineno = 0;
	b->stream_family = E53_FAM_NONE;
}

static struct e53_session *new_session(struct e53_builder *b);
static void note_failure(struct e53_session *s, const struct e53_event *ev);

static void finish_session(struct e53_builder *b, struct e53_session *s)
{
	unsigned i;

	if (b->line_sess == s)
		b->line_sess = NULL;
	for (i = 0; i < b->nopen; i++)
		if (b->open[i] == s)
			b->finished[i] = true;
	if (b->cur == s)
		b->cur = NULL;
}

void e53_builder_end(struct e53_builder *b)
{
	unsigned i;

	if (b->cur && b->lineno > b->cur->last_line)
		b->cur->last_line = b->lineno;
	for (i = 0; i < b->nopen; i++)
		b->finished[i] = true;
	b->cur = NULL;
	emit_ready(b, false);
	b->embed = EMB_NONE;
}

void e53_builder_new_session(struct e53_builder *b)
{
	if (b->cur)
		finish_session(b, b->cur);
	b->lineno = 1;
	new_session(b);
}

void e53_builder_hold(struct e53_builder *b)
{
	unsigned i;

	for (i = 0; i < b->nopen; i++)
		if (b->open[i] == b->cur)
			b->held[i] = true;
	if (b->cur)
		finish_session(b, b->cur);
	b->embed = EMB_NONE;
	b->forced = E53_FAM_NONE;
}

void e53_builder_release(struct e53_builder *b)
{
	unsigned i;

	for (i = 0; i < b->nopen; i++)
		b->held[i] = false;
	emit_ready(b, true);
}

static struct e53_session *new_session(struct e53_builder *b)
{
	struct e53_session *s;

	/* bounded: the oldest goes out early.  Held sessions wait for their
	 * archive's identity and may be up to E53_MAX_HELD; open ones in a
	 * stream up to E53_MAX_OPEN. */
	{
		unsigned i, live = 0;

		for (i = 0; i < b->nopen; i++)
			live += !b->held[i] && !b->finished[i];
		if (b->nopen == E53_MAX_HELD) {
			b->held[0] = false;
			b->finished[0] = true;
		} else if (live >= E53_MAX_OPEN) {
			for (i = 0; i < b->nopen; i++)
				if (!b->held[i] && !b->finished[i]) {
					b->finished[i] = true;
					break;
				}
		}
		emit_ready(b, false);
	}
	s = b->nspare ? b->spare[--b->nspare] : malloc(sizeof *s);
	if (!s)
		return NULL;
	memset(s, 0, E53_SESSION_HEAD);
	e53_scpy(s->path, sizeof s->path, b->path);
	e53_scpy(s->member, sizeof s->member, b->member);
	s->first_line = s->last_line = b->lineno;
	s->protocol = -1;
	s->sensor_enumerated = -1;
	s->seq = b->seq++;
	s->outcome = E53_OUT_INCOMPLETE;
	s->family = b->forced != E53_FAM_NONE ? b->forced : b->stream_family;
	b->open[b->nopen] = s;
	b->finished[b->nopen] = false;
	b->held[b->nopen] = false;
	b->nopen++;
	b->cur = s;
	return s;
}

static bool has_tag(const struct e53_session *s, const char *tag)
{
	unsigned i;

	for (i = 0; i < s->ntags; i++)
		if (!strcmp(s->tags[i], tag))
			return true;
	return false;
}

static void bind_tag(struct e53_session *s, const char *tag, enum tagmode mode)
{
	if (!tag[0] || has_tag(s, tag))
		return;
	if (s->ntags == E53_MAX_TAGS) {
		memmove(s->tags, s->tags + 1, sizeof s->tags[0] * (E53_MAX_TAGS - 1));
		memmove(s->tagmodes, s->tagmodes + 1, sizeof s->tagmodes[0] * (E53_MAX_TAGS - 1));
		s->ntags--;
	}
	s->tagmodes[s->ntags] = (unsigned char)mode;
	e53_scpy(s->tags[s->ntags++], sizeof s->tags[0], tag);
}

/* A device gets a new tag at each mode switch, and may re-enumerate in
 * recovery mode; but it has one restore-mode connection.  A second
 * restore-mode tag is another device restoring at the same time. */
static bool has_restore_tag(const struct e53_session *s)
{
	unsigned i;

	for (i = 0; i < s->ntags; i++)
		if (s->tagmodes[i] == TAG_RESTORE)
			return true;
	return false;
}

static struct e53_session *by_tag(struct e53_builder *b, const char *tag)
{
	unsigned i;

	for (i = b->nopen; i-- > 0;)
		if (!b->finished[i] && has_tag(b->open[i], tag))
			return b->open[i];
	return NULL;
}

static struct e53_session *by_ecid(struct e53_builder *b, uint64_t ecid)
{
	unsigned i;

	for (i = b->nopen; i-- > 0;)
		if (!b->finished[i] && b->open[i]->has_ecid && b->open[i]->ecid == ecid)
			return b->open[i];
	return NULL;
}

void e53_builder_line(struct e53_builder *b, const char *line, size_t len, uint64_t lineno)
{
	/* the lines before this one belong to the current session */
	if (b->cur && b->lineno > b->cur->last_line)
		b->cur->last_line = b->lineno;
	b->lineno = lineno;
	b->shape = line_shape(line, len);
	if (b->shape == SH_TAILHDR) {
		/* `tail`/`head` header: the next file's lines follow */
		unsigned i;

		for (i = 0; i < b->nopen; i++)
			b->finished[i] = true;
		b->cur = NULL;
		b->embed = EMB_NONE;
		b->stream_family = E53_FAM_NONE;
		emit_ready(b, false);
		return;
	}
	switch (b->embed) {
	case EMB_ERA2:
		if (b->shape == SH_IDR2)
			b->embed = EMB_NONE;
		break;
	case EMB_ITUNES:
		if (b->shape == SH_ITUNES || b->shape == SH_MOBILE)
			b->embed = EMB_NONE;
		break;
	default:
		break;
	}
	b->in_embed = b->embed != EMB_NONE;
	b->line_sess = NULL;
	b->tag[0] = '\0';
	b->tagmode = TAG_NONE;
	if (b->shape == SH_MOBILE || b->shape == SH_ITUNES || b->shape == SH_OTHER)
		b->tagmode = find_tag(line, len, b->tag, sizeof b->tag);
}

void e53_builder_quiet_line(struct e53_builder *b, const char *line, size_t len, uint64_t lineno)
{
	/* shape and tag matter to events only, and to an embedded log's end
	 * and a tail header: anything else needs no look at the line */
	if (b->embed != EMB_NONE || (len >= 8 && line[0] == '=' && line[1] == '=' && line[2] == '>')) {
		enum shape sh = line_shape(line, len);

		if (sh == SH_TAILHDR || (b->embed == EMB_ERA2 && sh == SH_IDR2) ||
		    (b->embed == EMB_ITUNES && (sh == SH_ITUNES || sh == SH_MOBILE))) {
			e53_builder_line(b, line, len, lineno);
			return;
		}
	}
	if (b->cur && b->lineno > b->cur->last_line)
		b->cur->last_line = b->lineno;
	b->lineno = lineno;
}

void e53_builder_quiet_lines(struct e53_builder *b, uint64_t lineno, uint64_t count)
{
	if (!count)
		return;
	/* as count calls of e53_builder_quiet_line: the session reaches the
	 * line before the last */
	if (b->cur) {
		if (b->lineno > b->cur->last_line)
			b->cur->last_line = b->lineno;
		if (lineno - 1 > b->cur->last_line)
			b->cur->last_line = lineno - 1;
	}
	b->lineno = lineno;
}

bool e53_builder_embedded(const struct e53_builder *b)
{
	return b->embed != EMB_NONE;
}

/* The family a line's shape implies for a session that has none. */
static enum e53_family shape_family(const struct e53_builder *b)
{
	if (b->in_embed)
		return E53_FAM_NONE;
	switch (b->shape) {
	case SH_ITUNES: return E53_FAM_ITUNES;
	case SH_MOBILE: return E53_FAM_MOBILERESTORE;
	case SH_IDR2: return E53_FAM_IDEVICERESTORE;
	case SH_DEVICE: case SH_SYSLOG: case SH_RESTORED_EXT: return E53_FAM_RESTORED;
	default: return E53_FAM_NONE;
	}
}

static void set_family(struct e53_session *s, enum e53_family f)
{
	if (f == E53_FAM_NONE || s->family == E53_FAM_SYSDIAGNOSE)
		return;
	/* iTunes header lines come before the MobileRestore ones; a host
	 * family found later outranks a guess from device-log lines */
	if (s->family == E53_FAM_NONE ||
	    (s->family == E53_FAM_ITUNES && f == E53_FAM_MOBILERESTORE) ||
	    (s->family == E53_FAM_IDEVICERESTORE && f == E53_FAM_FUTURERESTORE) ||
	    (s->family == E53_FAM_RESTORED && f != E53_FAM_RESTORED))
		s->family = f;
}

static bool identity_conflict(const struct e53_session *s, const struct e53_event *ev)
{
	uint64_t e;

	if (ev->f[E53_F_ECID].p && s->has_ecid &&
	    e53_parse_ecid(ev->f[E53_F_ECID].p, ev->f[E53_F_ECID].n, &e) && e != s->ecid)
		return true;
	if (ev->f[E53_F_PRODUCT_TYPE].p && s->product_type[0] && !field_eq(s->product_type, &ev->f[E53_F_PRODUCT_TYPE]))
		return true;
	if (ev->f[E53_F_SERIAL].p && s->serial[0] && !field_eq(s->serial, &ev->f[E53_F_SERIAL]))
		return true;
	if (ev->f[E53_F_UDID].p && s->udid[0] && !field_eq(s->udid, &ev->f[E53_F_UDID]))
		return true;
	return false;
}

static bool is_device_identity(const struct e53_event *ev)
{
	return ev->f[E53_F_ECID].p || ev->f[E53_F_PRODUCT_TYPE].p || ev->f[E53_F_SERIAL].p ||
	       ev->f[E53_F_UDID].p || ev->f[E53_F_HW_MODEL].p;
}

/* Finds (or makes) the session an event belongs to. */
static struct e53_session *target(struct e53_builder *b, const struct e53_event *ev)
{
	struct e53_session *s = NULL;
	uint64_t ecid;
	bool has_ecid = ev->f[E53_F_ECID].p && e53_parse_ecid(ev->f[E53_F_ECID].p, ev->f[E53_F_ECID].n, &ecid);

	if (b->forced != E53_FAM_NONE)
		return b->cur ? b->cur : new_session(b);
	if (b->tagmode != TAG_NONE && !b->in_embed) {
		s = by_tag(b, b->tag);
		if (s) {
			b->cur = s;
		} else if (has_ecid && (s = by_ecid(b, ecid)) != NULL) {
			bind_tag(s, b->tag, b->tagmode);
			b->cur = s;
			return s;
		} else if (ev->kind == E53_EV_START) {
			/* a device starts restoring: concurrent with the open ones
			 * unless the current session has not seen a tag yet */
			if (b->cur && !b->cur->terminated && !b->cur->ntags) {
				s = b->cur;
			} else {
				if (b->cur && b->cur->terminated)
					finish_session(b, b->cur);
				s = new_session(b);
			}
			if (s)
				bind_tag(s, b->tag, b->tagmode);
			return s;
		} else if (b->cur && !b->cur->terminated &&
			   !(b->tagmode == TAG_RESTORE && has_restore_tag(b->cur))) {
			bind_tag(b->cur, b->tag, b->tagmode);
			return b->cur;
		} else if (b->cur && !b->cur->terminated) {
			/* concurrent: a new session, the current one stays open */
			s = new_session(b);
			if (s)
				bind_tag(s, b->tag, b->tagmode);
			return s;
		} else {
			s = NULL; /* fall through to the untagged rules */
		}
	}
	s = b->cur;
	if (!s)
		goto fresh;
	if (b->in_embed)
		return s;
	if (ev->kind == E53_EV_START && s->content &&
	    (!s->ntags || s->terminated || s->saw_failure || s->saw_success))
		goto fresh;
	if (is_device_identity(ev) && identity_conflict(s, ev))
		goto fresh;
	if (s->terminated) {
		/* the other events of a line whose result went to s */
		if (b->line_sess == s && ev->kind != E53_EV_START)
			return s;
		switch (ev->kind) {
		case E53_EV_OUTCOME: case E53_EV_END: case E53_EV_UNEMBED: case E53_EV_EMBED:
		case E53_EV_EVIDENCE: case E53_EV_STEP:
			return s;
		case E53_EV_IDENTITY:
			/* `Found device in ... mode` after a finished attempt: a retry */
			if (!is_device_identity(ev) && !ev->f[E53_F_MODE].p)
				return s;
			goto fresh;
		default:
			goto fresh;
		}
	}
	return s;
fresh:
	if (b->cur)
		finish_session(b, b->cur);
	emit_ready(b, false);
	s = new_session(b);
	if (s && b->tagmode != TAG_NONE && !b->in_embed)
		bind_tag(s, b->tag, b->tagmode);
	return s;
}

/* Adds a stage, or updates the last one when it is the same stage. */
static struct e53_stage *add_stage(struct e53_session *s, const char *name, const char *subsystem,
				   int op, int step, uint64_t line)
{
	struct e53_stage *st;
	unsigned i;

	if (step >= 0) {
		for (i = s->nstages; i-- > 0;)
			if (s->stages[i].step == step)
				return &s->stages[i];
	} else if (s->nstages) {
		st = &s->stages[s->nstages - 1];
		if (st->op == op && st->step < 0 && !strcmp(st->name, name))
			return st;
	}
	if (s->nstages && op >= 0) {
		/* the previous operation was left for this one: it went through */
		st = &s->stages[s->nstages - 1];
		if (st->op >= 0 && st->outcome == E53_ST_UNKNOWN)
			st->outcome = E53_ST_OK;
	}
	if (s->nstages == E53_MAX_STAGES) {
		/* keep the beginning and the end; drop from the middle */
		memmove(&s->stages[8], &s->stages[9], sizeof s->stages[0] * (E53_MAX_STAGES - 9));
		s->nstages--;
		s->stages_dropped++;
	}
	st = &s->stages[s->nstages++];
	memset(st, 0, sizeof *st);
	e53_scpy(st->name, sizeof st->name, name);
	st->subsystem = subsystem ? subsystem : "other";
	st->op = op;
	st->step = step;
	st->line = line;
	st->outcome = E53_ST_UNKNOWN;
	return st;
}

static const char *vocab_subsystem(const char *p, size_t n)
{
	static const char *const vocab[] = {
		"boot", "tss", "usb", "filesystem", "nand", "baseband", "sep", "secure-element",
		"fdr", "mesa", "savage", "yonkers", "firmware", "battery", "other",
	};
	unsigned i;

	for (i = 0; i < sizeof vocab / sizeof vocab[0]; i++)
		if (strlen(vocab[i]) == n && !memcmp(vocab[i], p, n))
			return vocab[i];
	return "other";
}

/* rank orders the sources of a code (a final status line outranks a step);
 * final says it comes from a result line rather than a failed step. */
static void set_code(struct e53_session *s, long code, int rank, bool final)
{
	/* -1 is Apple's generic failure, not code 1; other negatives are
	 * tools printing -AMRError */
	if (code == -1 || code == 0)
		return;
	if (code < 0)
		code = -code;
	if (!s->has_code || rank > s->code_rank) {
		s->has_code = true;
		s->code = code;
		s->code_rank = rank;
	}
	if (final && code == s->code)
		s->final_code = true;
}

static enum e53_ev_class class_by_name(const struct e53_slice *f)
{
	static const struct { const char *n; enum e53_ev_class c; } tab[] = {
		{ "biometric", E53_EC_BIOMETRIC }, { "cable", E53_EC_CABLE },
		{ "sensor-up", E53_EC_SENSOR_UP }, { "sensor-reset", E53_EC_SENSOR_RESET },
		{ "fdr-recover", E53_EC_FDR_RECOVER }, { "fdr-service", E53_EC_FDR_SERVICE },
		{ "factory-data", E53_EC_FACTORY_DATA }, { "ioreg", E53_EC_IOREG },
	};
	unsigned i;

	if (!f->p)
		return E53_EC_NONE;
	for (i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (strlen(tab[i].n) == f->n && !memcmp(tab[i].n, f->p, f->n))
			return tab[i].c;
	return E53_EC_NONE;
}

void e53_session_add_evidence(struct e53_session *s, enum e53_ev_class cls, uint64_t line,
			      const char *member, const char *rule, const char *text, size_t len,
			      bool in_fdr, bool previous)
{
	struct e53_evidence *e = NULL;
	unsigned i;

	if (!previous) {
		if (!s->class_count[cls]++)
			s->class_first_line[cls] = line;
	}
	for (i = 0; i < s->nev; i++)
		if (s->ev[i].line == line && !strcmp(s->ev[i].member, member ? member : ""))
			return; /* one entry per line */
	if (s->nev < E53_MAX_EVIDENCE) {
		e = &s->ev[s->nev++];
	} else {
		/* full: a class not yet shown replaces a repeat of another */
		bool shown = false;

		for (i = 0; i < s->nev; i++)
			if (s->ev[i].cls == cls)
				shown = true;
		if (shown)
			return;
		for (i = s->nev; i-- > 0 && !e;) {
			unsigned j, same = 0;

			for (j = 0; j < s->nev; j++)
				same += s->ev[j].cls == s->ev[i].cls;
			if (same > 1)
				e = &s->ev[i];
		}
		if (!e)
			return;
	}
	memset(e, 0, sizeof *e);
	e->line = line;
	e->cls = cls;
	e->in_fdr = in_fdr;
	e->previous = previous;
	e53_scpy(e->member, sizeof e->member, member ? member : "");
	e53_scpy(e->rule, sizeof e->rule, rule ? rule : "");
	if (len > sizeof e->text - 1) {
		/* cut, and say so */
		len = sizeof e->text - 4;
		memcpy(e->text, text, len);
		memcpy(e->text + len, "...", 4);
	} else {
		memcpy(e->text, text, len);
		e->text[len] = '\0';
	}
	/* keep the list in line order within each member */
	for (i = 1; i < s->nev; i++) {
		unsigned j = i;

		while (j > 0 && !strcmp(s->ev[j - 1].member, s->ev[j].member) && s->ev[j - 1].line > s->ev[j].line) {
			struct e53_evidence t = s->ev[j - 1];

			s->ev[j - 1] = s->ev[j];
			s->ev[j] = t;
			j--;
		}
	}
}

static bool is_fdr_step(unsigned id)
{
	return id == 0x0634 || id == 0x067B;
}

/* Protocol version for operation decoding: stated, else guessed from the
 * target build (iOS 9 and older speak a protocol below 14). */
static int protocol_of(const struct e53_session *s)
{
	long major;

	if (s->protocol >= 0)
		return s->protocol;
	if (s->target_build[0] && e53_parse_long(s->target_build, strlen(s->target_build), &major))
		return major <= 13 ? 13 : 14;
	return -1;
}

static void on_step(struct e53_builder *b, struct e53_session *s, const struct e53_event *ev,
		    unsigned id, const char *state, size_t state_len, bool has_code, long code)
{
	const struct e53_step *t = e53_step_lookup(id);
	char name[56];
	struct e53_stage *st;
	bool failed, ok, begin;
	bool prev = b->in_embed && b->embed_previous;

	if (prev)
		return; /* an earlier attempt's steps are not this attempt's */
	if (t)
		e53_scpy(name, sizeof name, t->name);
	else if (ev->f[E53_F_NAME].p)
		copy_field(name, sizeof name, &ev->f[E53_F_NAME]);
	else
		snprintf(name, sizeof name, "step 0x%04X", id);
#define STATE(w) (state_len == sizeof(w) - 1 && !strncasecmp(state, w, state_len))
	failed = STATE("failure") || STATE("failed") || ((STATE("complete") || STATE("completed") || STATE("end")) && has_code && code != 0);
	ok = !failed && (STATE("end") || STATE("complete") || STATE("completed"));
	begin = STATE("begin") || STATE("started") || STATE("start");
#undef STATE
	if (is_fdr_step(id)) {
		s->fdr_seen = true;
		if (begin && id == 0x0634)
			s->fdr_open = true;
		if ((ok || failed) && id == 0x0634)
			s->fdr_open = false;
		if (failed) {
			s->fdr_failed = true;
			if (has_code && (code == 53 || code == -53))
				s->fdr_failed53 = true;
		}
	}
	if (!failed && !ok && !begin)
		return;
	if (!failed && (!t || !strcmp(t->subsystem, "other")) && !is_fdr_step(id))
		return; /* keep the timeline to stages that say something */
	st = add_stage(s, name, t ? t->subsystem : "other", -1, (int)id, ev->line);
	if (failed) {
		st->outcome = E53_ST_FAILED;
		st->explicit_outcome = true;
		st->line = ev->line;
		s->saw_failure = true;
		note_failure(s, ev);
		if (has_code)
			set_code(s, code, b->in_embed || s->family == E53_FAM_RESTORED ? 3 : 5, false);
		if (is_fdr_step(id))
			e53_session_add_evidence(s, E53_EC_FDR_STEP, ev->line, b->member, ev->rule,
						 ev->text, ev->text_len, true, false);
	} else if (ok && st->outcome != E53_ST_FAILED) {
		st->outcome = E53_ST_OK;
		st->explicit_outcome = true;
	}
}

/* restore-step-results = {0x1107067B:{0:53};0x11070634:{0:53}} */
static void on_step_results(struct e53_builder *b, struct e53_session *s, const struct e53_event *ev)
{
	const char *p = ev->f[E53_F_NAME].p, *end;

	if (!p)
		return;
	end = p + ev->f[E53_F_NAME].n;
	while (p < end) {
		const char *k = memmem(p, (size_t)(end - p), "0x", 2);
		const char *colon, *z;
		unsigned id;
		long code;

		if (!k)
			break;
		colon = memchr(k, ':', (size_t)(end - k));
		if (!colon || !e53_parse_step_id(k, (size_t)(colon - k), &id))
			break;
		z = memmem(colon, (size_t)(end - colon), ":", 1);
		z = z ? memchr(z + 1, ':', (size_t)(end - z - 1)) : NULL; /* {0:N} */
		if (z && e53_parse_long(z + 1, (size_t)(end - z - 1), &code))
			on_step(b, s, ev, id, "failure", 7, true, code);
		p = colon + 1;
	}
}

static void on_identity(struct e53_builder *b, struct e53_session *s, const struct e53_event *ev)
{
	const struct e53_slice *f = ev->f;
	uint64_t ecid;

	if (f[E53_F_FAMILY].p)
		set_family(s, family_by_name(f[E53_F_FAMILY].p, f[E53_F_FAMILY].n));
	if (f[E53_F_ECID].p && !s->has_ecid && e53_parse_ecid(f[E53_F_ECID].p, f[E53_F_ECID].n, &ecid)) {
		s->has_ecid = true;
		s->ecid = ecid;
	}
#define FILL(key, dst) if (f[key].p && !dst[0]) copy_field(dst, sizeof dst, &f[key])
	FILL(E53_F_UDID, s->udid);
	FILL(E53_F_SERIAL, s->serial);
	FILL(E53_F_PRODUCT_TYPE, s->product_type);
	FILL(E53_F_HW_MODEL, s->hw_model);
	FILL(E53_F_TARGET_BUILD, s->target_build);
	FILL(E53_F_TARGET_VERSION, s->target_version);
	FILL(E53_F_CURRENT_BUILD, s->current_build);
	FILL(E53_F_CURRENT_VERSION, s->current_version);
#undef FILL
	{
		char *h;

		for (h = s->hw_model; *h; h++)
			*h = (char)tolower((unsigned char)*h);
	}
	if (!strcmp(s->current_build, "N/A"))
		s->current_build[0] = '\0';
	if (!strcmp(s->current_version, "N/A"))
		s->current_version[0] = '\0';
	if (f[E53_F_BEHAVIOR].p && !s->behavior[0]) {
		char tmp[64];

		copy_field(tmp, sizeof tmp, &f[E53_F_BEHAVIOR]);
		if (strcasestr(tmp, "rase"))
			snprintf(s->behavior, sizeof s->behavior, "erase");
		else if (strcasestr(tmp, "pdate") || strcasestr(tmp, "pgrade"))
			snprintf(s->behavior, sizeof s->behavior, "update");
	}
	if (f[E53_F_PROTOCOL].p) {
		long v;

		if (e53_parse_long(f[E53_F_PROTOCOL].p, f[E53_F_PROTOCOL].n, &v) && v > 0 && v < 1000)
			s->protocol = (int)v;
	}
	(void)b;
}

static void on_op(struct e53_builder *b, struct e53_session *s, const struct e53_event *ev)
{
	long raw;
	const struct e53_operation *op;
	char name[56];
	bool old = b->tagmode == TAG_DFU || b->tagmode == TAG_RECOVERY;
	int code;

	if (!ev->f[E53_F_OP].p || !e53_parse_long(ev->f[E53_F_OP].p, ev->f[E53_F_OP].n, &raw) ||
	    raw < 0 || raw > 100000)
		return;
	if (ev->f[E53_F_MODE].p && (memmem(ev->f[E53_F_MODE].p, ev->f[E53_F_MODE].n, "DFU", 3) ||
				    memmem(ev->f[E53_F_MODE].p, ev->f[E53_F_MODE].n, "Recovery", 8)))
		old = true;
	code = old ? (int)raw : e53_operation_adapt((int)raw, protocol_of(s));
	op = e53_operation_lookup(code);
	if (old && op && op->old_name) {
		/* AMRestore.h names read better as words: SendingBootImage -> Sending boot image */
		const char *c = op->old_name;
		size_t k = 0;

		for (; *c && k + 2 < sizeof name; c++) {
			if (k && *c >= 'A' && *c <= 'Z' && !(c[1] >= 'A' && c[1] <= 'Z') ) {
				name[k++] = ' ';
				name[k++] = (char)(*c + 32);
			} else if (k && *c >= 'A' && *c <= 'Z' && c[-1] >= 'a' && c[-1] <= 'z') {
				name[k++] = ' ';
				name[k++] = *c;
			} else {
				name[k++] = *c;
			}
		}
		name[k] = '\0';
	}
	else if (op && op->message && strcmp(op->message, "Unknown operation"))
		e53_scpy(name, sizeof name, op->message);
	else
		snprintf(name, sizeof name, "operation %ld", raw);
	if (old && op && op->old_name) {
		/* the old numbering's meaning, not the new table's subsystem */
		const char *on = op->old_name;
		const char *sub = strstr(on, "Connect") ? "usb" : strstr(on, "Flash") ? "firmware" :
				  (strstr(on, "Sending") || strstr(on, "Boot") || strstr(on, "DFU")) ? "boot" : "other";

		add_stage(s, name, sub, (int)raw, -1, ev->line);
		return;
	}
	add_stage(s, name, op ? op->subsystem : "other", (int)raw, -1, ev->line);
}

/* The first line that says the restore failed, for the report: a failed
 * step or a result line outranks a stage line (a subsystem may recover). */
static void note_failure(struct e53_session *s, const struct e53_event *ev)
{
	size_t n = ev->text_len < sizeof s->fail_text - 1 ? ev->text_len : sizeof s->fail_text - 1;
	int prio = ev->kind == E53_EV_STAGE ? 1 : 2;

	if (s->fail_line && prio <= s->fail_prio)
		return;
	s->fail_prio = prio;
	s->fail_line = ev->line;
	memcpy(s->fail_text, ev->text, n);
	s->fail_text[n] = '\0';
}

static void on_outcome(struct e53_builder *b, struct e53_session *s, const struct e53_event *ev)
{
	const struct e53_slice *f = ev->f;
	long v;
	int rank = b->in_embed || s->family == E53_FAM_RESTORED ? 3 : 8;
	bool failed = false, says53 = false;

	if (b->in_embed && b->embed_previous)
		return;
	if (f[E53_F_STATUS].p) {
		if (f[E53_F_STATUS].n == 7 && !memcmp(f[E53_F_STATUS].p, "success", 7))
			s->saw_success = true;
		else
			failed = true;
	}
	if (f[E53_F_CODE].p && e53_parse_long(f[E53_F_CODE].p, f[E53_F_CODE].n, &v)) {
		if (v == 0) {
			s->saw_success = true;
		} else {
			failed = true;
			says53 = v == 53 || v == -53;
			set_code(s, v, rank, true);
		}
	}
	if (f[E53_F_TSS].p && e53_parse_long(f[E53_F_TSS].p, f[E53_F_TSS].n, &v) && v > 0 && v < 900) {
		failed = true;
		set_code(s, 3100 + v, rank - 1, true);
	}
	if (f[E53_F_HEXCODE].p) {
		uint64_t h;

		if (parse_hex(f[E53_F_HEXCODE].p, f[E53_F_HEXCODE].n, &h) && h && h < 100000) {
			failed = true;
			says53 = h == 53;
			set_code(s, (long)h, rank - 2, true);
		}
	}
	if (f[E53_F_STATUSMSG].p) {
		const struct e53_status_msg *m = e53_status_by_text(f[E53_F_STATUSMSG].p, f[E53_F_STATUSMSG].n);

		copy_field(s->status_text, sizeof s->status_text, &f[E53_F_STATUSMSG]);
		if (m && m->status == 0) {
			s->saw_success = true;
		} else if (m) {
			failed = true;
			says53 = m->status == 53;
			/* 50 and 51 share one text: a device step may tell them apart;
			 * -1 (Verification Error) is a failure without a code */
			set_code(s, m->status, m->status == 50 ? 2 : rank, true);
		} else {
			failed = true;
		}
	}
	if (failed) {
		s->saw_failure = true;
		if (f[E53_F_SUBSYSTEM].p) {
			const char *sub = vocab_subsystem(f[E53_F_SUBSYSTEM].p, f[E53_F_SUBSYSTEM].n);
			char name[56];
			struct e53_stage *st;

			if (f[E53_F_NAME].p)
				copy_field(name, sizeof name, &f[E53_F_NAME]);
			else
				e53_scpy(name, sizeof name, !strcmp(sub, "tss") ? "TSS request" : sub);
			st = add_stage(s, name, sub, -1, -1, ev->line);
			st->outcome = E53_ST_FAILED;
			st->explicit_outcome = true;
		}
	}
	if (says53 && s->has_code && s->code == 53)
		e53_session_add_evidence(s, E53_EC_CODE, ev->line, b->member, ev->rule, ev->text,
					 ev->text_len, false, false);
	if (failed)
		note_failure(s, ev);
}

static void on_stage(struct e53_builder *b, struct e53_session *s, const struct e53_event *ev)
{
	const struct e53_slice *f = ev->f;
	const char *sub = f[E53_F_SUBSYSTEM].p ? vocab_subsystem(f[E53_F_SUBSYSTEM].p, f[E53_F_SUBSYSTEM].n) : "other";
	char name[56];
	struct e53_stage *st;
	enum e53_stage_outcome o = E53_ST_UNKNOWN;

	if (b->in_embed && b->embed_previous)
		return;
	if (f[E53_F_OUTCOME].p) {
		if (f[E53_F_OUTCOME].n == 6 && !memcmp(f[E53_F_OUTCOME].p, "failed", 6))
			o = E53_ST_FAILED;
		else if (f[E53_F_OUTCOME].n == 2 && !memcmp(f[E53_F_OUTCOME].p, "ok", 2))
			o = E53_ST_OK;
	}
	if (f[E53_F_NAME].p)
		copy_field(name, sizeof name, &f[E53_F_NAME]);
	else
		e53_scpy(name, sizeof name, sub);
	/* a repeated line of the stage just seen only updates it */
	if (s->nstages && !strcmp(s->stages[s->nstages - 1].name, name) &&
	    s->stages[s->nstages - 1].subsystem == sub) {
		st = &s->stages[s->nstages - 1];
	} else {
		st = add_stage(s, name, sub, -1, -1, ev->line);
	}
	if (o == E53_ST_FAILED || (o == E53_ST_OK && st->outcome != E53_ST_FAILED)) {
		st->outcome = o;
		st->explicit_outcome = true;
		if (o == E53_ST_FAILED) {
			st->line = ev->line;
			note_failure(s, ev);
		}
	}
}

void e53_builder_event(struct e53_builder *b, const struct e53_event *ev)
{
	struct e53_session *s;

	if (b->shape == SH_TAILHDR)
		return;
	/* embedded-log boundaries are stream state, not session state */
	if (ev->kind == E53_EV_UNEMBED && b->embed != EMB_NONE) {
		b->embed = EMB_NONE;
		b->in_embed = false;
	}
	s = target(b, ev);
	if (!s)
		return;
	b->line_sess = s;
	if (b->in_embed || b->shape == SH_DEVICE || s->family == E53_FAM_RESTORED ||
	    s->family == E53_FAM_SYSDIAGNOSE)
		s->device_log = true;
	if (b->lineno > s->last_line)
		s->last_line = b->lineno;
	set_family(s, shape_family(b));
	/* idevicerestore's messages are printed by futurerestore too: a hint
	 * that a futurerestore marker may still override */
	if (ev->f[E53_F_FAMILY].p && ev->kind != E53_EV_START && !b->in_embed)
		set_family(s, family_by_name(ev->f[E53_F_FAMILY].p, ev->f[E53_F_FAMILY].n));
	if (!b->in_embed && s->family != E53_FAM_NONE && s->family != E53_FAM_SYSDIAGNOSE)
		b->stream_family = s->family;
	if (ev->kind != E53_EV_IDENTITY && ev->kind != E53_EV_START && ev->kind != E53_EV_TAG)
		s->content = true;
	switch (ev->kind) {
	case E53_EV_START:
		if (ev->f[E53_F_FAMILY].p && !b->in_embed) {
			enum e53_family f = family_by_name(ev->f[E53_F_FAMILY].p, ev->f[E53_F_FAMILY].n);

			/* a start marker names the tool of a session not yet under way
			 * (the stream's earlier family was only a guess for it) */
			if (!s->content && f != E53_FAM_NONE && s->family != E53_FAM_SYSDIAGNOSE &&
			    !(s->family == E53_FAM_MOBILERESTORE && f == E53_FAM_ITUNES))
				s->family = f;
			else
				set_family(s, f);
			if (s->family != E53_FAM_SYSDIAGNOSE)
				b->stream_family = s->family;
		}
		break;
	case E53_EV_END:
		if (ev->f[E53_F_STATUS].p) {
			if (ev->f[E53_F_STATUS].n == 7 && !memcmp(ev->f[E53_F_STATUS].p, "success", 7))
				s->saw_success = true;
			else
				s->saw_failure = true;
		}
		if (!b->in_embed)
			s->terminated = true;
		break;
	case E53_EV_IDENTITY:
		if (b->in_embed && is_device_identity(ev) && s->has_ecid)
			break; /* a device log never overrides the host's identity */
		on_identity(b, s, ev);
		break;
	case E53_EV_TAG:
		on_identity(b, s, ev);
		if (ev->f[E53_F_TAG].p) {
			char t[24];

			copy_field(t, sizeof t, &ev->f[E53_F_TAG]);
			if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X'))
				memmove(t, t + 2, strlen(t + 2) + 1);
			bind_tag(s, t, b->tagmode);
		}
		break;
	case E53_EV_OP:
		if (!(b->in_embed && b->embed_previous))
			on_op(b, s, ev);
		break;
	case E53_EV_STEP:
		if (ev->f[E53_F_WHAT].p && ev->f[E53_F_WHAT].n == 7 && !memcmp(ev->f[E53_F_WHAT].p, "results", 7)) {
			on_step_results(b, s, ev);
		} else if (ev->f[E53_F_STEP].p) {
			unsigned id;
			long code = 0;
			bool has_code = ev->f[E53_F_CODE].p && e53_parse_long(ev->f[E53_F_CODE].p, ev->f[E53_F_CODE].n, &code);

			if (e53_parse_step_id(ev->f[E53_F_STEP].p, ev->f[E53_F_STEP].n, &id))
				on_step(b, s, ev, id, ev->f[E53_F_STATE].p ? ev->f[E53_F_STATE].p : "",
					ev->f[E53_F_STATE].n, has_code, code);
		}
		break;
	case E53_EV_OUTCOME:
		on_outcome(b, s, ev);
		break;
	case E53_EV_STAGE:
		on_stage(b, s, ev);
		break;
	case E53_EV_EVIDENCE: {
		enum e53_ev_class c = class_by_name(&ev->f[E53_F_CLASS]);
		bool prev = b->in_embed && b->embed_previous;

		if (c == E53_EC_NONE)
			break;
		if (c == E53_EC_FDR_RECOVER && !prev) {
			s->fdr_open = true;
			s->fdr_seen = true;
		}
		e53_session_add_evidence(s, c, ev->line, b->member, ev->rule, ev->text, ev->text_len,
					 s->fdr_open, prev);
		break;
	}
	case E53_EV_EMBED:
		if (b->shape == SH_IDR2)
			b->embed = EMB_ERA2;
		else if (b->shape == SH_ITUNES || b->shape == SH_MOBILE)
			b->embed = EMB_ITUNES;
		else
			b->embed = EMB_UNTIL_HOST;
		b->embed_previous = ev->f[E53_F_WHAT].p && ev->f[E53_F_WHAT].n == 8 &&
				    !memcmp(ev->f[E53_F_WHAT].p, "previous", 8);
		break;
	case E53_EV_UNEMBED:
	default:
		break;
	}
}

/* Outcome, last stage, stage outcomes: what the whole session says. */
void e53_finalize(struct e53_session *s)
{
	unsigned i;
	bool any_failed = false;
	struct e53_stage *last;

	/* no tool's marker: the device's own log, or a host tool speaking
	 * the restore protocol as idevicerestore does */
	if (s->family == E53_FAM_NONE) {
		if (s->device_log)
			s->family = E53_FAM_RESTORED;
		else if (s->nstages)
			s->family = E53_FAM_IDEVICERESTORE;
	}
	/* a device log on its own that ran to its final step without a
	 * failure: the restore went through */
	if ((s->family == E53_FAM_RESTORED || s->family == E53_FAM_SYSDIAGNOSE) && s->terminated &&
	    !s->saw_failure && !s->has_code)
		s->saw_success = true;
	if (s->saw_failure || (s->has_code && s->code != 0))
		s->outcome = E53_OUT_FAILURE;
	else if (s->saw_success)
		s->outcome = E53_OUT_SUCCESS;
	else
		s->outcome = E53_OUT_INCOMPLETE;
	/* the timeline in log order (a device step is filed at its first line) */
	for (i = 1; i < s->nstages; i++) {
		struct e53_stage t = s->stages[i];
		unsigned j = i;

		while (j > 0 && s->stages[j - 1].line > t.line) {
			s->stages[j] = s->stages[j - 1];
			j--;
		}
		s->stages[j] = t;
	}
	if (s->outcome == E53_OUT_SUCCESS) {
		s->has_code = false;
		for (i = 0; i < s->nstages; i++)
			if (s->stages[i].outcome == E53_ST_UNKNOWN)
				s->stages[i].outcome = E53_ST_OK;
		return;
	}
	for (i = 0; i < s->nstages; i++) {
		unsigned j;

		if (s->stages[i].outcome != E53_ST_FAILED)
			continue;
		any_failed = true;
		/* the operation running when a stage of its subsystem failed */
		for (j = i; j-- > 0;) {
			if (s->stages[j].op < 0)
				continue;
			if (s->stages[j].outcome == E53_ST_UNKNOWN &&
			    !strcmp(s->stages[j].subsystem, s->stages[i].subsystem))
				s->stages[j].outcome = E53_ST_FAILED;
			break;
		}
	}
	if (s->outcome != E53_OUT_FAILURE || !s->nstages)
		return;
	/* The stage in progress when the restore failed is the last one, if
	 * the log left it open: blamed when nothing else failed, or when it
	 * is of the failure's own kind (an earlier failure was survived). */
	last = &s->stages[s->nstages - 1];
	if (last->outcome == E53_ST_UNKNOWN) {
		const struct e53_error_code *ec = s->has_code ? e53_error_lookup(s->code) : NULL;

		if (!any_failed ||
		    (ec && !strcmp(e53_category_for_subsystem(last->subsystem), ec->category)))
			last->outcome = E53_ST_FAILED;
	}
}
