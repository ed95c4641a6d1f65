/* Futures and promises, after libprocess' Future/Promise.
 *
 * A promise is the write side, a future the read side of one shared state.
 * Futures are reference counted: every function returning a kr_future *
 * gives the caller a reference to release with kr_future_unref.
 *
 * Unlike libprocess, KR_ABANDONED is a final state: a future whose promise is
 * freed (or whose dispatch was dropped) while pending becomes abandoned, so
 * nothing ever waits forever on a promise nobody can keep. */
#ifndef KAIROS_FUTURE_H
#define KAIROS_FUTURE_H

#include <kairos/process.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    KR_PENDING,
    KR_READY,
    KR_FAILED,
    KR_DISCARDED,
    KR_ABANDONED
} kr_future_state;

typedef struct kr_future kr_future;
typedef struct kr_promise kr_promise;

KR_API kr_promise *kr_promise_new(void);
/* A new reference to the promise's future. */
KR_API kr_future *kr_promise_future(kr_promise *p);
/* Each completes a pending future and returns true, or returns false and
 * changes nothing (already completed; then set's value is NOT taken over and
 * stays the caller's). free_value (may be NULL) frees value with the
 * future's state. */
KR_API bool kr_promise_set(kr_promise *p, void *value, void (*free_value)(void *));
KR_API bool kr_promise_fail(kr_promise *p, const char *reason);
KR_API bool kr_promise_discard(kr_promise *p);
/* Releases the promise; if its future is still pending it becomes
 * KR_ABANDONED. */
KR_API void kr_promise_free(kr_promise *p);

KR_API kr_future_state kr_future_state_of(const kr_future *f);
/* The value of a KR_READY future (owned by the future), else NULL. */
KR_API void *kr_future_value(const kr_future *f);
/* The reason of a KR_FAILED future (owned by the future), else NULL. */
KR_API const char *kr_future_error(const kr_future *f);
KR_API kr_future *kr_future_ref(kr_future *f);
KR_API void kr_future_unref(kr_future *f);

/* Called once the future is no longer pending. self is the ctx process when
 * one was given, else NULL. */
typedef void (*kr_future_fn)(kr_process *self, kr_future *f, const void *arg);
/* With a ctx pid the callback runs in that process' context (dispatched, as
 * libprocess' defer(self(), ...)); if ctx is gone it is dropped. With
 * KR_PID_NONE it runs on the thread that completes the future, or at once if
 * already complete. arg is copied (len bytes). */
KR_API void kr_future_on_any(kr_future *f, kr_pid ctx, kr_future_fn fn, const void *arg,
                             size_t len);
/* Blocks until f is no longer pending (true) or the timeout elapses (false).
 * Only from outside processes: inside one it logs and returns false. */
KR_API bool kr_future_await(kr_future *f, kr_duration timeout);
/* Requests a discard (as libprocess' Future::discard): the producer may honour
 * it; the state stays pending until it does. */
KR_API void kr_future_discard(kr_future *f);
KR_API bool kr_future_discard_requested(const kr_future *f);
/* Ready (value: the kr_future *const * array of the inputs, in order, owned
 * by the result) once all are ready; failed/discarded/abandoned as soon as one
 * input is. A discard request on the result is forwarded to the inputs. */
KR_API kr_future *kr_future_all(kr_future *const *fs, size_t n);
/* Follows f, but fails with "timed out" if f is still pending after d. A
 * discard request on the result is forwarded to f. */
KR_API kr_future *kr_future_after(kr_future *f, kr_duration d);

/* libprocess' stringification: "Pending", "Ready (with discard)",
 * "Failed: reason", "Abandoned", ... Writes into buf, returns buf. */
KR_API const char *kr_future_describe(const kr_future *f, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
