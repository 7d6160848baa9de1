/* test_sysdiag.c: sysdiagnose support (src/sysdiag.c through the whole
 * pipeline, and e53_plist_strings directly).
 *
 * Every sysdiagnose is built at test time in a mkdtemp folder: the text
 * members come from fixtures/sysdiagnose/ (composed, invented identifiers),
 * OTAUpdate report headers are written here, SystemVersion.plist is made
 * with libplist, hostile plists are made byte by byte; then the tree is
 * packed with libarchive (pax restricted + gzip, or zip for ticket bundles)
 * or left as a folder.  The real pipeline runs on it: built-in rules,
 * e53_analyzer_new with NDJSON and default limits, e53_analyze; the report
 * (res.out) and the messages (res.msgs, "E " / "W " lines) are read back.
 *
 * Tests in the suite `sysdiag_regressions` fail on purpose: each one shows a
 * defect found while writing these tests (see the comment above each).
 * Run from the project root (fixtures are opened by relative path). */
#include "testutil.h"
#include "sysdiag_build.h"

#include <sys/resource.h>
#include <time.h>

/* ---- the devices ------------------------------------------------------- */

/* iPhone9,3 (iPhone 7, Touch ID), iOS 15.8.3 (19H386). */
#define D101_ROOT "sysdiagnose_2025.03.14_10-05-31+0100_iPhone-OS_iPhone_19H386"
#define D101_SERIAL "DNPVK4R1HG7C"
#define D101_UDID "6f3a9c0d2b7e4a15c8d90e1f2a3b4c5d6e7f8091"
#define D101_OTA53 "OTAUpdate-2025-03-13-22-32-09.ips"
#define D101_OTAOK "OTAUpdate-2025-01-22-18-12-40.ips"
#define HDR_53 \
	"{\"bug_type\":\"183\",\"timestamp\":\"2025-03-13 22:32:09.00 +0100\",\"os_version\":\"iPhone OS 15.8.3 (19H386)\"," \
	"\"incident_id\":\"C2A95E17-0B4D-4F83-9D6A-71E3B8F0C254\",\"itunes_version\":\"iPhone OS 15.8.3 (19H386)\"," \
	"\"restore_payload_version\":\"19H390\",\"restore_type\":\"OTAUpdate\",\"name\":\"iPhoneRestore\",\"restore_error\":\"53\"}"
#define HDR_OK \
	"{\"bug_type\":\"183\",\"timestamp\":\"2025-01-22 18:12:40.00 +0100\",\"os_version\":\"iPhone OS 15.8 (19H370)\"," \
	"\"incident_id\":\"6E2D0B94-A7C1-4D58-B3F2-0981C4E7A6D3\",\"restore_payload_version\":\"19H386\"," \
	"\"restore_type\":\"OTAUpdate\",\"name\":\"iPhoneRestore\",\"restore_error\":\"-1\"}"
/* no os_version: the current build must come from the identity files */
#define HDR_53_NOOS \
	"{\"bug_type\":\"183\",\"timestamp\":\"2025-03-13 22:32:09.00 +0100\"," \
	"\"incident_id\":\"0F5B8A3D-2C71-4E96-A4D0-B7E61C29F845\",\"restore_payload_version\":\"19H390\"," \
	"\"restore_type\":\"OTAUpdate\",\"name\":\"iPhoneRestore\",\"restore_error\":\"53\"}"

/* iPhone12,8 (iPhone SE 2nd gen, Touch ID), 21G93 -> 22D72. */
#define D79_ROOT "sysdiagnose_2025.03.14_09-12-44+0100_iPhone-OS_iPhone_22D72"
#define D79_OTA53 "OTAUpdate-2025-03-14-08-30-12.ips"
#define HDR_D79_53 \
	"{\"bug_type\":\"183\",\"timestamp\":\"2025-03-14 08:30:12.00 +0100\",\"os_version\":\"iPhone OS 18.3.1 (22D72)\"," \
	"\"incident_id\":\"A83F1C60-5E2B-4D97-8C04-3B9E7D1A62F5\",\"restore_payload_version\":\"22E240\"," \
	"\"restore_type\":\"OTAUpdate\",\"name\":\"iPhoneRestore\",\"restore_error\":\"53\"}"
#define HDR_D79_53_NOOS \
	"{\"bug_type\":\"183\",\"timestamp\":\"2025-03-14 08:30:12.00 +0100\"," \
	"\"incident_id\":\"A83F1C60-5E2B-4D97-8C04-3B9E7D1A62F5\",\"restore_payload_version\":\"22E240\"," \
	"\"restore_type\":\"OTAUpdate\",\"name\":\"iPhoneRestore\",\"restore_error\":\"53\"}"

enum {
	F_REMOTECTL = 1 << 0,
	F_DEVICETREE = 1 << 1,
	F_IOS_NODRIVER = 1 << 2,
	F_IOS_DRIVER = 1 << 3,
	F_MOBILEACT = 1 << 4,
	F_LOCKDOWN = 1 << 5,
	F_SYSVER_BIN = 1 << 6,
	F_SYSVER_XML = 1 << 7,
};

struct ota {
	const char *name, *header, *body;
};

/* The iPhone9,3 tree, members in the order a real archive holds them
 * (logs first, then crash reports, then ioreg). */
static void tree_d101(struct sd_tree *t, const char *root, unsigned flags, const struct ota *o, size_t no)
{
	size_t i;

	sd_tree_init(t, root);
	sd_add_fixture(t, "sysdiagnose.log", "sysdiagnose.log");
	if (flags & F_REMOTECTL)
		sd_add_fixture(t, "remotectl_dumpstate.txt", "remotectl_dumpstate-d101.txt");
	if (flags & F_MOBILEACT)
		sd_add_fixture(t, "logs/MobileActivation/mobileactivationd.log", "mobileactivationd-d101.log");
	if (flags & F_LOCKDOWN)
		sd_add_fixture(t, "logs/MobileLockdown/lockdownd.log", "lockdownd-d101.log");
	if (flags & (F_SYSVER_BIN | F_SYSVER_XML))
		sd_add_sysversion(t, flags & F_SYSVER_BIN, "15.8.3", "19H386");
	for (i = 0; i < no; i++)
		sd_add_ota(t, o[i].name, o[i].header, o[i].body);
	if (flags & F_DEVICETREE)
		sd_add_fixture(t, "ioreg/IODeviceTree.txt", "IODeviceTree-d101.txt");
	if (flags & F_IOS_NODRIVER)
		sd_add_fixture(t, "ioreg/IOService.txt", "IOService-d101-nodriver.txt");
	if (flags & F_IOS_DRIVER)
		sd_add_fixture(t, "ioreg/IOService.txt", "IOService-d101-driver.txt");
}

static const struct ota OTA53_NOSENSOR = { D101_OTA53, HDR_53, "ota-body-53-nosensor.log" };
static const struct ota OTA53_SEPERR = { D101_OTA53, HDR_53, "ota-body-53-sep-error.log" };
static const struct ota OTA53_NOOS = { D101_OTA53, HDR_53_NOOS, "ota-body-53-nosensor.log" };
static const struct ota OTA_OK = { D101_OTAOK, HDR_OK, "ota-body-success.log" };

/* Packs the tree as dir/<root>.tar.gz; returns its path. */
static char *write_tgz(const struct sd_tree *t, const char *dir)
{
	struct tbuf b = { 0 };
	char name[300];
	char *p;

	sd_pack_tgz(t, &b);
	snprintf(name, sizeof name, "%s.tar.gz", t->root);
	p = t_write(dir, name, b.p, b.len);
	tbuf_free(&b);
	return p;
}

/* One tree as a .tar.gz, analysed; the caller frees run and dir. */
static void run_tgz(const struct sd_tree *t, const struct e53_limits *lim, char **dir, char **path,
		    struct sd_run *r)
{
	*dir = t_mkdtemp();
	*path = write_tgz(t, *dir);
	sd_analyze(*path, lim, r);
}

static void expect_str(const char *session, const char *path, const char *want)
{
	const char *got = jget(session, path);

	cr_assert_not_null(got, "%s missing in %s", path, session);
	cr_expect_str_eq(got, want, "%s: got \"%s\", want \"%s\"", path, got, want);
}

static void expect_null(const char *session, const char *path)
{
	const char *got = jget(session, path);

	cr_assert_not_null(got, "%s missing in %s", path, session);
	cr_expect_str_eq(got, "null", "%s: got %s, want null", path, got);
}

static void expect_clean(const struct sd_run *r)
{
	cr_expect_eq(r->res.input_errors, 0, "input errors: %s", r->msgs);
	cr_expect_eq(r->ninput_error_lines, 0, "input-error lines in the report: %s", r->out);
	cr_expect_eq(r->nerr, 0, "error messages: %s", r->msgs);
}

/* ======================================================================== */
/* Identity                                                                 */
/* ======================================================================== */

Test(sysdiag_identity, remotectl_local_device_not_found_blocks)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;
	const char *s;

	tree_d101(&t, D101_ROOT, F_REMOTECTL, &OTA53_NOSENSOR, 1);
	run_tgz(&t, NULL, &dir, &path, &r);
	expect_clean(&r);
	cr_assert_eq(r.nsession, 1, "sessions: %zu\n%s", r.nsession, r.out);
	s = r.session[0];
	expect_str(s, "family", "sysdiagnose");
	expect_str(s, "device.serial", D101_SERIAL);
	expect_str(s, "device.udid", D101_UDID);
	expect_str(s, "device.product_type", "iPhone9,3");
	expect_str(s, "device.hw_model", "d101ap");
	expect_str(s, "device.biometric", "touch-id");
	/* the iPad and the Watch of the "Found ..." blocks are other devices */
	cr_expect_null(strstr(s, "iPad7,5"), "a Found block's ProductType leaked: %s", s);
	cr_expect_null(strstr(s, "GG7WQ2M5JF8K"), "a Found block's serial leaked: %s", s);
	cr_expect_null(strstr(s, "0b1c2d3e4f5061728394a5b6c7d8e9f00a1b2c3d"), "a Found block's UDID leaked");
	cr_expect_null(strstr(s, "Watch5,9"), "the Watch leaked: %s", s);
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

