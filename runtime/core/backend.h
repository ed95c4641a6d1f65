/* The backend seam, backend side: every hook the core calls in a backend
 * (runtime/real/ or sim/backend/). Exactly one backend is linked into each
 * library and defines every kr__backend_* below; nothing above the seam
 * knows which. Its twin, core.h, declares what a backend may use of the
 * core; a backend includes this file and no other core header. See
 * runtime/BACKENDS.md. */
#ifndef KAIROS_BACKEND_H
#define KAIROS_BACKEND_H

#include "core.h"

/* "real" or "sim". */
extern const char kr__backend_name[];

/* kr_init's first step, before anything is reset or started: resolves the
 * backend's own fields of cfg (NULL = all defaults), each the caller's value
 * if set, else its KAIROS_* variable, else the default; validates them and
 * keeps them for kr__backend_start. Returns 0, or KR_EINVAL after logging
 * why (kr_init then fails with nothing started). Fields only the other
 * backend uses are not looked at. */
int kr__backend_configure(const kr_config *cfg);
/* Starts the backend after the core's tables are ready (threads, clock,
 * PRNG streams). Returns 0 or KR_E*. */
int kr__backend_start(const kr__config *cfg);
/* Stops it after every process has terminated (joins threads). */
void kr__backend_stop(void);

/* Clock. now() is wall time or virtual time; while paused it is the paused
 * time, moved only by advance_to (which never goes backwards). */
kr_time kr__backend_now(void);
void kr__backend_pause(void);
void kr__backend_resume(void);
bool kr__backend_paused(void);
void kr__backend_advance_to(kr_time t);
/* The earliest timer deadline may have changed. */
void kr__backend_timers_changed(void);

/* p just became runnable (BOTTOM at spawn, or BLOCKED -> READY). The backend
 * must eventually call kr__process_run(p, ...) and, on KR__RUN_MORE, again. */
void kr__backend_schedule(kr__proc *p);

/* What a blocked caller waits for: wakers name the kind of change, so a
 * thread awaiting a future is not woken by each of a million process
 * exits. */
typedef enum {
    KR__WAIT_FUTURE,  /* a future completed */
    KR__WAIT_PROCESS, /* a process ended */
    KR__WAIT_QUIET,   /* the runtime may have gone quiet (settle) */
    KR__WAIT_KINDS
} kr__wait_kind;

/* p has a backlog of events queued by the calling thread's running process
 * (a hint: the real backend moves p out of this worker's next slot so an
 * idle worker drains it concurrently; the simulator ignores it). */
void kr__backend_backlog(kr__proc *p);

/* The running process is about to count its served events off, after
 * which it may be idle and run on another thread at once: the real backend
 * sends the remote messages this turn has corked now, so none can be
 * overtaken by a later message the process sends from that other thread;
 * the simulator has nothing to do. */
void kr__backend_turn_releasing(void);

/* Blocks the calling thread (never a process) until done(ctx) holds, a
 * check failed (sim), or timeout passes; done is re-tested when a change of
 * `kind` is announced. The sim backend runs the simulation meanwhile.
 * Returns done(ctx). */
bool kr__backend_block_until(kr__wait_kind kind, bool (*done)(void *ctx), void *ctx,
                             kr_duration timeout);
/* A change of `kind` happened. Cheap when nobody waits for that kind. */
void kr__backend_wake(kr__wait_kind kind);
/* Returns once no process is runnable or running and no timer is due. */
void kr__backend_settle(void);

/* Addresses and the network. here(): the address a process spawned now
 * gets (real: this node; sim: the spawning process' node, or the node the
 * driver selected). hosts(): processes at that address live in this
 * runtime's table. remote(): a message from `from` to `to` must cross the
 * network (then send_remote carries it; the body is copied). link_remote():
 * linker wants exited(to) when `to` becomes unreachable. */
void kr__backend_here(uint32_t *ip, uint16_t *port);
bool kr__backend_hosts(uint32_t ip, uint16_t port);
bool kr__backend_remote(const kr_pid *from, const kr_pid *to); /* by pointer: 80-byte pids, per send */
void kr__backend_send_remote(kr_pid from, kr_pid to, const char *name, const void *body,
                             size_t len);
void kr__backend_link_remote(kr_pid linker, kr_pid to);
/* p is about to serve e (after filters); for the simulator's event trace. */
void kr__backend_on_serve(kr__proc *p, const kr__event *e);

/* A timer deadline read from the calling process' clock (kr_clock_now()
 * + d), in the time base timers fire by. Identity unless the backend gives
 * nodes their own clocks (sim: kr_sim_clock_skew). Must never return a
 * time before now; INT64_MAX stays INT64_MAX. */
kr_time kr__backend_deadline(kr_time local);

/* Durable storage (kairos/storage.h). The core has checked the arguments:
 * name is a valid relative name, f is non-NULL, buf non-NULL when len > 0.
 * Files belong to the caller's node (kr__backend_here). Each returns 0 or
 * KR_E*; a handle whose node crashed since it was opened fails with
 * KR_ESTATE. write/truncate change only what the node reads until sync
 * makes them durable; close frees the handle whatever it returns. */
int kr__backend_file_open(const char *name, bool create, kr_file **out);
int kr__backend_file_write(kr_file *f, uint64_t offset, const void *buf, size_t len);
int kr__backend_file_read(kr_file *f, uint64_t offset, void *buf, size_t len, size_t *got);
int kr__backend_file_sync(kr_file *f);
int kr__backend_file_size(kr_file *f, uint64_t *size);
int kr__backend_file_truncate(kr_file *f, uint64_t size);
void kr__backend_file_close(kr_file *f);
int kr__backend_file_remove(const char *name);

/* kr_probe(name) was hit (and counted by the core), on any thread. */
void kr__backend_probe_hit(const char *name);

/* Randomness and fault points. */
uint64_t kr__backend_random(void);
bool kr__backend_buggify(double p, const char *file, int line);
/* A kr_check failed: msg is "file:line: text". */
void kr__backend_check_failed(const char *msg);

#endif
