/* test_tables.c: checks the tables generated from the TSV files in data/ (order,
 * uniqueness, vocabulary, row counts) and the look-ups in src/tables.c.
 *
 * The vocabularies below are copied from the report contract (err53-report(5)) on purpose,
 * not taken from src/tables.c: the test must be an independent oracle, so a
 * typo in a TSV or in the category map shows up as a failure here.
 * Run from the project root: the row-count test opens the files in data/. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "err53/tables.h"

static const char *const subsystem_vocab[] = {
    "boot", "tss", "usb", "filesystem", "nand", "baseband", "sep", "secure-element",
    "fdr", "mesa", "savage", "yonkers", "firmware", "battery", "other",
};
static const char *const category_vocab[] = {
    "fdr", "sep", "baseband", "secure-element", "usb", "network", "storage", "battery",
    "software", "unknown",
};
static const char *const biometric_vocab[] = { "touch-id", "face-id", "none" };
/* data/devices.tsv header comment and README: the DFU advice keys on these. */
static const char *const home_button_vocab[] = { "mechanical", "solid-state", "none" };
static const char *const dfu_family_vocab[] = { "home-side", "voldown-side", "volup-voldown-side" };
/* data/README.md: hdr, seen, memory. */
static const char *const source_vocab[] = { "hdr", "seen", "memory" };

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int in_vocab(const char *word, const char *const *vocab, size_t n)
{
    if (word == NULL)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(word, vocab[i]) == 0)
            return 1;
    return 0;
}

static int ascii_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = (*a >= 'A' && *a <= 'Z') ? *a + 32 : *a;
        int cb = (*b >= 'A' && *b <= 'Z') ? *b + 32 : *b;
        if (ca != cb || ca == 0)
            return ca - cb;
    }
}

/* ---- order, uniqueness, completeness ---------------------------------- */

Test(tables_shape, operations_are_0_to_81_without_gap)
{
    /* Operation codes come from the device as plain numbers 0..81; a gap
     * would make a real code decode as "unknown". */
    cr_assert_eq(e53_n_operations, 82, "expected 82 operations, got %zu", e53_n_operations);
    for (size_t i = 0; i < e53_n_operations; i++)
        cr_assert_eq(e53_operations[i].code, (int)i, "row %zu has code %d", i, e53_operations[i].code);
}

Test(tables_shape, steps_strictly_increasing_16_bit)
{
    cr_assert_gt(e53_n_steps, 0);
    for (size_t i = 0; i < e53_n_steps; i++) {
        cr_assert_leq(e53_steps[i].id, 0xFFFFu, "step 0x%X wider than 16 bits", e53_steps[i].id);
        if (i > 0)
            cr_assert_lt(e53_steps[i - 1].id, e53_steps[i].id,
                         "steps out of order at row %zu: 0x%04X then 0x%04X", i,
                         e53_steps[i - 1].id, e53_steps[i].id);
    }
}

Test(tables_shape, errors_strictly_increasing_lo_and_lo_le_hi)
{
    size_t ranges = 0;
    cr_assert_gt(e53_n_errors, 0);
    for (size_t i = 0; i < e53_n_errors; i++) {
        cr_assert_leq(e53_errors[i].lo, e53_errors[i].hi, "row %zu: lo %ld > hi %ld", i,
                      e53_errors[i].lo, e53_errors[i].hi);
        if (i > 0)
            cr_assert_lt(e53_errors[i - 1].lo, e53_errors[i].lo,
                         "errors out of order at row %zu: %ld then %ld", i,
                         e53_errors[i - 1].lo, e53_errors[i].lo);
        if (e53_errors[i].lo != e53_errors[i].hi) {
            ranges++;
            cr_assert_eq(e53_errors[i].lo, 3100L);
            cr_assert_eq(e53_errors[i].hi, 3999L);
        }
    }
    /* README: 3100-3999 is the only range row. */
    cr_assert_eq(ranges, 1, "expected exactly one range row, found %zu", ranges);
}

