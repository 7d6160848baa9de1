/* sysdiag.h - iOS sysdiagnose archives and folders: recognise the tree,
 * route its members (identity files, ioreg dumps, OTAUpdate reports with
 * their embedded device restore logs, plists through a hardened libplist
 * reader), and give each restore found one session with the archive's
 * identity. */
#ifndef ERR53_SYSDIAG_H
#define ERR53_SYSDIAG_H

#include "err53/input.h"
#include "err53/session.h"

struct e53_sysdiag;

struct e53_sysdiag *e53_sysdiag_new(const struct e53_limits *lim);
void e53_sysdiag_free(struct e53_sysdiag **sd);
/* A new input. */
void e53_sysdiag_reset(struct e53_sysdiag *sd, const char *input);
/* Should this member be read at all? (skips IN_PROGRESS_ trees and the
 * members of a sysdiagnose that hold nothing for us) */
bool e53_sysdiag_want(struct e53_sysdiag *sd, const struct e53_origin *o);
/* true: the member belongs to a sysdiagnose and is routed here or to the
 * builder by this module; false: an ordinary log. */
bool e53_sysdiag_member_begin(struct e53_sysdiag *sd, const struct e53_origin *o,
			      struct e53_builder *b);
/* The first line of an OTAUpdate report (its JSON header): true when
 * consumed here. */
bool e53_sysdiag_line(struct e53_sysdiag *sd, const char *line, size_t len, uint64_t lineno);
/* true: the bytes were consumed here (not a line-oriented member). */
bool e53_sysdiag_data(struct e53_sysdiag *sd, const char *p, size_t n);
/* true: the member was a sysdiagnose member (the builder stays open). */
bool e53_sysdiag_member_end(struct e53_sysdiag *sd, struct e53_builder *b);
/* End of input: sessions of the sysdiagnose are handed to the builder. */
void e53_sysdiag_finish(struct e53_sysdiag *sd, struct e53_builder *b);
/* True when this input held a sysdiagnose tree. */
bool e53_sysdiag_seen(const struct e53_sysdiag *sd);
/* Applies archive-wide identity and sensor state to a finished session. */
void e53_sysdiag_apply(struct e53_sysdiag *sd, struct e53_session *s);
/* Pending messages, one per call, NULL when none.  error: something was
 * refused (an input-error); otherwise a warning that loses nothing. */
struct e53_sysdiag_msg {
	bool error;
	char path[512];
	char member[512];
	bool has_member;
	char text[256];
};
const struct e53_sysdiag_msg *e53_sysdiag_message(struct e53_sysdiag *sd);

/* The JSON header line of an .ips report (bug_type 183 OTAUpdate, 210
 * panic, ...).  Strings are cut to their fields' size. */
struct e53_ips_header {
	char bug_type[16];
	long restore_error;      /* -1 when absent or "-1" */
	bool has_error;
	char os_version[48];
	char payload[24];        /* restore_payload_version: the target build */
	char when[40];           /* timestamp */
	char restore_type[24];
};
e53_status e53_ips_parse_header(const char *line, size_t len, struct e53_ips_header *h);

/* Hardened plist parsing (size and nesting checked before libplist sees
 * the data).  Returns E53_OK and fills out (key -> string for the top-level
 * dictionary's string values) or an error with msg set. */
struct e53_kv {
	char key[64];
	char val[128];
};
e53_status e53_plist_strings(const char *data, size_t len, const struct e53_limits *lim,
			     struct e53_kv *out, size_t cap, size_t *n, char *msg, size_t msgcap);

#endif
