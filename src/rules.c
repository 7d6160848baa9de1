/* rules.c - rule file parser, PCRE2 compilation, the Aho-Corasick
 * prefilter, and per-thread matching.
 *
 * Why a prefilter: most log lines match no rule, and running even a JIT
 * regex alternation on every line costs several times more than reading
 * the bytes.  All rule literals go into one automaton; one pass over a line
 * yields the few rules whose literal occurs, and only those regexes run. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "err53/prefilter.h"
#include "err53/rules.h"

#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LITERALS_PER_RULE 32
#define MAX_SAMPLES 32

static const char *const kind_names[] = {
#define X(id, name) name,
	E53_EVENT_KINDS(X)
#undef X
};

static const char *const field_names[] = {
#define X(id, name) name,
	E53_FIELDS(X)
#undef X
};

const char *e53_event_kind_name(enum e53_event_kind k)
{
	return (unsigned)k < E53_EV__COUNT ? kind_names[k] : "?";
}

const char *e53_field_name(enum e53_field_key k)
{
	return (unsigned)k < E53_F__COUNT ? field_names[k] : "?";
}

static int lookup_word(const char *const *tab, int n, const char *w, size_t len)
{
	int i;

	for (i = 0; i < n; i++)
		if (strlen(tab[i]) == len && !memcmp(tab[i], w, len))
			return i;
	return -1;
}

struct sample {
	char *text;
	bool must_match;
	unsigned line;
	char *expect;     /* "key=value key=value" for the sample before */
	unsigned expect_line;
};

struct name_map {
	uint32_t group;
	enum e53_field_key key;
};

struct rule {
	char *id;
	char *origin;     /* file name */
	unsigned line;    /* line of the `rule` keyword */
	char *pattern;
	unsigned pattern_line;
	int kind;         /* -1 until set */
	char *literals[MAX_LITERALS_PER_RULE];
	unsigned nlit;
	bool derived;     /* literal derived from the pattern */
	char *note;
	char *setv[E53_F__COUNT];
	/* the set fields, listed for fill_event (filled at compile) */
	unsigned char setk[E53_F__COUNT];
	size_t setn[E53_F__COUNT];
	unsigned nset;
	struct sample samples[MAX_SAMPLES];
	unsigned nsamples;
	pcre2_code *code;
	struct name_map *names;
	unsigned nnames;
	bool dead;        /* replaced by a later rule of the same id */
};

struct e53_rules {
	struct rule *r;
	size_t n, alloc;
	bool compiled;
	bool jit;
	uint32_t max_groups;
	struct e53_prefilter *pf;  /* literal -> rule index */
	uint32_t *always;         /* rules without literals */
	uint32_t nalways;
	pcre2_match_context *mctx;
};

struct e53_matcher {
	const struct e53_rules *rs;
	pcre2_match_data *md;
	uint32_t *seen;     /* per rule: generation stamp */
	uint32_t gen;
	uint32_t *cand;
	uint32_t ncand;
	uint64_t lines, candidates;
};

struct e53_rules *e53_rules_new(void)
{
	return calloc(1, sizeof(struct e53_rules));
}

static void rule_release(struct rule *r)
{
	unsigned i;

	free(r->id);
	free(r->origin);
	free(r->pattern);
	free(r->note);
	for (i = 0; i < r->nlit; i++)
		free(r->literals[i]);
	for (i = 0; i < E53_F__COUNT; i++)
		free(r->setv[i]);
	for (i = 0; i < r->nsamples; i++) {
		free(r->samples[i].text);
		free(r->samples[i].expect);
	}
	if (r->code)
		pcre2_code_free(r->code);
	free(r->names);
}

static void prefilter_free(struct e53_rules *rs)
{
	e53_prefilter_free(&rs->pf);
	free(rs->always);
	rs->always = NULL;
}

void e53_rules_free(struct e53_rules **prs)
{
	struct e53_rules *rs = *prs;
	size_t i;

	if (!rs)
		return;
	for (i = 0; i < rs->n; i++)
		rule_release(&rs->r[i]);
	free(rs->r);
	prefilter_free(rs);
	if (rs->mctx)
		pcre2_match_context_free(rs->mctx);
	free(rs);
	*prs = NULL;
}