Test(tables_shape, devices_unique_product_types)
{
    cr_assert_gt(e53_n_devices, 0);
    for (size_t i = 0; i < e53_n_devices; i++) {
        cr_assert_not_null(e53_devices[i].product_type);
        cr_assert_not_null(e53_devices[i].name, "%s has no name", e53_devices[i].product_type);
        /* Case-insensitive, like e53_device_lookup: "IPHONE8,1" and
         * "iPhone8,1" would be the same key. */
        for (size_t j = 0; j < i; j++)
            cr_assert_neq(ascii_casecmp(e53_devices[i].product_type, e53_devices[j].product_type), 0,
                          "duplicate product type %s", e53_devices[i].product_type);
    }
}

Test(tables_shape, statuses_unique)
{
    cr_assert_gt(e53_n_statuses, 0);
    for (size_t i = 0; i < e53_n_statuses; i++) {
        cr_assert_not_null(e53_statuses[i].message, "status %d has no message", e53_statuses[i].status);
        for (size_t j = 0; j < i; j++)
            cr_assert_neq(e53_statuses[i].status, e53_statuses[j].status,
                          "duplicate status %d", e53_statuses[i].status);
    }
}

/* ---- vocabularies ------------------------------------------------------ */

Test(tables_vocab, operation_subsystems)
{
    for (size_t i = 0; i < e53_n_operations; i++) {
        cr_assert_not_null(e53_operations[i].message, "operation %d has no message", e53_operations[i].code);
        cr_assert(in_vocab(e53_operations[i].subsystem, subsystem_vocab, N_OF(subsystem_vocab)),
                  "operation %d: subsystem \"%s\" not in the contract vocabulary",
                  e53_operations[i].code, e53_operations[i].subsystem ? e53_operations[i].subsystem : "(null)");
    }
}

Test(tables_vocab, step_subsystems)
{
    for (size_t i = 0; i < e53_n_steps; i++) {
        cr_assert_not_null(e53_steps[i].name, "step 0x%04X has no name", e53_steps[i].id);
        cr_assert(in_vocab(e53_steps[i].subsystem, subsystem_vocab, N_OF(subsystem_vocab)),
                  "step 0x%04X: subsystem \"%s\" not in the contract vocabulary",
                  e53_steps[i].id, e53_steps[i].subsystem ? e53_steps[i].subsystem : "(null)");
    }
}

Test(tables_vocab, error_categories_and_sources)
{
    for (size_t i = 0; i < e53_n_errors; i++) {
        cr_assert(in_vocab(e53_errors[i].category, category_vocab, N_OF(category_vocab)),
                  "error %ld: category \"%s\" not in the contract set",
                  e53_errors[i].lo, e53_errors[i].category ? e53_errors[i].category : "(null)");
        cr_assert(in_vocab(e53_errors[i].source, source_vocab, N_OF(source_vocab)),
                  "error %ld: source \"%s\" is not hdr/seen/memory",
                  e53_errors[i].lo, e53_errors[i].source ? e53_errors[i].source : "(null)");
        cr_assert_not_null(e53_errors[i].meaning, "error %ld has no meaning", e53_errors[i].lo);
    }
}

Test(tables_vocab, device_biometric_button_dfu)
{
    for (size_t i = 0; i < e53_n_devices; i++) {
        const struct e53_device *d = &e53_devices[i];
        cr_assert(in_vocab(d->biometric, biometric_vocab, N_OF(biometric_vocab)),
                  "%s: biometric \"%s\"", d->product_type, d->biometric ? d->biometric : "(null)");
        cr_assert(in_vocab(d->home_button, home_button_vocab, N_OF(home_button_vocab)),
                  "%s: home_button \"%s\"", d->product_type, d->home_button ? d->home_button : "(null)");
        cr_assert(in_vocab(d->dfu_family, dfu_family_vocab, N_OF(dfu_family_vocab)),
                  "%s: dfu_family \"%s\"", d->product_type, d->dfu_family ? d->dfu_family : "(null)");
    }
}

/* ---- row counts match the project's TSV files --------------------------- */

/* Data rows of a TSV: lines that are neither '#' comments nor blank, minus
 * the header. Reads byte by byte so no line length limit applies. */
