/* Typed protobuf-c messages, as libprocess' ProtobufProcess: install a
 * handler for a message type, send a message. On the wire the message name
 * is the protobuf full type name ("pkg.Type", the descriptor's name) and the
 * body its serialization, so a Kairos process exchanges typed messages with
 * a Mesos libprocess ProtobufProcess.
 *
 * An add-on, not part of the core libraries: link kairos::kairos_protobuf
 * (real) or kairos::kairos_protobuf_sim (sim) and libprotobuf-c; it uses
 * only the public Kairos API. Built only when libprotobuf-c-dev and
 * protobuf-c-compiler are installed. */
#ifndef KAIROS_PROTOBUF_H
#define KAIROS_PROTOBUF_H

#include <kairos/kairos.h>
#include <protobuf-c/protobuf-c.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Gets the decoded message (freed after it returns) and its sender. */
typedef void (*kr_protobuf_fn)(kr_process *self, kr_pid from, const ProtobufCMessage *msg);

/* Handles messages named d->name in self by decoding them with d. A body
 * that does not decode is dropped and counted (kr_protobuf_malformed, the
 * metric "kairos/protobuf_malformed"), never handed on. A later install for
 * the same type replaces the handler. Call it from self's context (e.g.
 * initialize). KR_EINVAL on NULL arguments, KR_ENOMEM. */
KR_API int kr_protobuf_install(kr_process *self, const ProtobufCMessageDescriptor *d,
                               kr_protobuf_fn fn);
/* Serializes msg and sends it as kr_send does (self NULL: as kr_post).
 * KR_EINVAL on a NULL message, KR_ENOMEM. */
KR_API int kr_protobuf_send(kr_process *self, kr_pid to, const ProtobufCMessage *msg);
/* Bodies that did not decode since the program started. */
KR_API uint64_t kr_protobuf_malformed(void);

#ifdef __cplusplus
}
#endif
#endif
