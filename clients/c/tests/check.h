/* check.h: the counters and CHECK macro shared by the C client's test programs, which end with
 * check_report()'s "N passed, M failed" line. */
#ifndef HABITRPC_TEST_CHECK_H
#define HABITRPC_TEST_CHECK_H

#include <stdio.h>

static int passed, failed;

#define CHECK(cond, what)                                                                                   \
    do {                                                                                                    \
        if (cond) {                                                                                         \
            passed++;                                                                                       \
        } else {                                                                                            \
            failed++;                                                                                       \
            printf("FAIL %s:%d %s: %s\n", __FILE__, __LINE__, __func__, what);                             \
        }                                                                                                   \
    } while (0)

/* Prints the summary line and returns the process exit status. */
static inline int check_report(void) {
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

#endif
