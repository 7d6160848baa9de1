/* rules.h - the rule set: rule files (see err53-rules(5)) compiled to PCRE2
 * (JIT where the platform allows, interpreter otherwise) behind a
 * one-pass multi-literal prefilter.  A compiled set is read-only and shared
 * by all threads; each thread matches through its own e53_matcher. */
#ifndef ERR53_RULES_H
#define ERR53_RULES_H

#include "err53/err53.h"

/* What a matching line means.  Names are the rule files' `event` words. */
#define E53_EVENT_KINDS(X) \
	X(START, "start")       /* a new restore session begins here */ \
	X(END, "end")           /* a session's closing line */ \
	X(IDENTITY, "identity") /* device or restore identity fields */ \
	X(OP, "op")             /* a progress operation (restore protocol code) */ \
	X(STEP, "step")         /* a device checkpoint / step */ \
	X(OUTCOME, "outcome")   /* the restore's result or an error code */ \
	X(STAGE, "stage")       /* a subsystem stage line (ok / failed) */ \
	X(EVIDENCE, "evidence") /* an Error 53 cause line */ \
	X(EMBED, "embed")       /* a device log starts inside a host log */ \
	X(UNEMBED, "unembed")   /* a host line that ends an embedded device log */ \
	X(TAG, "tag")           /* binds a device tag to an identity */

#define E53_FIELDS(X) \
	X(FAMILY, "family") X(ECID, "ecid") X(UDID, "udid") X(SERIAL, "serial") \
	X(PRODUCT_TYPE, "product_type") X(HW_MODEL, "hw_model") \
	X(CURRENT_BUILD, "current_build") X(CURRENT_VERSION, "current_version") \
	X(TARGET_BUILD, "target_build") X(TARGET_VERSION, "target_version") \
	X(BEHAVIOR, "behavior") X(PROTOCOL, "protocol") X(TAG, "tag") X(MODE, "mode") \
	X(OP, "op") X(PROGRESS, "progress") X(NAME, "name") X(STEP, "step") \
	X(STATE, "state") X(CODE, "code") X(STATUS, "status") X(TSS, "tss") \
	X(STATUSMSG, "statusmsg") X(SUBSYSTEM, "subsystem") X(OUTCOME, "outcome") \
	X(CLASS, "class") X(WHAT, "what") X(SCOPE, "scope") X(HEXCODE, "hexcode")

enum e53_event_kind {
#define X(id, name) E53_EV_##id,
	E53_EVENT_KINDS(X)
#undef X
	E53_EV__COUNT
};

enum e53_field_key {
#define X(id, name) E53_F_##id,
	E53_FIELDS(X)
#undef X
	E53_F__COUNT
};

struct e53_slice {
	const char *p; /* NULL when the field is absent */
	size_t n;
};

struct e53_event {
	enum e53_event_kind kind;
	const char *rule;     /* the rule id */
	uint64_t line;        /* 1-based line number in the member */
	const char *text;     /* the line (valid during the callback) */
	size_t text_len;
	struct e53_slice f[E53_F__COUNT];
};

const char *e53_event_kind_name(enum e53_event_kind k);
const char *e53_field_name(enum e53_field_key k);

struct e53_rules;
struct e53_matcher;

struct e53_rules *e53_rules_new(void);
void e53_rules_free(struct e53_rules **rs);

/* Parse rule text; messages go to diag as "NAME:LINE: text\n".  A rule
 * whose id is already defined replaces the earlier one. */
e53_status e53_rules_parse(struct e53_rules *rs, const char *name, const char *text,
			   size_t len, struct e53_buf *diag);
e53_status e53_rules_add_builtin(struct e53_rules *rs, struct e53_buf *diag);
e53_status e53_rules_load_file(struct e53_rules *rs, const char *path, struct e53_buf *diag);

/* Compile patterns, build the prefilter, check every rule's samples.
 * Returns E53_ERULE (with diag filled) if anything is wrong; warnings
 * (such as a rule without a literal) go to diag too but do not fail. */
e53_status e53_rules_compile(struct e53_rules *rs, struct e53_buf *diag);

size_t e53_rules_count(const struct e53_rules *rs);
/* Human-readable listing (for --list-rules). */
void e53_rules_list(const struct e53_rules *rs, struct e53_buf *out);
/* The prefilter literals, one per line, deduplicated (for benchmarks). */
void e53_rules_literals(const struct e53_rules *rs, struct e53_buf *out);
bool e53_rules_jit(const struct e53_rules *rs);

typedef void (*e53_event_fn)(void *ctx, const struct e53_event *ev);

struct e53_matcher *e53_matcher_new(const struct e53_rules *rs);
void e53_matcher_free(struct e53_matcher **m);
/* Runs the rules on one line; calls fn for each matching rule in rule
 * order.  Returns the number of events. */
unsigned e53_match_line(struct e53_matcher *m, const char *line, size_t len,
			uint64_t lineno, e53_event_fn fn, void *ctx);
/* Same, the events written to out[] in rule order, at most max of them
 * (later ones are dropped); returns how many were written.  from (even)
 * skips the literal search before it, for a line whose first literal a
 * block scan has placed: e53_rules_next_candidate() from any line start
 * up to this line's start returned hit (in this line), and from is
 * hit - start - 2 rounded down to even, or 0. */
unsigned e53_match_line_into(struct e53_matcher *m, const char *line, size_t len,
			     uint64_t lineno, size_t from, struct e53_event *out, unsigned max);
/* For a block of whole lines: the offset, at or after from, of the first
 * place where a rule literal occurs (or n).  A line holding none of them
 * can give no event, so it may skip e53_match_line.  Returns 0 (look at
 * every line) when some rule has no literal. */
size_t e53_rules_next_candidate(const struct e53_rules *rs, const char *s, size_t n, size_t from);
/* Lines without a literal, counted in one pass (e53_prefilter_plain_lines). */
size_t e53_rules_plain_lines(const struct e53_rules *rs, const char *s, size_t n);
/* The prefilter's scan in use: "AVX2" or "scalar". */
const char *e53_rules_engine(const struct e53_rules *rs);
/* Lines looked at by regexes / by the prefilter only, for statistics. */
void e53_matcher_stats(const struct e53_matcher *m, uint64_t *lines, uint64_t *candidates);

#endif