static char *dupn(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

static void diag_add(struct e53_buf *diag, const char *name, unsigned line, const char *fmt,
		     const char *a, const char *b)
{
	if (!diag)
		return;
	e53_buf_addf(diag, "%s:%u: ", name, line);
	e53_buf_addf(diag, fmt, a ? a : "", b ? b : "");
	e53_buf_addc(diag, '\n');
}

/* Parses "key=value" for `set`/`expect`; returns the field key or -1. */
static int parse_kv(const char *s, size_t n, const char **val, size_t *vlen)
{
	const char *eq = memchr(s, '=', n);
	int k;

	if (!eq)
		return -1;
	k = lookup_word(field_names, E53_F__COUNT, s, (size_t)(eq - s));
	*val = eq + 1;
	*vlen = n - (size_t)(eq - s) - 1;
	return k;
}

e53_status e53_rules_parse(struct e53_rules *rs, const char *name, const char *text,
			   size_t len, struct e53_buf *diag)
{
	const char *p = text, *end = text + len;
	unsigned lineno = 0;
	struct rule *cur = NULL;
	e53_status st = E53_OK;

	if (rs->compiled) {
		diag_add(diag, name, 0, "rules already compiled%s%s", NULL, NULL);
		return E53_EINVAL;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *kw, *kwe, *val;
		size_t vlen;

		lineno++;
		if (le > p && le[-1] == '\r')
			le--;
		kw = p;
		p = nl ? nl + 1 : end;
		while (kw < le && (*kw == ' ' || *kw == '\t'))
			kw++;
		if (kw == le || *kw == '#')
			continue;
		kwe = kw;
		while (kwe < le && *kwe != ' ' && *kwe != '\t')
			kwe++;
		val = kwe;
		while (val < le && (*val == ' ' || *val == '\t'))
			val++;
		vlen = (size_t)(le - val);

#define KW(w) ((size_t)(kwe - kw) == sizeof(w) - 1 && !memcmp(kw, w, sizeof(w) - 1))
		if (KW("rule")) {
			size_t i;

			if (!vlen) {
				diag_add(diag, name, lineno, "rule without an id%s%s", NULL, NULL);
				st = E53_ERULE;
				cur = NULL;
				continue;
			}
			for (i = 0; i < vlen; i++) {
				char c = val[i];

				if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
					break;
			}
			if (i != vlen) {
				diag_add(diag, name, lineno, "rule id may hold only letters, digits, '-', '_' and '.'%s%s",
					 NULL, NULL);
				st = E53_ERULE;
			}
			if (rs->n == rs->alloc) {
				size_t na = rs->alloc ? rs->alloc * 2 : 64;
				struct rule *nr = realloc(rs->r, na * sizeof *nr);

				if (!nr)
					return E53_ENOMEM;
				rs->r = nr;
				rs->alloc = na;
			}
			cur = &rs->r[rs->n++];
			memset(cur, 0, sizeof *cur);
			cur->kind = -1;
			cur->id = dupn(val, vlen);
			cur->origin = dupn(name, strlen(name));
			cur->line = lineno;
			if (!cur->id || !cur->origin)
				return E53_ENOMEM;
			continue;
		}
		if (!cur) {
			if (diag)
				e53_buf_addf(diag, "%s:%u: '%.*s' outside a rule (a rule starts with 'rule ID')\n",
					     name, lineno, (int)(kwe - kw), kw);
			st = E53_ERULE;
			continue;
		}
		if (KW("pattern")) {
			if (cur->pattern) {
				diag_add(diag, name, lineno, "rule %s: second pattern%s", cur->id, NULL);
				st = E53_ERULE;
				continue;
			}
			cur->pattern = dupn(val, vlen);
			cur->pattern_line = lineno;
		} else if (KW("literal")) {
			if (vlen < 4) {
				diag_add(diag, name, lineno, "rule %s: a literal needs 4 bytes or more%s", cur->id, NULL);
				st = E53_ERULE;
			} else if (cur->nlit == MAX_LITERALS_PER_RULE) {
				diag_add(diag, name, lineno, "rule %s: too many literals%s", cur->id, NULL);
				st = E53_ERULE;
			} else {
				cur->literals[cur->nlit++] = dupn(val, vlen);
			}
		} else if (KW("event")) {
			int k = lookup_word(kind_names, E53_EV__COUNT, val, vlen);

			if (k < 0) {
				if (diag)
					e53_buf_addf(diag, "%s:%u: rule %s: unknown event kind '%.*s'\n", name,
						     lineno, cur->id, (int)vlen, val);
				st = E53_ERULE;
			}
			cur->kind = k;
		} else if (KW("set")) {
			const char *v;
			size_t vl;
			int k = parse_kv(val, vlen, &v, &vl);

			if (k < 0) {
				if (diag)
					e53_buf_addf(diag, "%s:%u: rule %s: 'set' needs FIELD=VALUE with a known field, not '%.*s'\n",
						     name, lineno, cur->id, (int)vlen, val);
				st = E53_ERULE;
			} else {
				free(cur->setv[k]);
				cur->setv[k] = dupn(v, vl);
			}
		} else if (KW("match") || KW("nomatch")) {
			struct sample *s;

			if (cur->nsamples == MAX_SAMPLES) {
				diag_add(diag, name, lineno, "rule %s: too many samples%s", cur->id, NULL);
				st = E53_ERULE;
				continue;
			}
			s = &cur->samples[cur->nsamples++];
			memset(s, 0, sizeof *s);
			s->text = dupn(val, vlen);
			s->must_match = KW("match");
			s->line = lineno;
		} else if (KW("expect")) {
			struct sample *s = cur->nsamples ? &cur->samples[cur->nsamples - 1] : NULL;

			if (!s || !s->must_match || s->expect) {
				diag_add(diag, name, lineno, "rule %s: 'expect' must follow a 'match' sample%s",
					 cur->id, NULL);
				st = E53_ERULE;
				continue;
			}
			s->expect = dupn(val, vlen);
			s->expect_line = lineno;
		} else if (KW("note")) {
			free(cur->note);
			cur->note = dupn(val, vlen);
		} else {
			if (diag)
				e53_buf_addf(diag, "%s:%u: rule %s: unknown keyword '%.*s'\n", name, lineno,
					     cur->id, (int)(kwe - kw), kw);
			st = E53_ERULE;
		}
#undef KW
	}
	return st;
}

e53_status e53_rules_load_file(struct e53_rules *rs, const char *path, struct e53_buf *diag)
{
	struct e53_buf b;
	FILE *f = fopen(path, "rb");
	char chunk[8192];
	size_t got;
	e53_status st = E53_OK;

	if (!f) {
		if (diag)
			e53_buf_addf(diag, "%s: cannot open: %s\n", path, strerror(errno));
		return errno == ENOENT ? E53_ENOENT : E53_EACCES;
	}
	e53_buf_init(&b, 16u << 20);
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
		st = e53_buf_add(&b, chunk, got);
		if (st)
			break;
	}
	if (!st && ferror(f))
		st = E53_EIO;
	fclose(f);
	if (st) {
		if (diag)
			e53_buf_addf(diag, "%s: cannot read: %s\n", path, e53_strerror(st));
	} else {
		st = e53_rules_parse(rs, path, b.data ? b.data : "", b.len, diag);
	}
	e53_buf_release(&b);
	return st;
}

