/*
 * ops_assert.c: assertions for `perch test` and scripts. A failure has kind
 * `assertion_failed` and a message that shows both sides, quoted with
 * escapes so whitespace differences are visible:
 *     assert_eq: expected "b", got "a"
 * An optional last MESSAGE argument is put in front: "MESSAGE: expected ...".
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ops/ops_int.h"
#include "os/fs.h"

/* Each quoted side is cut to this many bytes so both fit the message. */
#define SIDE_MAX 200

/* Record the failure: "<op or MESSAGE>: <detail>". */
static bool
fail(struct op_call *call, size_t msg_index, const struct sbuf *detail, struct err *err)
{
    const char *head = call->argc > msg_index ? call->argv[msg_index] : ops_name(call);
    return err_set(err, ERR_ASSERTION, "%s: %s", head, detail->buf);
}

bool
ops_do_assert_eq(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)out;
    const char *actual = call->argv[0], *expected = call->argv[1];
    if (strcmp(actual, expected) == 0)
        return true;
    struct sbuf d = SBUF_INIT;
    sbuf_adds(&d, "expected ");
    ops_quote(&d, expected, SIDE_MAX);
    sbuf_adds(&d, ", got ");
    ops_quote(&d, actual, SIDE_MAX);
    fail(call, 2, &d, err);
    sbuf_release(&d);
    return false;
}

bool
ops_do_assert_neq(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)out;
    if (strcmp(call->argv[0], call->argv[1]) != 0)
        return true;
    struct sbuf d = SBUF_INIT;
    sbuf_adds(&d, "expected a value other than ");
    ops_quote(&d, call->argv[1], SIDE_MAX);
    fail(call, 2, &d, err);
    sbuf_release(&d);
    return false;
}

static bool
check_contains(struct op_call *call, bool want, struct err *err)
{
    const char *text = call->argv[0], *part = call->argv[1];
    if ((strstr(text, part) != NULL) == want)
        return true;
    struct sbuf d = SBUF_INIT;
    ops_quote(&d, text, SIDE_MAX);
    sbuf_adds(&d, want ? " does not contain " : " contains ");
    ops_quote(&d, part, SIDE_MAX);
    fail(call, 2, &d, err);
    sbuf_release(&d);
    return false;
}

bool
ops_do_assert_contains(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)out;
    return check_contains(call, true, err);
}

bool
ops_do_assert_not_contains(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)out;
    return check_contains(call, false, err);
}

static bool
check_exists(struct op_call *call, bool want, struct err *err)
{
    char *path = ops_path_for_read(call, call->argv[0], err);
    if (!path)
        return false;
    struct os_fs_info info;
    bool ok = os_fs_stat(path, &info, err);
    if (ok && (info.type != OS_FS_NONE) != want) {
        struct sbuf d = SBUF_INIT;
        sbuf_addf(&d, "'%s' %s", path, want ? "does not exist" : "exists");
        ok = fail(call, 1, &d, err);
        sbuf_release(&d);
    }
    free(path);
    return ok;
}

bool
ops_do_assert_exists(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)out;
    return check_exists(call, true, err);
}

bool
ops_do_assert_not_exists(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)out;
    return check_exists(call, false, err);
}

bool
ops_do_assert_match(struct op_call *call, struct sbuf *out, struct err *err)
{
    (void)out;
    regex_t re;
    int rc = regcomp(&re, call->argv[1], REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char msg[160];
        regerror(rc, &re, msg, sizeof(msg));
        return err_set(err, ERR_USAGE, "assert_match: invalid regular expression '%s': %s",
                       call->argv[1], msg);
    }
    bool matched = regexec(&re, call->argv[0], 0, NULL, 0) == 0;
    regfree(&re);
    if (matched)
        return true;
    struct sbuf d = SBUF_INIT;
    ops_quote(&d, call->argv[0], SIDE_MAX);
    sbuf_addf(&d, " does not match /%s/", call->argv[1]);
    fail(call, 2, &d, err);
    sbuf_release(&d);
    return false;
}