/* The Found block holds the only ProductType line: it must stay unused, so
 * the product type comes from the next source (the device tree). */
Test(sysdiag_identity, found_block_product_type_never_used)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;
	const char *rc = "Local device\n"
			 "\tUUID: 7C1E4B92-05AF-4D3B-9E61-2A8F0C73D415\n"
			 "\tProperties: {\n"
			 "\t\tSerialNumber => DNPVK4R1HG7C\n"
			 "\t}\n"
			 "\n"
			 "Found 2D94F0A1-6B3C-4E58-A7D2-91C0E4B7F36A\n"
			 "\tProduct Type: \"iPad7,5\"\n"
			 "\tProperties: {\n"
			 "\t\tProductType => iPad7,5\n"
			 "\t\tSerialNumber => GG7WQ2M5JF8K\n"
			 "\t}\n";

	tree_d101(&t, D101_ROOT, F_DEVICETREE, &OTA53_NOSENSOR, 1);
	sd_add(&t, "remotectl_dumpstate.txt", rc, strlen(rc));
	run_tgz(&t, NULL, &dir, &path, &r);
	cr_assert_eq(r.nsession, 1, "%s", r.out);
	expect_str(r.session[0], "device.product_type", "iPhone9,3");
	expect_str(r.session[0], "device.serial", D101_SERIAL);
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

Test(sysdiag_identity, fallback_devicetree_and_binary_systemversion)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;
	const char *s;

	tree_d101(&t, D101_ROOT, F_DEVICETREE | F_SYSVER_BIN, &OTA53_NOOS, 1);
	run_tgz(&t, NULL, &dir, &path, &r);
	expect_clean(&r);
	cr_assert_eq(r.nsession, 1, "%s", r.out);
	s = r.session[0];
	expect_str(s, "device.product_type", "iPhone9,3");
	expect_str(s, "device.serial", D101_SERIAL);
	expect_null(s, "device.udid"); /* the device tree has none */
	expect_str(s, "restore.current_build", "19H386");
	expect_str(s, "restore.current_version", "15.8.3");
	expect_str(s, "restore.target_build", "19H390");
	cr_expect_null(sd_msg(&r, 'W', "SystemVersion.plist", NULL), "a good plist was refused: %s", r.msgs);
	cr_expect_null(sd_msg(&r, 'E', "SystemVersion.plist", NULL), "a good plist was refused: %s", r.msgs);
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

Test(sysdiag_identity, fallback_xml_systemversion)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;

	tree_d101(&t, D101_ROOT, F_DEVICETREE | F_SYSVER_XML, &OTA53_NOOS, 1);
	cr_assert(!memcmp(t.m[1].data.p, "<?xml", 5), "the plist member is XML");
	run_tgz(&t, NULL, &dir, &path, &r);
	expect_clean(&r);
	cr_assert_eq(r.nsession, 1, "%s", r.out);
	expect_str(r.session[0], "restore.current_build", "19H386");
	expect_str(r.session[0], "restore.current_version", "15.8.3");
	expect_str(r.session[0], "device.product_type", "iPhone9,3");
	cr_expect_null(sd_msg(&r, 'W', "SystemVersion.plist", NULL), "%s", r.msgs);
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

/* Nothing but mobileactivationd.log: its startup block is the identity. */
Test(sysdiag_identity, fallback_mobileactivationd_startup_block)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;
	const char *s;

	sd_tree_init(&t, D79_ROOT);
	sd_add_fixture(&t, "sysdiagnose.log", "sysdiagnose.log");
	sd_add_fixture(&t, "logs/MobileActivation/mobileactivationd.log", "mobileactivationd-d79.log");
	sd_add_ota(&t, D79_OTA53, HDR_D79_53_NOOS, "ota-body-53-nosensor.log");
	run_tgz(&t, NULL, &dir, &path, &r);
	expect_clean(&r);
	cr_assert_eq(r.nsession, 1, "%s", r.out);
	s = r.session[0];
	expect_str(s, "device.product_type", "iPhone12,8");
	expect_str(s, "device.hw_model", "d79ap");
	expect_null(s, "device.serial");
	cr_expect_not_null(jget(s, "restore.current_build"));
	cr_expect_str_neq(jget(s, "restore.current_build"), "null", "no build from the startup block");
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

/* remotectl wins over the device tree even when it is read last, and the
 * device tree alone gives no UDID. */
Test(sysdiag_identity, remotectl_outranks_devicetree_in_any_order)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;

	tree_d101(&t, D101_ROOT, F_DEVICETREE | F_SYSVER_BIN, &OTA53_NOOS, 1);
	sd_add_fixture(&t, "remotectl_dumpstate.txt", "remotectl_dumpstate-d101.txt"); /* last */
	run_tgz(&t, NULL, &dir, &path, &r);
	cr_assert_eq(r.nsession, 1, "%s", r.out);
	expect_str(r.session[0], "device.udid", D101_UDID);
	expect_str(r.session[0], "device.product_type", "iPhone9,3");
	expect_str(r.session[0], "restore.current_build", "19H386");
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

/* ======================================================================== */
/* Update history and panic reports                                         */
/* ======================================================================== */

static int history_find(const char *s, const char *from, const char *to, const char *source)
{
	size_t i, n = jlen(s, "history");
	char p[64];

	for (i = 0; i < n; i++) {
		const char *f, *t2, *src;

		snprintf(p, sizeof p, "history.%zu.from", i);
		f = jget(s, p);
		snprintf(p, sizeof p, "history.%zu.to", i);
		t2 = jget(s, p);
		snprintf(p, sizeof p, "history.%zu.source", i);
		src = jget(s, p);
		if ((!from || (f && !strcmp(f, from))) && (!to || (t2 && strstr(t2, to))) &&
		    (!source || (src && !strcmp(src, source))))
			return (int)i;
	}
	return -1;
}

Test(sysdiag_history, mobileactivationd_upgrade_lines)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;
	const char *s;
	int i;

	sd_tree_init(&t, D79_ROOT);
	sd_add_fixture(&t, "sysdiagnose.log", "sysdiagnose.log");
	sd_add_fixture(&t, "logs/MobileActivation/mobileactivationd.log", "mobileactivationd-d79.log");
	sd_add_ota(&t, D79_OTA53, HDR_D79_53, "ota-body-53-nosensor.log");
	run_tgz(&t, NULL, &dir, &path, &r);
	expect_clean(&r);
	cr_assert_eq(r.nsession, 1, "%s", r.out);
	s = r.session[0];
	cr_assert_geq(jlen(s, "history"), 1, "no history: %s", s);
	i = history_find(s, "21G93", "22D72", "mobileactivationd");
	cr_expect_geq(i, 0, "21G93 -> 22D72 missing from history: %s", jget(s, "history"));
	/* "Upgrade from () to 21G93": a fresh restore has no from build */
	i = history_find(s, NULL, "21G93", "mobileactivationd");
	cr_assert_geq(i, 0, "() -> 21G93 missing: %s", jget(s, "history"));
	{
		char p[64];
		const char *f;

		snprintf(p, sizeof p, "history.%d.from", i);
		f = jget(s, p);
		cr_expect(f && (!strcmp(f, "null") || !f[0]), "fresh restore has from=%s", f ? f : "(absent)");
	}
	/* the header's builds, not the history's */
	expect_str(s, "restore.current_build", "22D72");
	expect_str(s, "restore.target_build", "22E240");
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

Test(sysdiag_history, panic_report_listed)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;
	const char *s, *when;
	char p[64];
	int i;

	sd_tree_init(&t, D79_ROOT);
	sd_add_fixture(&t, "sysdiagnose.log", "sysdiagnose.log");
	sd_add_fixture(&t, "logs/MobileActivation/mobileactivationd.log", "mobileactivationd-d79.log");
	sd_add_ota(&t, D79_OTA53, HDR_D79_53, "ota-body-53-nosensor.log");
	sd_add_fixture(&t, "crashes_and_spins/panic-full-2025-03-14-091000.ips", "panic-full-d79.ips");
	run_tgz(&t, NULL, &dir, &path, &r);
	expect_clean(&r);
	cr_assert_eq(r.nsession, 1, "the panic report is not a session: %s", r.out);
	s = r.session[0];
	i = history_find(s, NULL, NULL, "panic report");
	cr_assert_geq(i, 0, "no panic in history: %s", s);
	snprintf(p, sizeof p, "history.%d.when", i);
	when = jget(s, p);
	cr_expect(when && strstr(when, "2025-03-14 09:10:00"), "panic time: %s", when ? when : "(none)");
	/* the panicked process, in "process" (or folded into "to") */
	{
		const char *proc;

		snprintf(p, sizeof p, "history.%d.process", i);
		proc = jget(s, p);
		if (!proc || !strcmp(proc, "null")) {
			snprintf(p, sizeof p, "history.%d.to", i);
			proc = jget(s, p);
		}
		cr_expect(proc && strstr(proc, "watchdogd"), "panicked process: %s", proc ? proc : "(none)");
		snprintf(p, sizeof p, "history.%d.kind", i);
		if (jget(s, p))
			cr_expect_str_eq(jget(s, p), "panic");
	}
	/* the update history is still there beside it */
	cr_expect_geq(history_find(s, "21G93", "22D72", "mobileactivationd"), 0, "%s", s);
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