/* Builtin rule files, generated from rules/ at build time. */
struct e53_builtin_rule_file {
	const char *name;
	const char *text;
};
extern const struct e53_builtin_rule_file e53_builtin_rule_files[];
extern const size_t e53_n_builtin_rule_files;

e53_status e53_rules_add_builtin(struct e53_rules *rs, struct e53_buf *diag)
{
	size_t i;
	e53_status st = E53_OK;

	for (i = 0; i < e53_n_builtin_rule_files; i++) {
		const struct e53_builtin_rule_file *f = &e53_builtin_rule_files[i];
		e53_status s = e53_rules_parse(rs, f->name, f->text, strlen(f->text), diag);

		if (s && !st)
			st = s;
	}
	return st;
}

/* The longest run of plain characters every match must contain, or 0.
 * Conservative: gives up on top-level alternation and inline options. */
static size_t derive_literal(const char *pat, char *out, size_t cap)
{
	char run[256];
	size_t rl = 0, best = 0, i = 0, n = strlen(pat);

	out[0] = '\0';
	if (n >= 2 && pat[0] == '(' && pat[1] == '?' && n >= 3 && pat[2] != ':' &&
	    pat[2] != '<' && pat[2] != '=' && pat[2] != '!')
		return 0; /* inline options such as (?i) */
#define END_RUN() do { if (rl > best && rl < cap) { memcpy(out, run, rl); out[rl] = '\0'; best = rl; } rl = 0; } while (0)
	while (i < n) {
		char c = pat[i];

		if (c == '|')
			return 0;
		if (c == '(' || c == '[') {
			int depth = 0;
			bool in_class = false;

			END_RUN();
			for (; i < n; i++) {
				if (pat[i] == '\\') {
					i++;
					continue;
				}
				if (in_class) {
					if (pat[i] == ']')
						in_class = false;
					if (c == '[' && !in_class)
						break;
					continue;
				}
				if (pat[i] == '[') {
					in_class = true;
					if (i + 1 < n && pat[i + 1] == ']')
						i++;
					else if (i + 2 < n && pat[i + 1] == '^' && pat[i + 2] == ']')
						i += 2;
					continue;
				}
				if (pat[i] == '(')
					depth++;
				else if (pat[i] == ')' && --depth == 0)
					break;
			}
			i++;
			continue;
		}
		if (c == '?' || c == '*' || c == '{') {
			/* the previous atom is optional: drop it from the run */
			if (rl)
				rl--;
			END_RUN();
			if (c == '{')
				while (i < n && pat[i] != '}')
					i++;
			i++;
			continue;
		}
		if (c == '+') {
			END_RUN();
			i++;
			continue;
		}
		if (c == '.' || c == '^' || c == '$') {
			END_RUN();
			i++;
			continue;
		}
		if (c == '\\') {
			char e = i + 1 < n ? pat[i + 1] : '\0';

			if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9') || !e) {
				END_RUN();
				i += 2;
				/* \x{..}, \p{..} and friends */
				if (i < n && pat[i] == '{')
					while (i < n && pat[i] != '}')
						i++;
				continue;
			}
			c = e;
			i++;
		}
		if (rl + 1 < sizeof run)
			run[rl++] = c;
		i++;
	}
	END_RUN();