static long count_tsv_rows(const char *path)
{
    FILE *fp = fopen(path, "r");
    long lines = 0;
    int c, at_start = 1;

    cr_assert_not_null(fp, "cannot open %s (run the tests from the project root)", path);
    while ((c = getc(fp)) != EOF) {
        if (at_start) {
            /* A line counts if it starts with anything but '#' or a line end. */
            if (c != '#' && c != '\n' && c != '\r')
                lines++;
            at_start = 0;
        }
        if (c == '\n')
            at_start = 1;
    }
    cr_assert(!ferror(fp), "read error on %s", path);
    fclose(fp);
    cr_assert_gt(lines, 0, "%s has no header", path);
    return lines - 1;
}

Test(tables_counts, counts_match_data_files)
{
    cr_assert_eq((long)e53_n_operations, count_tsv_rows("data/operations.tsv"));
    cr_assert_eq((long)e53_n_statuses, count_tsv_rows("data/statuses.tsv"));
    cr_assert_eq((long)e53_n_errors, count_tsv_rows("data/amrestore-errors.tsv"));
    cr_assert_eq((long)e53_n_steps, count_tsv_rows("data/device-steps.tsv"));
    cr_assert_eq((long)e53_n_devices, count_tsv_rows("data/devices.tsv"));
}

/* ---- every row is found by its own key (exercises each bsearch) -------- */

Test(tables_roundtrip, every_row_found_by_its_key)
{
    for (size_t i = 0; i < e53_n_operations; i++)
        cr_assert_eq(e53_operation_lookup(e53_operations[i].code), &e53_operations[i]);
    for (size_t i = 0; i < e53_n_steps; i++) {
        cr_assert_eq(e53_step_lookup(e53_steps[i].id), &e53_steps[i]);
        cr_assert_eq(e53_step_lookup(0x11070000u | e53_steps[i].id), &e53_steps[i]);
    }
    for (size_t i = 0; i < e53_n_errors; i++)
        cr_assert_eq(e53_error_lookup(e53_errors[i].lo), &e53_errors[i], "error %ld", e53_errors[i].lo);
    for (size_t i = 0; i < e53_n_statuses; i++) {
        const struct e53_status_msg *s = e53_status_lookup(e53_statuses[i].status);
        cr_assert_not_null(s);
        cr_assert_eq(s->status, e53_statuses[i].status);
    }
    for (size_t i = 0; i < e53_n_devices; i++) {
        const char *pt = e53_devices[i].product_type;
        cr_assert_eq(e53_device_lookup(pt, strlen(pt)), &e53_devices[i], "%s", pt);
    }
}

/* ---- operations ---------------------------------------------------------- */

Test(tables_ops, operation_19_is_baseband)
{
    const struct e53_operation *op = e53_operation_lookup(19);
    cr_assert_not_null(op);
    cr_assert_eq(op->code, 19);
    cr_assert_str_eq(op->message, "Updating baseband");
    cr_assert_str_eq(op->subsystem, "baseband");
    cr_assert_str_eq(op->constant, "UPDATE_BASEBAND");
}

Test(tables_ops, empty_cells_are_null)
{
    const struct e53_operation *op = e53_operation_lookup(0);
    cr_assert_not_null(op);
    cr_assert_null(op->constant, "code 0 has no idevicerestore constant");
    cr_assert_str_eq(op->old_name, "NoOperation");
    op = e53_operation_lookup(11);
    cr_assert_not_null(op);
    cr_assert_null(op->note);
    op = e53_operation_lookup(58);
    cr_assert_not_null(op);
    cr_assert_null(op->old_name, "AMRestore.h stops at 57");
}

Test(tables_ops, unknown_operations_are_null)
{
    cr_assert_null(e53_operation_lookup(-1));
    cr_assert_null(e53_operation_lookup(82));
    cr_assert_null(e53_operation_lookup(INT_MAX));
    cr_assert_null(e53_operation_lookup(INT_MIN));
}

Test(tables_ops, protocol_shift)
{
    cr_assert_eq(e53_operation_adapt(40, 13), 41);
    cr_assert_eq(e53_operation_adapt(40, 14), 40);
    cr_assert_eq(e53_operation_adapt(35, 13), 35);
    cr_assert_eq(e53_operation_adapt(40, -1), 40);
    /* Boundaries: 36 is the first shifted code, protocol 0 is a real
     * (old) version, and garbage cannot overflow. */
    cr_assert_eq(e53_operation_adapt(36, 13), 37);
    cr_assert_eq(e53_operation_adapt(36, 0), 37);
    cr_assert_eq(e53_operation_adapt(36, 15), 36);
    cr_assert_eq(e53_operation_adapt(INT_MAX, 13), INT_MAX);
    cr_assert_eq(e53_operation_adapt(-5, 13), -5);
}

