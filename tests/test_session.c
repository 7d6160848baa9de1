/* test_session.c - the session builder (src/session.c) driven directly with
 * synthetic events (no rule engine): splitting a stream into sessions,
 * routing concurrent devices by tag, embedded device logs, operation and
 * step decoding, the result rules, bounded memory and the normalisers.
 *
 * The oracle is the documentation, not the code: the log formats (ops,
 * steps, codes, ECIDs), §5.7 (embedded logs), §7 (splitting) and
 * the report contract (err53-report(5)) (result rules).  The events mimic what the rule
 * files emit for each line (rule ids and fields as in the rules/ files), and
 * the line texts are realistic because the builder reads each line's shape
 * and device tag itself.
 *
 * Tests named `regression_` pin defects found (and fixed) in
 * src/session.c (see the comment above each). */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err53/report.h"
#include "err53/session.h"
#include "err53/tables.h"
#include "eventutil.h"

/* ---- shared scripts ----------------------------------------------------- */

static const char BANNER[] = "idevicerestore 1.0.0-270-g405fcd1 (libirecovery 1.2.1, libtatsu 1.0.4)";

static uint64_t idr_banner(struct t_feed *f)
{
	return t_lev(f, BANNER, E53_EV_START, "idr-banner", "family", "idevicerestore", NULL);
}

static uint64_t idr_ecid(struct t_feed *f, const char *text, const char *ecid)
{
	return t_lev(f, text, E53_EV_IDENTITY, "idr-ecid", "ecid", ecid, NULL);
}

static uint64_t idr_identified(struct t_feed *f, const char *text, const char *hw, const char *pt)
{
	return t_lev(f, text, E53_EV_IDENTITY, "idr-identified", "hw_model", hw, "product_type", pt, NULL);
}

static uint64_t idr_op(struct t_feed *f, const char *text, const char *op)
{
	return t_lev(f, text, E53_EV_OP, "idr-op-storage", "op", op, NULL);
}

static uint64_t idr_status_finished(struct t_feed *f)
{
	return t_lev(f, "Status: Restore Finished", E53_EV_OUTCOME, "idr-status-finished",
		     "status", "success", "statusmsg", "Restore Finished", NULL);
}

static uint64_t idr_status_fdr(struct t_feed *f)
{
	return t_lev(f, "Status: Failed to recover FDR data.", E53_EV_OUTCOME, "idr-status",
		     "status", "failure", "statusmsg", "Failed to recover FDR data.", NULL);
}

static uint64_t idr_done(struct t_feed *f)
{
	return t_lev(f, "DONE", E53_EV_END, "idr-done", "status", "success", NULL);
}

static uint64_t idr_unable(struct t_feed *f)
{
	return t_lev(f, "ERROR: Unable to restore device", E53_EV_END, "idr-unable-restore",
		     "status", "failure", NULL);
}

static const char SEP_ERROR[] = "SYSLOG: Nov 13 12:36:51 localhost kernel[0] <Notice>: AppleMesaSEPDriver::"
				"sepMessageReceived: SEP returned error, request = 54, data = 1, length = 0";

static uint64_t sep_error(struct t_feed *f)
{
	return t_lev(f, SEP_ERROR, E53_EV_EVIDENCE, "mesa-sep-error", "class", "biometric", "code", "54", NULL);
}

static uint64_t fdr_begin(struct t_feed *f)
{
	return t_lev(f, "[09:10:25.0787-GMT]{3>5} CHECKPOINT BEGIN: RESTORED:[0x0634] fdr_recover",
		     E53_EV_STEP, "rd-ckpt-begin", "step", "0x0634", "name", "fdr_recover",
		     "scope", "RESTORED", "state", "begin", NULL);
}

static uint64_t fdr_fail53(struct t_feed *f)
{
	return t_lev(f, "[09:10:26.0101-GMT]{3>5} CHECKPOINT FAILURE:(FAILURE:53) RESTORED:[0x0634] "
			"fdr_recover [0]D(fatal FDR Error returned from RestoredFDRRecover())",
		     E53_EV_STEP, "rd-ckpt-failure", "step", "0x0634", "name", "fdr_recover",
		     "scope", "RESTORED", "state", "failure", "code", "53",
		     "what", "[0]D(fatal FDR Error returned from RestoredFDRRecover())", NULL);
}

static const struct e53_session *one_session(struct t_feed *f)
{
	cr_assert_eq(f->out.n, 1, "expected one session, got %zu", f->out.n);
	return &f->out.v[0];
}

/* Every stage of s was filed at one of the lines in [lo, hi]. */
static void stages_within(const struct e53_session *s, uint64_t lo, uint64_t hi, const char *who)
{
	unsigned i;

	for (i = 0; i < s->nstages; i++)
		cr_assert(s->stages[i].line >= lo && s->stages[i].line <= hi,
			  "%s: stage '%s' at line %llu is outside [%llu, %llu]", who, s->stages[i].name,
			  (unsigned long long)s->stages[i].line, (unsigned long long)lo,
			  (unsigned long long)hi);
}

static void evidence_within(const struct e53_session *s, uint64_t lo, uint64_t hi, const char *who)
{
	unsigned i;

	for (i = 0; i < s->nev; i++)
		cr_assert(s->ev[i].line >= lo && s->ev[i].line <= hi,
			  "%s: evidence at line %llu (%s) is outside [%llu, %llu]", who,
			  (unsigned long long)s->ev[i].line, s->ev[i].rule, (unsigned long long)lo,
			  (unsigned long long)hi);
}

static void seq_in_order(const struct t_feed *f)
{
	size_t i;

	for (i = 1; i < f->out.n; i++)
		cr_assert_lt(f->out.v[i - 1].seq, f->out.v[i].seq, "sessions handed over out of start order");
}

/* ---- splitting ---------------------------------------------------------- */

/* Three idevicerestore runs in one file (the log formats: a banner starts a run).
 * Run 2 embeds a device log with a Touch ID error and fails with 53. */
struct three_runs {
	uint64_t r1_first, r1_last, r2_first, r2_evidence, r2_fail, r2_status, r2_last, r3_first, r3_last;
};

static void feed_three_runs(struct t_feed *f, struct three_runs *r)
{
	/* run 1: iPhone 6s, decimal ECID, success */
	r->r1_first = idr_banner(f);
	t_lev(f, "Found device in Recovery mode", E53_EV_IDENTITY, "idr-found-device-mode", "mode", "Recovery", NULL);
	idr_ecid(f, "ECID: 6346169327486986", "6346169327486986");
	idr_identified(f, "Identified device as n71ap, iPhone8,1", "n71ap", "iPhone8,1");
	t_lev(f, "IPSW Product Build: 13D20 Major: 13", E53_EV_IDENTITY, "idr-target-build",
	      "target_build", "13D20", NULL);
	idr_op(f, "Restoring image (13)", "13");
	idr_status_finished(f);
	r->r1_last = idr_done(f);
	/* run 2: iPhone 7, hex ECID, Error 53 with a device log */
	r->r2_first = idr_banner(f);
	idr_ecid(f, "ECID: 0x0016A8E00A62C507", "0x0016A8E00A62C507");
	idr_identified(f, "Identified device as d10ap, iPhone9,1", "d10ap", "iPhone9,1");
	idr_op(f, "Verifying restore (14)", "14");
	t_lev(f, "Log is available:", E53_EV_EMBED, "idr-log-available", "what", "device", NULL);
	fdr_begin(f);
	r->r2_evidence = sep_error(f);
	r->r2_fail = fdr_fail53(f);
	t_lev(f, "ERROR: Unable to successfully restore device", E53_EV_UNEMBED, "host-unembed", NULL);
	r->r2_status = idr_status_fdr(f);
	r->r2_last = idr_unable(f);
	/* run 3: iPhone 8, another decimal ECID, success */
	r->r3_first = idr_banner(f);
	idr_ecid(f, "ECID: 1240019837755321", "1240019837755321");
	idr_identified(f, "Identified device as d20ap, iPhone10,1", "d20ap", "iPhone10,1");
	idr_op(f, "Restoring image (13)", "13");
	idr_status_finished(f);
	r->r3_last = idr_done(f);
	t_end(f);
}