#undef END_RUN
	return best;
}

static bool rule_has_lit_hit(const struct e53_rules *rs, uint32_t ri, const char *s, size_t n);
static void fill_event(const struct e53_rules *rs, const struct rule *r, pcre2_match_data *md,
		       const char *line, size_t len, uint64_t lineno, struct e53_event *ev);
_Static_assert(E53_F__COUNT <= 32, "fill_event keeps the given fields in 32 bits");

/* Every literal of every live rule into one scanner. */
static e53_status build_prefilter(struct e53_rules *rs)
{
	size_t i;
	unsigned j;
	e53_status st;

	rs->pf = e53_prefilter_new();
	rs->always = malloc((rs->n + 1) * sizeof *rs->always);
	if (!rs->pf || !rs->always)
		return E53_ENOMEM;
	rs->nalways = 0;
	for (i = 0; i < rs->n; i++) {
		struct rule *r = &rs->r[i];

		if (r->dead)
			continue;
		if (!r->nlit)
			rs->always[rs->nalways++] = (uint32_t)i;
		for (j = 0; j < r->nlit; j++) {
			st = e53_prefilter_add(rs->pf, r->literals[j], strlen(r->literals[j]), (uint32_t)i);
			if (st)
				return st;
		}
	}
	/* the rules' sample lines are real-shaped log text: anchors go where
	 * they are rare in it */
	for (i = 0; i < rs->n; i++) {
		unsigned k;

		if (rs->r[i].dead)
			continue;
		for (k = 0; k < rs->r[i].nsamples; k++) {
			st = e53_prefilter_train(rs->pf, rs->r[i].samples[k].text, strlen(rs->r[i].samples[k].text));
			if (st)
				return st;
		}
	}
	return e53_prefilter_build(rs->pf);
}