/* ---- error codes --------------------------------------------------------- */

Test(tables_errors, error_53_is_fdr)
{
    const struct e53_error_code *e = e53_error_lookup(53);
    cr_assert_not_null(e);
    cr_assert_eq(e->lo, 53L);
    cr_assert_eq(e->hi, 53L);
    cr_assert_str_eq(e->apple_name, "FDRFailure");
    cr_assert_str_eq(e->category, "fdr");
}

Test(tables_errors, exact_row_before_range)
{
    /* 3194 has its own row inside 3100-3999: the exact row must win. */
    const struct e53_error_code *e = e53_error_lookup(3194);
    cr_assert_not_null(e);
    cr_assert_eq(e->lo, 3194L);
    cr_assert_eq(e->hi, 3194L);
    cr_assert_str_eq(e->category, "network");
    cr_assert_str_eq(e->source, "seen");
}

Test(tables_errors, range_row_covers_3100_to_3999)
{
    const long inside[] = { 3100, 3101, 3150, 3193, 3195, 3999 };
    for (size_t i = 0; i < N_OF(inside); i++) {
        const struct e53_error_code *e = e53_error_lookup(inside[i]);
        cr_assert_not_null(e, "%ld", inside[i]);
        cr_assert_eq(e->lo, 3100L, "%ld", inside[i]);
        cr_assert_eq(e->hi, 3999L, "%ld", inside[i]);
        cr_assert_str_eq(e->category, "network");
        cr_assert_str_eq(e->apple_name, "AuthInstallServerInternal");
    }
    /* Just outside, and 3019, a gap in the header's 3000-3020 block. */
    cr_assert_null(e53_error_lookup(3099));
    cr_assert_null(e53_error_lookup(4000));
    cr_assert_null(e53_error_lookup(3019));
}

Test(tables_errors, other_codes)
{
    const struct e53_error_code *e = e53_error_lookup(4013);
    cr_assert_not_null(e);
    cr_assert_eq(e->lo, 4013L);
    cr_assert_null(e->apple_name, "4013 has no AMRestore.h name");
    cr_assert_str_eq(e->category, "usb");

    e = e53_error_lookup(-1);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->apple_name, "GenericError");
    cr_assert_str_eq(e->category, "unknown");

    /* Callers pass Apple's positive code: -53 is not a table key. */
    cr_assert_null(e53_error_lookup(-53));
    cr_assert_null(e53_error_lookup(59));
    cr_assert_null(e53_error_lookup(LONG_MAX));
    cr_assert_null(e53_error_lookup(LONG_MIN));
}

/* ---- steps ----------------------------------------------------------------- */

Test(tables_steps, checkpoint_keys_are_masked)
{
    const struct e53_step *s = e53_step_lookup(0x11070634u);
    cr_assert_not_null(s);
    cr_assert_eq(s->id, 0x0634u);
    cr_assert_str_eq(s->name, "fdr_recover");
    cr_assert_str_eq(s->subsystem, "fdr");

    /* The 64-bit host id 4294968955 = 0x1_0000_067B: high bits are noise. */
    const uint64_t host_id = 4294968955u;
    s = e53_step_lookup((unsigned)(host_id & 0xffff));
    cr_assert_not_null(s);
    cr_assert_eq(s->id, 0x067Bu);
    cr_assert_str_eq(s->name, "perform_restore_installing");

    /* The same step in its other spellings (the log formats 0). */
    cr_assert_eq(e53_step_lookup(0x1103067Bu), s);
    cr_assert_eq(e53_step_lookup(0x1003067Bu), s);
    cr_assert_eq(e53_step_lookup(1659u), s);
    cr_assert_eq(e53_step_lookup((unsigned)host_id), s);
}