/* A crash report that is not a kernel panic (bug_type 288, a stackshot)
 * under the panic-full- name is not listed as a panic. */
Test(sysdiag_history, non_panic_bug_type_not_listed)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;
	const char *ss = "{\"bug_type\":\"288\",\"timestamp\":\"2025-03-14 09:11:00.00 +0100\",\"os_version\":\"iPhone OS 18.3.1 (22D72)\"}\n"
			 "{\"reason\":\"stackshot\"}\n";

	sd_tree_init(&t, D79_ROOT);
	sd_add_fixture(&t, "logs/MobileActivation/mobileactivationd.log", "mobileactivationd-d79.log");
	sd_add_ota(&t, D79_OTA53, HDR_D79_53, "ota-body-53-nosensor.log");
	sd_add(&t, "crashes_and_spins/panic-full-2025-03-14-091100.ips", ss, strlen(ss));
	run_tgz(&t, NULL, &dir, &path, &r);
	cr_assert_eq(r.nsession, 1, "%s", r.out);
	cr_expect_lt(history_find(r.session[0], NULL, NULL, "panic report"), 0, "%s", r.session[0]);
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

/* ======================================================================== */
/* OTAUpdate reports                                                        */
/* ======================================================================== */

Test(sysdiag_ota, one_report_one_session)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;
	const char *s;

	tree_d101(&t, D101_ROOT, F_REMOTECTL | F_MOBILEACT | F_LOCKDOWN | F_SYSVER_BIN | F_DEVICETREE | F_IOS_DRIVER,
		  &OTA53_SEPERR, 1);
	run_tgz(&t, NULL, &dir, &path, &r);
	expect_clean(&r);
	cr_assert_eq(r.nsession, 1, "%s", r.out);
	cr_expect_eq(r.res.sessions, 1);
	s = r.session[0];
	expect_str(s, "family", "sysdiagnose");
	expect_str(s, "source.path", path);
	expect_str(s, "source.member", D101_ROOT "/crashes_and_spins/" D101_OTA53);
	expect_str(s, "result.outcome", "failure");
	expect_str(s, "result.code", "53");
	expect_str(s, "result.name", "FDRFailure");
	expect_str(s, "restore.target_build", "19H390");
	expect_str(s, "restore.current_build", "19H386");
	expect_str(s, "restore.current_version", "15.8.3");
	expect_str(s, "device.serial", D101_SERIAL);
	cr_expect_eq(r.res.by_outcome[E53_OUT_FAILURE], 1);
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

Test(sysdiag_ota, two_reports_two_sessions)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;
	const char *fail, *ok;
	struct ota o[2] = { OTA_OK, OTA53_SEPERR };

	tree_d101(&t, D101_ROOT, F_REMOTECTL | F_DEVICETREE | F_IOS_DRIVER, o, 2);
	run_tgz(&t, NULL, &dir, &path, &r);
	expect_clean(&r);
	cr_assert_eq(r.nsession, 2, "%s", r.out);
	fail = sd_session_by_member(&r, "/crashes_and_spins/" D101_OTA53);
	ok = sd_session_by_member(&r, "/crashes_and_spins/" D101_OTAOK);
	cr_assert_not_null(fail, "no session for %s: %s", D101_OTA53, r.out);
	cr_assert_not_null(ok, "no session for %s: %s", D101_OTAOK, r.out);
	expect_str(fail, "family", "sysdiagnose");
	expect_str(ok, "family", "sysdiagnose");
	expect_str(fail, "result.code", "53");
	expect_str(fail, "restore.target_build", "19H390");
	expect_str(fail, "restore.current_build", "19H386");
	expect_str(fail, "error53.verdict", "biometric-mismatch");
	/* each report keeps its own header */
	expect_str(ok, "restore.target_build", "19H386");
	expect_str(ok, "restore.current_build", "19H370");
	expect_null(ok, "result.code");
	cr_expect_str_neq(jget(ok, "result.outcome"), "failure", "%s", ok);
	expect_str(ok, "error53.verdict", "not-error53");
	/* both carry the archive's identity */
	expect_str(ok, "device.serial", D101_SERIAL);
	expect_str(fail, "device.serial", D101_SERIAL);
	cr_expect_eq(r.res.by_code ? r.res.n_codes : 0, 1, "one failure code");
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

Test(sysdiag_ota, restore_error_minus_one_is_not_a_failure)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;
	const char *s;

	tree_d101(&t, D101_ROOT, F_REMOTECTL, &OTA_OK, 1);
	run_tgz(&t, NULL, &dir, &path, &r);
	expect_clean(&r);
	cr_assert_eq(r.nsession, 1, "%s", r.out);
	s = r.session[0];
	expect_null(s, "result.code");
	cr_expect_str_neq(jget(s, "result.outcome"), "failure", "%s", s);
	expect_str(s, "error53.verdict", "not-error53");
	expect_str(s, "restore.target_build", "19H386");
	cr_expect_eq(r.res.by_outcome[E53_OUT_FAILURE], 0);
	cr_expect_eq(r.res.n_codes, 0);
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

/* The header's restore_error is the code, whatever the body says; a code
 * written as a JSON number works too, in any key order. */
Test(sysdiag_ota, restore_error_from_header)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;
	const char *hdr = "{\"restore_error\":14,\"name\":\"iPhoneRestore\",\"restore_type\":\"OTAUpdate\","
			  "\"restore_payload_version\":\"19H390\",\"os_version\":\"iPhone OS 15.8.3 (19H386)\",\"bug_type\":\"183\"}";
	struct ota o = { D101_OTA53, hdr, "ota-body-success.log" };

	tree_d101(&t, D101_ROOT, F_REMOTECTL, &o, 1);
	run_tgz(&t, NULL, &dir, &path, &r);
	cr_assert_eq(r.nsession, 1, "%s", r.out);
	expect_str(r.session[0], "result.outcome", "failure");
	expect_str(r.session[0], "result.code", "14");
	expect_str(r.session[0], "error53.verdict", "not-error53");
	expect_str(r.session[0], "restore.current_build", "19H386");
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

/* ======================================================================== */
/* ioreg evidence                                                           */
/* ======================================================================== */

Test(sysdiag_ioreg, mesa_node_without_driver_is_cable_fault)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;
	const char *s;
	int e;
	char p[64];
	unsigned mesa_line = sd_fixture_line("IODeviceTree-d101.txt", "+-o mesa ");

	tree_d101(&t, D101_ROOT, F_REMOTECTL | F_SYSVER_BIN | F_DEVICETREE | F_IOS_NODRIVER, &OTA53_NOSENSOR, 1);
	run_tgz(&t, NULL, &dir, &path, &r);
	expect_clean(&r);
	cr_assert_eq(r.nsession, 1, "%s", r.out);
	s = r.session[0];
	expect_str(s, "device.product_type", "iPhone9,3");
	expect_str(s, "result.code", "53");
	expect_str(s, "error53.verdict", "cable-fault");
	e = sd_evidence_kind(s, "ioreg");
	cr_assert_geq(e, 0, "no ioreg evidence: %s", jget(s, "error53"));
	snprintf(p, sizeof p, "error53.evidence.%d.member", e);
	expect_str(s, p, D101_ROOT "/ioreg/IODeviceTree.txt");
	snprintf(p, sizeof p, "error53.evidence.%d.line", e);
	cr_expect_eq(strtoul(jget(s, p), NULL, 10), mesa_line, "evidence line %s, mesa node at %u", jget(s, p),
		     mesa_line);
	snprintf(p, sizeof p, "error53.evidence.%d.text", e);
	cr_expect(strstr(jget(s, p), "mesa"), "%s", jget(s, p));
	cr_expect_eq(r.res.by_verdict[E53_V_CABLE], 1);
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

Test(sysdiag_ioreg, driver_present_and_sep_error_is_biometric)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;
	const char *s;
	size_t i, n;
	bool found = false;
	unsigned sep_line = sd_fixture_line("ota-body-53-sep-error.log", "SEP returned error") + 1;

	tree_d101(&t, D101_ROOT, F_REMOTECTL | F_DEVICETREE | F_IOS_DRIVER, &OTA53_SEPERR, 1);
	run_tgz(&t, NULL, &dir, &path, &r);
	expect_clean(&r);
	cr_assert_eq(r.nsession, 1, "%s", r.out);
	s = r.session[0];
	expect_str(s, "result.code", "53");
	expect_str(s, "error53.verdict", "biometric-mismatch");
	expect_str(s, "error53.confidence", "high");
	cr_expect_lt(sd_evidence_kind(s, "ioreg"), 0, "driver present, yet ioreg evidence: %s", s);
	n = jlen(s, "error53.evidence");
	for (i = 0; i < n; i++) {
		char p[64];

		snprintf(p, sizeof p, "error53.evidence.%zu.line", i);
		if (strtoul(jget(s, p), NULL, 10) != sep_line)
			continue;
		snprintf(p, sizeof p, "error53.evidence.%zu.member", i);
		expect_str(s, p, D101_ROOT "/crashes_and_spins/" D101_OTA53);
		found = true;
	}
	cr_expect(found, "SEP error line %u not in evidence: %s", sep_line, jget(s, "error53.evidence"));
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

