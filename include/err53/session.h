/* session.h - restore sessions built from events, and their diagnosis.
 *
 * A session is one restore attempt of one device.  The builder splits a
 * stream where a new restore begins, routes lines of concurrent devices by
 * their device tags, treats an embedded device log as part of the host's
 * session, and hands each finished session to a callback in start order.
 * Memory per session is fixed (stages and evidence are capped). */
#ifndef ERR53_SESSION_H
#define ERR53_SESSION_H

#include <stddef.h>

#include "err53/analyze.h"
#include "err53/rules.h"

#define E53_MAX_STAGES 48
#define E53_MAX_EVIDENCE 12
#define E53_MAX_TAGS 6
#define E53_MAX_ACTIONS 12
#define E53_MAX_OPEN 8     /* sessions open at once in one stream */
#define E53_MAX_HELD 64    /* sessions held for a multi-member input (sysdiagnose) */
#define E53_MAX_HISTORY 8

enum e53_family {
	E53_FAM_NONE, E53_FAM_ITUNES, E53_FAM_MOBILERESTORE, E53_FAM_IDEVICERESTORE,
	E53_FAM_FUTURERESTORE, E53_FAM_RESTORED, E53_FAM_SYSDIAGNOSE, E53_FAM__COUNT
};
const char *e53_family_name(enum e53_family f);

enum e53_stage_outcome { E53_ST_UNKNOWN, E53_ST_OK, E53_ST_FAILED };

enum e53_ev_class {
	E53_EC_NONE, E53_EC_BIOMETRIC, E53_EC_CABLE, E53_EC_SENSOR_UP, E53_EC_SENSOR_RESET,
	E53_EC_FDR_RECOVER, E53_EC_FDR_SERVICE, E53_EC_FACTORY_DATA, E53_EC_CODE,
	E53_EC_FDR_STEP, E53_EC_IOREG, E53_EC__COUNT
};

struct e53_stage {
	char name[56];
	const char *subsystem;   /* static vocabulary word */
	int op;                  /* raw operation number, -1 if none */
	int step;                /* 16-bit step id, -1 if none */
	enum e53_stage_outcome outcome;
	uint64_t line;
	bool explicit_outcome;   /* the log said ok/failed, not inferred */
};

struct e53_evidence {
	uint64_t line;
	char member[400];        /* empty: null */
	char rule[48];
	char text[320];
	enum e53_ev_class cls;
	bool in_fdr;             /* inside the FDR recovery step */
	bool previous;           /* from an earlier attempt's log */
};

struct e53_history {             /* sysdiagnose update history and panics */
	char from[24], to[24], when[40], source[24];
	char process[32];        /* panics: the process named in the panic */
	bool panic;
};

struct e53_session {
	enum e53_family family;
	uint64_t first_line, last_line;
	/* device */
	bool has_ecid;
	uint64_t ecid;
	char ecid_redacted[24];  /* set by --redact: shown instead of the ECID */
	char udid[48], serial[32], product_type[24], hw_model[20];
	/* restore */
	char target_build[20], target_version[20], current_build[20], current_version[20];
	char behavior[8];
	int protocol;            /* -1 unknown */
	/* result */
	enum e53_outcome outcome;
	bool has_code;
	long code;
	int code_rank;
	bool final_code;         /* the code comes from a result line, not a step */
	bool saw_failure, saw_success;
	char status_text[96];
	uint64_t fail_line;      /* the first line saying the restore failed, 0: none */
	int fail_prio;
	char fail_text[200];
	unsigned nstages;
	unsigned stages_dropped;
	unsigned nev;
	unsigned class_count[E53_EC__COUNT];
	uint64_t class_first_line[E53_EC__COUNT];
	bool fdr_open, fdr_failed, fdr_failed53, fdr_seen;
	bool device_log;         /* the device's own restore log is in the input */
	/* routing */
	char tags[E53_MAX_TAGS][24];
	unsigned char tagmodes[E53_MAX_TAGS];  /* DFU, Recovery, Restore */
	unsigned ntags;
	bool terminated;
	bool content;            /* has events beyond identity */
	unsigned seq;            /* start order */
	unsigned nhist;
	int sensor_enumerated;   /* -1 unknown, 0 absent (mesa node present), 1 present */
	/* diagnosis (filled by e53_diagnose) */
	enum e53_verdict verdict;
	const char *confidence;  /* "high", "medium", "low" or NULL */
	const char *why;         /* one sentence: why this verdict */
	unsigned nactions;
	const char *actions[E53_MAX_ACTIONS];

