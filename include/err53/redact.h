/* redact.h - stable placeholders for device and user identifiers, so a
 * report can go into a shared ticket.  One redactor per run, shared by all
 * threads: the same value gets the same placeholder everywhere. */
#ifndef ERR53_REDACT_H
#define ERR53_REDACT_H

#include "err53/session.h"

struct e53_redactor;

struct e53_redactor *e53_redactor_new(void);
void e53_redactor_free(struct e53_redactor **r);
/* The placeholder for a value of a kind ("SERIAL", "ECID", "UDID", "IMEI",
 * "USER"), e.g. "SERIAL-1a2b3c4d" (a hash of the value); written to out. */
void e53_redact_value(struct e53_redactor *r, const char *kind, const char *val, char *out,
		      size_t cap);
/* Rewrites a session's identifiers, source path and evidence texts. */
void e53_redact_session(struct e53_redactor *r, struct e53_session *s);
/* Rewrites user names in paths and IMEI-like numbers in free text. */
void e53_redact_text(struct e53_redactor *r, char *text, size_t cap);

#endif
