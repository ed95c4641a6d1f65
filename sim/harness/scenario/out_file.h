/* One way to write every output file of the kairos command (traces, shrunk
 * traces, sweep summaries, HTML reports), so that no output destroys a file
 * or reports success it did not have.
 *
 *   - OUT absent, or a regular file: written to a temporary in the same
 *     directory, created with O_CREAT|O_EXCL|O_NOFOLLOW under a fresh
 *     random name (a file or symlink planted there is never opened), then
 *     flushed, fsync'ed and renamed over OUT. A failure removes the
 *     temporary: OUT is either the old file or the complete new one.
 *   - OUT a device, FIFO, socket or a symlink to one of those (/dev/stdout,
 *     /dev/null, a named pipe): written straight, never replaced, never
 *     created. /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N are a
 *     dup of that descriptor (sharing its offset, so `--trace /dev/stdout
 *     > FILE` appends after what was printed). A symlink to a regular file
 *     is written through (truncated), so the link stays a link; a dangling
 *     symlink is an error.
 *   - OUT a directory: an error.
 * Every write error (ENOSPC, EFBIG, EIO, /dev/full) is reported by
 * kr__out_commit with the reason; callers exit 2. */
#ifndef KAIROS_OUT_FILE_H
#define KAIROS_OUT_FILE_H

#include <stdbool.h>
#include <stdio.h>

typedef struct kr__out {
    FILE *f;    /* write here */
    char *path; /* the final name */
    char *tmp;  /* the temporary, or NULL when writing straight */
} kr__out;

/* Opens OUT for writing as above. 0, or -1 with the reason in err. */
int kr__out_open(kr__out *o, const char *path, char *err, size_t err_len);
/* Finishes: on ok, flushes, syncs and (for a temporary) renames over the
 * final name; on !ok (the caller gave up) or any failure, removes the
 * temporary. 0 when OUT now holds everything written; else -1 with the
 * reason in err. Always releases o. */
int kr__out_commit(kr__out *o, bool ok, char *err, size_t err_len);
/* Removes every temporary not yet committed, for a process being stopped
 * (kairos run under limits: its watcher's SIGTERM). Async-signal-safe: it
 * only calls unlink. */
void kr__out_abandon_all(void);

#endif