static void on_hit(void *ctx, uint32_t ri)
{
	struct e53_matcher *m = ctx;

	if (m->seen[ri] != m->gen) {
		m->seen[ri] = m->gen;
		m->cand[m->ncand++] = ri;
	}
}

/* Marks the rules whose literal occurs in s[0..n) as candidates. */
static void ac_scan(const struct e53_rules *rs, struct e53_matcher *m, const char *s, size_t n,
		    size_t from)
{
	e53_prefilter_scan(rs->pf, s, n, from, on_hit, m);
}

static bool rule_has_lit_hit(const struct e53_rules *rs, uint32_t ri, const char *s, size_t n)
{
	unsigned j;

	if (!rs->r[ri].nlit)
		return true;
	for (j = 0; j < rs->r[ri].nlit; j++)
		if (memmem(s, n, rs->r[ri].literals[j], strlen(rs->r[ri].literals[j])))
			return true;
	return false;
}

static void fill_event(const struct e53_rules *rs, const struct rule *r, pcre2_match_data *md,
		       const char *line, size_t len, uint64_t lineno, struct e53_event *ev)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	uint32_t npairs = pcre2_get_ovector_count(md);
	uint32_t have = 0;  /* fields given so far (a bit each: no reads of the fresh event) */
	unsigned i;

	(void)rs;
	memset(ev, 0, sizeof *ev);
	ev->kind = (enum e53_event_kind)r->kind;
	ev->rule = r->id;
	ev->line = lineno;
	ev->text = line;
	ev->text_len = len;
	for (i = 0; i < r->nnames; i++) {
		uint32_t g = r->names[i].group;
		unsigned k = r->names[i].key;

		if (g >= npairs || ov[2 * g] == PCRE2_UNSET || (have >> k & 1))
			continue;
		have |= 1u << k;
		ev->f[k].p = line + ov[2 * g];
		ev->f[k].n = ov[2 * g + 1] - ov[2 * g];
	}
	for (i = 0; i < r->nset; i++) {
		unsigned k = r->setk[i];

		if (have >> k & 1)
			continue;
		ev->f[k].p = r->setv[k];
		ev->f[k].n = r->setn[i];
	}
}

static bool sample_expect(const struct rule *r, const struct sample *s,
			  const struct e53_event *ev, struct e53_buf *diag)
{
	const char *p = s->expect, *end;
	bool ok = true;

	if (!p)
		return true;
	end = p + strlen(p);
	while (p < end) {
		const char *w = p, *v;
		size_t vl;
		int k;

		while (p < end && *p != ' ')
			p++;
		k = parse_kv(w, (size_t)(p - w), &v, &vl);
		while (p < end && *p == ' ')
			p++;
		if (k < 0) {
			if (diag)
				e53_buf_addf(diag, "%s:%u: rule %s: bad expect item '%.*s'\n", r->origin,
					     s->expect_line, r->id, (int)(p - w), w);
			ok = false;
			continue;
		}
		if (!ev->f[k].p || ev->f[k].n != vl || memcmp(ev->f[k].p, v, vl)) {
			if (diag)
				e53_buf_addf(diag, "%s:%u: rule %s: field %s is '%.*s', expected '%.*s'\n",
					     r->origin, s->expect_line, r->id, field_names[k],
					     ev->f[k].p ? (int)ev->f[k].n : 6,
					     ev->f[k].p ? ev->f[k].p : "(none)", (int)vl, v);
			ok = false;
		}
	}
	return ok;
}