Test(split, three_concatenated_idevicerestore_runs)
{
	struct t_feed f;
	struct three_runs r;
	const struct e53_session *s;
	const struct e53_stage *st;

	t_feed_init(&f, "three.log");
	feed_three_runs(&f, &r);
	cr_assert_eq(f.out.n, 3, "expected 3 sessions, got %zu", f.out.n);
	seq_in_order(&f);

	s = &f.out.v[0];
	cr_expect_eq(s->family, E53_FAM_IDEVICERESTORE);
	cr_assert(s->has_ecid);
	cr_expect_eq(s->ecid, 6346169327486986ULL);
	cr_expect_str_eq(s->product_type, "iPhone8,1");
	cr_expect_str_eq(s->hw_model, "n71ap");
	cr_expect_str_eq(s->target_build, "13D20");
	cr_expect_eq(s->first_line, r.r1_first);
	cr_expect_eq(s->outcome, E53_OUT_SUCCESS);
	cr_expect(!s->has_code);
	cr_expect_eq(s->nev, 0, "run 1 got %u evidence entries (run 2's leaked?)", s->nev);
	cr_expect_eq(s->class_count[E53_EC_BIOMETRIC], 0);
	cr_expect_eq(s->verdict, E53_V_NOT_ERROR53);
	cr_assert_not_null(t_stage_op(s, 13));
	stages_within(s, r.r1_first, r.r1_last, "run 1");

	s = &f.out.v[1];
	cr_expect_eq(s->family, E53_FAM_IDEVICERESTORE, "the embedded device log must not relabel the host session");
	cr_assert(s->has_ecid);
	cr_expect_eq(s->ecid, 0x0016a8e00a62c507ULL);
	cr_expect_str_eq(s->product_type, "iPhone9,1");
	cr_expect_str_eq(s->target_build, "", "run 1's target build leaked into run 2");
	cr_expect_eq(s->first_line, r.r2_first);
	cr_expect_eq(s->outcome, E53_OUT_FAILURE);
	cr_assert(s->has_code);
	cr_expect_eq(s->code, 53);
	cr_assert_not_null(t_evidence_line(s, r.r2_evidence), "run 2 lost its Touch ID line");
	cr_expect_eq(t_evidence_line(s, r.r2_evidence)->cls, E53_EC_BIOMETRIC);
	cr_expect(t_evidence_line(s, r.r2_evidence)->in_fdr);
	st = t_stage_step(s, 0x0634);
	cr_assert_not_null(st);
	cr_expect_eq(st->outcome, E53_ST_FAILED);
	cr_expect_eq(s->verdict, E53_V_BIOMETRIC);
	stages_within(s, r.r2_first, r.r2_last, "run 2");
	evidence_within(s, r.r2_first, r.r2_last, "run 2");

	s = &f.out.v[2];
	cr_expect_eq(s->family, E53_FAM_IDEVICERESTORE);
	cr_assert(s->has_ecid);
	cr_expect_eq(s->ecid, 1240019837755321ULL);
	cr_expect_str_eq(s->product_type, "iPhone10,1");
	cr_expect_str_eq(s->target_build, "");
	cr_expect_eq(s->first_line, r.r3_first);
	cr_expect_eq(s->last_line, r.r3_last);
	cr_expect_eq(s->outcome, E53_OUT_SUCCESS);
	cr_expect(!s->has_code);
	cr_expect_eq(s->nev, 0, "run 3 got %u evidence entries (run 2's leaked?)", s->nev);
	cr_expect(!s->fdr_failed && !s->fdr_seen, "run 2's FDR state leaked into run 3");
	cr_expect_eq(s->verdict, E53_V_NOT_ERROR53);
	stages_within(s, r.r3_first, r.r3_last, "run 3");
	t_feed_free(&f);
}

/* source.first_line / last_line: a session split at the next run's first
 * line ends on the line before it (the ranges never overlap). */
Test(split, last_line_stops_before_next_session)
{
	struct t_feed f;
	struct three_runs r;

	t_feed_init(&f, "three.log");
	feed_three_runs(&f, &r);
	cr_assert_eq(f.out.n, 3);
	cr_expect_eq(f.out.v[0].last_line, r.r1_last, "run 1 ends at DONE (line %llu), got %llu",
		     (unsigned long long)r.r1_last, (unsigned long long)f.out.v[0].last_line);
	cr_expect_eq(f.out.v[1].last_line, r.r2_last, "run 2 ends at 'Unable to restore device' (line %llu), got %llu",
		     (unsigned long long)r.r2_last, (unsigned long long)f.out.v[1].last_line);
	cr_expect_lt(f.out.v[0].last_line, f.out.v[1].first_line, "sessions 1 and 2 overlap");
	cr_expect_lt(f.out.v[1].last_line, f.out.v[2].first_line, "sessions 2 and 3 overlap");
	t_feed_free(&f);
}

/* the log formats: a new ECID (or ProductType) inside a session means a new
 * session starts at that line, even without a start marker. */
Test(split, new_ecid_without_start_marker_splits)
{
	struct t_feed f;
	uint64_t l_b, l_op_a, l_op_b;
	const struct e53_session *a, *b;

	t_feed_init(&f, "glued.log");
	idr_banner(&f);
	idr_ecid(&f, "ECID: 6346169327486986", "6346169327486986");
	idr_identified(&f, "Identified device as n71ap, iPhone8,1", "n71ap", "iPhone8,1");
	l_op_a = idr_op(&f, "Restoring image (13)", "13");
	sep_error(&f);
	l_b = idr_ecid(&f, "ECID: 1240019837755321", "1240019837755321");
	idr_identified(&f, "Identified device as d20ap, iPhone10,1", "d20ap", "iPhone10,1");
	l_op_b = idr_op(&f, "Verifying restore (14)", "14");
	t_end(&f);

	cr_assert_eq(f.out.n, 2, "a new ECID must start a new session (got %zu)", f.out.n);
	a = &f.out.v[0];
	b = &f.out.v[1];
	cr_expect_eq(a->ecid, 6346169327486986ULL);
	cr_expect_str_eq(a->product_type, "iPhone8,1");
	cr_expect_eq(a->first_line, 1);
	cr_assert(b->has_ecid);
	cr_expect_eq(b->ecid, 1240019837755321ULL);
	cr_expect_str_eq(b->product_type, "iPhone10,1", "the first device's ProductType leaked");
	cr_expect_str_eq(b->hw_model, "d20ap");
	cr_expect_eq(b->first_line, l_b);
	cr_expect_eq(b->last_line, l_op_b);
	cr_expect_not_null(t_stage_op(a, 13));
	cr_expect_null(t_stage_op(a, 14));
	cr_expect_null(t_stage_op(b, 13), "stage of device A in device B's session");
	cr_expect_not_null(t_stage_op(b, 14));
	cr_expect_eq(a->nev, 1);
	cr_expect_eq(b->nev, 0, "evidence of device A in device B's session");
	stages_within(a, 1, l_op_a, "device A");
	t_feed_free(&f);
}

Test(split, new_product_type_without_start_marker_splits)
{
	struct t_feed f;
	uint64_t l2;

	t_feed_init(&f, "glued.log");
	idr_banner(&f);
	idr_identified(&f, "Identified device as n71ap, iPhone8,1", "n71ap", "iPhone8,1");
	idr_op(&f, "Restoring image (13)", "13");
	l2 = idr_identified(&f, "Identified device as d10ap, iPhone9,1", "d10ap", "iPhone9,1");
	idr_op(&f, "Verifying restore (14)", "14");
	t_end(&f);
	cr_assert_eq(f.out.n, 2);
	cr_expect_str_eq(f.out.v[0].product_type, "iPhone8,1");
	cr_expect_str_eq(f.out.v[1].product_type, "iPhone9,1");
	cr_expect_eq(f.out.v[1].first_line, l2);
	t_feed_free(&f);
}

/* The report contract: `family` is one of the six names, never null.  A session
 * split off at a new ECID inside an idevicerestore stream was still written
 * by idevicerestore.
 * Regression (fixed; src/session.c, target() `fresh:` / new_session): the new session gets
 * b->forced (E53_FAM_NONE) and plain era-1 lines imply no family, so the
 * split-off session reports "family": null.  Fix: remember the stream's host
 * family in the builder (last family set by a START / identity outside an
 * embed, reset in e53_builder_begin and at `==> <==` headers) and give it to
 * sessions opened without a start marker. */
Test(split, regression_split_session_keeps_stream_family)
{
	struct t_feed f;

	t_feed_init(&f, "glued.log");
	idr_banner(&f);
	idr_ecid(&f, "ECID: 6346169327486986", "6346169327486986");
	idr_op(&f, "Restoring image (13)", "13");
	idr_ecid(&f, "ECID: 1240019837755321", "1240019837755321");
	idr_op(&f, "Verifying restore (14)", "14");
	t_end(&f);
	cr_assert_eq(f.out.n, 2);
	cr_expect_eq(f.out.v[0].family, E53_FAM_IDEVICERESTORE);
	cr_expect_eq(f.out.v[1].family, E53_FAM_IDEVICERESTORE,
		     "split-off session has family '%s'",
		     e53_family_name(f.out.v[1].family) ? e53_family_name(f.out.v[1].family) : "(null)");
	t_feed_free(&f);
}

/* `tail -n +1 a.log b.log` prints `==> b.log <==` between files: a new
 * session starts even for the same device and without a start marker. */
Test(split, tail_header_splits)
{
	struct t_feed f;
	uint64_t l_op1, l_hdr, l_ecid2, l_end2;
	const struct e53_session *a, *b;

	t_feed_init(&f, "tail.txt");
	idr_banner(&f);
	idr_ecid(&f, "ECID: 6346169327486986", "6346169327486986");
	l_op1 = idr_op(&f, "Restoring image (13)", "13");
	l_hdr = t_line(&f, "==> /var/log/idevicerestore/restore_0016a8e00a62c507_1700000000.log <==");
	l_ecid2 = idr_ecid(&f, "ECID: 6346169327486986", "6346169327486986");
	idr_op(&f, "Verifying restore (14)", "14");
	idr_status_finished(&f);
	l_end2 = idr_done(&f);
	t_end(&f);

	cr_assert_eq(f.out.n, 2, "the tail header must split (got %zu sessions)", f.out.n);
	a = &f.out.v[0];
	b = &f.out.v[1];
	cr_expect_eq(a->first_line, 1);
	cr_expect_eq(a->last_line, l_op1, "session 1 must end before the header (line %llu)",
		     (unsigned long long)l_hdr);
	cr_expect_eq(a->outcome, E53_OUT_INCOMPLETE);
	cr_expect_eq(b->first_line, l_ecid2);
	cr_expect_eq(b->last_line, l_end2);
	cr_expect_eq(b->ecid, 6346169327486986ULL);
	cr_expect_eq(b->outcome, E53_OUT_SUCCESS);
	cr_expect_null(t_stage_op(b, 13));
	cr_expect_null(t_stage_op(a, 14));
	t_feed_free(&f);
}

/* After a terminal line (`end`), a trailing outcome line still belongs to the
 * finished attempt; the next identity with a device field is a new one. */
