/* Durable storage: files that belong to the node of the calling process.
 *
 * Both backends: on `real` the files live under
 * $KAIROS_DATA_DIR/<ip>_<port>/ (default ./kairos-data) and are written
 * with pwrite/pread/fdatasync; on `sim` each node has a disk in memory that
 * outlives crashes and restarts, where only what was synced is sure to
 * survive kr_sim_power_off. The calls are synchronous (as Mesos' replicated
 * log uses LevelDB inside a process). */
#ifndef KAIROS_STORAGE_H
#define KAIROS_STORAGE_H

#include <kairos/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kr_file kr_file;

/* kr_file_open creates the file (and its directories) if missing. */
#define KR_FILE_CREATE 1u
/* Longest file name, in bytes, without the terminating NUL. */
#define KR_FILE_NAME_MAX 255

/* Names are relative paths of [A-Za-z0-9._-/] with no empty, "." or ".."
 * component (KR_EINVAL otherwise, KR_ENAMETOOLONG past KR_FILE_NAME_MAX).
 * KR_ENOENT if the file is missing and flags lack KR_FILE_CREATE. */
KR_API int kr_file_open(const char *name, unsigned flags, kr_file **out);
/* Writes len bytes at offset (a gap before it reads as zeros). */
KR_API int kr_file_write(kr_file *f, uint64_t offset, const void *buf, size_t len);
/* Reads up to len bytes at offset; *got is less than len only at the end. */
KR_API int kr_file_read(kr_file *f, uint64_t offset, void *buf, size_t len, size_t *got);
/* Every earlier write (and truncate) of this file is durable. */
KR_API int kr_file_sync(kr_file *f);
KR_API int kr_file_size(kr_file *f, uint64_t *size);
KR_API int kr_file_truncate(kr_file *f, uint64_t size);
/* NULL is ignored. A handle opened before its node crashed fails every
 * call with KR_ESTATE; it may still be closed (sim: kr_finalize frees the
 * handles nobody closed, as an OS closes a dead process' files; a handle is
 * invalid after kr_finalize). */
KR_API void kr_file_close(kr_file *f);
/* Removes the file (durably). KR_ENOENT if missing. */
KR_API int kr_file_remove(const char *name);

#ifdef __cplusplus
}
#endif
#endif