/* Driver present, no sensor line: nothing separates the causes. */
Test(sysdiag_ioreg, driver_present_no_sensor_line_is_undetermined)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;

	tree_d101(&t, D101_ROOT, F_REMOTECTL | F_DEVICETREE | F_IOS_DRIVER, &OTA53_NOSENSOR, 1);
	run_tgz(&t, NULL, &dir, &path, &r);
	cr_assert_eq(r.nsession, 1, "%s", r.out);
	expect_str(r.session[0], "result.code", "53");
	expect_str(r.session[0], "error53.verdict", "undetermined");
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

/* Only one of the two ioreg dumps: no claim about the sensor. */
Test(sysdiag_ioreg, devicetree_alone_is_no_evidence)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;

	tree_d101(&t, D101_ROOT, F_REMOTECTL | F_DEVICETREE, &OTA53_NOSENSOR, 1);
	run_tgz(&t, NULL, &dir, &path, &r);
	cr_assert_eq(r.nsession, 1, "%s", r.out);
	expect_str(r.session[0], "error53.verdict", "undetermined");
	cr_expect_lt(sd_evidence_kind(r.session[0], "ioreg"), 0, "%s", r.session[0]);
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

/* ======================================================================== */
/* Folders                                                                  */
/* ======================================================================== */

Test(sysdiag_folder, folder_gives_same_sessions_as_archive)
{
	struct sd_tree t;
	struct sd_run rt, rf;
	char *dir, *path, *fdir, *root;
	struct ota o[2] = { OTA_OK, OTA53_NOSENSOR };
	size_t i;

	tree_d101(&t, D101_ROOT, F_REMOTECTL | F_SYSVER_BIN | F_DEVICETREE | F_IOS_NODRIVER, o, 2);
	run_tgz(&t, NULL, &dir, &path, &rt);
	fdir = t_mkdtemp();
	root = sd_write_folder(&t, fdir);
	sd_analyze(root, NULL, &rf);
	expect_clean(&rf);
	cr_assert_eq(rt.nsession, 2, "%s", rt.out);
	cr_assert_eq(rf.nsession, rt.nsession, "folder: %zu sessions, archive: %zu\n%s", rf.nsession, rt.nsession,
		     rf.out);
	for (i = 0; i < 2; i++) {
		const char *name = i ? D101_OTA53 : D101_OTAOK;
		char suffix[128];
		const char *a, *f;

		snprintf(suffix, sizeof suffix, "crashes_and_spins/%s", name);
		a = sd_session_by_member(&rt, suffix);
		f = sd_session_by_member(&rf, suffix);
		cr_assert(a && f, "session of %s missing (archive %p, folder %p)\n%s", name, (void *)a, (void *)f,
			  rf.out);
		expect_str(f, "family", "sysdiagnose");
		expect_str(f, "source.path", root);
		expect_str(f, "source.member", suffix); /* relative to the folder */
		expect_str(f, "result.code", jget(a, "result.code"));
		expect_str(f, "result.outcome", jget(a, "result.outcome"));
		expect_str(f, "error53.verdict", jget(a, "error53.verdict"));
		expect_str(f, "device.product_type", jget(a, "device.product_type"));
		expect_str(f, "device.serial", jget(a, "device.serial"));
		expect_str(f, "restore.current_build", jget(a, "restore.current_build"));
		expect_str(f, "restore.target_build", jget(a, "restore.target_build"));
	}
	expect_str(sd_session_by_member(&rf, D101_OTA53), "error53.verdict", "cable-fault");
	sd_run_free(&rt);
	sd_run_free(&rf);
	sd_tree_free(&t);
	free(path);
	free(root);
	t_rmtree(dir);
	t_rmtree(fdir);
}

/* A ticket folder holding the extracted root: members are relative to the
 * ticket folder (the input), root folder included. */
Test(sysdiag_folder, ticket_folder_holding_the_root)
{
	struct sd_tree t;
	struct sd_run r;
	char *fdir, *root;

	tree_d101(&t, D101_ROOT, F_REMOTECTL | F_DEVICETREE | F_IOS_DRIVER, &OTA53_SEPERR, 1);
	fdir = t_mkdtemp();
	root = sd_write_folder(&t, fdir);
	sd_analyze(fdir, NULL, &r);
	expect_clean(&r);
	cr_assert_eq(r.nsession, 1, "%s", r.out);
	expect_str(r.session[0], "source.path", fdir);
	expect_str(r.session[0], "source.member", D101_ROOT "/crashes_and_spins/" D101_OTA53);
	expect_str(r.session[0], "error53.verdict", "biometric-mismatch");
	expect_str(r.session[0], "device.udid", D101_UDID);
	sd_run_free(&r);
	sd_tree_free(&t);
	free(root);
	t_rmtree(fdir);
}

/* ======================================================================== */
/* IN_PROGRESS_ trees                                                       */
/* ======================================================================== */

#define IP_ROOT "IN_PROGRESS_" D79_ROOT

/* An interrupted copy: its report says 14, so any leak shows. */
static void tree_in_progress(struct sd_tree *t)
{
	const char *hdr = "{\"bug_type\":\"183\",\"os_version\":\"iPhone OS 18.3.1 (22D72)\",\"restore_payload_version\":\"22E240\","
			  "\"restore_type\":\"OTAUpdate\",\"name\":\"iPhoneRestore\",\"restore_error\":\"14\"}";

	sd_tree_init(t, IP_ROOT);
	sd_add_fixture(t, "sysdiagnose.log", "sysdiagnose.log");
	sd_add_fixture(t, "logs/MobileActivation/mobileactivationd.log", "mobileactivationd-d79.log");
	sd_add_ota(t, "OTAUpdate-2025-03-14-08-30-12.ips", hdr, "ota-body-53-nosensor.log");
}

static void expect_in_progress_warned(const struct sd_run *r)
{
	const char *w = sd_msg(r, 'W', IP_ROOT, NULL);

	cr_expect_not_null(w, "no warning naming %s: [%s]", IP_ROOT, r->msgs);
	expect_clean(r);
	cr_expect(!strstr(r->out, "\"restore_error\"") && !strstr(r->out, "\"code\":14"),
		  "the IN_PROGRESS report leaked: %s", r->out);
}

Test(sysdiag_in_progress, alone_in_archive_is_skipped)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;

	tree_in_progress(&t);
	run_tgz(&t, NULL, &dir, &path, &r);
	expect_in_progress_warned(&r);
	cr_expect_eq(r.nsession, 0, "sessions from an IN_PROGRESS tree: %s", r.out);
	cr_expect_eq(r.res.sessions, 0);
	cr_expect_eq(r.st, E53_OK, "status %d", r.st);
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

static void bundle_with_in_progress(enum t_fmt fmt, const char *bundle_name)
{
	struct sd_tree ip, ok;
	struct sd_run r;
	struct tbuf inner = { 0 }, outer = { 0 };
	struct t_entry e[SD_MAX_MEMBERS + 16];
	static char names[SD_MAX_MEMBERS + 16][512];
	char *dir, *path;
	const char *s;
	size_t n;

	tree_in_progress(&ip);
	tree_d101(&ok, D101_ROOT, F_REMOTECTL | F_DEVICETREE | F_IOS_NODRIVER, &OTA53_NOSENSOR, 1);
	sd_pack_tgz(&ok, &inner);
	/* the ticket: the interrupted tree as a folder, the complete one as .tar.gz */
	n = sd_entries(&ip, "ticket-48213/", e, names, SD_MAX_MEMBERS + 16);
	e[n].name = "ticket-48213/" D101_ROOT ".tar.gz";
	e[n].data = inner.p;
	e[n].len = inner.len;
	e[n].dir = false;
	n++;
	cr_assert(t_archive(&outer, fmt, fmt == T_TAR ? T_GZIP : T_NONE, e, n));
	dir = t_mkdtemp();
	path = t_write(dir, bundle_name, outer.p, outer.len);
	sd_analyze(path, NULL, &r);
	expect_in_progress_warned(&r);
	cr_assert_eq(r.nsession, 1, "want only the complete sysdiagnose: %s", r.out);
	s = r.session[0];
	expect_str(s, "family", "sysdiagnose");
	expect_str(s, "source.path", path);
	expect_str(s, "result.code", "53");
	expect_str(s, "error53.verdict", "cable-fault");
	expect_str(s, "device.product_type", "iPhone9,3");
	cr_expect(strstr(jget(s, "source.member"), D101_ROOT "/crashes_and_spins/" D101_OTA53) != NULL, "member %s",
		  jget(s, "source.member"));
	/* nothing of the IN_PROGRESS tree reached the complete one */
	cr_expect_lt(history_find(s, "21G93", "22D72", NULL), 0, "IN_PROGRESS history leaked: %s", s);
	sd_run_free(&r);
	sd_tree_free(&ip);
	sd_tree_free(&ok);
	tbuf_free(&inner);
	tbuf_free(&outer);
	free(path);
	t_rmtree(dir);
}

Test(sysdiag_in_progress, beside_complete_in_zip_bundle)
{
	bundle_with_in_progress(T_ZIP, "ticket-48213.zip");
}

Test(sysdiag_in_progress, beside_complete_in_tar_bundle)
{
	bundle_with_in_progress(T_TAR, "ticket-48213.tar.gz");
}