Test(split, after_end_outcome_stays_identity_starts_new)
{
	struct t_feed f;
	uint64_t l_end, l_trail, l_new;
	const struct e53_session *a, *b;

	t_feed_init(&f, "retry.log");
	idr_banner(&f);
	idr_ecid(&f, "ECID: 6346169327486986", "6346169327486986");
	idr_identified(&f, "Identified device as n71ap, iPhone8,1", "n71ap", "iPhone8,1");
	idr_op(&f, "Restoring image (13)", "13");
	idr_status_fdr(&f);
	l_end = idr_unable(&f);
	l_trail = t_lev(&f, "idevicerestore exited with code -53", E53_EV_OUTCOME, "restore-exit-code",
			"status", "failure", "code", "-53", NULL);
	/* the user retries: same device, no banner (the wrapper loops) */
	l_new = idr_ecid(&f, "ECID: 6346169327486986", "6346169327486986");
	idr_identified(&f, "Identified device as n71ap, iPhone8,1", "n71ap", "iPhone8,1");
	idr_op(&f, "Verifying restore (14)", "14");
	t_end(&f);

	cr_assert_eq(f.out.n, 2, "a device identity after `end` must start a new session (got %zu)", f.out.n);
	a = &f.out.v[0];
	b = &f.out.v[1];
	cr_expect(a->terminated);
	cr_expect_eq(a->outcome, E53_OUT_FAILURE);
	cr_expect_eq(a->code, 53);
	cr_expect_geq(a->last_line, l_trail, "the trailing outcome line (line %llu) belongs to session 1",
		      (unsigned long long)l_trail);
	cr_expect_gt(l_trail, l_end);
	cr_expect_eq(b->first_line, l_new);
	cr_expect_eq(b->ecid, 6346169327486986ULL);
	cr_expect_eq(b->outcome, E53_OUT_INCOMPLETE, "session 2 inherited a result");
	cr_expect(!b->has_code, "session 2 inherited code %ld", b->code);
	cr_expect(!b->terminated);
	cr_expect_not_null(t_stage_op(b, 14));
	cr_expect_null(t_stage_op(b, 13));
	t_feed_free(&f);
}

/* the log formats (idevicerestore): a session starts at `Found device in … mode`
 * after a terminal line - the line that opens the retry, before its ECID.
 * Regression (fixed; minor, src/session.c, target()): after `end`, an identity event
 * without a device field (the rule idr-found-device-mode sets only `mode`)
 * stays in the finished session, so the retry's source.first_line is its
 * ECID line and the finished attempt's last_line takes the `Found device`
 * line.  Fix: in the `s->terminated` case, treat an identity carrying
 * `mode` (Found device in … mode) like a device identity (goto fresh). */
Test(split, regression_found_device_after_end_starts_new_session)
{
	struct t_feed f;
	uint64_t l_end, l_found;

	t_feed_init(&f, "retry.log");
	idr_banner(&f);
	idr_ecid(&f, "ECID: 6346169327486986", "6346169327486986");
	idr_op(&f, "Restoring image (13)", "13");
	idr_status_fdr(&f);
	l_end = idr_unable(&f);
	l_found = t_lev(&f, "Found device in Recovery mode", E53_EV_IDENTITY, "idr-found-device-mode",
			"mode", "Recovery", NULL);
	idr_ecid(&f, "ECID: 6346169327486986", "6346169327486986");
	idr_op(&f, "Verifying restore (14)", "14");
	t_end(&f);
	cr_assert_eq(f.out.n, 2);
	cr_expect_eq(f.out.v[0].last_line, l_end, "attempt 1 ends at line %llu, got %llu",
		     (unsigned long long)l_end, (unsigned long long)f.out.v[0].last_line);
	cr_expect_eq(f.out.v[1].first_line, l_found, "the retry starts at `Found device` (line %llu), got %llu",
		     (unsigned long long)l_found, (unsigned long long)f.out.v[1].first_line);
	t_feed_free(&f);
}

/* the log formats (mobilerestore): a session starts at `Changing state from
 * 'Idle' to 'Restoring'` and ends at `Restore completed, status: N`.  A
 * single device retried in the same log: the state and result lines carry
 * no tag (as in the rule samples), the operation lines do.
 * Regression (fixed; src/session.c, target()): `Restore completed` is an outcome, not an
 * `end`, so the first attempt is never terminated; and the retry's untagged
 * START does not split because the open session has tags
 * (`START && content && !ntags`).  Both attempts end up in ONE session whose
 * result is the first attempt's failure 53 - the successful retry is lost
 * (reproduced end to end with err53-logscan --format=ndjson).  Fix: mark a
 * session terminated on a final mobilerestore outcome (`Restore completed,
 * status:`; the rule notes in rules/20-itunes.rules already say "the
 * builder ends a mobilerestore session here"), or emit an `end` event from
 * the rule; and let an untagged START split a session that already has a
 * result (saw_success / saw_failure) even when it has tags. */
Test(split, regression_mobilerestore_retry_after_restore_completed_splits)
{
	struct t_feed f;
	uint64_t l_done1, l_retry;

	t_feed_init(&f, "iPhone Updater 2.log");
	t_lev(&f, "[11:20:05.0101] Changing state from 'Idle' to 'Restoring'", E53_EV_START, "it-state-start",
	      "family", "mobilerestore", NULL);
	t_lev(&f, "[11:20:06.0101] <Recovery Mode Device 0x6000031a2b40>: operation 4 progress -1", E53_EV_OP,
	      "it-op", "tag", "0x6000031a2b40", "mode", "Recovery Mode", "op", "4", "progress", "-1", NULL);
	t_lev(&f, "[11:25:00.0101] <Restore Device 0x6000031c4d60>: operation 13 progress 0", E53_EV_OP,
	      "it-op", "tag", "0x6000031c4d60", "mode", "Restore", "op", "13", "progress", "0", NULL);
	t_lev(&f, "[11:30:00.0101] Restore completed, status: 53", E53_EV_OUTCOME, "it-restore-completed-fail",
	      "status", "failure", "code", "53", NULL);
	l_done1 = t_lev(&f, "[11:30:00.0102] Depth:0 Code:53 Error:Failed to handle message type StatusMsg",
			E53_EV_OUTCOME, "it-depth0", "status", "failure", "code", "53",
			"statusmsg", "Failed to handle message type StatusMsg", NULL);
	l_retry = t_lev(&f, "[11:40:05.0101] Changing state from 'Idle' to 'Restoring'", E53_EV_START,
			"it-state-start", "family", "mobilerestore", NULL);
	t_lev(&f, "[11:40:06.0101] <Recovery Mode Device 0x6000031e5f70>: operation 4 progress -1", E53_EV_OP,
	      "it-op", "tag", "0x6000031e5f70", "mode", "Recovery Mode", "op", "4", "progress", "-1", NULL);
	t_lev(&f, "[11:45:00.0101] <Restore Device 0x6000031f6a80>: operation 13 progress 0", E53_EV_OP,
	      "it-op", "tag", "0x6000031f6a80", "mode", "Restore", "op", "13", "progress", "0", NULL);
	t_lev(&f, "[11:50:00.0101] Restore completed, status: 0", E53_EV_OUTCOME, "it-restore-completed-ok",
	      "status", "success", NULL);
	t_end(&f);

	cr_assert_eq(f.out.n, 2, "two restore attempts, got %zu session(s)", f.out.n);
	cr_expect_eq(f.out.v[0].outcome, E53_OUT_FAILURE);
	cr_expect_eq(f.out.v[0].code, 53);
	cr_expect_eq(f.out.v[0].last_line, l_done1);
	cr_expect_eq(f.out.v[1].first_line, l_retry);
	cr_expect_eq(f.out.v[1].outcome, E53_OUT_SUCCESS);
	t_feed_free(&f);
}

/* ---- concurrent devices ------------------------------------------------- */

#define A_REC "0x600001f8c2a0"
#define A_RST "0x600001f8e4c0"
#define B_REC "0x600001f9a100"
#define B_RST "0x600001f9b380"
#define A_ECID "0016A8E00A62C507"
#define B_ECID "000A1B2C3D4E5F60"

struct interleaved {
	uint64_t a_start, b_start, b_ev, b_code, a_last_op, a_done;
	uint64_t a_lines[8], b_lines[8];
	unsigned na, nb;
};

/* Apple Configurator restoring two phones at once (mobilerestore lines):
 * A starts, B starts with a new tag while A is open, each mode switch gets a
 * new tag bound through the ECID, lines interleave, B fails with 53, A
 * succeeds later. */