Test(tables_steps, unknown_steps_are_null)
{
    cr_assert_null(e53_step_lookup(0x0000u));
    cr_assert_null(e53_step_lookup(0x0401u));
    cr_assert_null(e53_step_lookup(0xFFFFu));
    cr_assert_null(e53_step_lookup(0x11070000u));
}

Test(tables_steps, by_name)
{
    const struct e53_step *s = e53_step_by_name("fdr_recover", strlen("fdr_recover"));
    cr_assert_not_null(s);
    cr_assert_eq(s->id, 0x0634u);

    /* A name cut out of a longer log line: only len bytes count. */
    const char line[] = "fdr_save_data: FAILURE";
    s = e53_step_by_name(line, strlen("fdr_save_data"));
    cr_assert_not_null(s);
    cr_assert_eq(s->id, 0x0617u);

    cr_assert_null(e53_step_by_name("fdr_recove", strlen("fdr_recove")), "prefix must not match");
    cr_assert_null(e53_step_by_name("fdr_recover_x", strlen("fdr_recover_x")));
    cr_assert_null(e53_step_by_name("FDR_RECOVER", strlen("FDR_RECOVER")), "names are case-sensitive");
    cr_assert_null(e53_step_by_name("", 0));
    cr_assert_null(e53_step_by_name(NULL, 5));
}

/* ---- statuses ---------------------------------------------------------- */

Test(tables_status, status_53_message)
{
    const struct e53_status_msg *s = e53_status_lookup(53);
    cr_assert_not_null(s);
    cr_assert_str_eq(s->message, "Status: Failed to recover FDR data.");
    cr_assert_str_eq(s->apple_name, "FDRFailure");

    s = e53_status_lookup(-1);
    cr_assert_not_null(s);
    cr_assert_str_eq(s->apple_name, "GenericError");
    cr_assert_str_eq(s->message, "Status: Verification Error");

    cr_assert_null(e53_status_lookup(52), "52 prints 'Unhandled status message'");
}

Test(tables_status, by_text)
{
    static const char *const variants[] = {
        "Failed to recover FDR data.",
        "Failed to recover FDR data",
        "  Failed to recover FDR data.\r\n",
        "Failed to recover FDR data. ",
        "Failed to recover FDR data..",
    };
    for (size_t i = 0; i < N_OF(variants); i++) {
        const struct e53_status_msg *s = e53_status_by_text(variants[i], strlen(variants[i]));
        cr_assert_not_null(s, "variant %zu", i);
        cr_assert_eq(s->status, 53, "variant %zu", i);
    }

    /* Table rows without a trailing dot match an input with one, too. */
    const struct e53_status_msg *s = e53_status_by_text("Restore Finished.", strlen("Restore Finished."));
    cr_assert_not_null(s);
    cr_assert_eq(s->status, 0);

    /* Not NUL-terminated at len. */
    const char buf[] = "Disk FailureXYZ";
    s = e53_status_by_text(buf, strlen("Disk Failure"));
    cr_assert_not_null(s);
    cr_assert_eq(s->status, 6);
}

Test(tables_status, by_text_shared_and_unknown)
{
    /* 50 and 51 print the same text: the first row in file order wins. */
    const struct e53_status_msg *s =
        e53_status_by_text("Failed to load SEP Firmware.", strlen("Failed to load SEP Firmware."));
    cr_assert_not_null(s);
    cr_assert_eq(s->status, 50);

    cr_assert_null(e53_status_by_text("Failed to recover FDR", strlen("Failed to recover FDR")));
    cr_assert_null(e53_status_by_text("failed to recover fdr data.", strlen("failed to recover fdr data.")));
    cr_assert_null(e53_status_by_text("Fail FDR", strlen("Fail FDR")));
    cr_assert_null(e53_status_by_text("", 0));
    cr_assert_null(e53_status_by_text(" . ", 3));
    cr_assert_null(e53_status_by_text(NULL, 3));
}

/* ---- devices ---------------------------------------------------------- */

Test(tables_devices, known_devices)
{
    const struct e53_device *d = e53_device_lookup("iPhone10,3", strlen("iPhone10,3"));
    cr_assert_not_null(d);
    cr_assert_str_eq(d->biometric, "face-id");

    d = e53_device_lookup("iPhone8,1", strlen("iPhone8,1"));
    cr_assert_not_null(d);
    cr_assert_str_eq(d->biometric, "touch-id");
    cr_assert_str_eq(d->name, "iPhone 6s");
    cr_assert_null(d->note);

    cr_assert_eq(e53_device_lookup("iphone8,1", strlen("iphone8,1")), d);
    cr_assert_eq(e53_device_lookup("IPHONE8,1", strlen("IPHONE8,1")), d);
}