/* The interrupted tree as an archive of its own inside the bundle. */
Test(sysdiag_in_progress, in_progress_archive_in_zip)
{
	struct sd_tree ip, ok;
	struct sd_run r;
	struct tbuf a = { 0 }, b = { 0 }, outer = { 0 };
	struct t_entry e[2];
	char *dir, *path;

	tree_in_progress(&ip);
	/* the interrupted archive's inner root has the plain name */
	snprintf(ip.root, sizeof ip.root, "%s", D79_ROOT);
	tree_d101(&ok, D101_ROOT, F_REMOTECTL, &OTA53_NOSENSOR, 1);
	sd_pack_tgz(&ip, &a);
	sd_pack_tgz(&ok, &b);
	e[0] = (struct t_entry){ "IN_PROGRESS_" D79_ROOT ".tar.gz", a.p, a.len, false };
	e[1] = (struct t_entry){ D101_ROOT ".tar.gz", b.p, b.len, false };
	cr_assert(t_archive(&outer, T_ZIP, T_NONE, e, 2));
	dir = t_mkdtemp();
	path = t_write(dir, "bundle.zip", outer.p, outer.len);
	sd_analyze(path, NULL, &r);
	cr_expect_not_null(sd_msg(&r, 'W', "IN_PROGRESS_" D79_ROOT, NULL), "no warning: [%s]", r.msgs);
	expect_clean(&r);
	cr_assert_eq(r.nsession, 1, "%s", r.out);
	expect_str(r.session[0], "device.serial", D101_SERIAL);
	sd_run_free(&r);
	sd_tree_free(&ip);
	sd_tree_free(&ok);
	tbuf_free(&a);
	tbuf_free(&b);
	tbuf_free(&outer);
	free(path);
	t_rmtree(dir);
}

Test(sysdiag_in_progress, in_progress_folder_is_skipped)
{
	struct sd_tree ip;
	struct sd_run r;
	char *fdir, *root;

	tree_in_progress(&ip);
	fdir = t_mkdtemp();
	root = sd_write_folder(&ip, fdir);
	sd_analyze(fdir, NULL, &r);
	cr_expect_not_null(sd_msg(&r, 'W', IP_ROOT, NULL), "no warning: [%s]", r.msgs);
	expect_clean(&r);
	cr_expect_eq(r.nsession, 0, "%s", r.out);
	sd_run_free(&r);
	sd_tree_free(&ip);
	free(root);
	t_rmtree(fdir);
}

/* ======================================================================== */
/* Ticket bundles                                                           */
/* ======================================================================== */

Test(sysdiag_bundle, targz_nested_in_zip)
{
	struct sd_tree t;
	struct sd_run r;
	struct tbuf inner = { 0 }, outer = { 0 };
	struct t_entry e[3];
	char *dir, *path;
	const char *s, *m;
	const char *note = "Customer reports error 53 after an update.\n";

	tree_d101(&t, D101_ROOT, F_REMOTECTL | F_DEVICETREE | F_IOS_NODRIVER, &OTA53_NOSENSOR, 1);
	sd_pack_tgz(&t, &inner);
	e[0] = (struct t_entry){ "ticket-48213/", NULL, 0, true };
	e[1] = (struct t_entry){ "ticket-48213/notes.txt", note, strlen(note), false };
	e[2] = (struct t_entry){ "ticket-48213/" D101_ROOT ".tar.gz", inner.p, inner.len, false };
	cr_assert(t_archive(&outer, T_ZIP, T_NONE, e, 3));
	dir = t_mkdtemp();
	path = t_write(dir, "ticket-48213.zip", outer.p, outer.len);
	sd_analyze(path, NULL, &r);
	expect_clean(&r);
	cr_assert_eq(r.nsession, 1, "%s\n%s", r.out, r.msgs);
	s = r.session[0];
	expect_str(s, "family", "sysdiagnose");
	expect_str(s, "source.path", path);
	m = jget(s, "source.member");
	cr_expect(strstr(m, D101_ROOT ".tar.gz") && strstr(m, D101_ROOT "/crashes_and_spins/" D101_OTA53),
		  "member %s", m);
	expect_str(s, "result.code", "53");
	expect_str(s, "error53.verdict", "cable-fault");
	expect_str(s, "device.serial", D101_SERIAL);
	expect_str(s, "device.product_type", "iPhone9,3");
	sd_run_free(&r);
	sd_tree_free(&t);
	tbuf_free(&inner);
	tbuf_free(&outer);
	free(path);
	t_rmtree(dir);
}

/* Two devices in one ticket: each session keeps its own identity. */
Test(sysdiag_bundle, two_devices_do_not_mix)
{
	struct sd_tree a, b;
	struct sd_run r;
	struct tbuf ta = { 0 }, tb = { 0 }, outer = { 0 };
	struct t_entry e[2];
	char *dir, *path;
	const char *sa, *sb;

	tree_d101(&a, D101_ROOT, F_REMOTECTL | F_DEVICETREE | F_IOS_NODRIVER, &OTA53_NOSENSOR, 1);
	sd_tree_init(&b, D79_ROOT);
	sd_add_fixture(&b, "logs/MobileActivation/mobileactivationd.log", "mobileactivationd-d79.log");
	sd_add_ota(&b, D79_OTA53, HDR_D79_53, "ota-body-53-sep-error.log");
	sd_pack_tgz(&a, &ta);
	sd_pack_tgz(&b, &tb);
	e[0] = (struct t_entry){ "case/" D101_ROOT ".tar.gz", ta.p, ta.len, false };
	e[1] = (struct t_entry){ "case/" D79_ROOT ".tar.gz", tb.p, tb.len, false };
	cr_assert(t_archive(&outer, T_ZIP, T_NONE, e, 2));
	dir = t_mkdtemp();
	path = t_write(dir, "case.zip", outer.p, outer.len);
	sd_analyze(path, NULL, &r);
	expect_clean(&r);
	cr_assert_eq(r.nsession, 2, "%s", r.out);
	sa = sd_session_by_member(&r, D101_ROOT "/crashes_and_spins/" D101_OTA53);
	sb = sd_session_by_member(&r, D79_ROOT "/crashes_and_spins/" D79_OTA53);
	cr_assert(sa && sb, "%s", r.out);
	expect_str(sa, "device.product_type", "iPhone9,3");
	expect_str(sa, "device.serial", D101_SERIAL);
	expect_str(sa, "error53.verdict", "cable-fault");
	expect_str(sb, "device.product_type", "iPhone12,8");
	expect_null(sb, "device.serial");
	expect_null(sb, "device.udid");
	expect_str(sb, "error53.verdict", "biometric-mismatch");
	cr_expect_lt(sd_evidence_kind(sb, "ioreg"), 0, "the iPhone 7's ioreg evidence leaked: %s", sb);
	cr_expect_eq(jlen(sa, "history"), 0, "the SE's history leaked: %s", jget(sa, "history"));
	sd_run_free(&r);
	sd_tree_free(&a);
	sd_tree_free(&b);
	tbuf_free(&ta);
	tbuf_free(&tb);
	tbuf_free(&outer);
	free(path);
	t_rmtree(dir);
}

/* ======================================================================== */
/* Hostile plists through the pipeline                                      */
/* ======================================================================== */

/* The D101 tree (remotectl, ioreg pair, OTA 53) with a given
 * SystemVersion.plist; the rest must still be analysed. */
static void run_with_plist(const struct tbuf *plist, const struct e53_limits *lim, struct sd_run *r, char **dir,
			   char **path)
{
	struct sd_tree t;

	tree_d101(&t, D101_ROOT, F_REMOTECTL | F_DEVICETREE | F_IOS_NODRIVER, NULL, 0);
	sd_add(&t, "logs/SystemVersion/SystemVersion.plist", plist->p, plist->len);
	sd_add_ota(&t, D101_OTA53, HDR_53_NOOS, "ota-body-53-nosensor.log");
	run_tgz(&t, lim, dir, path, r);
	sd_tree_free(&t);
}

/* Same, for inputs that may crash the analyzer: the archive is built in a
 * temp folder, opened, then unlinked (folder removed too) and read through
 * /proc/self/fd, so a crash leaves nothing behind. */
static void run_with_plist_unlinked(const struct tbuf *plist, struct sd_run *r)
{
	struct sd_tree t;
	char *dir, *path, fdpath[64];
	int fd;

	tree_d101(&t, D101_ROOT, F_REMOTECTL | F_DEVICETREE | F_IOS_NODRIVER, NULL, 0);
	sd_add(&t, "logs/SystemVersion/SystemVersion.plist", plist->p, plist->len);
	sd_add_ota(&t, D101_OTA53, HDR_53_NOOS, "ota-body-53-nosensor.log");
	dir = t_mkdtemp();
	path = write_tgz(&t, dir);
	sd_tree_free(&t);
	fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	unlink(path);
	free(path);
	t_rmtree(dir);
	snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
	sd_analyze(fdpath, NULL, r);
	close(fd);
}

/* A refused property list is an input error (exit 2): exactly one, and the
 * rest of the archive is still analysed. */
static void expect_rest_analysed(const struct sd_run *r)
{
	cr_expect_eq(r->res.input_errors, 1, "input errors: %s", r->msgs);
	cr_expect_eq(r->ninput_error_lines, 1, "input-error lines in the report: %s", r->out);
	cr_expect_eq(r->nerr, 1, "error messages: %s", r->msgs);
	cr_assert_eq(r->nsession, 1, "%s\n%s", r->out, r->msgs);
	expect_str(r->session[0], "device.serial", D101_SERIAL);
	expect_str(r->session[0], "device.product_type", "iPhone9,3");
	expect_str(r->session[0], "result.code", "53");
	expect_str(r->session[0], "error53.verdict", "cable-fault");
	/* the refused plist gave nothing; remotectl's build stands */
	expect_str(r->session[0], "restore.current_build", "19H386");
}