static void feed_interleaved(struct t_feed *f, struct interleaved *r)
{
	uint64_t l;

	memset(r, 0, sizeof *r);
	r->a_start = t_line(f, "[10:30:00.0001] <Recovery Mode Device " A_REC ">: Changing state from 'Idle' to 'Restoring'");
	t_event(f, E53_EV_START, "it-state-start", "family", "mobilerestore", "tag", A_REC, "mode", "Recovery Mode", NULL);
	t_lev(f, "[10:30:00.1001] <Recovery Mode Device " A_REC ">: CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:08 ECID:" A_ECID " IBFL:3C SRNM:[DX3TQ7W1HG6K]",
	      E53_EV_TAG, "it-tag-ecid", "tag", A_REC, "mode", "Recovery Mode", "ecid", A_ECID, "serial", "DX3TQ7W1HG6K", NULL);
	l = t_lev(f, "[10:30:00.2001] <Recovery Mode Device " A_REC ">: operation 4 progress -1",
		  E53_EV_OP, "it-op", "tag", A_REC, "mode", "Recovery Mode", "op", "4", "progress", "-1", NULL);
	r->a_lines[r->na++] = l;

	r->b_start = t_line(f, "[10:30:01.0001] <Recovery Mode Device " B_REC ">: Changing state from 'Idle' to 'Restoring'");
	t_event(f, E53_EV_START, "it-state-start", "family", "mobilerestore", "tag", B_REC, "mode", "Recovery Mode", NULL);
	t_lev(f, "[10:30:01.1001] <Recovery Mode Device " B_REC ">: CPID:8010 CPRV:11 CPFM:03 SCEP:01 BDID:08 ECID:" B_ECID " IBFL:3C SRNM:[F17VX2ABHG7F]",
	      E53_EV_TAG, "it-tag-ecid", "tag", B_REC, "mode", "Recovery Mode", "ecid", B_ECID, "serial", "F17VX2ABHG7F", NULL);
	l = t_lev(f, "[10:30:01.2001] <Recovery Mode Device " B_REC ">: operation 4 progress -1",
		  E53_EV_OP, "it-op", "tag", B_REC, "mode", "Recovery Mode", "op", "4", "progress", "-1", NULL);
	r->b_lines[r->nb++] = l;

	/* both reboot into restore mode: new tags, bound by ECID */
	t_lev(f, "[10:30:20.5002] <Restore Device " A_RST ">: Restore mode device connected (ECID:" A_ECID ")",
	      E53_EV_IDENTITY, "it-tag-ecid", "tag", A_RST, "mode", "Restore", "ecid", A_ECID, NULL);
	t_lev(f, "[10:30:21.0002] <Restore Device " B_RST ">: Restore mode device connected (ECID:" B_ECID ")",
	      E53_EV_TAG, "it-tag-ecid", "tag", B_RST, "mode", "Restore", "ecid", B_ECID, NULL);
	l = t_lev(f, "[10:30:22.0001] <Restore Device " A_RST ">: operation 11 progress 0",
		  E53_EV_OP, "it-op", "tag", A_RST, "mode", "Restore", "op", "11", "progress", "0", NULL);
	r->a_lines[r->na++] = l;
	l = t_lev(f, "[10:30:22.5001] <Restore Device " B_RST ">: operation 12 progress 0",
		  E53_EV_OP, "it-op", "tag", B_RST, "mode", "Restore", "op", "12", "progress", "0", NULL);
	r->b_lines[r->nb++] = l;
	l = t_lev(f, "[10:30:23.0001] <Restore Device " A_RST ">: operation 13 progress 10",
		  E53_EV_OP, "it-op", "tag", A_RST, "mode", "Restore", "op", "13", "progress", "10", NULL);
	r->a_lines[r->na++] = l;
	r->b_ev = t_lev(f, "[10:30:24.0001] <Restore Device " B_RST ">: AppleMesaSEPDriver::sepMessageReceived: SEP returned error, request = 54, data = 1, length = 0",
			E53_EV_EVIDENCE, "mesa-sep-error", "class", "biometric", "code", "54", NULL);
	t_lev(f, "[10:30:24.5001] <Restore Device " A_RST ">: operation 13 progress 50",
	      E53_EV_OP, "it-op", "tag", A_RST, "mode", "Restore", "op", "13", "progress", "50", NULL);
	r->b_code = t_lev(f, "[10:30:25.0001] <Restore Device " B_RST ">: device returned AMR error 53",
			  E53_EV_OUTCOME, "it-amr-error", "tag", B_RST, "mode", "Restore", "status", "failure", "code", "53", NULL);
	t_lev(f, "[10:30:25.0101] <Restore Device " B_RST ">: Restore completed, status: 53",
	      E53_EV_OUTCOME, "it-restore-completed-fail", "tag", B_RST, "mode", "Restore", "status", "failure", "code", "53", NULL);
	t_lev(f, "[10:30:25.0102] <Restore Device " B_RST ">: Depth:0 Code:53 Error:Failed to handle message type StatusMsg",
	      E53_EV_OUTCOME, "it-depth0", "tag", B_RST, "mode", "Restore", "status", "failure", "code", "53",
	      "statusmsg", "Failed to handle message type StatusMsg", NULL);
	l = t_lev(f, "[10:31:00.0001] <Restore Device " A_RST ">: operation 16 progress 100",
		  E53_EV_OP, "it-op", "tag", A_RST, "mode", "Restore", "op", "16", "progress", "100", NULL);
	r->a_lines[r->na++] = l;
	r->a_last_op = l;
	r->a_done = t_lev(f, "[10:31:10.0001] <Restore Device " A_RST ">: Restore completed, status: 0",
			  E53_EV_OUTCOME, "it-restore-completed-ok", "tag", A_RST, "mode", "Restore", "status", "success", NULL);
	t_end(f);
}

static bool line_in(uint64_t l, const uint64_t *v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (v[i] == l)
			return true;
	return false;
}

Test(concurrent, interleaved_devices_routed_by_tag)
{
	struct t_feed f;
	struct interleaved r;
	const struct e53_session *a, *b;
	unsigned i;

	t_feed_init(&f, "configurator.log");
	feed_interleaved(&f, &r);
	cr_assert_eq(f.out.n, 2, "two devices, two sessions (got %zu)", f.out.n);
	seq_in_order(&f);
	a = &f.out.v[0];
	b = &f.out.v[1];

	/* start order: A first */
	cr_expect_eq(a->first_line, r.a_start);
	cr_expect_eq(b->first_line, r.b_start);
	cr_expect_eq(a->family, E53_FAM_MOBILERESTORE);
	cr_expect_eq(b->family, E53_FAM_MOBILERESTORE);
	cr_assert(a->has_ecid && b->has_ecid);
	cr_expect_eq(a->ecid, 0x0016a8e00a62c507ULL, "A has ECID 0x%016llx", (unsigned long long)a->ecid);
	cr_expect_eq(b->ecid, 0x000a1b2c3d4e5f60ULL, "B has ECID 0x%016llx", (unsigned long long)b->ecid);
	cr_expect_str_eq(a->serial, "DX3TQ7W1HG6K");
	cr_expect_str_eq(b->serial, "F17VX2ABHG7F");

	/* results */
	cr_expect_eq(a->outcome, E53_OUT_SUCCESS, "A: %s", e53_outcome_name(a->outcome));
	cr_expect(!a->has_code, "A got code %ld (B's?)", a->code);
	cr_expect_eq(b->outcome, E53_OUT_FAILURE);
	cr_assert(b->has_code);
	cr_expect_eq(b->code, 53);

	/* stages: each its own */
	cr_expect_not_null(t_stage_op(a, 16), "A's last operation is missing");
	cr_expect_null(t_stage_op(b, 16), "A's operation 16 in B");
	cr_expect_not_null(t_stage_op(b, 12));
	cr_expect_null(t_stage_op(a, 12), "B's operation 12 in A");
	for (i = 0; i < a->nstages; i++)
		cr_expect(line_in(a->stages[i].line, r.a_lines, r.na), "A has a stage from line %llu",
			  (unsigned long long)a->stages[i].line);
	for (i = 0; i < b->nstages; i++)
		cr_expect(line_in(b->stages[i].line, r.b_lines, r.nb), "B has a stage from line %llu",
			  (unsigned long long)b->stages[i].line);

	/* evidence: B's only */
	cr_expect_not_null(t_evidence_line(b, r.b_ev));
	cr_expect_eq(a->nev, 0, "A has %u evidence entries (B's leaked)", a->nev);
	cr_expect_eq(a->class_count[E53_EC_BIOMETRIC], 0);
	cr_expect_eq(a->class_count[E53_EC_CODE], 0);
	cr_expect_eq(b->verdict, E53_V_BIOMETRIC);
	cr_expect_eq(a->verdict, E53_V_NOT_ERROR53);

	/* the restore-mode tags went to the right devices */
	{
		bool a_rst = false, b_rst = false, a_has_b = false;

		for (i = 0; i < a->ntags; i++) {
			a_rst |= !strcasecmp(a->tags[i], A_RST + 2);
			a_has_b |= !strcasecmp(a->tags[i], B_RST + 2) || !strcasecmp(a->tags[i], B_REC + 2);
		}
		for (i = 0; i < b->ntags; i++)
			b_rst |= !strcasecmp(b->tags[i], B_RST + 2);
		cr_expect(a_rst, "A's restore-mode tag not bound to A");
		cr_expect(b_rst, "B's restore-mode tag not bound to B");
		cr_expect(!a_has_b, "B's tag bound to A");
	}
	cr_expect_geq(a->last_line, r.a_done);
	t_feed_free(&f);
}

/* ---- embedded device logs ----------------------------------------------- */

Test(embed, device_log_belongs_to_host_session)
{
	struct t_feed f;
	uint64_t l_start_dev, l_bio, l_results, l_unembed, l_status, l_end;
	const struct e53_session *s;
	const struct e53_evidence *e;
	const struct e53_stage *st;

	t_feed_init(&f, "idr-era1.log");
	idr_banner(&f);
	idr_ecid(&f, "ECID: 6346169327486986", "6346169327486986");
	idr_identified(&f, "Identified device as n71ap, iPhone8,1", "n71ap", "iPhone8,1");
	t_lev(&f, "Log is available:", E53_EV_EMBED, "idr-log-available", "what", "device", NULL);
	/* the device log's own start marker and identity must not split */
	l_start_dev = t_lev(&f, "[09:10:20.0001-GMT]{3>5} CHECKPOINT PROGRESS: START (unknown) -> RESTORED",
			    E53_EV_START, "rd-progress-start", "family", "restored", NULL);
	t_lev(&f, "[09:10:21.0001-GMT]{3>5} CHECKPOINT NOTICE: client protocol version 13",
	      E53_EV_IDENTITY, "rd-client-protocol", "protocol", "13", NULL);
	t_lev(&f, "seal file: seal-00008010-0019A2F3C4D5E6F7", E53_EV_IDENTITY, "t-seal-ecid",
	      "ecid", "0019A2F3C4D5E6F7", NULL);
	fdr_begin(&f);
	t_lev(&f, "entering RestoredFDRRecover", E53_EV_EVIDENCE, "fdr-recover-enter", "class", "fdr-recover", NULL);
	l_bio = sep_error(&f);
	fdr_fail53(&f);
	l_results = t_lev(&f, "restore-step-results = {0x1107067B:{0:53};0x11070634:{0:53}}", E53_EV_STEP,
			  "rd-step-results", "what", "results", "name", "{0x1107067B:{0:53};0x11070634:{0:53}}", NULL);
	l_unembed = t_lev(&f, "ERROR: Unable to successfully restore device", E53_EV_UNEMBED, "host-unembed", NULL);
	l_status = idr_status_fdr(&f);
	l_end = idr_unable(&f);
	t_end(&f);

	cr_assert_eq(f.out.n, 1, "the embedded device log split the host session (%zu sessions)", f.out.n);
	s = &f.out.v[0];
	cr_expect_eq(s->family, E53_FAM_IDEVICERESTORE, "family '%s'", e53_family_name(s->family));
	cr_expect_eq(s->first_line, 1);
	cr_expect_eq(s->last_line, l_end);
	cr_expect_eq(s->ecid, 6346169327486986ULL, "the device log overrode the host's ECID");
	cr_expect_eq(s->protocol, 13);
	cr_expect_eq(s->outcome, E53_OUT_FAILURE);
	cr_expect_eq(s->code, 53);
	e = t_evidence_line(s, l_bio);
	cr_assert_not_null(e);
	cr_expect_eq(e->cls, E53_EC_BIOMETRIC);
	cr_expect(e->in_fdr, "the SEP error came inside fdr_recover");
	cr_expect(!e->previous);
	cr_expect_str_eq(e->rule, "mesa-sep-error");
	cr_expect_str_eq(e->text, SEP_ERROR);
	st = t_stage_step(s, 0x0634);
	cr_assert_not_null(st);
	cr_expect_eq(st->outcome, E53_ST_FAILED);
	st = t_stage_step(s, 0x067B);
	cr_assert_not_null(st, "perform_restore_installing from the results dump (line %llu)",
			   (unsigned long long)l_results);
	cr_expect_eq(st->outcome, E53_ST_FAILED);
	cr_expect_eq(s->verdict, E53_V_BIOMETRIC);
	/* the host's status line is the code evidence; the device's START at
	 * line l_start_dev did not open a session of its own */
	cr_expect_not_null(t_evidence_line(s, l_status));
	cr_expect_lt(s->first_line, l_start_dev);
	cr_expect_gt(l_end, l_unembed);
	t_feed_free(&f);
}

