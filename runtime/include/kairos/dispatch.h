/* Dispatch (run a function in a process' context) and delay (later). */
#ifndef KAIROS_DISPATCH_H
#define KAIROS_DISPATCH_H

#include <kairos/future.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*kr_fn)(kr_process *self, const void *arg);

/* Runs fn(target, arg-copy) as an event of `to`. Dropped if `to` is gone. */
KR_API void kr_dispatch(kr_pid to, kr_fn fn, const void *arg, size_t len);

/* fn completes `result` (set/fail/discard). If result is still pending when
 * fn returns, fn has taken it over: it must complete it later and then call
 * kr_promise_free. Otherwise the runtime frees it. */
typedef void (*kr_call_fn)(kr_process *self, const void *arg, kr_promise *result);
/* As kr_dispatch, returning the future of `result`. If the event is dropped
 * (target gone, purged by terminate, filtered) the future is abandoned. */
KR_API kr_future *kr_dispatch_call(kr_pid to, kr_call_fn fn, const void *arg, size_t len);

typedef uint64_t kr_timer;
/* Dispatches fn to `to` after d. Returns a timer id (never 0; 0 on
 * failure). */
KR_API kr_timer kr_delay(kr_duration d, kr_pid to, kr_fn fn, const void *arg, size_t len);
/* True if the timer had not fired yet (it now never will). */
KR_API bool kr_timer_cancel(kr_timer t);

#ifdef __cplusplus
}
#endif
#endif