Test(sysdiag_plist_pipeline, binary_nested_200000_deep_refused, .timeout = 60)
{
	struct tbuf pl = { 0 };
	struct sd_run r;
	char *dir, *path;

	sd_bplist_chain(&pl, 200000, 0);
	run_with_plist(&pl, NULL, &r, &dir, &path);
	cr_expect_not_null(sd_msg(&r, 'E', "SystemVersion.plist", "depth"), "no depth warning: [%s]", r.msgs);
	expect_rest_analysed(&r);
	sd_run_free(&r);
	tbuf_free(&pl);
	free(path);
	t_rmtree(dir);
}

Test(sysdiag_plist_pipeline, xml_nested_10000_deep_refused, .timeout = 60)
{
	struct tbuf pl = { 0 };
	struct sd_run r;
	char *dir, *path;

	sd_xml_nested(&pl, 10000, 0);
	run_with_plist(&pl, NULL, &r, &dir, &path);
	cr_expect_not_null(sd_msg(&r, 'E', "SystemVersion.plist", "depth"), "no depth warning: [%s]", r.msgs);
	expect_rest_analysed(&r);
	sd_run_free(&r);
	tbuf_free(&pl);
	free(path);
	t_rmtree(dir);
}

Test(sysdiag_plist_pipeline, larger_than_max_plist_refused)
{
	struct tbuf pl = { 0 };
	struct sd_run r;
	struct e53_limits lim;
	char *dir, *path;

	sd_sysversion(&pl, false, "15.8.3", "19A999");
	e53_limits_default(&lim);
	lim.max_plist = 200;
	cr_assert_gt(pl.len, lim.max_plist);
	run_with_plist(&pl, &lim, &r, &dir, &path);
	cr_expect_not_null(sd_msg(&r, 'E', "SystemVersion.plist", "--max-plist-bytes"), "no size warning: [%s]",
			   r.msgs);
	expect_rest_analysed(&r); /* 19A999 never read */
	sd_run_free(&r);
	tbuf_free(&pl);
	free(path);
	t_rmtree(dir);
}

Test(sysdiag_plist_pipeline, truncated_binary_refused)
{
	struct tbuf pl = { 0 };
	struct sd_run r;
	char *dir, *path;

	sd_sysversion(&pl, true, "15.8.3", "19A999");
	pl.len -= 20; /* the trailer is cut */
	run_with_plist(&pl, NULL, &r, &dir, &path);
	cr_expect_not_null(sd_msg(&r, 'E', "SystemVersion.plist", NULL), "no error: [%s]", r.msgs);
	expect_rest_analysed(&r);
	sd_run_free(&r);
	tbuf_free(&pl);
	free(path);
	t_rmtree(dir);
}

/* ======================================================================== */
/* e53_plist_strings                                                        */
/* ======================================================================== */

static const char *kv_get(const struct e53_kv *kv, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].val;
	return NULL;
}

static e53_status plist_strings(const struct tbuf *b, const struct e53_limits *lim, struct e53_kv *kv, size_t cap,
				size_t *n, char *msg, size_t msgcap)
{
	struct e53_limits dl;

	if (!lim) {
		e53_limits_default(&dl);
		lim = &dl;
	}
	msg[0] = '\0';
	return e53_plist_strings((const char *)b->p, b->len, lim, kv, cap, n, msg, msgcap);
}

Test(sysdiag_plist, good_binary)
{
	struct tbuf b = { 0 };
	struct e53_kv kv[16];
	size_t n = 99;
	char msg[200];

	sd_sysversion(&b, true, "18.3.1", "22D72");
	cr_assert_eq(plist_strings(&b, NULL, kv, 16, &n, msg, sizeof msg), E53_OK, "%s", msg);
	cr_expect_eq(n, 7);
	cr_expect_str_eq(kv_get(kv, n, "ProductBuildVersion"), "22D72");
	cr_expect_str_eq(kv_get(kv, n, "ProductVersion"), "18.3.1");
	cr_expect_str_eq(kv_get(kv, n, "ProductName"), "iPhone OS");
	tbuf_free(&b);
}

Test(sysdiag_plist, good_xml)
{
	struct tbuf b = { 0 };
	struct e53_kv kv[16];
	size_t n = 99;
	char msg[200];

	sd_sysversion(&b, false, "15.8.3", "19H386");
	cr_assert_eq(plist_strings(&b, NULL, kv, 16, &n, msg, sizeof msg), E53_OK, "%s", msg);
	cr_expect_eq(n, 7);
	cr_expect_str_eq(kv_get(kv, n, "ProductBuildVersion"), "19H386");
	cr_expect_str_eq(kv_get(kv, n, "ProductVersion"), "15.8.3");
	tbuf_free(&b);
}

/* Only top-level string values; cap respected. */
Test(sysdiag_plist, strings_only_and_cap)
{
	plist_t d = plist_new_dict(), sub = plist_new_dict();
	char *data = NULL;
	uint32_t len = 0;
	struct e53_kv kv[4];
	size_t n = 0;
	char msg[200];
	struct e53_limits lim;

	plist_dict_set_item(sub, "Inner", plist_new_string("no"));
	plist_dict_set_item(d, "A", plist_new_string("one"));
	plist_dict_set_item(d, "N", plist_new_uint(7));
	plist_dict_set_item(d, "D", sub);
	plist_dict_set_item(d, "B", plist_new_string("two"));
	plist_dict_set_item(d, "C", plist_new_string("three"));
	plist_to_bin(d, &data, &len);
	e53_limits_default(&lim);
	cr_assert_eq(e53_plist_strings(data, len, &lim, kv, 4, &n, msg, sizeof msg), E53_OK, "%s", msg);
	cr_expect_eq(n, 3);
	cr_expect_null(kv_get(kv, n, "N"));
	cr_expect_null(kv_get(kv, n, "Inner"));
	cr_expect_str_eq(kv_get(kv, n, "C"), "three");
	cr_assert_eq(e53_plist_strings(data, len, &lim, kv, 2, &n, msg, sizeof msg), E53_OK, "%s", msg);
	cr_expect_eq(n, 2, "cap of 2 entries: got %zu", n);
	plist_to_bin_free(data);
	plist_free(d);
}

Test(sysdiag_plist, binary_nested_200000_refused, .timeout = 60)
{
	struct tbuf b = { 0 };
	struct e53_kv kv[4];
	size_t n = 0;
	char msg[200];

	sd_bplist_chain(&b, 200000, 0);
	cr_expect_neq(plist_strings(&b, NULL, kv, 4, &n, msg, sizeof msg), E53_OK);
	cr_expect(strstr(msg, "depth") != NULL, "msg: %s", msg);
	cr_expect_eq(n, 0);
	tbuf_free(&b);
}

Test(sysdiag_plist, xml_nested_10000_refused, .timeout = 60)
{
	struct tbuf b = { 0 };
	struct e53_kv kv[4];
	size_t n = 0;
	char msg[200];

	sd_xml_nested(&b, 10000, 0);
	cr_expect_neq(plist_strings(&b, NULL, kv, 4, &n, msg, sizeof msg), E53_OK);
	cr_expect(strstr(msg, "depth") != NULL, "msg: %s", msg);
	tbuf_free(&b);
}

Test(sysdiag_plist, larger_than_cap_refused)
{
	struct tbuf b = { 0 };
	struct e53_kv kv[4];
	size_t n = 0;
	char msg[200];
	struct e53_limits lim;

	sd_sysversion(&b, true, "18.3.1", "22D72");
	e53_limits_default(&lim);
	lim.max_plist = b.len - 1;
	cr_expect_eq(plist_strings(&b, &lim, kv, 4, &n, msg, sizeof msg), E53_ETOOBIG);
	cr_expect(strstr(msg, "--max-plist-bytes") != NULL, "msg: %s", msg);
	lim.max_plist = b.len; /* exactly at the cap is fine */
	cr_expect_eq(plist_strings(&b, &lim, kv, 4, &n, msg, sizeof msg), E53_OK, "%s", msg);
	tbuf_free(&b);
}

Test(sysdiag_plist, truncated_and_corrupt_binary_refused)
{
	struct tbuf good = { 0 }, b = { 0 };
	struct e53_kv kv[4];
	size_t n = 0, cut;
	char msg[200];

	sd_sysversion(&good, true, "18.3.1", "22D72");
	/* every truncation is refused, none crashes */
	for (cut = 1; cut < 40 && cut < good.len; cut++) {
		b.len = 0;
		tbuf_add(&b, good.p, good.len - cut);
		cr_expect_neq(plist_strings(&b, NULL, kv, 4, &n, msg, sizeof msg), E53_OK, "cut %zu accepted", cut);
		cr_expect(msg[0], "cut %zu: no message", cut);
	}
	/* a reference past the object count */
	b.len = 0;
	sd_bplist_chain(&b, 3, 0);
	b.p[8 + 5 + 4] = 0x7f; /* object 1 now points to object 0x7f.. */
	cr_expect_neq(plist_strings(&b, NULL, kv, 4, &n, msg, sizeof msg), E53_OK);
	/* top object out of range */
	b.len = 0;
	sd_bplist_chain(&b, 3, 0);
	b.p[b.len - 9] = 9;
	cr_expect_neq(plist_strings(&b, NULL, kv, 4, &n, msg, sizeof msg), E53_OK);
	/* offset table beyond the data */
	b.len = 0;
	sd_bplist_chain(&b, 3, 0);
	b.p[b.len - 2] = 0x7f;
	cr_expect_neq(plist_strings(&b, NULL, kv, 4, &n, msg, sizeof msg), E53_OK);
	/* not a plist at all, and empty */
	b.len = 0;
	tbuf_adds(&b, "ProductBuildVersion = 22D72\n");
	cr_expect_neq(plist_strings(&b, NULL, kv, 4, &n, msg, sizeof msg), E53_OK);
	b.len = 0;
	cr_expect_neq(e53_plist_strings("", 0, &(struct e53_limits){ .max_plist = 100, .max_plist_depth = 8 }, kv, 4,
					&n, msg, sizeof msg),
		      E53_OK);
	tbuf_free(&good);
	tbuf_free(&b);
}