/* `Previous Restore Log Received:` is an EARLIER attempt: its failed steps
 * and codes are not this attempt's result, its evidence is kept flagged. */
Test(embed, previous_log_does_not_decide_the_result)
{
	struct t_feed f;
	uint64_t l_bio;
	const struct e53_session *s;
	const struct e53_evidence *e;

	t_feed_init(&f, "idr-retry.log");
	idr_banner(&f);
	idr_ecid(&f, "ECID: 6346169327486986", "6346169327486986");
	idr_identified(&f, "Identified device as n71ap, iPhone8,1", "n71ap", "iPhone8,1");
	t_lev(&f, "Previous Restore Log Received:", E53_EV_EMBED, "idr-previous-log", "what", "previous", NULL);
	fdr_begin(&f);
	t_lev(&f, "entering RestoredFDRRecover", E53_EV_EVIDENCE, "fdr-recover-enter", "class", "fdr-recover", NULL);
	l_bio = sep_error(&f);
	fdr_fail53(&f);
	t_lev(&f, "restore-step-results = {0x1107067B:{0:53};0x11070634:{0:53}}", E53_EV_STEP,
	      "rd-step-results", "what", "results", "name", "{0x1107067B:{0:53};0x11070634:{0:53}}", NULL);
	t_lev(&f, "1: AMRestoreErrorDomain/35: failed to recover FDR data", E53_EV_OUTCOME, "rd-cferror-amrestore",
	      "status", "failure", "hexcode", "35", NULL);
	t_lev(&f, "ReverseProxy[Ctrl]: (status=1) Ready", E53_EV_UNEMBED, "host-unembed", NULL);
	idr_op(&f, "Restoring image (13)", "13");
	idr_op(&f, "Verifying restore (14)", "14");
	idr_status_finished(&f);
	idr_done(&f);
	t_end(&f);

	cr_assert_eq(f.out.n, 1);
	s = &f.out.v[0];
	cr_expect_eq(s->outcome, E53_OUT_SUCCESS, "outcome %s: the previous attempt's failure leaked",
		     e53_outcome_name(s->outcome));
	cr_expect(!s->has_code, "code %ld from the previous attempt", s->code);
	cr_expect_eq(t_failed_stages(s), 0);
	cr_expect(!s->fdr_failed && !s->fdr_failed53);
	cr_expect_eq(s->class_count[E53_EC_BIOMETRIC], 0, "previous evidence counted for this attempt");
	e = t_evidence_line(s, l_bio);
	cr_assert_not_null(e, "the previous log's evidence should be kept (flagged)");
	cr_expect(e->previous);
	cr_expect_eq(s->verdict, E53_V_NOT_ERROR53);
	t_feed_free(&f);
}

/* Era-2 idevicerestore files: after `<Info> Log is available:` every line
 * WITHOUT the `HH:MM:SS.mmm <Level>` prefix is the device's; the next
 * prefixed line ends the device log (no unembed event needed). */
Test(embed, era2_unprefixed_lines_are_device_lines)
{
	struct t_feed f;
	uint64_t l_fail, l_end, l_cleanup, l_new;
	const struct e53_session *a, *b;

	t_feed_init(&f, "restore_0016a8e00a62c507_1700000000.log");
	t_lev(&f, "09:15:02.004    <Info> idevicerestore 1.0.0-260-gb21a7c3 (libirecovery 1.3.1, libtatsu 1.0.5)",
	      E53_EV_START, "idr-banner", "family", "idevicerestore", NULL);
	idr_ecid(&f, "09:15:02.100    <Info> ECID: 6346169327486986", "6346169327486986");
	idr_identified(&f, "09:15:02.101    <Info> Identified device as n71ap, iPhone8,1", "n71ap", "iPhone8,1");
	t_lev(&f, "14:02:03.456    <Info> Log is available:", E53_EV_EMBED, "idr-log-available", "what", "device", NULL);
	t_lev(&f, "SYSLOG: Nov 13 12:30:01 localhost bootlog[0] <Notice>: BOOT_TIME 1699878601 0",
	      E53_EV_START, "rd-boot-time", "family", "restored", NULL);
	t_lev(&f, "[13:01:58.0101-GMT]{3>5} CHECKPOINT BEGIN: RESTORED:[0x0634] fdr_recover", E53_EV_STEP,
	      "rd-ckpt-begin", "step", "0x0634", "state", "begin", "name", "fdr_recover", NULL);
	t_lev(&f, "entering RestoredFDRRecover", E53_EV_EVIDENCE, "fdr-recover-enter", "class", "fdr-recover", NULL);
	/* an unprefixed line that would be a new device in a host log */
	t_lev(&f, "ECID: 1240019837755321", E53_EV_IDENTITY, "idr-ecid", "ecid", "1240019837755321", NULL);
	t_lev(&f, "done with restore. status: 53 (not a host line)", E53_EV_END, "t-device-end", "status", "failure", NULL);
	l_fail = t_lev(&f, "[13:01:59.0101-GMT]{3>5} CHECKPOINT FAILURE:(FAILURE:53) RESTORED:[0x0634] fdr_recover [0]D(fatal FDR Error)",
		       E53_EV_STEP, "rd-ckpt-failure", "step", "0x0634", "state", "failure", "code", "53", NULL);
	/* the next prefixed line is the host again: it ends the device log */
	l_end = t_lev(&f, "14:02:03.470   <Error> Unable to restore device", E53_EV_END, "idr-unable-restore",
		      "status", "failure", NULL);
	l_cleanup = t_line(&f, "14:02:03.471    <Info> Cleaning up...");
	l_new = idr_ecid(&f, "14:05:00.000    <Info> ECID: 1240019837755321", "1240019837755321");
	idr_op(&f, "14:05:10.000    <Info> Restoring image (13)", "13");
	t_end(&f);

	cr_assert_eq(f.out.n, 2, "expected the host session and the next run (got %zu)", f.out.n);
	a = &f.out.v[0];
	b = &f.out.v[1];
	cr_expect_eq(a->family, E53_FAM_IDEVICERESTORE);
	cr_expect_eq(a->ecid, 6346169327486986ULL, "a device-log line changed the host's ECID");
	cr_expect_eq(a->outcome, E53_OUT_FAILURE);
	cr_expect_eq(a->code, 53);
	cr_assert_not_null(t_stage_step(a, 0x0634));
	cr_expect_eq(t_stage_step(a, 0x0634)->outcome, E53_ST_FAILED);
	cr_expect(a->terminated, "the prefixed `Unable to restore device` is a host line and ends the attempt");
	cr_expect_geq(a->last_line, l_end);
	cr_expect_eq(a->last_line, l_cleanup, "the host's `Cleaning up...` still belongs to the first run");
	cr_expect_eq(t_stage_step(a, 0x0634)->line, l_fail, "a failed step is filed at its failure line");
	cr_expect_eq(b->first_line, l_new);
	cr_expect_eq(b->ecid, 1240019837755321ULL);
	cr_expect_eq(b->family, E53_FAM_IDEVICERESTORE);
	cr_expect_eq(b->outcome, E53_OUT_INCOMPLETE);
	t_feed_free(&f);
}

/* iTunes: the device log after `==== device restore output ====` runs until
 * the next line in the host grammar (no end marker). */
