/* Kairos: libprocess' actor model in C11, on a real or a simulated backend.
 * This umbrella header brings in everything a user needs. */
#ifndef KAIROS_KAIROS_H
#define KAIROS_KAIROS_H

#include <kairos/common.h>
#include <kairos/runtime.h>
#include <kairos/clock.h>
#include <kairos/pid.h>
#include <kairos/process.h>
#include <kairos/message.h>
#include <kairos/future.h>
#include <kairos/dispatch.h>
#include <kairos/check.h>
#include <kairos/probe.h>
#include <kairos/testing.h>
#include <kairos/http.h>
#include <kairos/metrics.h>
#include <kairos/parse.h>
#include <kairos/storage.h>
#ifdef KAIROS_SIM
#include <kairos/sim.h>
#endif

#endif
