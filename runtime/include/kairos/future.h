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

/* ---- Composition (libprocess' then/recover/onReady/select/await) -------
 *
 * None of these takes over the caller's references: a chain is written
 *   kr_future *g = kr_future_then(f, self, next, NULL, 0); kr_future_unref(f);
 * and the runtime keeps what it needs alive until the chain completes. With
 * a ctx pid the function runs in that process (libprocess' defer(self(),
 * ...)); with KR_PID_NONE it runs on the thread that completes the input
 * (at once if it is already complete). */

/* The continuation: gets the completed input, returns a NEW reference to the
 * next future (kr_future_ready(v, free) for a plain value, or one from
 * kr_dispatch_call, kr_http_get, ...). Never NULL (a NULL makes the result
 * FAILED). */
typedef kr_future *(*kr_then_fn)(kr_process *self, kr_future *done, const void *arg);
/* The result follows the future fn returns. fn runs only when f is READY (and
 * no discard was requested on the result: then the result is DISCARDED); a
 * failed, discarded or abandoned f passes its state and reason to the result
 * without calling fn. If ctx is gone when fn should run, the result is
 * ABANDONED. A discard request on the result is forwarded to the future it
 * currently follows (f, then fn's). arg is copied (len bytes). NULL on bad
 * arguments (logged). */
KR_API kr_future *kr_future_then(kr_future *f, kr_pid ctx, kr_then_fn fn, const void *arg,
                                 size_t len);
/* The opposite: fn runs when f is FAILED, DISCARDED or ABANDONED (libprocess'
 * recover); a READY f passes through. A discard requested before fn runs is
 * cleared, so it reaches fn's future only if requested again. */
KR_API kr_future *kr_future_recover(kr_future *f, kr_pid ctx, kr_then_fn fn, const void *arg,
                                    size_t len);
/* Already READY with value (freed by free_value with the state). */
KR_API kr_future *kr_future_ready(void *value, void (*free_value)(void *));
/* Already FAILED with a copy of reason. */
KR_API kr_future *kr_future_failed(const char *reason);
/* kr_future_on_any restricted to one final state: fn runs only if f ends in
 * it (the callback is dropped otherwise). */
KR_API void kr_future_on_ready(kr_future *f, kr_pid ctx, kr_future_fn fn, const void *arg,
                               size_t len);
KR_API void kr_future_on_failed(kr_future *f, kr_pid ctx, kr_future_fn fn, const void *arg,
                                size_t len);
KR_API void kr_future_on_discarded(kr_future *f, kr_pid ctx, kr_future_fn fn, const void *arg,
                                   size_t len);
KR_API void kr_future_on_abandoned(kr_future *f, kr_pid ctx, kr_future_fn fn, const void *arg,
                                   size_t len);
/* The producer hears a discard request on p's future (libprocess'
 * Promise::future().onDiscard): fn runs once, in ctx (or on the requesting
 * thread with KR_PID_NONE; at once if one was already requested), unless p
 * completes first. */
typedef void (*kr_discard_fn)(kr_process *self, const void *arg);
KR_API void kr_promise_on_discard(kr_promise *p, kr_pid ctx, kr_discard_fn fn, const void *arg,
                                  size_t len);
/* READY once no input is pending, whatever their states (libprocess'
 * await); its value is the array of the inputs as kr_future_all's. A
 * discard request is forwarded to the inputs. */
KR_API kr_future *kr_future_await_all(kr_future *const *fs, size_t n);
/* READY with the first input to become READY (the value is that kr_future *,
 * a reference owned by the result); fails only once every input has failed,
 * been discarded or abandoned (or at once if n is 0). A discard request is
 * forwarded to the inputs. */
KR_API kr_future *kr_future_select(kr_future *const *fs, size_t n);

/* ---- Loop (libprocess' process::loop) -----------------------------------
 *
 * Repeats iterate then body until body breaks, without growing the stack
 * however many iterations complete at once. iterate (may be NULL) returns a
 * new reference to the next item; body gets the READY item (NULL without an
 * iterate) and returns a new reference to a control future made by
 * kr_loop_continue() or kr_loop_break() (directly or at the end of a chain).
 * The loop's result is READY with the break's value; it takes the state of
 * an item or control future that is not READY, and fails if body returns
 * anything else. Each step runs in ctx (KR_PID_NONE: on the thread that
 * completes the future waited for); if ctx is gone the result is ABANDONED.
 * A discard request on the result is forwarded to the future in flight and
 * stops the loop before its next step. free_state (may be NULL) frees state
 * once the loop has ended. */
typedef kr_future *(*kr_loop_iterate_fn)(kr_process *self, void *state);
typedef kr_future *(*kr_loop_body_fn)(kr_process *self, kr_future *item, void *state);
KR_API kr_future *kr_loop(kr_pid ctx, kr_loop_iterate_fn iterate, kr_loop_body_fn body,
                          void *state, void (*free_state)(void *));
KR_API kr_future *kr_loop_continue(void);
/* value (freed by free_value unless the loop hands it on) becomes the loop's. */
KR_API kr_future *kr_loop_break(void *value, void (*free_value)(void *));

/* ---- Sequence (libprocess' process::Sequence) ---------------------------
 *
 * Runs future-returning callbacks one after another: a callback starts only
 * once the future of the one added before it is no longer pending. */
typedef struct kr_sequence kr_sequence;
typedef kr_future *(*kr_sequence_fn)(kr_process *self, const void *arg);
KR_API kr_sequence *kr_sequence_new(void);
/* Queues fn (run in ctx, or on the completing thread with KR_PID_NONE); the
 * result follows fn's future. Discarding the result before fn started means
 * fn never runs and the result is DISCARDED; afterwards the request is
 * forwarded to fn's future. arg is copied. NULL on bad arguments. */
KR_API kr_future *kr_sequence_add(kr_sequence *s, kr_pid ctx, kr_sequence_fn fn,
                                  const void *arg, size_t len);
/* Requests a discard on every result not complete yet (callbacks not
 * started never run), then frees the sequence. */
KR_API void kr_sequence_free(kr_sequence *s);

/* libprocess' stringification: "Pending", "Ready (with discard)",
 * "Failed: reason", "Abandoned", ... Writes into buf, returns buf. */
KR_API const char *kr_future_describe(const kr_future *f, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