Test(embed, itunes_device_output_until_next_host_line)
{
	struct t_feed f;
	uint64_t l_bio, l_code;
	const struct e53_session *s;

	t_feed_init(&f, "iPhone Updater 3.log");
	t_lev(&f, "2016-02-10 13:55:01.000 [5264:1f20]: restore library built Jan 28 2016 at 19:22:46",
	      E53_EV_START, "it-library-built", "family", "itunes-legacy", NULL);
	t_lev(&f, "2016-02-10 13:55:01.100 [5264:1f20]: iTunes: Using MobileRestore state machine",
	      E53_EV_IDENTITY, "it-mobilerestore-family", "family", "mobilerestore", NULL);
	t_lev(&f, "[12:55:10.0001] <Restore Device 0x600001f8e4c0>: operation 13 progress 0", E53_EV_OP, "it-op",
	      "tag", "0x600001f8e4c0", "mode", "Restore", "op", "13", "progress", "0", NULL);
	t_lev(&f, "[12:58:00.0001] ==== device restore output ====", E53_EV_EMBED, "it-device-output",
	      "what", "device", NULL);
	t_lev(&f, "[09:10:20.0001-GMT]{3>5} CHECKPOINT PROGRESS: START (unknown) -> RESTORED", E53_EV_START,
	      "rd-progress-start", "family", "restored", NULL);
	t_lev(&f, "[09:10:25.0787-GMT]{3>5} CHECKPOINT BEGIN: RESTORED:[0x0634] fdr_recover", E53_EV_STEP,
	      "rd-ckpt-begin", "step", "0x0634", "state", "begin", NULL);
	l_bio = t_lev(&f, SEP_ERROR, E53_EV_EVIDENCE, "mesa-sep-error", "class", "biometric", NULL);
	t_lev(&f, "[09:10:26.0101-GMT]{3>5} CHECKPOINT FAILURE:(FAILURE:53) RESTORED:[0x0634] fdr_recover",
	      E53_EV_STEP, "rd-ckpt-failure", "step", "0x0634", "state", "failure", "code", "53", NULL);
	/* the host again */
	l_code = t_lev(&f, "[12:58:30.0001] Restore completed, status: 53", E53_EV_OUTCOME,
		       "it-restore-completed-fail", "status", "failure", "code", "53", NULL);
	t_end(&f);

	s = one_session(&f);
	cr_expect_eq(s->family, E53_FAM_MOBILERESTORE, "family '%s'", e53_family_name(s->family));
	cr_expect_eq(s->code, 53);
	cr_assert_not_null(t_evidence_line(s, l_bio));
	cr_expect(t_evidence_line(s, l_bio)->in_fdr);
	cr_assert_not_null(t_evidence_line(s, l_code), "the host's final code line is evidence");
	cr_expect_eq(s->last_line, l_code);
	cr_expect_eq(s->verdict, E53_V_BIOMETRIC);
	t_feed_free(&f);
}

/* ---- operations --------------------------------------------------------- */

Test(ops, op40_with_protocol_13_decodes_as_41)
{
	struct t_feed f;
	const struct e53_stage *st;
	const struct e53_operation *o41 = e53_operation_lookup(41);

	cr_assert_not_null(o41);
	t_feed_init(&f, "p13.log");
	idr_banner(&f);
	t_lev(&f, "Connected to com.apple.mobile.restored, version 13", E53_EV_IDENTITY, "idr-protocol",
	      "protocol", "13", NULL);
	idr_op(&f, "Migrating data (40)", "40");
	t_end(&f);
	st = t_stage_op(one_session(&f), 40);
	cr_assert_not_null(st, "the stage must keep the raw op 40");
	cr_expect_str_eq(st->name, o41->message);
	cr_expect_str_eq(st->subsystem, o41->subsystem);
	cr_expect_null(t_stage_op(one_session(&f), 41), "the printed number stays raw");
	t_feed_free(&f);
}

Test(ops, op40_with_target_13D15_decodes_as_41)
{
	struct t_feed f;
	const struct e53_stage *st;

	t_feed_init(&f, "ios9.log");
	idr_banner(&f);
	t_lev(&f, "IPSW Product Build: 13D15 Major: 13", E53_EV_IDENTITY, "idr-target-build",
	      "target_build", "13D15", NULL);
	idr_op(&f, "Closing modem tickets (40)", "40");
	t_end(&f);
	st = t_stage_op(one_session(&f), 40);
	cr_assert_not_null(st);
	cr_expect_str_eq(st->name, e53_operation_lookup(41)->message);
	t_feed_free(&f);
}

Test(ops, op40_with_protocol_15_and_low_ops_unchanged)
{
	struct t_feed f;
	const struct e53_session *s;

	t_feed_init(&f, "p15.log");
	idr_banner(&f);
	t_lev(&f, "Connected to com.apple.mobile.restored, version 15", E53_EV_IDENTITY, "idr-protocol",
	      "protocol", "15", NULL);
	idr_op(&f, "Closing modem tickets (40)", "40");
	t_end(&f);
	s = one_session(&f);
	cr_assert_not_null(t_stage_op(s, 40));
	cr_expect_str_eq(t_stage_op(s, 40)->name, e53_operation_lookup(40)->message);
	t_feed_free(&f);

	/* protocol 13: 35 and below are unchanged */
	t_feed_init(&f, "p13.log");
	idr_banner(&f);
	t_lev(&f, "Connected to com.apple.mobile.restored, version 13", E53_EV_IDENTITY, "idr-protocol",
	      "protocol", "13", NULL);
	idr_op(&f, "Loading firmware data to flash (35)", "35");
	t_end(&f);
	s = one_session(&f);
	cr_assert_not_null(t_stage_op(s, 35));
	cr_expect_str_eq(t_stage_op(s, 35)->name, e53_operation_lookup(35)->message);
	t_feed_free(&f);
}

/* Host-side DFU / Recovery lines use AMRestore.h's old numbering
 * (old_enum_name): op 42 on a Recovery Mode line is SendingBootGraphic, on a
 * Restore line (protocol < 14, target 13D15) it is 43. */
Test(ops, recovery_mode_line_uses_old_numbering)
{
	struct t_feed f;
	const struct e53_session *s;
	const struct e53_stage *st;
	unsigned i;
	int n42 = 0;

	t_feed_init(&f, "iPhone Updater 1.log");
	t_lev(&f, "2016-02-20 08:43:28.520 [5264:1f20]: restore library built Jan 28 2016 at 19:22:46",
	      E53_EV_START, "it-library-built", "family", "itunes-legacy", NULL);
	t_lev(&f, "2016-02-20 08:43:28.600 [5264:1f20]: iTunes: Software payload version: 13D15",
	      E53_EV_IDENTITY, "it-target-build", "target_build", "13D15", NULL);
	t_lev(&f, "2016-02-20 08:43:28.700 [5264:1f20]: iTunes: Using MobileRestore state machine",
	      E53_EV_IDENTITY, "it-mobilerestore-family", "family", "mobilerestore", NULL);
	t_line(&f, "[07:43:30.0001] <Recovery Mode Device 0x600001f8c2a0>: Changing state from 'Idle' to 'Restoring'");
	t_event(&f, E53_EV_START, "it-state-start", "family", "mobilerestore", "tag", "0x600001f8c2a0",
		"mode", "Recovery Mode", NULL);
	t_lev(&f, "[07:43:30.1001] <Recovery Mode Device 0x600001f8c2a0>: operation 4 progress -1",
	      E53_EV_OP, "it-op", "tag", "0x600001f8c2a0", "op", "4", "progress", "-1", NULL);
	/* no mode field: the tag in the line's text must be enough */
	t_lev(&f, "[07:43:31.2001] <Recovery Mode Device 0x600001f8c2a0>: operation 42 progress -1",
	      E53_EV_OP, "it-op", "tag", "0x600001f8c2a0", "op", "42", "progress", "-1", NULL);
	t_lev(&f, "[07:44:10.0001] <Restore Device 0x600001f8e4c0>: operation 42 progress -1",
	      E53_EV_OP, "it-op", "tag", "0x600001f8e4c0", "mode", "Restore", "op", "42", "progress", "-1", NULL);
	t_end(&f);

	s = one_session(&f);
	cr_expect_eq(s->family, E53_FAM_MOBILERESTORE);
	st = t_stage_op(s, 4);
	cr_assert_not_null(st);
	cr_expect(strcasestr(st->name, "connection established") != NULL,
		  "recovery-mode op 4 is ConnectionEstablished, got '%s'", st->name);
	cr_expect_str_eq(st->subsystem, "usb");
	for (i = 0; i < s->nstages; i++) {
		if (s->stages[i].op != 42)
			continue;
		n42++;
		if (n42 == 1) {
			cr_expect(strcasestr(s->stages[i].name, "boot graphic") != NULL,
				  "recovery-mode op 42 is SendingBootGraphic, got '%s'", s->stages[i].name);
			cr_expect_str_eq(s->stages[i].subsystem, "boot");
		} else {
			cr_expect_str_eq(s->stages[i].name, e53_operation_lookup(43)->message,
					 "restore-mode op 42 with a 13D15 target is 43");
		}
	}
	cr_expect_eq(n42, 2, "expected two op-42 stages (recovery and restore), got %d", n42);
	t_feed_free(&f);
}

/* ---- device steps ------------------------------------------------------- */

struct step_form {
	const char *text, *step, *state;
};

Test(steps, every_id_form_is_step_0x0634)
{
	static const struct step_form forms[] = {
		{ "[09:10:26.0101-GMT]{3>5} CHECKPOINT FAILURE:(FAILURE:53) RESTORED:[0x0634] fdr_recover", "0x0634", "failure" },
		{ "Checkpoint FAILURE id: 0x11070634 result=53: [0]D(fatal FDR Error)", "0x11070634", "failure" },
		{ "{'CHECKPOINT_COMPLETE': True, 'CHECKPOINT_RESULT': 53, 'CHECKPOINT_NAME': 'fdr_recover', 'CHECKPOINT_ID': 1588}", "1588", "complete" },
		{ "Checkpoint 4294968884 complete with code 53", "4294968884", "complete" },
		{ "[09:10:26.0101-GMT]{3>5} CHECKPOINT FAILURE:(FAILURE:53) (null):[0x0634] fdr_recover", "[0x0634]", "failure" },
		{ "Checkpoint FAILURE id: 0x634 result=53: [0]D(fatal FDR Error)", "0x634", "failure" },
	};
	const struct e53_step *t = e53_step_lookup(0x0634);
	size_t i;

	cr_assert_not_null(t);
	for (i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		struct t_feed f;
		const struct e53_session *s;
		const struct e53_stage *st;

		t_feed_init(&f, "steps.log");
		idr_banner(&f);
		idr_ecid(&f, "ECID: 6346169327486986", "6346169327486986");
		t_lev(&f, forms[i].text, E53_EV_STEP, "t-step", "step", forms[i].step, "state", forms[i].state,
		      "code", "53", NULL);
		t_end(&f);
		s = one_session(&f);
		st = t_stage_step(s, 0x0634);
		cr_expect_not_null(st, "form '%s' did not give step 0x0634", forms[i].step);
		if (st) {
			cr_expect_str_eq(st->name, t->name, "form '%s'", forms[i].step);
			cr_expect_str_eq(st->subsystem, "fdr", "form '%s'", forms[i].step);
			cr_expect_eq(st->outcome, E53_ST_FAILED, "form '%s'", forms[i].step);
		}
		cr_expect(s->fdr_failed53, "form '%s': the FDR step failed with 53", forms[i].step);
		cr_expect_eq(s->outcome, E53_OUT_FAILURE, "form '%s'", forms[i].step);
		cr_expect(s->has_code && s->code == 53, "form '%s'", forms[i].step);
		t_feed_free(&f);
	}
}

