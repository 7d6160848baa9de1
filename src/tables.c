/* tables.c: look-ups over the tables generated from the TSV files in data/.
 *
 * The arrays themselves are defined in the generated build/tables_data.c
 * (scripts/gen-tables), a separate translation unit, so this file holds
 * only logic and never changes when a fact does. The generator guarantees
 * the orders documented in err53/tables.h and rejects duplicate keys, which
 * is what makes bsearch here return the one right row. */
#include "err53/tables.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Three-way compare without the overflow of "a - b". */
#define E53_CMP(a, b) (((a) > (b)) - ((a) < (b)))

static int cmp_operation(const void *key, const void *elem)
{
    int code = *(const int *)key;
    const struct e53_operation *op = elem;
    return E53_CMP(code, op->code);
}

const struct e53_operation *e53_operation_lookup(int code)
{
    return bsearch(&code, e53_operations, e53_n_operations, sizeof e53_operations[0], cmp_operation);
}

int e53_operation_adapt(int raw, int protocol)
{
    /* Devices speaking restore protocol < 14 number every operation above
     * 35 one lower than today's table (data/README.md). The INT_MAX guard
     * only keeps garbage input from overflowing. */
    if (protocol >= 0 && protocol < 14 && raw > 35 && raw < INT_MAX)
        return raw + 1;
    return raw;
}

const struct e53_status_msg *e53_status_lookup(int status)
{
    /* File order, nine rows: a scan is as fast as anything else. */
    for (size_t i = 0; i < e53_n_statuses; i++)
        if (e53_statuses[i].status == status)
            return &e53_statuses[i];
    return NULL;
}

static int is_space(char c)
{
    /* Not isspace(): locale-independent, and no int-vs-char pitfalls. */
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Length of s[0..len) once a trailing run of '.' and whitespace is dropped:
 * pasted logs lose or add the final dot and carry CRs and trailing blanks. */
static size_t trim_status_tail(const char *s, size_t len)
{
    while (len > 0 && (s[len - 1] == '.' || is_space(s[len - 1])))
        len--;
    return len;
}

const struct e53_status_msg *e53_status_by_text(const char *text, size_t len)
{
    static const char prefix[] = "Status: ";
    const size_t plen = sizeof prefix - 1;

    if (text == NULL)
        return NULL;
    while (len > 0 && is_space(*text)) {
        text++;
        len--;
    }
    len = trim_status_tail(text, len);
    if (len == 0)
        return NULL;

    for (size_t i = 0; i < e53_n_statuses; i++) {
        const char *msg = e53_statuses[i].message;
        size_t mlen;
        if (msg == NULL)
            continue;
        mlen = strlen(msg);
        if (mlen >= plen && memcmp(msg, prefix, plen) == 0) {
            msg += plen;
            mlen -= plen;
        }
        mlen = trim_status_tail(msg, mlen);
        /* First match in file order wins: 50 and 51 share their text. */
        if (mlen == len && memcmp(msg, text, len) == 0)
            return &e53_statuses[i];
    }
    return NULL;
}

static int cmp_error_lo(const void *key, const void *elem)
{
    long code = *(const long *)key;
    const struct e53_error_code *e = elem;
    return E53_CMP(code, e->lo);
}

const struct e53_error_code *e53_error_lookup(long code)
{
    /* lo is unique (the generator rejects repeats), so bsearch on lo finds
     * the exact row if there is one. If it lands on a range row instead
     * (code == its lo), the range scan below returns that same row. */
    const struct e53_error_code *e =
        bsearch(&code, e53_errors, e53_n_errors, sizeof e53_errors[0], cmp_error_lo);
    if (e != NULL && e->lo == e->hi)
        return e;

    /* Ranges are rare (one row today), so a scan is cheap. */
    for (size_t i = 0; i < e53_n_errors; i++)
        if (e53_errors[i].lo < e53_errors[i].hi && e53_errors[i].lo <= code && code <= e53_errors[i].hi)
            return &e53_errors[i];
    return NULL;
}

static int cmp_step(const void *key, const void *elem)
{
    unsigned id = *(const unsigned *)key;
    const struct e53_step *s = elem;
    return E53_CMP(id, s->id);
}

const struct e53_step *e53_step_lookup(unsigned id)
{
    /* Checkpoint keys carry the step id in their low 16 bits; the high bits
     * (0x1103..., 0x1107..., 64-bit host ids) are domain or noise. */
    id &= 0xFFFFu;
    return bsearch(&id, e53_steps, e53_n_steps, sizeof e53_steps[0], cmp_step);
}

/* True when the NUL-terminated s equals the len bytes at p. */
static int equals_slice(const char *s, const char *p, size_t len)
{
    return s != NULL && strlen(s) == len && memcmp(s, p, len) == 0;
}

const struct e53_step *e53_step_by_name(const char *name, size_t len)
{
    if (name == NULL)
        return NULL;
    /* Sorted by id, not name: scan. Steps are looked up by name only when a
     * log prints a name without its id, which is rare. */
    for (size_t i = 0; i < e53_n_steps; i++)
        if (equals_slice(e53_steps[i].name, name, len))
            return &e53_steps[i];
    return NULL;
}

static int ascii_lower(unsigned char c)
{
    /* Not tolower(): the result must not depend on the locale. */
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

const struct e53_device *e53_device_lookup(const char *product_type, size_t len)
{
    if (product_type == NULL)
        return NULL;
    /* Logs and file names spell ProductType in varying case ("iphone8,1"). */
    for (size_t i = 0; i < e53_n_devices; i++) {
        const char *pt = e53_devices[i].product_type;
        size_t j;
        if (pt == NULL || strlen(pt) != len)
            continue;
        for (j = 0; j < len; j++)
            if (ascii_lower((unsigned char)pt[j]) != ascii_lower((unsigned char)product_type[j]))
                break;
        if (j == len)
            return &e53_devices[i];
    }
    return NULL;
}

/* the report contract (err53-report(5)), result.category for a failure without an Apple
 * code. Kept here, not in a TSV, because it is part of the report contract
 * rather than a fact about devices. */
static const struct {
    const char *subsystem;
    const char *category;
} category_map[] = {
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
};

const char *e53_category_for_subsystem(const char *subsystem)
{
    if (subsystem != NULL)
        for (size_t i = 0; i < sizeof category_map / sizeof category_map[0]; i++)
            if (strcmp(category_map[i].subsystem, subsystem) == 0)
                return category_map[i].category;
    return "unknown";
}