/* --max-plist-depth is honoured for both encodings. */
Test(sysdiag_plist, depth_limit_is_configurable)
{
	struct tbuf b = { 0 };
	struct e53_kv kv[4];
	size_t n = 0;
	char msg[200];
	struct e53_limits lim;

	e53_limits_default(&lim);
	lim.max_plist_depth = 8;
	sd_bplist_chain(&b, 20, 0);
	cr_expect_neq(plist_strings(&b, &lim, kv, 4, &n, msg, sizeof msg), E53_OK, "binary 21 deep, limit 8");
	b.len = 0;
	sd_bplist_chain(&b, 4, 0);
	cr_expect_eq(plist_strings(&b, &lim, kv, 4, &n, msg, sizeof msg), E53_OK, "binary 5 deep, limit 8: %s", msg);
	b.len = 0;
	sd_xml_nested(&b, 20, 0);
	cr_expect_neq(plist_strings(&b, &lim, kv, 4, &n, msg, sizeof msg), E53_OK, "xml 20 deep, limit 8");
	b.len = 0;
	sd_xml_nested(&b, 5, 0);
	cr_expect_eq(plist_strings(&b, &lim, kv, 4, &n, msg, sizeof msg), E53_OK, "xml 5 deep, limit 8: %s", msg);
	tbuf_free(&b);
}

/* ======================================================================== */
/* Known bugs: these fail until src/sysdiag.c is fixed                      */
/* ======================================================================== */

/* Regression 1 (fixed) (src/sysdiag.c, bplist_ok): the depth walk visits each object once
 * and records the depth of its FIRST visit.  A top-level array that also
 * references every 50th element of a 5000-deep chain makes every chain
 * node look at most ~51 deep, so the plist passes, though libplist then
 * nests 5000 levels.  (Fix: measure the longest path, e.g. an iterative
 * post-order computing each node's height, and refuse cycles.) */
Test(sysdiag_regressions, bplist_depth_check_bypassed_by_shared_references, .timeout = 60)
{
	struct tbuf b = { 0 };
	struct e53_kv kv[4];
	size_t n = 0;
	char msg[200];

	sd_bplist_chain(&b, 5000, 50);
	cr_expect_neq(plist_strings(&b, NULL, kv, 4, &n, msg, sizeof msg), E53_OK,
		      "a bplist nested 5000 deep was accepted (depth limit 64)");
	tbuf_free(&b);
}

/* Regression 1 (fixed), its consequence: the same shape 200,000 deep passes the check and
 * overflows the stack inside libplist (SIGSEGV) - one 1.8 MB
 * SystemVersion.plist kills the analyzer. */
Test(sysdiag_regressions, bplist_shared_reference_chain_crashes_pipeline, .timeout = 60)
{
	struct tbuf pl = { 0 };
	struct sd_run r;

	sd_bplist_chain(&pl, 200000, 60);
	run_with_plist_unlinked(&pl, &r);
	cr_expect_not_null(sd_msg(&r, 'E', "SystemVersion.plist", "depth"), "no depth warning: [%s]", r.msgs);
	expect_rest_analysed(&r);
	sd_run_free(&r);
	tbuf_free(&pl);
}

/* Regression 2 (fixed) (src/sysdiag.c, bplist_ok): no bound on the expanded size.  A
 * 243-byte bplist of 40 arrays, each referencing the next one twice, is 41
 * levels deep (under the limit) but libplist copies shared references, so
 * it builds 2^40 nodes: the analyzer runs out of memory or never ends.
 * (Fix: compute each object's expanded node count in the same post-order
 * walk, saturating, and refuse above a cap such as 1,000,000 or a small
 * multiple of the object count.)  Memory is capped at 512 MiB here so the
 * test ends: libplist then fails an allocation after seconds of work, and
 * e53_plist_strings returns "not a valid property list"; a correct check
 * refuses before libplist runs, in well under a second. */
Test(sysdiag_regressions, bplist_exponential_expansion_refused, .timeout = 30)
{
	struct tbuf b = { 0 };
	struct e53_kv kv[4];
	size_t n = 0;
	char msg[200];
	struct rlimit rl = { 512u << 20, 512u << 20 };
	struct timespec t0, t1;
	double secs;

#if defined(__SANITIZE_ADDRESS__)
	(void)rl;
	cr_skip_test("needs an address-space cap, which AddressSanitizer cannot run under");
#else
	cr_assert_eq(setrlimit(RLIMIT_AS, &rl), 0);
#endif
	sd_bplist_laughs(&b, 40);
	cr_assert_lt(b.len, 300);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_expect_neq(plist_strings(&b, NULL, kv, 4, &n, msg, sizeof msg), E53_OK,
		      "a bplist expanding to 2^40 nodes was accepted");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_expect_lt(secs, 1.0, "refusing took %.1f s (libplist expanded it until memory ran out): %s", secs, msg);
	tbuf_free(&b);
}

/* Regression 3 (fixed) (src/sysdiag.c, xml_depth): the tag counter does not skip XML
 * comments, so `</array>` inside `<!-- -->` lowers its count while
 * libplist ignores them.  10,000 real levels are accepted. (Fix: skip
 * `<!-- ... -->`, `<![CDATA[ ... ]]>`, `<? ... ?>` and `<!DOCTYPE ...>`
 * the way libplist's parser does, then count opening/closing tags.) */
Test(sysdiag_regressions, xml_depth_check_bypassed_by_comments, .timeout = 60)
{
	struct tbuf b = { 0 };
	struct e53_kv kv[4];
	size_t n = 0;
	char msg[200];

	sd_xml_nested(&b, 10000, 30);
	cr_expect_neq(plist_strings(&b, NULL, kv, 4, &n, msg, sizeof msg), E53_OK,
		      "an XML plist nested 10000 deep (behind comments) was accepted");
	tbuf_free(&b);
}

/* Regression 3 (fixed), its consequence: 300,000 levels (7 MB, under the 8 MiB default
 * cap) crash the analyzer inside libplist. */
Test(sysdiag_regressions, xml_comment_trick_crashes_pipeline, .timeout = 60)
{
	struct tbuf pl = { 0 };
	struct sd_run r;

	sd_xml_nested(&pl, 300000, 30);
	cr_assert_lt(pl.len, E53_DEFAULT_MAX_PLIST);
	run_with_plist_unlinked(&pl, &r);
	cr_expect_not_null(sd_msg(&r, 'E', "SystemVersion.plist", "depth"), "no depth warning: [%s]", r.msgs);
	expect_rest_analysed(&r);
	sd_run_free(&r);
	tbuf_free(&pl);
}

/* Regression 4 (fixed) (src/sysdiag.c, on_id_line + set_id(..., over=false)): the
 * identity order of the log formats (remotectl, then IODeviceTree +
 * SystemVersion.plist, then the mobileactivationd startup block) is not
 * applied: every fallback source fills an empty field first-come, and the
 * logs/ members come before logs/SystemVersion/ and ioreg/ in a real
 * archive.  mobileactivationd.log and lockdownd.log start with the boot
 * BEFORE the update (19H370), so the report says the phone runs 19H370
 * while SystemVersion.plist says 19H386.  (Fix: keep one value per source
 * rank (root.id_rank is declared but unused) and resolve in
 * e53_sysdiag_apply; within a log take the LAST startup block / Build
 * version line.) */
Test(sysdiag_regressions, systemversion_outranks_older_boots_in_logs)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;

	tree_d101(&t, D101_ROOT, F_MOBILEACT | F_LOCKDOWN | F_SYSVER_BIN | F_DEVICETREE | F_IOS_NODRIVER,
		  &OTA53_NOOS, 1);
	run_tgz(&t, NULL, &dir, &path, &r);
	cr_assert_eq(r.nsession, 1, "%s", r.out);
	expect_str(r.session[0], "restore.current_build", "19H386");
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

/* Regression 4 (fixed), last-fallback form: with only mobileactivationd.log, the build is
 * the one of the first startup block in the file (21G93, the boot before
 * the 22D72 update the same log records), not the latest one. */
Test(sysdiag_regressions, mobileactivationd_build_from_latest_startup_block)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;

	sd_tree_init(&t, D79_ROOT);
	sd_add_fixture(&t, "logs/MobileActivation/mobileactivationd.log", "mobileactivationd-d79.log");
	sd_add_ota(&t, D79_OTA53, HDR_D79_53_NOOS, "ota-body-53-nosensor.log");
	run_tgz(&t, NULL, &dir, &path, &r);
	cr_assert_eq(r.nsession, 1, "%s", r.out);
	expect_str(r.session[0], "restore.current_build", "22D72");
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

/* Regression 5 (fixed) (src/sysdiag.c, off-by-one in bplist_ok): the binary walk refuses
 * a container whose depth (top = 1) is >= the limit, the XML check one
 * whose depth is > the limit.  With --max-plist-depth 64 the same 64-level
 * plist is accepted as XML and refused as binary.  (Fix: `depth[o] >
 * maxdepth` in bplist_ok.) */