Test(tables_devices, lookup_is_exact_length)
{
    /* "iPhone10,3" must not be found as "iPhone10" or "iPhone10,31". */
    const char line[] = "iPhone10,3 (ECID 0x...)";
    const struct e53_device *d = e53_device_lookup(line, strlen("iPhone10,3"));
    cr_assert_not_null(d);
    cr_assert_str_eq(d->product_type, "iPhone10,3");

    cr_assert_null(e53_device_lookup("iPhone10", strlen("iPhone10")));
    cr_assert_null(e53_device_lookup("iPhone10,31", strlen("iPhone10,31")));
    cr_assert_null(e53_device_lookup("iPhone0,1", strlen("iPhone0,1")));
    cr_assert_null(e53_device_lookup("", 0));
    cr_assert_null(e53_device_lookup(NULL, 4));
}

/* ---- subsystem -> result.category (The report contract) -------------------- */

/* Arrays, not pointers: Criterion copies each parameter into the test's own
 * process and asks for cr_malloc'd memory behind any pointer in one; inline
 * arrays keep every case self-contained. */
struct category_case {
    char subsystem[24];
    char category[24];
};

ParameterizedTestParameters(tables_category, contract_mapping)
{
    static struct category_case cases[] = {
        { "tss", "network" },
        { "filesystem", "storage" },
        { "nand", "storage" },
        { "mesa", "fdr" },
        { "fdr", "fdr" },
        { "savage", "secure-element" },
        { "yonkers", "secure-element" },
        { "secure-element", "secure-element" },
        { "sep", "sep" },
        { "baseband", "baseband" },
        { "usb", "usb" },
        { "battery", "battery" },
        { "boot", "unknown" },
        { "firmware", "unknown" },
        { "other", "unknown" },
        /* Not in the vocabulary. */
        { "", "unknown" },
        { "network", "unknown" },
        { "FDR", "unknown" },
    };
    return cr_make_param_array(struct category_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct category_case *c, tables_category, contract_mapping)
{
    const char *got = e53_category_for_subsystem(c->subsystem);
    cr_assert_not_null(got);
    cr_assert_str_eq(got, c->category, "subsystem \"%s\"", c->subsystem);
    cr_assert(in_vocab(got, category_vocab, N_OF(category_vocab)));
}

Test(tables_category, every_vocabulary_word_and_null)
{
    /* Every subsystem word maps into the category set (the parameterized
     * test pins each answer; this one guards the vocabulary lists). */
    for (size_t i = 0; i < N_OF(subsystem_vocab); i++)
        cr_assert(in_vocab(e53_category_for_subsystem(subsystem_vocab[i]), category_vocab, N_OF(category_vocab)),
                  "%s", subsystem_vocab[i]);
    cr_assert_str_eq(e53_category_for_subsystem(NULL), "unknown");
}

Test(tables_category, every_table_subsystem_maps)
{
    /* Whatever subsystem a stage carries, the category fallback has an
     * answer; "unknown" only for the words the contract sends there. */
    static const char *const to_unknown[] = { "boot", "firmware", "other" };
    for (size_t i = 0; i < e53_n_operations; i++) {
        const char *sub = e53_operations[i].subsystem;
        const char *cat = e53_category_for_subsystem(sub);
        if (strcmp(cat, "unknown") == 0)
            cr_assert(in_vocab(sub, to_unknown, N_OF(to_unknown)), "operation %d (%s)", e53_operations[i].code, sub);
    }
    for (size_t i = 0; i < e53_n_steps; i++) {
        const char *sub = e53_steps[i].subsystem;
        const char *cat = e53_category_for_subsystem(sub);
        if (strcmp(cat, "unknown") == 0)
            cr_assert(in_vocab(sub, to_unknown, N_OF(to_unknown)), "step 0x%04X (%s)", e53_steps[i].id, sub);
    }
}