e53_status e53_rules_compile(struct e53_rules *rs, struct e53_buf *diag)
{
	size_t i, j;
	e53_status st = E53_OK;
	pcre2_match_data *md = NULL;
	uint32_t jitok = 0, total = 0;

	if (rs->compiled)
		return E53_OK;
	/* later definitions of an id replace earlier ones */
	for (i = 0; i < rs->n; i++)
		for (j = i + 1; j < rs->n; j++)
			if (!rs->r[j].dead && !strcmp(rs->r[i].id, rs->r[j].id)) {
				rs->r[i].dead = true;
				break;
			}
	for (i = 0; i < rs->n; i++) {
		struct rule *r = &rs->r[i];
		int err;
		PCRE2_SIZE off;
		uint32_t count = 0, esize = 0, k;
		PCRE2_SPTR table = NULL;

		if (r->dead)
			continue;
		r->nset = 0;
		for (k = 0; k < E53_F__COUNT; k++)
			if (r->setv[k]) {
				r->setk[r->nset] = (unsigned char)k;
				r->setn[r->nset++] = strlen(r->setv[k]);
			}
		if (!r->pattern) {
			diag_add(diag, r->origin, r->line, "rule %s: no pattern%s", r->id, NULL);
			st = E53_ERULE;
			continue;
		}
		if (r->kind < 0) {
			diag_add(diag, r->origin, r->line, "rule %s: no event kind%s", r->id, NULL);
			st = E53_ERULE;
		}
		r->code = pcre2_compile((PCRE2_SPTR)r->pattern, PCRE2_ZERO_TERMINATED, PCRE2_DUPNAMES,
					&err, &off, NULL);
		if (!r->code) {
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(err, msg, sizeof msg);
			if (diag)
				e53_buf_addf(diag, "%s:%u: rule %s: pattern error at offset %zu: %s\n",
					     r->origin, r->pattern_line, r->id, (size_t)off, (const char *)msg);
			st = E53_ERULE;
			continue;
		}
		total++;
		if (pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE) == 0)
			jitok++;
		pcre2_pattern_info(r->code, PCRE2_INFO_CAPTURECOUNT, &count);
		if (count + 1 > rs->max_groups)
			rs->max_groups = count + 1;
		pcre2_pattern_info(r->code, PCRE2_INFO_NAMECOUNT, &count);
		pcre2_pattern_info(r->code, PCRE2_INFO_NAMEENTRYSIZE, &esize);
		pcre2_pattern_info(r->code, PCRE2_INFO_NAMETABLE, &table);
		r->names = calloc(count ? count : 1, sizeof *r->names);
		if (!r->names)
			return E53_ENOMEM;
		for (k = 0; k < count; k++) {
			const unsigned char *e = table + (size_t)k * esize;
			const char *nm = (const char *)e + 2;
			int key = lookup_word(field_names, E53_F__COUNT, nm, strlen(nm));

			if (key < 0) {
				if (diag)
					e53_buf_addf(diag, "%s:%u: rule %s: capture name '%s' is not a field (see err53-rules(5))\n",
						     r->origin, r->pattern_line, r->id, nm);
				st = E53_ERULE;
				continue;
			}
			r->names[r->nnames].group = (uint32_t)(e[0] << 8 | e[1]);
			r->names[r->nnames].key = (enum e53_field_key)key;
			r->nnames++;
		}
		if (!r->nlit) {
			char lit[256];

			if (derive_literal(r->pattern, lit, sizeof lit) >= 4) {
				r->literals[r->nlit++] = dupn(lit, strlen(lit));
				r->derived = true;
			} else if (diag) {
				e53_buf_addf(diag, "%s:%u: warning: rule %s: no literal given or derivable; its pattern runs on every line\n",
					     r->origin, r->line, r->id);
			}
		}
	}
	rs->jit = total && jitok == total;
	if (st)
		return st;
	st = build_prefilter(rs);
	if (st)
		return st;
	rs->mctx = pcre2_match_context_create(NULL);
	if (!rs->mctx)
		return E53_ENOMEM;
	/* bounded work per line, whatever a user's pattern does */
	pcre2_set_match_limit(rs->mctx, 200000);
	pcre2_set_depth_limit(rs->mctx, 5000);
	pcre2_set_heap_limit(rs->mctx, 4096);
	rs->compiled = true;

	/* samples: the regex must match (and its literal occur) or not match */
	md = pcre2_match_data_create(rs->max_groups ? rs->max_groups : 1, NULL);
	if (!md)
		return E53_ENOMEM;
	for (i = 0; i < rs->n; i++) {
		struct rule *r = &rs->r[i];
		unsigned s;

		if (r->dead)
			continue;
		for (s = 0; s < r->nsamples; s++) {
			const struct sample *sm = &r->samples[s];
			size_t len = strlen(sm->text);
			int rc = pcre2_match(r->code, (PCRE2_SPTR)sm->text, len, 0, 0, md, rs->mctx);

			if (sm->must_match && rc < 0) {
				if (diag)
					e53_buf_addf(diag, "%s:%u: rule %s: sample does not match: %s\n",
						     r->origin, sm->line, r->id, sm->text);
				st = E53_ERULE;
			} else if (!sm->must_match && rc >= 0) {
				if (diag)
					e53_buf_addf(diag, "%s:%u: rule %s: nomatch sample matches: %s\n",
						     r->origin, sm->line, r->id, sm->text);
				st = E53_ERULE;
			} else if (sm->must_match && !rule_has_lit_hit(rs, (uint32_t)i, sm->text, len)) {
				if (diag)
					e53_buf_addf(diag, "%s:%u: rule %s: sample matches but holds none of the rule's literals, so the prefilter would skip it: %s\n",
						     r->origin, sm->line, r->id, sm->text);
				st = E53_ERULE;
			} else if (sm->must_match) {
				struct e53_event ev;

				fill_event(rs, r, md, sm->text, len, 1, &ev);
				if (!sample_expect(r, sm, &ev, diag))
					st = E53_ERULE;
			}
		}
	}
	pcre2_match_data_free(md);
	return st;
}