Test(steps, begin_end_marks_step_ok)
{
	struct t_feed f;
	const struct e53_stage *st;

	t_feed_init(&f, "restore.log");
	t_lev(&f, "[07:40:02.0012-GMT]{3>6} CHECKPOINT PROGRESS: START (unknown) -> RESTORED", E53_EV_START,
	      "rd-progress-start", "family", "restored", NULL);
	t_lev(&f, "[07:40:03.0012-GMT]{3>6} CHECKPOINT BEGIN: RESTORED:[0x0616] fdr_create", E53_EV_STEP,
	      "rd-ckpt-begin", "step", "0x0616", "state", "begin", "name", "fdr_create", NULL);
	t_lev(&f, "[07:40:04.0012-GMT]{3>6} CHECKPOINT END: RESTORED:[0x0616] fdr_create", E53_EV_STEP,
	      "rd-ckpt-end", "step", "0x0616", "state", "end", "name", "fdr_create", NULL);
	t_end(&f);
	st = t_stage_step(one_session(&f), 0x0616);
	cr_assert_not_null(st);
	cr_expect_eq(st->outcome, E53_ST_OK);
	cr_expect_eq(one_session(&f)->family, E53_FAM_RESTORED);
	t_feed_free(&f);
}

Test(steps, results_dump_marks_every_step_failed)
{
	struct t_feed f;
	const struct e53_session *s;
	const struct e53_stage *st;

	t_feed_init(&f, "restore.log");
	t_lev(&f, "[07:40:02.0012-GMT]{3>6} CHECKPOINT PROGRESS: START (unknown) -> RESTORED", E53_EV_START,
	      "rd-progress-start", "family", "restored", NULL);
	t_lev(&f, "restore-step-results = {0x1107067B:{0:53};0x11070634:{0:53}}", E53_EV_STEP, "rd-step-results",
	      "what", "results", "name", "{0x1107067B:{0:53};0x11070634:{0:53}}", NULL);
	t_end(&f);
	s = one_session(&f);
	st = t_stage_step(s, 0x067B);
	cr_assert_not_null(st, "0x1107067B -> step 0x067B");
	cr_expect_eq(st->outcome, E53_ST_FAILED);
	cr_expect_str_eq(st->name, e53_step_lookup(0x067B)->name);
	st = t_stage_step(s, 0x0634);
	cr_assert_not_null(st, "0x11070634 -> step 0x0634");
	cr_expect_eq(st->outcome, E53_ST_FAILED);
	cr_expect(s->has_code);
	cr_expect_eq(s->code, 53);
	cr_expect(s->fdr_failed53);
	cr_expect_eq(s->outcome, E53_OUT_FAILURE);
	t_feed_free(&f);
}

/* ---- result rules ------------------------------------------------------- */

/* banner + ECID + one outcome line; returns the only session */
static void one_outcome(struct t_feed *f, const char *text, const char *rule, ...)
{
	struct e53_event e;
	va_list ap;

	t_feed_init(f, "result.log");
	idr_banner(f);
	idr_ecid(f, "ECID: 6346169327486986", "6346169327486986");
	t_line(f, text);
	va_start(ap, rule);
	e = t_ev_va(E53_EV_OUTCOME, rule, f->lineno, text, ap);
	va_end(ap);
	e53_builder_event(f->b, &e);
	t_end(f);
}

Test(result, minus53_is_code_53)
{
	struct t_feed f;
	const struct e53_session *s;

	one_outcome(&f, "idevicerestore exited with code -53", "restore-exit-code", "status", "failure", "code", "-53", NULL);
	s = one_session(&f);
	cr_expect_eq(s->outcome, E53_OUT_FAILURE);
	cr_assert(s->has_code);
	cr_expect_eq(s->code, 53);
	t_feed_free(&f);

	one_outcome(&f, "Restore failed (result = -53)", "restore-failed-result", "status", "failure", "code", "-53", NULL);
	cr_expect_eq(one_session(&f)->code, 53);
	t_feed_free(&f);
}

Test(result, tss_94_is_3194)
{
	struct t_feed f;
	const struct e53_session *s;
	const struct e53_error_code *ec;

	one_outcome(&f, "TSS server returned: STATUS=94&MESSAGE=This device isn't eligible for the requested build.",
		    "tss-server-status", "status", "failure", "subsystem", "tss", "tss", "94", NULL);
	s = one_session(&f);
	cr_expect_eq(s->outcome, E53_OUT_FAILURE);
	cr_assert(s->has_code);
	cr_expect_eq(s->code, 3194);
	ec = e53_error_lookup(s->code);
	cr_assert_not_null(ec);
	cr_expect_str_eq(e53_session_category(s), "network");
	cr_expect_eq(s->verdict, E53_V_NOT_ERROR53);
	t_feed_free(&f);
}

Test(result, status_failed_to_recover_fdr_is_53)
{
	struct t_feed f;
	const struct e53_session *s;

	one_outcome(&f, "Status: Failed to recover FDR data.", "idr-status", "status", "failure",
		    "statusmsg", "Failed to recover FDR data.", NULL);
	s = one_session(&f);
	cr_expect_eq(s->outcome, E53_OUT_FAILURE);
	cr_assert(s->has_code);
	cr_expect_eq(s->code, 53);
	cr_expect_eq(s->verdict, E53_V_UNDETERMINED);
	t_feed_free(&f);
}

Test(result, status_0_is_success_without_code)
{
	struct t_feed f;
	const struct e53_session *s;

	/* a rule that captures the 0 as a code */
	one_outcome(&f, "[18:09:01.7655] Restore completed, status: 0", "t-completed-code", "code", "0", NULL);
	s = one_session(&f);
	cr_expect_eq(s->outcome, E53_OUT_SUCCESS, "outcome %s", e53_outcome_name(s->outcome));
	cr_expect(!s->has_code, "code %ld: 0 is never a code", s->code);
	t_feed_free(&f);

	/* the rule set's own form: status=success, no code */
	one_outcome(&f, "[18:09:01.7655] Restore completed, status: 0", "it-restore-completed-ok", "status", "success", NULL);
	s = one_session(&f);
	cr_expect_eq(s->outcome, E53_OUT_SUCCESS);
	cr_expect(!s->has_code);
	cr_expect_eq(s->verdict, E53_V_NOT_ERROR53);
	t_feed_free(&f);
}

Test(result, no_outcome_is_incomplete_without_code)
{
	struct t_feed f;
	const struct e53_session *s;

	t_feed_init(&f, "cut.log");
	idr_banner(&f);
	idr_ecid(&f, "ECID: 6346169327486986", "6346169327486986");
	idr_op(&f, "Restoring image (13)", "13");
	idr_op(&f, "Verifying restore (14)", "14");
	t_end(&f);
	s = one_session(&f);
	cr_expect_eq(s->outcome, E53_OUT_INCOMPLETE);
	cr_expect(!s->has_code);
	cr_expect_eq(t_failed_stages(s), 0, "nothing failed in a log cut short");
	cr_expect_null(e53_session_category(s));
	t_feed_free(&f);
}

/* The report contract: a failure without an Apple code takes the category of the
 * failing stage's subsystem. */
Test(result, failure_without_code_takes_stage_category)
{
	static const struct {
		const char *text, *sub, *name, *category;
	} cases[] = {
		{ "ERROR: device didn't accept BasebandData", "baseband", "Baseband update", "baseband" },
		{ "ERROR: TSS request failed", "tss", "TSS request", "network" },
		{ "ERROR: ASR was unable to validate the filesystem", "filesystem", "Filesystem image", "storage" },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct t_feed f;
		const struct e53_session *s;
		const struct e53_stage *failed = NULL;
		unsigned k;

		t_feed_init(&f, "nocode.log");
		idr_banner(&f);
		idr_ecid(&f, "ECID: 6346169327486986", "6346169327486986");
		t_lev(&f, cases[i].text, E53_EV_STAGE, "t-stage-failed", "subsystem", cases[i].sub,
		      "outcome", "failed", "name", cases[i].name, NULL);
		idr_unable(&f);
		t_end(&f);
		s = one_session(&f);
		cr_expect_eq(s->outcome, E53_OUT_FAILURE, "%s", cases[i].sub);
		cr_expect(!s->has_code, "%s: no Apple code in the log", cases[i].sub);
		for (k = s->nstages; k-- > 0 && !failed;)
			if (s->stages[k].outcome == E53_ST_FAILED)
				failed = &s->stages[k];
		cr_assert_not_null(failed, "%s: no failed stage", cases[i].sub);
		cr_expect_str_eq(failed->subsystem, cases[i].sub);
		cr_expect_str_eq(e53_category_for_subsystem(failed->subsystem), cases[i].category);
		cr_expect_str_eq(e53_session_category(s), cases[i].category);
		cr_expect_eq(s->verdict, E53_V_NOT_ERROR53);
		cr_expect_gt(s->nactions, 0, "%s: a failure gets advice", cases[i].sub);
		t_feed_free(&f);
	}
}

