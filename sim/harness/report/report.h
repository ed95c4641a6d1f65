/* HTML reports of simulator runs (sim only).
 *
 * kr__report_run reads a run trace (sim/TRACE.md, "Run traces") and writes
 * one self-contained HTML file: a virtualised sequence diagram of the run
 * (lanes per process grouped by node, messages as arrows, faults as bands,
 * the failing check highlighted), with filters and an event details panel.
 *
 * kr__report_sweep reads a sweep summary (sim/TRACE.md, "Sweep summaries")
 * and writes a static HTML summary: failures grouped by signature with the
 * replay command and a link to run-seed-N.html, seeds/s, probes, and
 * histograms of run lengths.
 *
 * Both return 0, or a negative KR_E* code with a message in err:
 * KR_EIO (cannot read/write), KR_EFORMAT (malformed input, "file:line: why"),
 * KR_ENOMEM, KR_EINVAL (NULL paths). The output goes through kr__out
 * (out_file.h): a failure never leaves half a report under html_path, and a
 * device or FIFO is written straight, never replaced. */
#ifndef KAIROS_SIM_REPORT_H
#define KAIROS_SIM_REPORT_H

#include <kairos/common.h>

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

KR_API int kr__report_run(const char *trace_path, const char *html_path, char *err,
                          size_t err_len);

/* The commands a run report offers to replay its run, as the program that
 * made it would run them (its argv[0], its --load options): NULL for none.
 * trace_cmd only when the trace outlives the report's making (not a
 * temporary file). kr__report_run offers none: it cannot know them. */
typedef struct kr__report_replay {
    const char *seed_cmd;  /* the same run by seed */
    const char *trace_cmd; /* follows the trace exactly */
    bool temporary_trace;  /* trace_path is deleted after: do not name it */
} kr__report_replay;
KR_API int kr__report_run_replay(const char *trace_path, const char *html_path,
                                 const kr__report_replay *replay, char *err, size_t err_len);
KR_API int kr__report_sweep(const char *sweep_jsonl_path, const char *html_path, char *err,
                            size_t err_len);

#ifdef __cplusplus
}
#endif
#endif
