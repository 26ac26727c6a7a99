/* SPDX-License-Identifier: MIT */
/*
 * http_session - HTTP/1.1 on a conn (L4): the conn_proto a listener that
 * serves HTTP gives its conns.
 */
#ifndef DUET_HTTP_SESSION_H
#define DUET_HTTP_SESSION_H

#include "conn.h"

extern const struct conn_proto http_session_proto;

#endif /* DUET_HTTP_SESSION_H */