	/* Storage below is used only up to the counts above, so a new session
	 * clears nothing past E53_SESSION_HEAD (sessions are made per restore,
	 * and these arrays are most of their size). */
	char path[512];
	char member[512];        /* empty: null */
	struct e53_stage stages[E53_MAX_STAGES];
	struct e53_evidence ev[E53_MAX_EVIDENCE];
	struct e53_history hist[E53_MAX_HISTORY];  /* sysdiagnose update history */
	char action_buf[E53_MAX_ACTIONS][512];
};

#define E53_SESSION_HEAD offsetof(struct e53_session, path)

/* Receives each finished session (diagnosed); the session is freed after. */
typedef void (*e53_session_fn)(void *ctx, struct e53_session *s);

struct e53_builder;

struct e53_builder *e53_builder_new(e53_session_fn fn, void *ctx);
void e53_builder_free(struct e53_builder **b);
/* A new stream (file, stdin, archive member): line numbers restart. */
void e53_builder_begin(struct e53_builder *b, const char *path, const char *member);
/* Every line, before its events (line shapes, device tags, embedded logs). */
void e53_builder_line(struct e53_builder *b, const char *line, size_t len, uint64_t lineno);
/* The same for a line known to give no event: only what such a line can
 * change (the session's extent, the end of an embedded log, a tail
 * header) is looked at. */
void e53_builder_quiet_line(struct e53_builder *b, const char *line, size_t len, uint64_t lineno);
/* count quiet lines at once, the last of them numbered lineno; only when
 * no embedded log is open and none of them is a tail header (what
 * e53_builder_quiet_line would look at). */
void e53_builder_quiet_lines(struct e53_builder *b, uint64_t lineno, uint64_t count);
/* An embedded device log is open: quiet lines need their shape checked. */
bool e53_builder_embedded(const struct e53_builder *b);
void e53_builder_event(struct e53_builder *b, const struct e53_event *ev);
/* End of the stream: every open session is finished and handed over. */
void e53_builder_end(struct e53_builder *b);
/* Multi-member inputs (sysdiagnose): sessions started while a family is
 * forced get it; e53_builder_hold ends the forcing. */
void e53_builder_set_family(struct e53_builder *b, enum e53_family fam);
/* Starts a session for the stream just begun (one per OTAUpdate report). */
void e53_builder_new_session(struct e53_builder *b);
/* The current session is complete but held (not handed over) until
 * e53_builder_release: its archive may still hold its identity. */
void e53_builder_hold(struct e53_builder *b);
/* Hands every held session over, in start order. */
void e53_builder_release(struct e53_builder *b);
void e53_session_add_evidence(struct e53_session *s, enum e53_ev_class cls, uint64_t line,
			      const char *member, const char *rule, const char *text, size_t len,
			      bool in_fdr, bool previous);

/* Diagnosis: verdict, confidence, actions.  Idempotent. */
void e53_diagnose(struct e53_session *s);
/* Numbered steps for a plain code (--explain). */
void e53_finalize(struct e53_session *s);

/* Normalisers shared with tests. */
bool e53_parse_ecid(const char *p, size_t n, uint64_t *out);
bool e53_parse_step_id(const char *p, size_t n, unsigned *out);
bool e53_parse_long(const char *p, size_t n, long *out);

#endif