Test(sysdiag_regressions, depth_limit_same_for_binary_and_xml)
{
	struct tbuf b = { 0 };
	struct e53_kv kv[4];
	size_t n = 0;
	char msg[200];

	sd_xml_nested(&b, 64, 0);
	cr_expect_eq(plist_strings(&b, NULL, kv, 4, &n, msg, sizeof msg), E53_OK, "XML, 64 levels: %s", msg);
	b.len = 0;
	sd_xml_nested(&b, 65, 0);
	cr_expect_neq(plist_strings(&b, NULL, kv, 4, &n, msg, sizeof msg), E53_OK, "XML, 65 levels");
	b.len = 0;
	sd_bplist_chain(&b, 63, 0); /* 63 one-element arrays + the empty one */
	cr_expect_eq(plist_strings(&b, NULL, kv, 4, &n, msg, sizeof msg), E53_OK, "binary, 64 levels: %s", msg);
	b.len = 0;
	sd_bplist_chain(&b, 64, 0);
	cr_expect_neq(plist_strings(&b, NULL, kv, 4, &n, msg, sizeof msg), E53_OK, "binary, 65 levels");
	tbuf_free(&b);
}

/* Regression 6 (fixed) (src/sysdiag.c, MAX_ROOTS = 4, get_root / e53_sysdiag_member_begin):
 * a fifth sysdiagnose root in one input gets no root; its OTAUpdate
 * report then falls through to the ordinary-log path while the builder's
 * family is still forced to sysdiagnose: the session has no identity, and
 * the sixth archive's report is merged into the fifth's session (6 reports,
 * 5 sessions).  No warning says so.  A ticket bundle with six daily
 * sysdiagnoses of one phone is enough.  (Fix: grow roots dynamically, or
 * at least warn and keep one session per report with its header.) */
Test(sysdiag_regressions, six_sysdiagnoses_in_one_bundle)
{
	struct tbuf in[6], outer = { 0 };
	struct t_entry e[6];
	static char names[6][256];
	struct sd_run r;
	char *dir, *path;
	size_t i;

	memset(in, 0, sizeof in);
	for (i = 0; i < 6; i++) {
		struct sd_tree t;
		char root[200];

		snprintf(root, sizeof root, "sysdiagnose_2025.03.%02zu_10-05-31+0100_iPhone-OS_iPhone_19H386", 9 + i);
		tree_d101(&t, root, F_REMOTECTL, &OTA53_NOSENSOR, 1);
		sd_pack_tgz(&t, &in[i]);
		sd_tree_free(&t);
		snprintf(names[i], sizeof names[i], "case-77120/%s.tar.gz", root);
		e[i] = (struct t_entry){ names[i], in[i].p, in[i].len, false };
	}
	cr_assert(t_archive(&outer, T_ZIP, T_NONE, e, 6));
	dir = t_mkdtemp();
	path = t_write(dir, "case-77120.zip", outer.p, outer.len);
	sd_analyze(path, NULL, &r);
	expect_clean(&r);
	cr_expect_eq(r.nsession, 6, "6 OTAUpdate reports, %zu sessions", r.nsession);
	for (i = 0; i < r.nsession; i++) {
		cr_expect_str_eq(jget(r.session[i], "device.serial"), D101_SERIAL, "session %zu (%s) has no identity", i,
				 jget(r.session[i], "source.member"));
		cr_expect_str_eq(jget(r.session[i], "restore.target_build"), "19H390", "session %zu lost its header", i);
	}
	sd_run_free(&r);
	for (i = 0; i < 6; i++)
		tbuf_free(&in[i]);
	tbuf_free(&outer);
	free(path);
	t_rmtree(dir);
}

/* Regression 7 (fixed) (src/session.c new_session with E53_MAX_OPEN = 8, as used by
 * src/sysdiag.c): sysdiagnose sessions are held until the whole archive is
 * read, but creating a ninth open session flushes every finished held
 * session at once.  With nine OTAUpdate reports, the first eight are
 * diagnosed before ioreg/ (which follows crashes_and_spins/ in a real
 * archive) is read: they lose the ioreg evidence and say "undetermined",
 * while the ninth says "cable-fault".  (Fix: do not cap held sessions by
 * E53_MAX_OPEN while a family is forced, or let sysdiag keep its own
 * list and hand sessions over only in e53_sysdiag_finish.) */
Test(sysdiag_regressions, nine_reports_all_get_ioreg_evidence)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;
	struct ota o[9];
	static char names[9][64];
	size_t i;

	for (i = 0; i < 9; i++) {
		snprintf(names[i], sizeof names[i], "OTAUpdate-2025-03-%02zu-22-32-09.ips", 5 + i);
		o[i] = (struct ota){ names[i], HDR_53, "ota-body-53-nosensor.log" };
	}
	tree_d101(&t, D101_ROOT, F_REMOTECTL | F_DEVICETREE | F_IOS_NODRIVER, o, 9);
	run_tgz(&t, NULL, &dir, &path, &r);
	cr_assert_eq(r.nsession, 9, "%s", r.out);
	for (i = 0; i < 9; i++)
		cr_expect_str_eq(jget(r.session[i], "error53.verdict"), "cable-fault", "%s: %s",
				 jget(r.session[i], "source.member"), jget(r.session[i], "error53.verdict"));
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

/* Regression 8 (fixed) (src/sysdiag.c, MAX_IPS = 16, e53_sysdiag_member_begin): the
 * seventeenth OTAUpdate report of one sysdiagnose still gets a session but
 * no `struct ips`, so e53_sysdiag_apply finds no root for it: no identity,
 * no header (target build), silently.  (Fix: grow the list, or warn.) */
Test(sysdiag_regressions, seventeen_reports_all_get_identity)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;
	struct ota o[17];
	static char names[17][64];
	size_t i;

	for (i = 0; i < 17; i++) {
		snprintf(names[i], sizeof names[i], "OTAUpdate-2025-02-%02zu-22-32-09.ips", 1 + i);
		o[i] = (struct ota){ names[i], HDR_53, "ota-body-53-nosensor.log" };
	}
	tree_d101(&t, D101_ROOT, F_REMOTECTL, o, 17);
	run_tgz(&t, NULL, &dir, &path, &r);
	cr_assert_eq(r.nsession, 17, "%s", r.out);
	for (i = 0; i < 17; i++) {
		cr_expect_str_eq(jget(r.session[i], "device.serial"), D101_SERIAL, "%s has no identity",
				 jget(r.session[i], "source.member"));
		cr_expect_str_eq(jget(r.session[i], "restore.target_build"), "19H390", "%s lost its header",
				 jget(r.session[i], "source.member"));
	}
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

/* Regression 9 (fixed) (src/sysdiag.c, e53_sysdiag_want / classify): a file directly in
 * an IN_PROGRESS_ root (ps.txt, taskinfo.txt, ...) matches no known path
 * and no known folder, so want() returns true before the root is even
 * registered, and the file is read as an ordinary log through the rules.
 * the log formats says to skip the whole tree.  (Fix: in want(), test the
 * path components for an IN_PROGRESS_sysdiagnose_ folder before the
 * known-member checks.) */
Test(sysdiag_regressions, in_progress_tree_not_read_at_all)
{
	struct sd_tree t;
	struct sd_run r;
	char *dir, *path;
	const char *ps = "USER       UID   PID  PPID  %CPU %MEM PRI  NI      VSZ    RSS WCHAN    TT  STAT STARTED      TIME COMMAND\n"
			 "root         0     1     0   0.0  0.4  31   0 408665232  10112 -        ??  Ss   Thu09PM   0:42.17 /sbin/launchd\n";

	tree_in_progress(&t);
	sd_add(&t, "ps.txt", ps, strlen(ps));
	run_tgz(&t, NULL, &dir, &path, &r);
	expect_in_progress_warned(&r);
	cr_expect_eq(r.nsession, 0, "%s", r.out);
	cr_expect_eq(r.res.lines, 0, "%llu lines of the IN_PROGRESS tree were read", (unsigned long long)r.res.lines);
	cr_expect_eq(r.res.bytes, 0, "%llu bytes of the IN_PROGRESS tree were read", (unsigned long long)r.res.bytes);
	sd_run_free(&r);
	sd_tree_free(&t);
	free(path);
	t_rmtree(dir);
}

/* Regression 10 (fixed) (src/sysdiag.c, on_id_line MK_DEVICETREE: r->mesa_member is
 * sd->member, i.e. o->path for folders): for a folder input the session's
 * source.member is relative to the folder, but the ioreg evidence's member
 * is the absolute file path (and struct e53_evidence.member is 160 bytes,
 * so a deep path is cut).  (Fix: make it relative to o->input the same way
 * e53_sysdiag_member_begin does for the OTAUpdate report.) */
Test(sysdiag_regressions, folder_ioreg_evidence_member_relative)
{
	struct sd_tree t;
	struct sd_run r;
	char *fdir, *root;
	int e;
	char p[64];

	tree_d101(&t, D101_ROOT, F_REMOTECTL | F_DEVICETREE | F_IOS_NODRIVER, &OTA53_NOSENSOR, 1);
	fdir = t_mkdtemp();
	root = sd_write_folder(&t, fdir);
	sd_analyze(root, NULL, &r);
	cr_assert_eq(r.nsession, 1, "%s", r.out);
	expect_str(r.session[0], "source.member", "crashes_and_spins/" D101_OTA53);
	e = sd_evidence_kind(r.session[0], "ioreg");
	cr_assert_geq(e, 0, "%s", r.session[0]);
	snprintf(p, sizeof p, "error53.evidence.%d.member", e);
	expect_str(r.session[0], p, "ioreg/IODeviceTree.txt");
	sd_run_free(&r);
	sd_tree_free(&t);
	free(root);
	t_rmtree(fdir);
}