size_t e53_rules_count(const struct e53_rules *rs)
{
	size_t i, n = 0;

	for (i = 0; i < rs->n; i++)
		n += !rs->r[i].dead;
	return n;
}

bool e53_rules_jit(const struct e53_rules *rs)
{
	return rs->jit;
}

void e53_rules_list(const struct e53_rules *rs, struct e53_buf *out)
{
	size_t i;
	unsigned j;

	for (i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->r[i];

		if (r->dead)
			continue;
		e53_buf_addf(out, "%s\t%s\t%s:%u\n", r->id, r->kind >= 0 ? kind_names[r->kind] : "?",
			     r->origin, r->line);
		for (j = 0; j < r->nlit; j++)
			e53_buf_addf(out, "  literal%s %s\n", r->derived ? " (derived)" : "", r->literals[j]);
		e53_buf_addf(out, "  pattern %s\n", r->pattern ? r->pattern : "");
		for (j = 0; j < E53_F__COUNT; j++)
			if (r->setv[j])
				e53_buf_addf(out, "  set %s=%s\n", field_names[j], r->setv[j]);
		if (r->note)
			e53_buf_addf(out, "  note %s\n", r->note);
	}
}

void e53_rules_literals(const struct e53_rules *rs, struct e53_buf *out)
{
	size_t i, k;
	unsigned j;

	for (i = 0; i < rs->n; i++) {
		if (rs->r[i].dead)
			continue;
		for (j = 0; j < rs->r[i].nlit; j++) {
			const char *l = rs->r[i].literals[j];
			bool dup = false;

			for (k = 0; k < i && !dup; k++) {
				unsigned q;

				if (rs->r[k].dead)
					continue;
				for (q = 0; q < rs->r[k].nlit; q++)
					if (!strcmp(rs->r[k].literals[q], l))
						dup = true;
			}
			for (k = 0; k < j && !dup; k++)
				if (!strcmp(rs->r[i].literals[k], l))
					dup = true;
			if (!dup)
				e53_buf_addf(out, "%s\n", l);
		}
	}
}

struct e53_matcher *e53_matcher_new(const struct e53_rules *rs)
{
	struct e53_matcher *m;

	if (!rs->compiled)
		return NULL;
	m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->rs = rs;
	m->md = pcre2_match_data_create(rs->max_groups ? rs->max_groups : 1, NULL);
	m->seen = calloc(rs->n + 1, sizeof *m->seen);
	m->cand = malloc((rs->n + 1) * sizeof *m->cand);
	if (!m->md || !m->seen || !m->cand) {
		e53_matcher_free(&m);
		return NULL;
	}
	return m;
}