/* The report contract: result.code is null when the session did not fail. */
Test(result, success_clears_code)
{
	struct e53_session *s = calloc(1, sizeof *s);
	struct t_feed f;
	const struct e53_session *t;

	/* finalize on a session whose only "code" is 0 and which succeeded */
	cr_assert_not_null(s);
	s->protocol = -1;
	s->sensor_enumerated = -1;
	s->saw_success = true;
	s->has_code = true;
	s->code = 0;
	s->nstages = 1;
	snprintf(s->stages[0].name, sizeof s->stages[0].name, "Restoring image");
	s->stages[0].subsystem = "filesystem";
	s->stages[0].op = 13;
	s->stages[0].step = -1;
	s->stages[0].outcome = E53_ST_UNKNOWN;
	e53_finalize(s);
	cr_expect_eq(s->outcome, E53_OUT_SUCCESS);
	cr_expect(!s->has_code, "a successful session has no code (0 is never used)");
	cr_expect_eq(s->stages[0].outcome, E53_ST_OK, "a successful session's stages went through");
	e53_diagnose(s);
	cr_expect_eq(s->verdict, E53_V_NOT_ERROR53);
	cr_expect_null(s->confidence);
	free(s);

	/* through the builder: completed steps with result 0, then status 0 */
	t_feed_init(&f, "ok.log");
	idr_banner(&f);
	idr_ecid(&f, "ECID: 6346169327486986", "6346169327486986");
	t_lev(&f, "Checkpoint 1545 complete with code 0", E53_EV_STEP, "idr-ckpt-complete",
	      "step", "1545", "state", "complete", "code", "0", NULL);
	t_lev(&f, "Checkpoint completed id: 0x616 (fdr_create) result=0", E53_EV_STEP, "idr-ckpt-completed",
	      "step", "0x616", "state", "complete", "code", "0", NULL);
	idr_op(&f, "Verifying restore (14)", "14");
	idr_status_finished(&f);
	idr_done(&f);
	t_end(&f);
	t = one_session(&f);
	cr_expect_eq(t->outcome, E53_OUT_SUCCESS);
	cr_expect(!t->has_code);
	cr_expect_eq(t_failed_stages(t), 0);
	cr_expect_null(e53_session_category(t));
	t_feed_free(&f);
}

/* ---- bounded memory ----------------------------------------------------- */

Test(bounds, ten_thousand_events_stay_capped)
{
	static const char *const classes[] = {
		"biometric", "sensor-reset", "fdr-service", "factory-data", "cable", "sensor-up", "fdr-recover",
	};
	struct t_feed f;
	const struct e53_session *s;
	uint64_t first_stage = 0, last_stage = 0;
	unsigned i;

	t_feed_init(&f, "huge.log");
	idr_banner(&f);
	idr_ecid(&f, "ECID: 6346169327486986", "6346169327486986");
	for (i = 0; i < 10000; i++) {
		char text[160], num[32];
		uint64_t l;

		switch (i % 3) {
		case 0:
			snprintf(num, sizeof num, "%u", 11 + (i / 3) % 60);
			snprintf(text, sizeof text, "Some operation (%s)", num);
			l = t_lev(&f, text, E53_EV_OP, "idr-op-system", "op", num, NULL);
			if (!first_stage)
				first_stage = l;
			last_stage = l;
			break;
		case 1:
			snprintf(num, sizeof num, "0x%04X", 0x2000 + i);
			snprintf(text, sizeof text, "Checkpoint FAILURE id: %s result=-1: [0]D(x)", num);
			l = t_lev(&f, text, E53_EV_STEP, "idr-ckpt-failure", "step", num, "state", "failure",
				  "code", "-1", NULL);
			last_stage = l;
			break;
		default:
			snprintf(text, sizeof text, "evidence line %u", i);
			t_lev(&f, text, E53_EV_EVIDENCE, "t-evidence", "class", classes[(i / 3) % 7], NULL);
			break;
		}
	}
	idr_op(&f, "Verifying restore (14)", "14");
	last_stage = f.lineno;
	t_end(&f);

	s = one_session(&f);
	cr_expect_leq(s->nstages, E53_MAX_STAGES);
	cr_expect_eq(s->nstages, E53_MAX_STAGES, "the timeline should be full");
	cr_expect_gt(s->stages_dropped, 0);
	cr_expect_leq(s->nev, E53_MAX_EVIDENCE);
	cr_expect_eq(s->stages[0].line, first_stage, "the first stage is kept (line %llu, got %llu)",
		     (unsigned long long)first_stage, (unsigned long long)s->stages[0].line);
	cr_expect_eq(s->stages[s->nstages - 1].line, last_stage, "the last stage is kept (line %llu, got %llu)",
		     (unsigned long long)last_stage, (unsigned long long)s->stages[s->nstages - 1].line);
	cr_expect_eq(s->stages[s->nstages - 1].op, 14);
	for (i = 1; i < s->nstages; i++)
		cr_expect_lt(s->stages[i - 1].line, s->stages[i].line, "timeline out of order at %u", i);
	for (i = 0; i < s->nev; i++)
		cr_expect_neq(s->ev[i].text[0], '\0');
	cr_expect_eq(s->last_line, f.lineno);
	t_feed_free(&f);
}

/* ---- normalisers -------------------------------------------------------- */

static bool ecid_of(const char *txt, uint64_t *out)
{
	*out = 0xdeadbeef;
	return e53_parse_ecid(txt, strlen(txt), out);
}

Test(parse, ecid_forms)
{
	uint64_t v;

	cr_assert(ecid_of("6346169327486986", &v));
	cr_expect_eq(v, 6346169327486986ULL, "decimal ECID");
	cr_assert(ecid_of("0x0016a8e00a62c507", &v));
	cr_expect_eq(v, 0x0016a8e00a62c507ULL, "0x hex ECID");
	cr_assert(ecid_of("0X0016A8E00A62C507", &v));
	cr_expect_eq(v, 0x0016a8e00a62c507ULL);
	cr_assert(ecid_of("0015F93F9E11830F", &v));
	cr_expect_eq(v, 0x0015f93f9e11830fULL, "zero-padded hex without 0x");
	cr_assert(ecid_of("0012345678901234", &v));
	cr_expect_eq(v, 0x0012345678901234ULL, "zero-padded 16-digit hex with no letters is hex");
	cr_assert(ecid_of("000A1B2C3D4E5F60", &v));
	cr_expect_eq(v, 0x000a1b2c3d4e5f60ULL);
	cr_assert(ecid_of("1240019837755321", &v));
	cr_expect_eq(v, 1240019837755321ULL);
	/* a slice: only n bytes are read */
	cr_assert(e53_parse_ecid("6346169327486986XYZ", 16, &v));
	cr_expect_eq(v, 6346169327486986ULL);

	cr_expect(!ecid_of("", &v), "empty");
	cr_expect(!ecid_of("zzz", &v), "junk");
	cr_expect(!ecid_of("hello", &v), "a word");
	cr_expect(!ecid_of("-6346169327486986", &v), "negative");
	cr_expect(!ecid_of("0x", &v), "bare 0x");
	cr_expect(!ecid_of("0", &v), "zero is not an ECID");
	cr_expect(!ecid_of("0x0000000000000000", &v), "zero is not an ECID");
	cr_expect(!ecid_of("0x0016a8e00a62c5070", &v), "17 hex digits");
	cr_expect(!ecid_of("99999999999999999999999", &v), "decimal overflow");
}

static bool step_of(const char *txt, unsigned *out)
{
	*out = 0xdead;
	return e53_parse_step_id(txt, strlen(txt), out);
}

Test(parse, step_id_forms)
{
	static const char *const forms634[] = {
		"0x0634", "0x634", "0x11070634", "0x11030634", "0x10030634", "1588", "4294968884", "[0x0634]", "[0x0634] fdr_recover",
	};
	unsigned v;
	size_t i;

	for (i = 0; i < sizeof forms634 / sizeof forms634[0]; i++) {
		cr_expect(step_of(forms634[i], &v), "'%s' not parsed", forms634[i]);
		cr_expect_eq(v, 0x0634, "'%s' -> 0x%04X", forms634[i], v);
	}
	cr_assert(step_of("0x1107067B", &v));
	cr_expect_eq(v, 0x067B);
	cr_assert(step_of("0x67b", &v));
	cr_expect_eq(v, 0x067B);
	cr_assert(step_of("4294968955", &v));
	cr_expect_eq(v, 0x067B, "64-bit decimal with noise in the high bits");
	cr_assert(step_of("1659", &v));
	cr_expect_eq(v, 0x067B);
	cr_expect(!step_of("", &v));
	cr_expect(!step_of("0x", &v));
	cr_expect(!step_of("fdr_recover", &v));
}

static bool long_of(const char *txt, long *out)
{
	*out = 12345;
	return e53_parse_long(txt, strlen(txt), out);
}

Test(parse, long_forms)
{
	long v;

	cr_assert(long_of("53", &v));
	cr_expect_eq(v, 53);
	cr_assert(long_of("-53", &v));
	cr_expect_eq(v, -53);
	cr_assert(long_of("+7", &v));
	cr_expect_eq(v, 7);
	cr_assert(long_of(" 4013", &v));
	cr_expect_eq(v, 4013);
	cr_assert(long_of("13D15", &v));
	cr_expect_eq(v, 13, "stops at the first non-digit");
	cr_assert(long_of("0", &v));
	cr_expect_eq(v, 0);
	cr_assert(e53_parse_long("3194xyz", 2, &v));
	cr_expect_eq(v, 31, "reads only n bytes");
	cr_expect(!long_of("", &v));
	cr_expect(!long_of("-", &v));
	cr_expect(!long_of("abc", &v));
	cr_expect(!long_of("99999999999999999999999", &v), "overflow is refused");
}