void e53_matcher_free(struct e53_matcher **pm)
{
	struct e53_matcher *m = *pm;

	if (!m)
		return;
	if (m->md)
		pcre2_match_data_free(m->md);
	free(m->seen);
	free(m->cand);
	free(m);
	*pm = NULL;
}

/* A new candidate generation; stamps are cleared when the counter wraps. */
static void next_gen(struct e53_matcher *m)
{
	if (++m->gen == 0) {
		memset(m->seen, 0, (m->rs->n + 1) * sizeof *m->seen);
		m->gen = 1;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The rules on one line: events go to fn, or straight into out (up to
 * max of them, the rest dropped) when out is given. */
static unsigned match(struct e53_matcher *m, const char *line, size_t len, uint64_t lineno,
		      size_t from, e53_event_fn fn, void *ctx, struct e53_event *out, unsigned max)
{
	const struct e53_rules *rs = m->rs;
	unsigned events = 0;
	uint32_t i;

	m->lines++;
	next_gen(m);
	m->ncand = 0;
	if (rs->nalways) {
		/* rules without literals see the same text as the others */
		const char *cr = memrchr(line, '\r', len);

		if (cr) {
			len -= (size_t)(cr + 1 - line);
			line = cr + 1;
		}
		ac_scan(rs, m, line, len, 0);
	} else {
		ac_scan(rs, m, line, len, from);
		if (!m->ncand)
			return 0;
		{
			/* a progress-bar redraw: only the text after the last CR counts */
			const char *cr = memrchr(line, '\r', len);

			if (cr) {
				len -= (size_t)(cr + 1 - line);
				line = cr + 1;
				next_gen(m);
				m->ncand = 0;
				ac_scan(rs, m, line, len, 0);
			}
		}
	}
	for (i = 0; i < rs->nalways; i++)
		if (m->seen[rs->always[i]] != m->gen) {
			m->seen[rs->always[i]] = m->gen;
			m->cand[m->ncand++] = rs->always[i];
		}
	if (!m->ncand)
		return 0;
	m->candidates++;
	if (m->ncand > 1)
		qsort(m->cand, m->ncand, sizeof *m->cand, cmp_u32);
	for (i = 0; i < m->ncand; i++) {
		const struct rule *r = &rs->r[m->cand[i]];
		struct e53_event ev;

		if (pcre2_match(r->code, (PCRE2_SPTR)line, len, 0, 0, m->md, rs->mctx) < 0)
			continue;
		if (out) {
			if (events < max)
				fill_event(rs, r, m->md, line, len, lineno, &out[events]);
		} else {
			fill_event(rs, r, m->md, line, len, lineno, &ev);
			fn(ctx, &ev);
		}
		events++;
	}
	return events;
}

unsigned e53_match_line(struct e53_matcher *m, const char *line, size_t len,
			uint64_t lineno, e53_event_fn fn, void *ctx)
{
	return match(m, line, len, lineno, 0, fn, ctx, NULL, 0);
}

unsigned e53_match_line_into(struct e53_matcher *m, const char *line, size_t len,
			     uint64_t lineno, size_t from, struct e53_event *out, unsigned max)
{
	unsigned n = match(m, line, len, lineno, from, NULL, NULL, out, max);

	return n < max ? n : max;
}

size_t e53_rules_next_candidate(const struct e53_rules *rs, const char *s, size_t n, size_t from)
{
	if (rs->nalways)
		return from;
	return e53_prefilter_first(rs->pf, s, n, from);
}

size_t e53_rules_plain_lines(const struct e53_rules *rs, const char *s, size_t n)
{
	return rs->pf ? e53_prefilter_plain_lines(rs->pf, s, n) : SIZE_MAX;
}

const char *e53_rules_engine(const struct e53_rules *rs)
{
	return rs->pf ? e53_prefilter_engine(rs->pf) : e53_prefilter_default_engine();
}

void e53_matcher_stats(const struct e53_matcher *m, uint64_t *lines, uint64_t *candidates)
{
	*lines = m->lines;
	*candidates = m->candidates;
}
